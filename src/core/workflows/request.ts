/**
 * The one parser of what a user asks for, shared by the action (its inputs) and the CLI (its flags): every value is
 * checked here, with the same rules and the same messages, naming the input or flag as the user wrote it.
 */
import { UsageError, type Where } from '../errors.js';
import { parseDurationText } from '../duration.js';

export { parseDurationText };
import type { ManifestFormat } from '../manifests/serialize.js';

/** Where request values come from: action inputs, CLI flags, GitLab component inputs. */
export interface RequestSource {
  /** The value as given; undefined when it is not given or empty. Names are the action's input names. */
  get(name: string): string | undefined;
  /** Where this value is given, for errors: `{ input: 'fail-on', via: 'action' }`, `kubeplan ci --fail-on`. */
  where(name: string): Where;
  /** How a message names this value in passing: `tag` for an action input, `--tag` for a flag. */
  name(name: string): string;
}

export type FailOn = 'never' | 'changes' | 'destroy' | 'replace';
export type DiffMode = 'auto' | 'server' | 'client';
/** Post the plan comment always, only when the plan has changes (or a comment exists), or never. */
export type CommentMode = 'always' | 'on-changes' | 'never';

interface Common {
  config: string;
  targets: string[];
  /** Named clusters (kubeplan.yaml clusters:) to work on: the clusters input, `--cluster`; empty: all. */
  clusters?: string[];
}

export interface RenderRequest extends Common {
  command: 'render';
  /** Undefined: the platform's default folder. */
  outDir: string | undefined;
  format: ManifestFormat;
}

export interface PlanRequest extends Common {
  command: 'plan';
  diffMode: DiffMode;
  failOn: FailOn;
  comment: CommentMode;
  /** Tells apart the sticky comments of several jobs on one pull request; undefined: config + targets + cluster. */
  commentKey: string | undefined;
  onlyAffected: boolean;
  forceConflicts: boolean;
  /** Put kubeplan:changes, kubeplan:destroy or kubeplan:no-changes on the pull request. */
  labels: boolean;
}

export interface ApplyRequest extends Common {
  command: 'apply';
  onlyAffected: boolean;
  forceConflicts: boolean;
  /** Wait for health at most this long; undefined: do not wait. */
  waitTimeoutMs: number | undefined;
  /** How long each hook may run. */
  timeoutMs: number;
  /** Record a deployment per target (false when the job's own `environment:` records one). */
  deployments: boolean;
  /**
   * Apply only if the plan computed now has this digest (`expect-plan`, the way out of a strict plan binding);
   * undefined: bind to the merged pull request's reviewed plan (kubeplan.yaml `apply.binding`).
   */
  expectPlan: string | undefined;
  /** Canaries: how long this run moves them (`canary-budget`), or none at all (`no-canary`). */
  canary: { disabled: boolean; budgetMs: number };
}

/** What `command: canary` does to every unfinished canary (of `targets`, default all): `canary-action`. */
export const CANARY_ACTIONS = ['continue', 'promote', 'promote-full', 'abort', 'retry', 'status'] as const;
export type CanaryAction = (typeof CANARY_ACTIONS)[number];

/** `command: canary`: move the canaries under way on (a schedule), or approve, promote, abort or retry one. */
export interface CanaryCommandRequest extends Common {
  command: 'canary';
  action: CanaryAction;
  budgetMs: number;
  forceConflicts: boolean;
  waitTimeoutMs: number | undefined;
  timeoutMs: number;
  deployments: boolean;
}

export interface DriftRequest extends Common {
  command: 'drift';
  /** Open, update and close tracking issues. */
  trackIssues: boolean;
}

export interface BumpRequest {
  command: 'bump';
  config: string;
  /** Only these images (the whole plan when empty). */
  images: string[];
  /** The dispatch form: one image moved to this tag (and digest). */
  dispatch: { image: string; tag: string; digest: string | undefined } | undefined;
}

