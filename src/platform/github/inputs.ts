import * as core from '@actions/core';
import path from 'node:path';
import type { ReportFormat } from '../../core/commands/diff.js';
import { UsageError } from '../../core/errors.js';
import type { ManifestFormat } from '../../core/manifests/serialize.js';
import type { ToolOverrides } from '../../core/render/tools.js';
import { proxyCredentials } from '../../core/http/proxy.js';
import { SecretMask } from '../../core/report/secret-mask.js';

export type ActionCommand = 'render' | 'plan' | 'apply' | 'drift' | 'bump' | 'rollback';
export type FailOn = 'never' | 'changes' | 'destroy' | 'replace';

/** Everything the action needs, parsed and validated once. The only place that reads action inputs. */
export interface ActionInputs {
  command: ActionCommand;
  config: string;
  targets: string[];
  workingDirectory: string;
  tools: ToolOverrides;
  /** render */
  outDir: string;
  format: ManifestFormat;
  /** plan */
  kubeconfig: string | undefined;
  diffMode: 'auto' | 'server' | 'client';
  githubToken: string | undefined;
  comment: boolean;
  /** On pull requests, plan only the targets whose files changed. */
  onlyAffected: boolean;
  /** Cluster pinning: expected server URL and CA sha256. */
  pin: { server: string | undefined; caSha256: string | undefined };
  /** Credentials without a kubeconfig: the server, its CA (PEM), and a token or the audience of a GitHub OIDC token. */
  cluster: {
    server: string | undefined;
    ca: string | undefined;
    token: string | undefined;
    oidcAudience: string | undefined;
  };
  /** apply */
  forceConflicts: boolean;
  wait: boolean;
  timeoutMs: number;
  failOn: FailOn;
  concurrency: number;
  reportFormat: ReportFormat;
  /** rollback: a revision number, `list`, or undefined (the previous revision). */
  rollback: { toRevision: string | undefined };
  /** bump */
  bump: {
    image: string | undefined;
    tag: string | undefined;
    digest: string | undefined;
    registryAuth: Map<string, { username: string; password: string }>;
  };
  /** Every credential of this run, masked in the log and replaced in comments, issues, the summary, outputs and reports. */
  secrets: SecretMask;
}

/** Masks a credential in the runner's log and in everything kubeplan writes. */
export function addSecret(secrets: SecretMask, value: string | undefined): void {
  if (!value) return;
  core.setSecret(value);
  secrets.add(value);
}

const IMPLEMENTED: Record<string, ActionCommand> = {
  render: 'render',
  plan: 'plan',
  apply: 'apply',
  drift: 'drift',
  bump: 'bump',
  rollback: 'rollback',
};

