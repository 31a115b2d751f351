import type { PlatformComment, ReviewPlatform } from './types.js';

/** `<!-- kubeplan:plan:KEY part:1/3 -->`: how kubeplan finds its own comments again. */
export function marker(kind: 'plan' | 'error', key: string, part?: { index: number; total: number }): string {
  return `<!-- kubeplan:${kind}:${key}${part ? ` part:${part.index}/${part.total}` : ''} -->`;
}

/** The kind, key and part of a kubeplan comment's marker. */
export function parseMarker(body: string): { kind: string; key: string; index: number } | undefined {
  const m = /^<!-- kubeplan:(plan|error):([\w.-]+)(?: part:(\d+)\/\d+)? -->/.exec(body);
  return m ? { kind: m[1]!, key: m[2]!, index: Number(m[3] ?? 1) } : undefined;
}

/**
 * Whether a comment already says this: bodies compared without their volatile part (the run link and the time of the
 * plan), so a re-run with the same plan at the same commit does not edit the comment.
 */
export function sameBody(a: string, b: string): boolean {
  const stable = (s: string) => s.replace(/<!-- kubeplan:volatile -->[\s\S]*?<!-- \/kubeplan:volatile -->/g, '');
  return a === b || stable(a) === stable(b);
}

/**
 * The comments on a pull request that this token wrote. A marker is public and predictable, so anyone can post a
 * comment that carries it; only the token's own comments are candidates for editing, deleting or minimizing.
 */
export async function ownComments(platform: ReviewPlatform, pr: number): Promise<PlatformComment[]> {
  const [all, me] = await Promise.all([platform.listComments(pr), platform.identity()]);
  return all.filter((c) => c.author === me);
}

export interface SyncResult {
  urls: string[];
  created: number;
  updated: number;
  deleted: number;
  minimized: number;
}

/**
 * Makes the pull request hold exactly `parts` as kubeplan's plan comments for `key`, among the token's own comments:
 * unchanged parts are not touched (no API call), changed ones are edited in place, missing ones created, extra ones
 * deleted. An error comment of an earlier run is marked outdated and minimized.
 */
export async function syncPlanComments(
  platform: ReviewPlatform,
  pr: number,
  key: string,
  parts: string[],
  /** Keys this plan's comments had before (an upgrade that changed the default key): taken over, not left behind. */
  legacyKeys: readonly string[] = [],
): Promise<SyncResult> {
  const all = await ownComments(platform, pr);
  const keys = new Set([key, ...legacyKeys]);
  const mine = all.map((c) => ({ c, m: parseMarker(c.body) })).filter((x) => x.m !== undefined && keys.has(x.m.key));
  const existing = mine
    .filter((x) => x.m!.kind === 'plan')
    .sort((a, b) => a.m!.index - b.m!.index || a.c.id - b.c.id)
    .map((x) => x.c);
  const result: SyncResult = { urls: [], created: 0, updated: 0, deleted: 0, minimized: 0 };
  for (const [i, body] of parts.entries()) {
    const current = existing[i];
    if (current && sameBody(current.body, body)) result.urls.push(current.url);
    else if (current) {
      result.urls.push((await platform.updateComment(current.id, body)).url);
      result.updated++;
    } else {
      result.urls.push((await platform.createComment(pr, body)).url);
      result.created++;
    }
  }
  for (const extra of existing.slice(parts.length)) {
    await platform.deleteComment(extra.id);
    result.deleted++;
  }
  // Once: its marker is renamed so later runs neither minimize it again nor edit it when an error comes back (a new
  // error comment is posted instead, so it is never hidden).
  for (const { c } of mine.filter((x) => x.m!.kind === 'error' && !x.c.minimized)) {
    const outdated = await platform.updateComment(
      c.id,
      c.body.replace(/^<!-- kubeplan:error:/, '<!-- kubeplan:outdated-error:'),
    );
    await platform.minimizeComment(outdated);
    result.minimized++;
  }
  return result;
}

/** Posts (or updates) the error comment of this config and target set. */
export async function upsertErrorComment(
  platform: ReviewPlatform,
  pr: number,
  key: string,
  body: string,
): Promise<PlatformComment> {
  const all = await ownComments(platform, pr);
  const current = all.find((c) => {
    const m = parseMarker(c.body);
    return m?.kind === 'error' && m.key === key;
  });
  if (current && sameBody(current.body, body)) return current;
  return current ? platform.updateComment(current.id, body) : platform.createComment(pr, body);
}

export type { PlatformComment };

/** Makes the one comment of the token's own that starts with `head` say `body`: edited in place, or created. */
export async function upsertMarkedComment(
  platform: ReviewPlatform,
  pr: number,
  head: string,
  body: string,
): Promise<PlatformComment> {
  const existing = (await ownComments(platform, pr)).find((c) => c.body.startsWith(head));
  if (existing && sameBody(existing.body, body)) return existing;
  return existing ? platform.updateComment(existing.id, body) : platform.createComment(pr, body);
}
