import type { Config } from '../config/types.js';
import { KubeplanError } from '../errors.js';
import type { PullRequestOutcome } from '../report/bump.js';
import { describePolicy } from '../report/bump.js';
import { markdownText } from '../report/escape.js';
import { editsOf, type BumpPlan, type FileEdit, type ImageBump } from './bump.js';
import { newestTag, updateType } from './policy.js';
import { parseImageRef } from './registry.js';

/** What a bump pull request records about itself, in a hidden marker of its body. */
export interface BumpState {
  images: { key: string; to: string }[];
}

export interface ExistingPull {
  number: number;
  url: string;
  state: 'open' | 'closed';
  merged: boolean;
  branch: string;
  title: string;
  body: string;
  /** Who is asked to review it now (GitHub: logins and `org/team`); undefined when the forge did not say. */
  reviewers?: string[] | undefined;
  /** Who it is assigned to now; undefined when the forge did not say. */
  assignees?: string[] | undefined;
}

/** One pull request kubeplan wants: a branch holding base + these edits. */
export interface BumpChange {
  branch: string;
  title: string;
  body: string;
  commitMessage: string;
  files: FileEdit[];
  labels: string[];
  state: BumpState;
  /** kubeplan.yaml bump.reviewers and bump.assignees (bump pull requests only). */
  reviewers?: string[] | undefined;
  assignees?: string[] | undefined;
}

/** The forge and git operations bump pull requests need (GitHub today; GitLab through the same interface). */
export interface BumpPublisher {
  /** Open pull requests whose head branch starts with `prefix`, and every pull request (any state) of `branches`. */
  findPulls(prefix: string, branches: string[]): Promise<ExistingPull[]>;
  /** Points `branch` at one commit holding base + files; `unchanged` when it already does. */
  pushBranch(branch: string, files: FileEdit[], message: string): Promise<'pushed' | 'unchanged'>;
  createPull(change: BumpChange): Promise<{ number: number; url: string }>;
  updatePull(number: number, change: BumpChange): Promise<void>;
  closePull(number: number, comment: string): Promise<void>;
  /**
   * Asks `reviewers` for a review and assigns `assignees` (adding to those it has). What the forge refuses (not a
   * collaborator, no such user) comes back as warnings naming the person; the pull request stands.
   */
  addPeople?(number: number, people: { reviewers: string[]; assignees: string[] }): Promise<string[]>;
}

const MARKER = /<!-- kubeplan:bump (\{.*?\}) -->/;

export function readState(body: string): BumpState | undefined {
  const m = MARKER.exec(body);
  if (!m) return undefined;
  try {
    const state = JSON.parse(m[1]!) as BumpState;
    return Array.isArray(state.images) ? state : undefined;
  } catch {
    return undefined;
  }
}

const sameState = (a: BumpState | undefined, b: BumpState) =>
  a !== undefined &&
  JSON.stringify([...a.images].sort((x, y) => x.key.localeCompare(y.key))) ===
    JSON.stringify([...b.images].sort((x, y) => x.key.localeCompare(y.key)));

/** `ghcr.io/acme/shop` → `ghcr.io-acme-shop`: stable across versions, so one branch follows an image. */
export function branchSlug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
}

/** The changes a plan asks for: one per image, or per group of images. */
export function bumpChanges(plan: BumpPlan, config: Config): BumpChange[] {
  const groups = new Map<string, ImageBump[]>();
  for (const image of plan.images.filter((i) => i.status === 'bump')) {
    const name =
      image.group ??
      (image.id === image.key ? branchSlug(image.image) : `${branchSlug(image.image)}-${image.id.split('#')[1]}`);
    groups.set(name, [...(groups.get(name) ?? []), image]);
  }
  return [...groups].map(([name, images]) => {
    const files = editsOf(images, plan.textOf);
    const state: BumpState = { images: images.map((i) => ({ key: i.id, to: versionText(i) })) };
    const title = `${config.bump.commitMessagePrefix}${
      images.length === 1
        ? `Bump ${images[0]!.image} from ${images[0]!.from} to ${images[0]!.to!.tag}`
        : `Bump ${name}: ${images.map((i) => `${shortName(i.image)} ${i.to!.tag}`).join(', ')}`
    }`;
    return {
      branch: `${config.bump.branchPrefix}${name}`,
      title,
      body: pullBody(images, files, state),
      commitMessage: `${title}\n\nOpened by kubeplan bump.`,
      files,
      labels: config.bump.labels,
      state,
      reviewers: config.bump.reviewers,
      assignees: config.bump.assignees,
    };
  });
}

function versionText(i: ImageBump): string {
  return `${i.to!.tag}${i.to!.digest ? `@${i.to!.digest}` : ''}`;
}