/** Promotion pull requests: each destination (a target with promote.from) gets its upstream's soaked versions. */
export interface PromoteRequest {
  command: 'promote';
  config: string;
  /** The destinations; empty: every target with promote in kubeplan.yaml. */
  targets: string[];
}

export interface RollbackRequest {
  command: 'rollback';
  config: string;
  target: string;
  /** With named clusters: the one cluster whose instance rolls back (the clusters input, `--cluster`). */
  clusters?: string[];
  /** A revision number; undefined: the one before the newest. */
  toRevision: number | undefined;
  list: boolean;
  forceConflicts: boolean;
  waitTimeoutMs: number | undefined;
}

/** Post the sticky plan comment from a JSON report another run wrote (fork pull requests: a workflow_run job). */
export interface CommentRequest extends Common {
  command: 'comment';
  /** The JSON report (a plan's report-path output), relative to the working directory. */
  reportPath: string;
  /** The pull request to comment on; undefined: the run's own. */
  pullRequest: number | undefined;
  comment: CommentMode;
  commentKey: string | undefined;
  labels: boolean;
}

export type WorkflowRequest =
  | RenderRequest
  | PlanRequest
  | ApplyRequest
  | DriftRequest
  | BumpRequest
  | RollbackRequest
  | PromoteRequest
  | CommentRequest
  | CanaryCommandRequest;

export type Command = WorkflowRequest['command'];

export const COMMANDS: readonly Command[] = [
  'render',
  'plan',
  'apply',
  'drift',
  'bump',
  'rollback',
  'promote',
  'comment',
  'canary',
];

/** The command input: one of the commands, or `auto` (the platform picks one from the event). */
export function parseCommand(source: RequestSource): Command | 'auto' {
  const requested = source.get('command') ?? 'auto';
  if (requested !== 'auto' && !COMMANDS.includes(requested as Command))
    throw new UsageError(
      `must be auto, plan, apply, drift, bump, rollback, promote, comment, canary or render, not "${requested}"`,
      {
        where: source.where('command'),
      },
    );
  return requested as Command | 'auto';
}

/** What a scheduled run does: drift (the default), bump, promote or canary (continue every unfinished canary). */
export function parseScheduleCommand(source: RequestSource): 'drift' | 'bump' | 'promote' | 'canary' {
  return choice(source, 'schedule-command', ['drift', 'bump', 'promote', 'canary'] as const, 'drift');
}

/** The request of a command, from the same source. */
export function parseRequest(command: Command, source: RequestSource): WorkflowRequest {
  switch (command) {
    case 'render':
      return parseRenderRequest(source);
    case 'plan':
      return parsePlanRequest(source);
    case 'apply':
      return parseApplyRequest(source);
    case 'drift':
      return parseDriftRequest(source);
    case 'bump':
      return parseBumpRequest(source);
    case 'rollback':
      return parseRollbackRequest(source);
    case 'promote':
      return { command: 'promote', config: source.get('config') ?? 'kubeplan.yaml', targets: common(source).targets };
    case 'comment':
      return parseCommentRequest(source);
    case 'canary':
      return parseCanaryCommandRequest(source);
  }
}

/** A true/false value. */
export function parseBoolean(source: RequestSource, name: string, fallback: boolean): boolean {
  return bool(source, name, fallback);
}

export function parseRenderRequest(source: RequestSource): RenderRequest {
  return {
    command: 'render',
    ...common(source),
    outDir: source.get('out-dir'),
    format: choice(source, 'output-format', ['yaml', 'json'] as const, 'yaml'),
  };
}

