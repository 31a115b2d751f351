import semver from 'semver';

/** How an image's next tag is chosen (kubeplan.yaml `images[].policy`, or a Flux ImagePolicy). */
export type TagPolicy =
  /** A semver range (`^2.4.0`), or `minor` (same major as the current tag) / `patch` (same major.minor). */
  | { semver: string }
  /** Tags matching `pattern`, ordered by the `extract` template (`$ts`, `$1`) numerically or alphabetically. */
  | { pattern: string; extract?: string; order?: 'numerical' | 'alphabetical' };

export interface ImageRules {
  policy: TagPolicy;
  /** Regular expressions; a tag any of them matches is never chosen. */
  exclude: string[];
}

/** The default for images kubeplan.yaml does not list: newer versions with the same major. */
export const DEFAULT_POLICY: TagPolicy = { semver: 'minor' };

export type Rejection =
  | 'excluded'
  | 'digest-like'
  | 'not a version'
  | 'not matching pattern'
  | 'prefix mismatch'
  | 'suffix mismatch'
  | 'prerelease'
  | 'outside range'
  | 'same version'
  | 'older';

export interface Candidate {
  tag: string;
  /** Why the tag was not chosen; absent for the chosen tag (and for the current one when nothing is newer). */
  rejected?: Rejection;
}

export interface Choice {
  /** The tag to move to, or undefined when the current tag is the newest allowed. */
  tag: string | undefined;
  /** Every tag the registry listed, with the reason it was not chosen (for --explain). */
  candidates: Candidate[];
}

/** A tag read as a version: `v1.20.3-alpine` is prefix v, 1.20.3 (3 parts), suffix alpine. */
interface TagVersion {
  prefix: string;
  version: semver.SemVer;
  parts: number;
  /** A variant such as `alpine` or `bookworm-slim`; prereleases are part of `version` instead. */
  variant: string;
}

const TAG_VERSION = /^(v?)(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z][0-9A-Za-z.-]*))?(?:\+[0-9A-Za-z.-]+)?$/;
const PRERELEASE = /^(?:alpha|beta|rc|pre|preview|dev|snapshot|canary|next|nightly|m)(?:[.-]?\d+)*$|^\d+(?:\.\d+)*$/i;
const DIGEST_LIKE = /^(?:sha256[-:])?(?=[0-9a-f]*[a-f])[0-9a-f]{7,64}(?:\.(?:sig|att|sbom))?$|^sha-[0-9a-f]{7,64}$/;

function readTag(tag: string): TagVersion | undefined {
  const m = TAG_VERSION.exec(tag);
  if (!m) return undefined;
  const [, prefix = '', major, minor, patch, suffix] = m;
  const parts = patch !== undefined ? 3 : minor !== undefined ? 2 : 1;
  let prerelease = '';
  let variant = '';
  if (suffix !== undefined) {
    // `rc.1` is a prerelease; `alpine` or `1.2-bookworm` a variant; `rc1-alpine` both.
    const dash = suffix.search(/-(?=[A-Za-z])/);
    const head = dash === -1 ? suffix : suffix.slice(0, dash);
    if (PRERELEASE.test(head)) {
      prerelease = head;
      variant = dash === -1 ? '' : suffix.slice(dash + 1);
    } else {
      variant = suffix;
    }
  }
  const version = semver.parse(
    `${Number(major)}.${Number(minor ?? 0)}.${Number(patch ?? 0)}${prerelease ? `-${prerelease}` : ''}`,
  );
  return version ? { prefix, version, parts, variant } : undefined;
}

/** What kind of move a bump is, as Renovate names them: the part of the version that changes, or only the digest. */
export type UpdateType = 'major' | 'minor' | 'patch' | 'prerelease' | 'digest' | 'other';

/**
 * `2.4.1` → `3.0.0` is major, → `2.5.0` minor, → `2.4.2` patch, → `2.4.2-rc.1` prerelease; the same tag at a new
 * digest is digest; tags that are no versions (`main-abc123`, a pattern policy's) are other.
 */
export function updateType(from: string | undefined, to: string): UpdateType {
  if (from === to) return 'digest';
  const a = from === undefined ? undefined : readTag(from);
  const b = readTag(to);
  if (!a || !b) return 'other';
  if (a.version.major !== b.version.major) return 'major';
  if (a.version.minor !== b.version.minor) return 'minor';
  if (a.version.patch !== b.version.patch) return b.version.prerelease.length > 0 ? 'prerelease' : 'patch';
  return b.version.prerelease.length > 0 || a.version.prerelease.length > 0 ? 'prerelease' : 'other';
}