export function readInputs(env: NodeJS.ProcessEnv): ActionInputs {
  const requested = core.getInput('command') || 'auto';
  const event = env.GITHUB_EVENT_NAME ?? '';
  let command: ActionCommand;
  if (requested === 'auto') {
    if (event === 'pull_request' || event === 'pull_request_target') command = 'plan';
    else if (event === 'push' && booleanInput('apply', false)) command = 'apply';
    else if (event === 'repository_dispatch') command = 'bump';
    else if (event === 'schedule' || event === 'workflow_dispatch') {
      const scheduled = core.getInput('schedule-command') || 'drift';
      if (scheduled !== 'drift' && scheduled !== 'bump')
        throw new UsageError(`input schedule-command must be drift or bump, not "${scheduled}"`, {
          where: 'action input schedule-command',
        });
      command = scheduled;
    } else {
      throw new UsageError(
        `command auto plans pull requests, and applies pushes when apply is true; this run is a "${event || 'unknown'}" event`,
        {
          where: 'action input command',
          hint:
            event === 'push'
              ? 'set apply: true to apply pushes to the default branch'
              : 'set command: plan, apply, drift, bump or render explicitly',
        },
      );
    }
  } else if (IMPLEMENTED[requested]) {
    command = IMPLEMENTED[requested];
  } else {
    throw new UsageError(
      `input command must be auto, plan, apply, drift, bump, rollback or render, not "${requested}"`,
      { where: 'action input command' },
    );
  }
  const format = core.getInput('output-format') || 'yaml';
  if (format !== 'yaml' && format !== 'json') {
    throw new UsageError(`input output-format must be yaml or json, not "${format}"`, {
      where: 'action input output-format',
    });
  }
  const diffMode = core.getInput('diff-mode') || 'auto';
  if (diffMode !== 'auto' && diffMode !== 'server' && diffMode !== 'client') {
    throw new UsageError(`input diff-mode must be auto, server or client, not "${diffMode}"`, {
      where: 'action input diff-mode',
    });
  }
  const failOn = core.getInput('fail-on') || 'never';
  if (!['never', 'changes', 'destroy', 'replace'].includes(failOn)) {
    throw new UsageError(`input fail-on must be never, changes, destroy or replace, not "${failOn}"`, {
      where: 'action input fail-on',
    });
  }
  const concurrency = Number(core.getInput('concurrency') || '16');
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    throw new UsageError(`input concurrency must be a whole number from 1 to 256`, {
      where: 'action input concurrency',
    });
  }
  const commentInput = (core.getInput('comment') || 'true').toLowerCase();
  if (commentInput !== 'true' && commentInput !== 'false') {
    throw new UsageError(`input comment must be true or false, not "${commentInput}"`, {
      where: 'action input comment',
    });
  }
  const secrets = new SecretMask();
  const token = optional('github-token');
  addSecret(secrets, token);
  // The runner's proxy variables may carry a password (http://user:password@proxy:3128).
  for (const value of proxyCredentials(env)) addSecret(secrets, value);
  const kubeconfig = optional('kubeconfig');
  const clusterToken = optional('cluster-token');
  addSecret(secrets, clusterToken);
  const workspace = env.GITHUB_WORKSPACE ?? process.cwd();
  const workingDirectory = path.resolve(workspace, optional('working-directory') ?? '.');
  const runnerTemp = env.RUNNER_TEMP ?? path.join(workingDirectory, '.kubeplan');
  return {
    command,
    config: optional('config') ?? 'kubeplan.yaml',
    targets: (core.getInput('targets') || '')
      .split(/[\n,]/)
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    workingDirectory,
    tools: { helm: optional('helm'), kubectl: optional('kubectl'), kustomize: optional('kustomize') },
    outDir: path.resolve(workingDirectory, optional('out-dir') ?? path.join(runnerTemp, 'kubeplan-render')),
    format,
    kubeconfig,
    diffMode,
    githubToken: token,
    comment: commentInput === 'true',
    onlyAffected: booleanInput('only-affected', true),
    pin: { server: optional('cluster-server'), caSha256: optional('cluster-ca-sha256') },
    cluster: {
      server: optional('cluster-server'),
      ca: optional('cluster-ca'),
      token: clusterToken,
      oidcAudience: optional('oidc-audience'),
    },
    forceConflicts: booleanInput('force-conflicts', false),
    wait: booleanInput('wait', true),
    timeoutMs: parseTimeout(core.getInput('timeout') || '5m'),
    failOn: failOn as FailOn,
    concurrency,
    reportFormat: 'json',
    rollback: { toRevision: optional('to-revision') },
    bump: {
      image: optional('image'),
      tag: optional('tag'),
      digest: optional('digest'),
      registryAuth: registryAuth(core.getInput('registry-auth'), secrets),
    },
    secrets,
  };
}

/** `host=username:password` lines; every password is masked before anything is logged. */
function registryAuth(text: string, secrets: SecretMask): Map<string, { username: string; password: string }> {
  const out = new Map<string, { username: string; password: string }>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^([A-Za-z0-9.-]+(?::\d+)?)=([^:]+):(.+)$/.exec(line);
    if (m) addSecret(secrets, m[3]!);
    else {
      const colon = line.lastIndexOf(':');
      if (colon !== -1) addSecret(secrets, line.slice(colon + 1));
      throw new UsageError(`input registry-auth line ${i + 1} must be host=username:password`, {
        where: 'action input registry-auth',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template literal
        hint: 'for example ghcr.io=bot:${{ secrets.GHCR_TOKEN }}',
      });
    }
    const host = m[1] === 'docker.io' || m[1] === 'index.docker.io' ? 'registry-1.docker.io' : m[1]!;
    out.set(host, { username: m[2]!, password: m[3]! });
  });
  return out;
}

/** Where the action keeps its files: RUNNER_TEMP, or .kubeplan in the working directory outside a runner. */
export function runnerTempOf(inputs: Pick<ActionInputs, 'workingDirectory'>, env: NodeJS.ProcessEnv): string {
  return env.RUNNER_TEMP ?? path.join(inputs.workingDirectory, '.kubeplan');
}

function parseTimeout(text: string): number {
  const m = /^(\d+)(s|m|h)?$/.exec(text.trim());
  if (!m)
    throw new UsageError(`input timeout must be a duration like 90s, 5m or 1h, not "${text}"`, {
      where: 'action input timeout',
    });
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 's' | 'm' | 'h'];
}

function booleanInput(name: string, fallback: boolean): boolean {
  const value = (core.getInput(name) || String(fallback)).toLowerCase();
  if (value !== 'true' && value !== 'false')
    throw new UsageError(`input ${name} must be true or false, not "${value}"`, { where: `action input ${name}` });
  return value === 'true';
}

function optional(name: string): string | undefined {
  const value = core.getInput(name);
  return value === '' ? undefined : value;
}