export function parsePlanRequest(source: RequestSource): PlanRequest {
  const comment = source.get('comment')?.toLowerCase() ?? 'true';
  if (!['true', 'false', 'on-changes'].includes(comment))
    throw new UsageError(`must be true, false or on-changes, not "${comment}"`, {
      where: source.where('comment'),
      hint: 'on-changes posts no comment on a pull request whose plan has no changes',
    });
  const commentKey = source.get('comment-key');
  if (commentKey !== undefined && !/^[\w.-]{1,64}$/.test(commentKey))
    throw new UsageError(`may hold letters, digits, _ . and - (at most 64), not "${commentKey}"`, {
      where: source.where('comment-key'),
      hint: 'for example the cluster of a matrix job: prod-eu',
    });
  return {
    command: 'plan',
    ...common(source),
    diffMode: choice(source, 'diff-mode', ['auto', 'server', 'client'] as const, 'auto'),
    failOn: choice(source, 'fail-on', ['never', 'changes', 'destroy', 'replace'] as const, 'never'),
    comment: comment === 'true' ? 'always' : comment === 'false' ? 'never' : 'on-changes',
    commentKey,
    onlyAffected: bool(source, 'only-affected', true),
    forceConflicts: bool(source, 'force-conflicts', false),
    labels: bool(source, 'labels', false),
  };
}

export function parseCommentRequest(source: RequestSource): CommentRequest {
  const reportPath = source.get('report-path');
  if (reportPath === undefined)
    throw new UsageError('command comment needs the JSON report a plan wrote', {
      where: source.where('report-path'),
      hint: 'download the artifact the plan job uploaded (its report-path output) and pass the file',
    });
  const number = source.get('pull-request');
  if (number !== undefined && !/^[1-9]\d{0,9}$/.test(number.trim()))
    throw new UsageError(`must be a pull request number, not "${number}"`, {
      where: source.where('pull-request'),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template literal
      hint: 'in a workflow_run job: ${{ github.event.workflow_run.pull_requests[0].number }}, or the number the plan job saved',
    });
  const plan = parsePlanRequest(source);
  return {
    command: 'comment',
    config: plan.config,
    targets: plan.targets,
    reportPath,
    pullRequest: number === undefined ? undefined : Number(number),
    comment: plan.comment,
    commentKey: plan.commentKey,
    labels: plan.labels,
  };
}

export function parseApplyRequest(source: RequestSource): ApplyRequest {
  const timeoutMs = duration(source, 'timeout', '5m');
  return {
    command: 'apply',
    ...common(source),
    onlyAffected: bool(source, 'only-affected', true),
    forceConflicts: bool(source, 'force-conflicts', false),
    waitTimeoutMs: bool(source, 'wait', true) ? timeoutMs : undefined,
    timeoutMs,
    deployments: bool(source, 'deployments', true),
    expectPlan: expectPlan(source),
    canary: { disabled: bool(source, 'no-canary', false), budgetMs: duration(source, 'canary-budget', '15m') },
  };
}

export function parseCanaryCommandRequest(source: RequestSource): CanaryCommandRequest {
  const apply = parseApplyRequest(source);
  if (apply.canary.disabled)
    throw new UsageError(`${source.name('no-canary')} is for apply, not for the canary command`, {
      where: source.where('no-canary'),
      hint: `end a canary under way with ${source.name('canary-action')} promote-full or abort`,
    });
  return {
    command: 'canary',
    config: apply.config,
    targets: apply.targets,
    ...(apply.clusters ? { clusters: apply.clusters } : {}),
    action: choice(source, 'canary-action', CANARY_ACTIONS, 'continue'),
    budgetMs: apply.canary.budgetMs,
    forceConflicts: apply.forceConflicts,
    waitTimeoutMs: apply.waitTimeoutMs,
    timeoutMs: apply.timeoutMs,
    deployments: apply.deployments,
  };
}

function expectPlan(source: RequestSource): string | undefined {
  const digest = source.get('expect-plan')?.trim();
  if (digest !== undefined && !/^sha256:[a-f0-9]{64}$/.test(digest))
    throw new UsageError(`must be sha256: and 64 hex digits, not "${digest}"`, {
      where: source.where('expect-plan'),
      hint: 'copy the digest the refused apply named (kubeplan apply --target T --expect-plan sha256:…)',
    });
  return digest;
}

export function parseDriftRequest(source: RequestSource): DriftRequest {
  return { command: 'drift', ...common(source), trackIssues: bool(source, 'comment', true) };
}