/** True when the tag reads as a version kubeplan's semver policies can order. */
export function isVersionTag(tag: string): boolean {
  return readTag(tag) !== undefined;
}

/** Checks a policy before any registry is asked; returns a message for the user or undefined. */
export function policyProblem(policy: TagPolicy, exclude: readonly string[]): string | undefined {
  for (const e of exclude) {
    try {
      new RegExp(e);
    } catch (error) {
      return `exclude "${e}" is not a regular expression: ${(error as Error).message}`;
    }
  }
  if ('semver' in policy) {
    if (policy.semver === 'minor' || policy.semver === 'patch') return undefined;
    return semver.validRange(policy.semver)
      ? undefined
      : `semver "${policy.semver}" is not a semver range (write a range such as ^2.4.0, or minor, or patch)`;
  }
  let re: RegExp;
  try {
    re = new RegExp(policy.pattern);
  } catch (error) {
    return `pattern "${policy.pattern}" is not a regular expression: ${(error as Error).message}`;
  }
  for (const name of (policy.extract ?? '').matchAll(/\$(?:\{(\w+)\}|(\d+|[A-Za-z_]\w*))/g)) {
    const group = name[1] ?? name[2]!;
    if (
      /^\d+$/.test(group)
        ? Number(group) > new RegExp(`${re.source}|`).exec('')!.length - 1
        : !re.source.includes(`(?<${group}>`)
    ) {
      return `extract "${policy.extract}" names group ${group}, which pattern "${policy.pattern}" does not have`;
    }
  }
  return undefined;
}

/**
 * Picks the newest tag the policy allows that is newer than `current`, and says for every other tag why not.
 * Versions that only differ in how many parts they spell (`1.20` and `1.20.0`) are the same version, so a reference
 * never flips between aliases.
 */
export function chooseTag(current: string, tags: readonly string[], rules: ImageRules): Choice {
  const excluded = rules.exclude.map((e) => new RegExp(e));
  const candidates: Candidate[] = [];
  const policy = rules.policy;
  const unique = [...new Set(tags)];

  if ('pattern' in policy) {
    const { keyOf, compare } = patternOrder(policy);
    const currentKey = keyOf(current);
    const keyed: { candidate: Candidate; key: string | number }[] = [];
    for (const tag of unique) {
      const candidate: Candidate = { tag };
      candidates.push(candidate);
      if (excluded.some((e) => e.test(tag))) candidate.rejected = 'excluded';
      else {
        const key = keyOf(tag);
        if (key === undefined) candidate.rejected = 'not matching pattern';
        else if (tag === current || (currentKey !== undefined && compare(key, currentKey) <= 0))
          candidate.rejected = tag === current ? undefined : 'older';
        else keyed.push({ candidate, key });
      }
    }
    keyed.sort((a, b) => compare(b.key, a.key) || (a.candidate.tag < b.candidate.tag ? -1 : 1));
    for (const k of keyed.slice(1)) k.candidate.rejected = 'older';
    return { tag: keyed[0]?.candidate.tag, candidates: finish(candidates, current) };
  }

  const now = readTag(current);
  let range: semver.Range | undefined;
  if (policy.semver === 'minor' || policy.semver === 'patch') {
    if (now) {
      const v = now.version;
      const upper = policy.semver === 'minor' ? `${v.major + 1}.0.0-0` : `${v.major}.${v.minor + 1}.0-0`;
      range = new semver.Range(`>=${v.major}.${policy.semver === 'minor' ? 0 : v.minor}.0-0 <${upper}`);
    }
  } else {
    range = new semver.Range(policy.semver);
  }
  const wantsPrerelease = (v: semver.SemVer) =>
    (now !== undefined && now.version.prerelease.length > 0 && v.compareMain(now.version) === 0) ||
    ('semver' in policy &&
      range !== undefined &&
      range.set.some((comparators) =>
        comparators.some((c) => c.semver.prerelease.length > 0 && c.semver.compareMain(v) === 0),
      ));
  const allowed = new Map<Candidate, TagVersion>();
  for (const tag of unique) {
    const candidate: Candidate = { tag };
    candidates.push(candidate);
    if (tag === current) continue;
    if (excluded.some((e) => e.test(tag))) {
      candidate.rejected = 'excluded';
      continue;
    }
    if (DIGEST_LIKE.test(tag)) {
      candidate.rejected = 'digest-like';
      continue;
    }
    const t = readTag(tag);
    if (!t) {
      candidate.rejected = 'not a version';
      continue;
    }
    if (now && t.prefix !== now.prefix) candidate.rejected = 'prefix mismatch';
    else if (t.variant !== (now?.variant ?? '')) candidate.rejected = 'suffix mismatch';
    else if (t.version.prerelease.length > 0 && !wantsPrerelease(t.version)) candidate.rejected = 'prerelease';
    else if (now && t.version.compare(now.version) === 0) candidate.rejected = 'same version';
    else if (now && t.version.compare(now.version) < 0) candidate.rejected = 'older';
    else if (!range || !semver.satisfies(t.version, range, { includePrerelease: t.version.prerelease.length > 0 }))
      candidate.rejected = range ? 'outside range' : 'not a version';
    else allowed.set(candidate, t);
  }
  const sameShape = (t: TagVersion) => (now !== undefined && t.parts === now.parts ? 1 : 0);
  const ranked = [...allowed].sort(
    ([a, va], [b, vb]) =>
      vb.version.compare(va.version) ||
      sameShape(vb) - sameShape(va) ||
      vb.parts - va.parts ||
      (a.tag < b.tag ? -1 : 1),
  );
  const best = ranked[0];
  for (const [candidate, t] of ranked.slice(1))
    candidate.rejected = t.version.compare(best![1].version) === 0 ? 'same version' : 'older';
  return { tag: best?.[0].tag, candidates: finish(candidates, current) };
}

