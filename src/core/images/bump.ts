import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import type { Config, ImageConfig } from '../config/types.js';
import { formatWhere, KubeplanError } from '../errors.js';
import { applySplices, splicesFor } from './edit.js';
import { chooseTag, DEFAULT_POLICY, newestTag, type Candidate, type ImageRules } from './policy.js';
import { findReferences, type ImageReference, type ReferenceKind } from './references.js';
import { parseImageRef, type RegistryClient } from './registry.js';

/** What to bump: every image, some (`--image`), or one version app CI announced (dispatch form). */
export interface BumpRequest {
  only: string[];
  dispatch: { image: string; tag: string; digest: string | undefined } | undefined;
  explain: boolean;
}

export type BumpStatus = 'bump' | 'current' | 'skipped' | 'error';

export interface FileEdit {
  /** Repository-relative. */
  file: string;
  before: string;
  after: string;
  /** Unified diff of the file. */
  diff: string;
}

export interface ImageBump {
  /** The image name as kubeplan.yaml or the first reference spells it. */
  image: string;
  /** `registry/repository`. */
  key: string;
  /** What moves together: the key, or the key and the files of a scoped `images` entry. */
  id: string;
  /** The files globs of a scoped `images` entry. */
  files: string[] | undefined;
  group: string | undefined;
  policy: { source: 'kubeplan.yaml' | 'flux' | 'default'; rules: ImageRules };
  pin: boolean;
  references: { file: string; line: number; kind: ReferenceKind; current: string; to: string | undefined }[];
  status: BumpStatus;
  /** Why skipped or failed (and, for error, what to do). */
  reason: string | undefined;
  /** The newest version the references hold today. */
  from: string | undefined;
  to:
    | {
        tag: string;
        digest: string | undefined;
        created?: Date | undefined;
        /**
         * The version's OCI labels (org.opencontainers.image.source, .url, .revision) as the image gives them: where
         * its source lives, its home page, the commit it was built from. Untrusted text.
         */
        source?: string | undefined;
        url?: string | undefined;
        revision?: string | undefined;
      }
    | undefined;
  edits: FileEdit[];
  /** Registry requests this image cost (token requests included). */
  requests: number;
  /** With --explain: every tag the registry listed and why it was not chosen. */
  candidates: Candidate[] | undefined;
  /**
   * Versions newer than `from` that pull requests closed without merging skipped, newest pull request first, `to`'s
   * included (pull-requests mode; for the dashboard).
   */
  skippedVersions?: { version: string; number: number; url: string }[] | undefined;
  /** The pull request closed without merging that makes kubeplan skip `to` (pull-requests mode). */
  skippedBy?: { number: number; url: string } | undefined;
  /** The splices per file, for combining images into one change. */
  splices: Map<string, ReturnType<typeof splicesFor>>;
}

export interface BumpPlan {
  images: ImageBump[];
  /** Files the scan could not read as YAML (for --explain). */
  skippedFiles: { file: string; reason: string }[];
  filesScanned: number;
  /** The text of a repository file as the plan read it. */
  textOf: (file: string) => string;
}

/** Finds references, asks the registries, applies the policies and computes the edits. Writes nothing. */
export async function planBumps(config: Config, request: BumpRequest, registry: RegistryClient): Promise<BumpPlan> {
  const scan = findReferences(config);
  // References move in units: an image's references in the files of an `images` entry with `files`, or the rest.
  const units = new Map<string, { key: string; entry: ImageConfig | undefined; refs: ImageReference[] }>();
  for (const ref of scan.references) {
    const entries = config.images.filter((i) => i.key === ref.key);
    const entry = entries.find((e) => e.files?.match.some((re) => re.test(ref.file))) ?? entries.find((e) => !e.files);
    const id = entry?.files
      ? `${ref.key}#${createHash('sha256').update(entry.files.globs.join('\n')).digest('hex').slice(0, 8)}`
      : ref.key;
    const unit = units.get(id) ?? { key: ref.key, entry, refs: [] };
    unit.refs.push(ref);
    units.set(id, unit);
  }
  const keyOf = (name: string) => {
    const r = parseImageRef(name);
    return `${r.registry}/${r.repository}`;
  };
  const known = new Set(scan.references.map((r) => r.key));
  let ids = [...units.keys()];
  const wanted = request.dispatch ? [request.dispatch.image] : request.only;
  if (wanted.length > 0) {
    const missing = wanted.filter((w) => !known.has(keyOf(w)));
    if (missing.length > 0) {
      throw new KubeplanError(
        `no reference to ${missing.join(', ')} in the files of ${path.relative(process.cwd(), config.file) || config.file}'s targets`,
        {
          where: { image: missing.join(', ') },
          hint: `check the image name (the repository finds: ${[...new Set(scan.references.map((r) => r.name))].sort().join(', ') || 'no images'})`,
        },
      );
    }
    const keys = new Set(wanted.map(keyOf));
    ids = ids.filter((id) => keys.has(units.get(id)!.key));
  }
  const texts = new Map<string, string>();
  const textOf = (file: string) => {
    let text = texts.get(file);
    if (text === undefined) texts.set(file, (text = readFileSync(path.join(config.repoRoot, file), 'utf8')));
    return text;
  };
  const images = await Promise.all(
    ids
      .sort()
      .map((id) =>
        planImage(id, units.get(id)!.key, units.get(id)!.refs, units.get(id)!.entry, request, registry, textOf),
      ),
  );
  return { images, skippedFiles: scan.skipped, filesScanned: scan.files.length, textOf };
}