export function parseBumpRequest(source: RequestSource): BumpRequest {
  const images = list(source.get('image'));
  const tag = source.get('tag');
  const digest = source.get('digest');
  if ((tag || digest) && images.length !== 1)
    throw new UsageError(
      `${source.name('tag')} and ${source.name('digest')} need exactly one ${source.name('image')}`,
      {
        where: source.where(tag ? 'tag' : 'digest'),
        hint: 'pass the image, its new tag (and digest), as app CI announces them: ghcr.io/acme/shop and 2.5.0',
      },
    );
  if (digest && !tag)
    throw new UsageError(`${source.name('digest')} needs ${source.name('tag')}`, {
      where: source.where('digest'),
      hint: 'name the tag the digest belongs to',
    });
  if (digest && !/^sha256:[a-f0-9]{64}$/.test(digest))
    throw new UsageError(`must be sha256: and 64 hex digits, not "${digest}"`, {
      where: source.where('digest'),
      hint: 'copy the digest docker push printed',
    });
  return {
    command: 'bump',
    config: source.get('config') ?? 'kubeplan.yaml',
    images: tag ? [] : images,
    dispatch: tag ? { image: images[0]!, tag, digest } : undefined,
  };
}

export function parseRollbackRequest(source: RequestSource): RollbackRequest {
  const { config, targets, clusters } = common(source);
  if (targets.length !== 1)
    throw new UsageError(`rollback needs exactly one target, not ${targets.length}`, {
      where: source.where('targets'),
      hint: 'name the one target to roll back; list its revisions first with to-revision list',
    });
  const to = source.get('to-revision');
  const list = to === 'list' || bool(source, 'list', false);
  if (to !== undefined && to !== 'list' && !/^[1-9]\d*$/.test(to))
    throw new UsageError(`must be a revision number or list, not "${to}"`, {
      where: source.where('to-revision'),
      hint: 'see the revisions with list',
    });
  if (list && to !== undefined && to !== 'list')
    throw new UsageError(`list and ${source.name('to-revision')} exclude each other`, {
      where: source.where('to-revision'),
      hint: 'list first, then roll back',
    });
  return {
    command: 'rollback',
    config,
    target: targets[0]!,
    ...(clusters ? { clusters } : {}),
    toRevision: to === undefined || to === 'list' ? undefined : Number(to),
    list,
    forceConflicts: bool(source, 'force-conflicts', false),
    waitTimeoutMs: bool(source, 'wait', true) ? duration(source, 'timeout', '5m') : undefined,
  };
}

/** Requests to the apiserver in flight at once: 1 to 256, default 16. */
export function parseConcurrency(source: RequestSource): number {
  const text = source.get('concurrency') ?? '16';
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(n) || n < 1 || n > 256)
    throw new UsageError(`must be a whole number from 1 to 256, not "${text}"`, {
      where: source.where('concurrency'),
      hint: 'the default, 16, suits most clusters',
    });
  return n;
}

function common(source: RequestSource): Common {
  const clusters = list(source.get('clusters'));
  return {
    config: source.get('config') ?? 'kubeplan.yaml',
    targets: list(source.get('targets')),
    ...(clusters.length ? { clusters } : {}),
  };
}

/** Names separated by commas or new lines. */
function list(text: string | undefined): string[] {
  return (text ?? '')
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function duration(source: RequestSource, name: string, fallback: string): number {
  return parseDurationText(source.get(name) ?? fallback, source.where(name));
}

function bool(source: RequestSource, name: string, fallback: boolean): boolean {
  const value = (source.get(name) ?? String(fallback)).toLowerCase();
  if (value !== 'true' && value !== 'false')
    throw new UsageError(`must be true or false, not "${value}"`, {
      where: source.where(name),
    });
  return value === 'true';
}

function choice<const T extends readonly string[]>(
  source: RequestSource,
  name: string,
  choices: T,
  fallback: T[number],
): T[number] {
  const value = source.get(name) ?? fallback;
  if (!choices.includes(value))
    throw new UsageError(`must be ${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}, not "${value}"`, {
      where: source.where(name),
    });
  return value;
}