function shortName(name: string): string {
  return name.split('/').at(-1)!;
}

function registryLink(key: string): string {
  const ref = parseImageRef(key);
  if (ref.registry === 'registry-1.docker.io') {
    return ref.repository.startsWith('library/')
      ? `https://hub.docker.com/_/${ref.repository.slice(8)}`
      : `https://hub.docker.com/r/${ref.repository}`;
  }
  const loopback = /^(localhost|127\.|\[::1\])/.test(ref.registry);
  return `${loopback ? 'http' : 'https'}://${ref.registry}/${ref.repository}`;
}

/**
 * An http(s) URL from an image label, fit for a markdown link: no credentials, query or fragment (a label is the
 * image author's text, and may carry a token), and every character that could end the link or the table cell
 * percent-encoded. Undefined for anything else (`git@…`, `javascript:`, not a URL).
 */
export function safeLinkUrl(raw: string | undefined): string | undefined {
  if (!raw || raw.length > 2000) return undefined;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || !url.hostname) return undefined;
  const path = url.pathname.replace(/\.git$/, '').replace(/\/+$/, '');
  return `${url.protocol}//${url.host}${path}`.replace(
    /[()[\]<>`"'|*\\\s]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

/**
 * The Source cell: a link to where the version's source lives (its org.opencontainers.image.source label, else
 * .url), and, for a GitHub or GitLab repository with a known revision, to the commit it was built from.
 */
export function sourceCell(to: {
  source?: string | undefined;
  url?: string | undefined;
  revision?: string | undefined;
}): string {
  const home = safeLinkUrl(to.source) ?? safeLinkUrl(to.url);
  if (!home) return '–';
  const url = new URL(home);
  const parts = url.pathname.split('/').filter(Boolean);
  const github = url.hostname === 'github.com' && parts.length >= 2;
  const gitlab = /(^|\.)gitlab\./.test(url.hostname) && parts.length >= 2;
  // GitHub repositories are owner/name; GitLab projects are group/…/name, up to its /-/ pages.
  const repo = github
    ? parts.slice(0, 2)
    : gitlab
      ? parts.slice(0, parts.includes('-') ? parts.indexOf('-') : undefined)
      : parts;
  const shown = `${url.host}/${repo.join('/')}`.replace(/\/$/, '');
  let text = shown;
  try {
    text = decodeURIComponent(shown);
  } catch {
    // a stray % stays encoded
  }
  const revision = to.revision && /^[0-9a-f]{7,64}$/i.test(to.revision) ? to.revision.toLowerCase() : undefined;
  const base = `${url.protocol}//${url.host}/${repo.join('/')}`;
  const commit =
    revision && (github || gitlab)
      ? ` ([${revision.slice(0, 7)}](${base}${gitlab ? '/-' : ''}/commit/${revision}))`
      : '';
  return `[${markdownText(text)}](${home})${commit}`;
}

function pullBody(images: ImageBump[], files: FileEdit[], state: BumpState): string {
  const rows = images.map((i) => {
    const where = i.references.filter((r) => r.to).map((r) => `\`${r.file}:${r.line}\``);
    // The build date, not "3 days ago": a re-run with nothing new must leave the body as it is.
    const created = i.to!.created ? i.to!.created.toISOString().slice(0, 10) : '–';
    return `| [${i.image}](${registryLink(i.key)}) | ${updateType(i.from, i.to!.tag)} | \`${i.from}\` | \`${i.to!.tag}\` | ${created} | ${sourceCell(i.to!)} | ${where.join('<br>')} | ${i.to!.digest ? `\`${i.to!.digest}\`` : '–'} |`;
  });
  const policies = images.map(
    (i) =>
      `\`${i.image}\`: ${describePolicy(i.policy.rules.policy)}${i.policy.source === 'default' ? ' (the default)' : i.policy.source === 'flux' ? ' (Flux ImagePolicy)' : ''}`,
  );
  const diff = files.map((f) => f.diff.replace(/^=+\n/, '')).join('');
  const fence = '`'.repeat(Math.max(3, ...[...diff.matchAll(/`+/g)].map((m) => m[0].length + 1)));
  return [
    `kubeplan found newer image versions:`,
    '',
    '| Image | Update | From | To | Built | Source | Where | Digest |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `Policy: ${policies.join('; ')}. A newer version updates this pull request in place; closing it without merging skips this version.`,
    '',
    `<details><summary>Edits (${files.length} file${files.length === 1 ? '' : 's'})</summary>`,
    '',
    `${fence}diff`,
    diff.replace(/\n$/, ''),
    fence,
    '',
    '</details>',
    '',
    `<!-- kubeplan:bump ${JSON.stringify(state)} -->`,
    '',
  ].join('\n');
}

/**
 * Why a version is skipped, and what brings it back: the rule is "a pull request of this branch, closed without
 * merging, that moved exactly these images to exactly these versions". Reopening it makes it kubeplan's again (the
 * next run updates it); a newer version opens a new one.
 */
function declinedReason(number: number): string {
  return `#${number} was closed without merging; reopen #${number} to get it again (a newer version opens a new pull request)`;
}

/**
 * Versions of these images that closed, unmerged pull requests of the branch asked for (the newest pull request
 * first): other versions than the change's, or with `including`, the change's own too.
 */
function skippedVersions(
  pulls: ExistingPull[],
  state: BumpState,
  including = false,
): { key: string; to: string; number: number; url: string }[] {
  const out: { key: string; to: string; number: number; url: string }[] = [];
  for (const pull of [...pulls].sort((a, b) => b.number - a.number)) {
    if (pull.state !== 'closed' || pull.merged) continue;
    for (const s of readState(pull.body)?.images ?? []) {
      const now = state.images.find((i) => i.key === s.key);
      if (now && (including || now.to !== s.to) && !out.some((o) => o.key === s.key && o.to === s.to))
        out.push({ key: s.key, to: s.to, number: pull.number, url: pull.url });
    }
  }
  return out.slice(0, 10);
}

function withSkippedNote(
  body: string,
  skipped: { key: string; to: string; number: number }[],
  images: ImageBump[],
): string {
  const nameOf = (key: string) => images.find((i) => i.id === key)?.image ?? key;
  const lines = skipped.map(
    (s) => `- \`${nameOf(s.key)}\` \`${s.to.replace(/@.*/, '')}\`: #${s.number} was closed without merging`,
  );
  const note = ['Skipped before (closing a bump pull request without merging skips its versions):', '', ...lines, ''];
  return body.replace('<details><summary>Edits', `${note.join('\n')}\n<details><summary>Edits`);
}

/**
 * The people of `wanted` not in `now`, all of them when the forge did not say. Logins compare case-insensitively, and
 * teams (`org/team`) by the team's name, which is all a forge may report.
 */
function missing(wanted: string[] | undefined, now: string[] | undefined): string[] {
  const key = (p: string) => (p.includes('/') ? `team:${p.split('/').at(-1)}` : p).toLowerCase();
  const have = new Set((now ?? []).map(key));
  return (wanted ?? []).filter((p) => !have.has(key(p)));
}

/** Requests reviews and assignments; a forge that cannot, or fails at it, leaves warnings and the pull request stands. */
async function addPeople(
  publisher: BumpPublisher,
  number: number,
  people: { reviewers: string[]; assignees: string[] },
): Promise<string[]> {
  if (people.reviewers.length === 0 && people.assignees.length === 0) return [];
  if (!publisher.addPeople)
    return ['this forge cannot request reviewers or assignees; bump.reviewers and bump.assignees are not used'];
  try {
    return await publisher.addPeople(number, people);
  } catch (error) {
    if (!(error instanceof KubeplanError)) throw error;
    return [
      `requesting ${[...people.reviewers, ...people.assignees].join(', ')} on #${number} failed: ${error.message}${error.hint ? ` (${error.hint})` : ''}`,
    ];
  }
}

/**
 * Opens, updates, skips and closes bump pull requests so that each image (or group) has at most one, on a stable
 * branch: a newer version updates the same branch and pull request; a pull request closed without merging means "skip
 * this version"; an open one whose images need no bump any more (someone moved them, or they joined a group) is
 * closed with a comment saying why.
 */
export async function publishBumps(
  plan: BumpPlan,
  config: Config,
  publisher: BumpPublisher,
  options: { closeStale: boolean },
): Promise<PullRequestOutcome[]> {
  const changes = bumpChanges(plan, config);
  const pulls = await publisher.findPulls(
    config.bump.branchPrefix,
    changes.map((c) => c.branch),
  );
  const outcomes: PullRequestOutcome[] = [];
  for (const change of changes) {
    const images = change.state.images.map((i) => i.key);
    try {
      const mine = pulls.filter((p) => p.branch === change.branch);
      const open = mine.find((p) => p.state === 'open');
      // Only versions still ahead of the references: one moved past by hand is not skipped any more.
      const skippedHere = skippedVersions(mine, change.state, true).filter((s) => {
        const image = plan.images.find((i) => i.id === s.key);
        const version = s.to.replace(/@.*/, '');
        return (
          image?.from !== undefined &&
          version !== image.from &&
          newestTag([image.from, version], image.policy.rules.policy) === version
        );
      });
      for (const image of plan.images.filter((i) => images.includes(i.id))) {
        const own = skippedHere.filter((s) => s.key === image.id);
        if (own.length > 0)
          image.skippedVersions = own.map((s) => ({ version: s.to.replace(/@.*/, ''), number: s.number, url: s.url }));
      }
      const declined = mine.find(
        (p) => p.state === 'closed' && !p.merged && sameState(readState(p.body), change.state),
      );
      if (!open && declined) {
        const why = declinedReason(declined.number);
        const declinedImages = plan.images.filter((i) => images.includes(i.id));
        for (const image of declinedImages) {
          image.status = 'skipped';
          image.reason = why;
          image.skippedBy = { number: declined.number, url: declined.url };
        }
        outcomes.push({
          branch: change.branch,
          images,
          action: 'skipped',
          number: declined.number,
          url: declined.url,
          reason: `${declinedImages.map((i) => i.to!.tag).join(', ')} skipped: ${why}`,
        });
        continue;
      }
      // Versions skipped before on this branch, said in the body of the pull request for a newer one.
      const skippedBefore = skippedHere.filter(
        (s) => !change.state.images.some((i) => i.key === s.key && i.to === s.to),
      );
      if (skippedBefore.length > 0) change.body = withSkippedNote(change.body, skippedBefore, plan.images);
      const pushed = await publisher.pushBranch(change.branch, change.files, change.commitMessage);
      if (open) {
        const same = open.title === change.title && open.body === change.body;
        if (!same) await publisher.updatePull(open.number, change);
        const action = same && pushed === 'unchanged' ? 'unchanged' : 'updated';
        // A newer version asks again those configured who are not asked (or assigned) now; a run with nothing new, or
        // one that only rebuilds the branch on a newer base, asks nobody: someone taken off by hand (or who reviewed)
        // stays off until the next version.
        const warnings = !sameState(readState(open.body), change.state)
          ? await addPeople(publisher, open.number, {
              reviewers: missing(change.reviewers, open.reviewers),
              assignees: missing(change.assignees, open.assignees),
            })
          : [];
        outcomes.push({
          branch: change.branch,
          images,
          action,
          number: open.number,
          url: open.url,
          ...(warnings.length > 0 ? { warnings } : {}),
        });
      } else {
        const created = await publisher.createPull(change);
        const warnings = await addPeople(publisher, created.number, {
          reviewers: change.reviewers ?? [],
          assignees: change.assignees ?? [],
        });
        outcomes.push({
          branch: change.branch,
          images,
          action: 'created',
          ...created,
          ...(warnings.length > 0 ? { warnings } : {}),
        });
      }
    } catch (error) {
      if (!(error instanceof KubeplanError)) throw error;
      outcomes.push({
        branch: change.branch,
        images,
        action: 'error',
        reason: `${error.message}${error.hint ? ` (${error.hint})` : ''}`,
      });
    }
  }
  // Open pull requests this run makes stale: every image they bump was looked at, and none is bumped there now.
  // A dispatch run looks at one version of one image, so it never decides that others are stale.
  const looked = new Map(plan.images.map((i) => [i.id, i]));
  for (const pull of pulls.filter(
    (p) => options.closeStale && p.state === 'open' && !changes.some((c) => c.branch === p.branch),
  )) {
    const state = readState(pull.body);
    if (!state || state.images.length === 0) continue;
    const images = state.images.map((i) => looked.get(i.key));
    const elsewhere = changes.find((c) => state.images.some((s) => c.state.images.some((x) => x.key === s.key)));
    const settled = images.every(
      (i) => i !== undefined && (i.status === 'current' || (i.status === 'bump' && elsewhere !== undefined)),
    );
    if (!settled) continue;
    const successor = elsewhere && outcomes.find((o) => o.branch === elsewhere.branch && o.number !== undefined);
    const why = successor
      ? `Superseded by #${successor.number} (${elsewhere.title}).`
      : `No longer needed: ${images.map((i) => `${i!.image} is at ${i!.from}, the newest version its policy allows`).join('; ')}.`;
    try {
      await publisher.closePull(pull.number, `${why} Closed by kubeplan bump.`);
      outcomes.push({
        branch: pull.branch,
        images: state.images.map((i) => i.key),
        action: 'closed',
        number: pull.number,
        url: pull.url,
        reason: why,
      });
    } catch (error) {
      if (!(error instanceof KubeplanError)) throw error;
      outcomes.push({
        branch: pull.branch,
        images: state.images.map((i) => i.key),
        action: 'error',
        number: pull.number,
        reason: error.message,
      });
    }
  }
  return outcomes;
}