/**
 * A pattern policy's order: the key a tag sorts by (the `extract` of its match, a number when ordering numerically;
 * undefined when the tag does not match or the key is not a number) and how two keys compare.
 */
function patternOrder(policy: Extract<TagPolicy, { pattern: string }>) {
  const re = new RegExp(policy.pattern);
  const numerical = (policy.order ?? 'numerical') === 'numerical';
  const keyOf = (tag: string): string | number | undefined => {
    if (!re.test(tag)) return undefined;
    const key = policy.extract ? tag.replace(re, goTemplate(policy.extract)) : tag;
    if (!numerical) return key;
    const n = Number(key);
    return key.trim() === '' || !Number.isFinite(n) ? undefined : n;
  };
  const compare = (a: string | number, b: string | number) =>
    numerical ? (a as number) - (b as number) : a < b ? -1 : a > b ? 1 : 0;
  return { keyOf, compare };
}

/** Flux and Go write `$ts`, `${ts}` and `$1`; JavaScript's replace wants `$<ts>` and `$1`. */
function goTemplate(extract: string): string {
  return extract.replace(
    /\$(?:\{(\w+)\}|(\d+|[A-Za-z_]\w*))/g,
    (_, braced: string | undefined, bare: string | undefined) => {
      const name = braced ?? bare!;
      return /^\d+$/.test(name) ? `$${name}` : `$<${name}>`;
    },
  );
}

function finish(candidates: Candidate[], current: string): Candidate[] {
  return candidates.sort((a, b) => (a.tag === current ? -1 : b.tag === current ? 1 : 0));
}

/**
 * The newest of the tags references hold today (they may differ across files), by the policy's own order: versions
 * for semver policies, the extracted value for patterns. Tags the order cannot read come last.
 */
export function newestTag(tags: readonly string[], policy: TagPolicy): string | undefined {
  const unique = [...new Set(tags)];
  if ('pattern' in policy) {
    const { keyOf, compare } = patternOrder(policy);
    const ranked = unique
      .map((t) => ({ t, k: keyOf(t) }))
      .sort((a, b) =>
        a.k === undefined || b.k === undefined
          ? a.k === undefined
            ? b.k === undefined
              ? 0
              : 1
            : -1
          : compare(b.k, a.k),
      );
    return ranked[0]?.t;
  }
  const ranked = unique
    .map((t) => ({ t, v: readTag(t) }))
    .sort((a, b) => (a.v && b.v ? b.v.version.compare(a.v.version) : a.v ? -1 : b.v ? 1 : 0));
  return ranked[0]?.t;
}