async function planImage(
  id: string,
  key: string,
  refs: ImageReference[],
  configured: ImageConfig | undefined,
  request: BumpRequest,
  registry: RegistryClient,
  textOf: (file: string) => string,
): Promise<ImageBump> {
  const flux = refs.find((r) => r.policy)?.policy;
  const policy: ImageBump['policy'] = configured?.rules
    ? { source: 'kubeplan.yaml', rules: configured.rules }
    : flux
      ? { source: 'flux', rules: { policy: flux, exclude: [] } }
      : { source: 'default', rules: { policy: DEFAULT_POLICY, exclude: [] } };
  const ref = parseImageRef(key);
  const tags = refs.map((r) => r.tag).filter((t): t is string => t !== undefined);
  const from = newestTag(tags, policy.rules.policy);
  const pin = configured?.pin ?? false;
  const bump: ImageBump = {
    image: configured?.name ?? refs[0]!.name,
    key,
    id,
    files: configured?.files?.globs,
    group: configured?.group,
    policy,
    pin,
    references: refs.map((r) => ({ file: r.file, line: r.line, kind: r.kind, current: r.current, to: undefined })),
    status: 'current',
    reason: undefined,
    from,
    to: undefined,
    edits: [],
    requests: 0,
    candidates: undefined,
    splices: new Map(),
  };
  const finish = (status: BumpStatus, reason?: string) => {
    bump.status = status;
    bump.reason = reason;
    bump.requests = registry.requestsFor(ref);
    return bump;
  };
  if (configured?.skip) return finish('skipped', `skip: true in kubeplan.yaml (${formatWhere(configured.where)})`);
  if (from === undefined)
    return finish(
      'skipped',
      'only digest references: kubeplan cannot tell their version (write the tag next to the digest, tag@sha256:…)',
    );

  try {
    const dispatch = request.dispatch;
    let target: string | undefined;
    let digest: string | undefined;
    if (dispatch) {
      digest = await registry.digestOf(ref, dispatch.tag);
      if (!digest)
        throw new KubeplanError(`tag ${dispatch.tag} does not exist`, {
          where: { image: key },
          hint: 'push the image before announcing it, or check the tag',
        });
      if (dispatch.digest && dispatch.digest !== digest) {
        throw new KubeplanError(`tag ${dispatch.tag} points at ${digest}, not the announced ${dispatch.digest}`, {
          where: { image: key },
          hint: 'the tag moved since it was announced; announce the digest it has now, or push again',
        });
      }
      const choice = chooseTag(from, [from, dispatch.tag], policy.rules);
      if (request.explain) bump.candidates = choice.candidates;
      const rejected = choice.candidates.find((c) => c.tag === dispatch.tag)?.rejected;
      if (dispatch.tag === from || rejected === 'same version') return finish('current');
      if (!choice.tag)
        return finish(
          'skipped',
          `${dispatch.tag} is not allowed by the policy (${rejected}); the references stay at ${from}`,
        );
      target = choice.tag;
    } else {
      const listed = await registry.listTags(ref);
      const choice = chooseTag(from, listed, policy.rules);
      if (request.explain) bump.candidates = choice.candidates;
      target = choice.tag;
      if (!target) return finish('current');
      if (pin || refs.some((r) => r.digest !== undefined)) {
        digest = await registry.digestOf(ref, target);
        if (!digest)
          throw new KubeplanError(`tag ${target} was listed but its manifest is gone`, {
            where: { image: key },
            hint: 'retry; the tag was deleted while kubeplan ran',
          });
      }
    }
    bump.to = { tag: target, digest };
    const next = { tag: target, digest, pin };
    for (const [i, r] of refs.entries()) {
      const splices = splicesFor(r, next, textOf(r.file));
      if (splices.length === 0) continue;
      bump.references[i]!.to = `${target}${digest && (pin || r.digest) ? `@${digest}` : ''}`;
      bump.splices.set(r.file, [...(bump.splices.get(r.file) ?? []), ...splices]);
    }
    bump.edits = editsOf([bump], textOf);
    return finish(bump.edits.length > 0 ? 'bump' : 'current');
  } catch (error) {
    if (!(error instanceof KubeplanError)) throw error;
    return finish('error', `${error.message}${error.hint ? ` (${error.hint})` : ''}`);
  }
}

/** The file edits of several images applied together (one pull request per group, or the whole --local run). */
export function editsOf(bumps: readonly ImageBump[], textOf: (file: string) => string): FileEdit[] {
  const byFile = new Map<string, ReturnType<typeof splicesFor>>();
  for (const b of bumps)
    for (const [file, splices] of b.splices) byFile.set(file, [...(byFile.get(file) ?? []), ...splices]);
  return [...byFile.keys()].sort().map((file) => {
    const before = textOf(file);
    const after = applySplices(file, before, byFile.get(file)!);
    return {
      file,
      before,
      after,
      diff: createTwoFilesPatch(`a/${file}`, `b/${file}`, before, after, undefined, undefined, { context: 2 }),
    };
  });
}
