import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { decodeUtf8, limitedYamlValue, tooDeepToParse } from '../manifests/input-limits.js';
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type Document,
  type Node,
  type Scalar,
  type YAMLMap,
} from 'yaml';
import { targetInputs } from '../config/affected.js';
import type { Config } from '../config/types.js';
import type { TagPolicy } from './policy.js';
import { parseImageRef } from './registry.js';

/** A path inside one YAML document of a file: the document's index, then keys and list indexes. */
export type ValuePath = (string | number)[];

/** One scalar in a file that kubeplan may rewrite. */
export interface Slot {
  /** Byte range of the scalar's source text, quotes included. */
  start: number;
  end: number;
  style: 'plain' | 'single' | 'double';
  path: ValuePath;
  value: string;
  line: number;
}

export type ReferenceKind = 'image' | 'values map' | 'kustomize images' | 'flux marker' | 'renovate marker';

/** One place in a source file that names an image version. */
export interface ImageReference {
  /** Repository-relative path. */
  file: string;
  line: number;
  kind: ReferenceKind;
  /** The image name as written (`ghcr.io/acme/shop`, `nginx`). */
  name: string;
  /** The name normalized (`registry-1.docker.io/library/nginx`): references with the same key move together. */
  key: string;
  /** The version as written (tag, tag@digest or @digest): what reports show as "from". */
  current: string;
  tag: string | undefined;
  digest: string | undefined;
  /** Where the new version goes. `ref` holds a whole reference; `tag` and `digest` hold parts. */
  slots: { ref?: Slot; tag?: Slot; digest?: Slot };
  /** Where a digest key may be added when pinning and the map has none (Kustomize `images:` entries). */
  digestKeyAfter?: Slot & { indent: string; flow: boolean };
  /** A Flux ImagePolicy's rules, when a marker points at one this repository defines. */
  policy?: TagPolicy;
  /** `namespace:name` of the Flux ImagePolicy a marker names. */
  fluxPolicy?: string;
}

export interface ScanResult {
  references: ImageReference[];
  /** Files that were skipped and why (for --explain); a chart's templates are not listed. */
  skipped: { file: string; reason: string }[];
  /** Repository-relative files scanned, in order. */
  files: string[];
}

const KUSTOMIZATION = /^(kustomization\.ya?ml|Kustomization)$/;
const YAML_FILE = /\.ya?ml$/;
const IMAGE_NAME = /^(?:[a-z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*$/i;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-f0-9]{32,}$/;
const FLUX_MARKER = /\{\s*"\$imagepolicy"\s*:\s*"([^"]+)"\s*\}/;
const RENOVATE_MARKER = /#\s*renovate:\s*(.*)$/;

/** The source files of every target: values files and chart values, kustomize folders, manifests folders. */
export function sourceFiles(config: Config): string[] {
  const files = new Set<string>();
  const add = (rel: string) => {
    const abs = path.join(config.repoRoot, rel);
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(abs);
    } catch {
      return;
    }
    if (stat.isFile()) {
      if (YAML_FILE.test(rel)) files.add(rel);
      return;
    }
    for (const entry of readdirSync(abs, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !YAML_FILE.test(entry.name)) continue;
      const file = path.relative(config.repoRoot, path.join(entry.parentPath, entry.name)).split(path.sep).join('/');
      // Chart templates are Go templates, not YAML; Chart.yaml and CRDs hold no image versions.
      if (/(^|\/)(templates|crds)\//.test(file.slice(rel.length)) || /(^|\/)Chart\.(ya?ml|lock)$/.test(file)) continue;
      files.add(file);
    }
  };
  for (const target of config.targets) {
    const source = target.source;
    if (source.type === 'helm' && source.chart.kind === 'local') add(source.chart.path.rel);
    for (const input of targetInputs(target, config) ?? []) add(input);
  }
  return [...files].sort();
}

/**
 * Finds every image reference in the source files: `image: repo:tag` strings, values maps with repository + tag
 * and/or digest (completed from the chart's own values when a values file only overrides the tag), Kustomize
 * `images:` entries, Flux `$imagepolicy` markers and Renovate `# renovate: datasource=docker` markers.
 */
export function findReferences(config: Config): ScanResult {
  const files = sourceFiles(config);
  const parsed = new Map<string, ParsedFile>();
  const skipped: ScanResult['skipped'] = [];
  for (const file of files) {
    const result = parseFile(path.join(config.repoRoot, file));
    if (typeof result === 'string') skipped.push({ file, reason: result });
    else parsed.set(file, result);
  }
  const fluxPolicies = readFluxPolicies(parsed);
  // A values file that only overrides `image.tag` gets the repository from the chart's values at the same path.
  const chartDefaults = new Map<string, ParsedFile[]>();
  for (const target of config.targets) {
    const s = target.source;
    if (s.type !== 'helm') continue;
    const layers: ParsedFile[] = [];
    if (s.chart.kind === 'local') {
      const chartValues = parsed.get(`${s.chart.path.rel === '.' ? '' : `${s.chart.path.rel}/`}values.yaml`);
      if (chartValues) layers.push(chartValues);
    }
    for (const v of s.values) {
      const prior = chartDefaults.get(v.rel) ?? [];
      chartDefaults.set(v.rel, [...prior, ...layers.filter((l) => !prior.includes(l))]);
      const own = parsed.get(v.rel);
      if (own) layers.push(own);
    }
  }
  const references: ImageReference[] = [];
  for (const [file, p] of parsed) {
    references.push(...scanFile(file, p, chartDefaults.get(file) ?? [], fluxPolicies));
  }
  return { references, skipped, files };
}

interface ParsedFile {
  text: string;
  docs: Document.Parsed[];
  /** The documents as plain values (read once: Flux objects and chart defaults look them up). */
  values: unknown[];
  lines: LineCounter;
}

function parseFile(abs: string): ParsedFile | string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(abs);
  } catch (error) {
    return `cannot read (${(error as NodeJS.ErrnoException).code})`;
  }
  // A file kubeplan might edit is read exactly: text that is not UTF-8 would be rewritten by the edit.
  const decoded = decodeUtf8(bytes);
  if ('invalid' in decoded) return `not UTF-8 (line ${decoded.invalid.line}, column ${decoded.invalid.column})`;
  const text = decoded.text;
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, keepSourceTokens: false });
  if (!Array.isArray(docs)) return 'empty';
  const broken = docs.find((d) => d.errors.length > 0 && tooDeepToParse(d) === undefined);
  if (broken) return `not YAML: ${broken.errors[0]!.message.split('\n')[0]}`;
  const values: unknown[] = [];
  for (const doc of docs) {
    const limited = limitedYamlValue(doc);
    if ('problem' in limited) return `${limited.problem.message} (line ${lines.linePos(limited.offset).line})`;
    values.push(limited.value);
  }
  return { text, docs, values, lines };
}

function slotOf(node: Scalar, p: ParsedFile, at: ValuePath): Slot | undefined {
  if (!node.range || node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') return undefined;
  const [start, end] = node.range;
  const style = node.type === 'QUOTE_DOUBLE' ? 'double' : node.type === 'QUOTE_SINGLE' ? 'single' : 'plain';
  if (node.value === null || typeof node.value === 'object') return undefined;
  return { start, end, style, path: at, value: String(node.value), line: p.lines.linePos(start).line };
}

function scalarAt(map: YAMLMap, key: string): Scalar | undefined {
  const pair = map.items.find((i) => isScalar(i.key) && i.key.value === key);
  return pair && isScalar(pair.value) ? (pair.value as Scalar) : undefined;
}

/** Splits `ghcr.io/acme/shop:2.4.0@sha256:…` into name, tag and digest; undefined when it is not an image reference. */
export function splitReference(
  value: string,
): { name: string; tag: string | undefined; digest: string | undefined } | undefined {
  if (value.includes('{{') || /\s/.test(value)) return undefined;
  let rest = value;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return undefined;
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return undefined;
  }
  if (!IMAGE_NAME.test(rest)) return undefined;
  return { name: rest, tag, digest };
}

function keyOf(name: string): string {
  const ref = parseImageRef(name);
  return `${ref.registry}/${ref.repository}`;
}

/** A tag slot may hold `2.4.0@sha256:…` (written so by pinning); the parts are read apart. */
function splitTag(value: string): { tag: string | undefined; digest: string | undefined } {
  const at = value.indexOf('@');
  return at === -1
    ? { tag: value, digest: undefined }
    : { tag: value.slice(0, at) || undefined, digest: value.slice(at + 1) };
}

function currentOf(tag: string | undefined, digest: string | undefined): string {
  return `${tag ?? ''}${digest ? `@${digest}` : ''}`;
}

interface FluxPolicy {
  image: string | undefined;
  policy: TagPolicy | undefined;
}

/** Flux ImagePolicy and ImageRepository objects in the scanned files, by `namespace:name` of the policy. */
function readFluxPolicies(parsed: Map<string, ParsedFile>): Map<string, FluxPolicy> {
  const repos = new Map<string, string>();
  // biome-ignore lint/suspicious/noExplicitAny: Flux objects are untyped YAML, read field by field with checks
  const policies: { id: string; namespace: string; repo: string; spec: Record<string, any> }[] = [];
  for (const p of parsed.values()) {
    for (const value of p.values) {
      // biome-ignore lint/suspicious/noExplicitAny: as above
      const o = value as Record<string, any> | null;
      if (!o || typeof o !== 'object' || !String(o.apiVersion ?? '').startsWith('image.toolkit.fluxcd.io/')) continue;
      const namespace = o.metadata?.namespace ?? 'flux-system';
      if (o.kind === 'ImageRepository' && typeof o.spec?.image === 'string')
        repos.set(`${namespace}:${o.metadata?.name}`, o.spec.image);
      if (o.kind === 'ImagePolicy') {
        const ref = o.spec?.imageRepositoryRef ?? {};
        policies.push({
          id: `${namespace}:${o.metadata?.name}`,
          namespace,
          repo: `${ref.namespace ?? namespace}:${ref.name}`,
          spec: o.spec ?? {},
        });
      }
    }
  }
  const out = new Map<string, FluxPolicy>();
  for (const p of policies) {
    const rules = p.spec.policy ?? {};
    const filter = p.spec.filterTags ?? {};
    let policy: TagPolicy | undefined;
    if (rules.semver?.range) policy = { semver: String(rules.semver.range) };
    else if (rules.numerical || rules.alphabetical) {
      const order = rules.numerical ? 'numerical' : 'alphabetical';
      const descending = (rules.numerical ?? rules.alphabetical).order === 'desc';
      policy = descending ? undefined : { pattern: filter.pattern ?? '.*', extract: filter.extract, order };
    }
    out.set(p.id, { image: repos.get(p.repo), policy });
  }
  return out;
}

function scanFile(
  file: string,
  p: ParsedFile,
  defaults: ParsedFile[],
  flux: Map<string, FluxPolicy>,
): ImageReference[] {
  const found: ImageReference[] = [];
  const kustomization = KUSTOMIZATION.test(path.basename(file));
  const scalarsByLine = new Map<number, { node: Scalar; at: ValuePath; parent: YAMLMap | undefined }[]>();

  const walk = (node: Node | null | undefined, at: ValuePath, parent: YAMLMap | undefined): void => {
    if (!node || isAlias(node)) return;
    if (isScalar(node)) {
      if (node.range) {
        const line = p.lines.linePos(node.range[0]).line;
        const list = scalarsByLine.get(line) ?? [];
        list.push({ node, at, parent });
        scalarsByLine.set(line, list);
      }
      return;
    }
    if (isSeq(node)) {
      for (const [i, item] of node.items.entries()) walk(item as Node, [...at, i], undefined);
      return;
    }
    if (!isMap(node)) return;
    const map = node as YAMLMap;
    visitMap(map, at);
    for (const item of map.items) {
      if (!isPair(item) || !isScalar(item.key)) continue;
      walk(item.value as Node, [...at, String(item.key.value)], map);
    }
  };

  const visitMap = (map: YAMLMap, at: ValuePath) => {
    // `image: repo:tag`
    const image = scalarAt(map, 'image');
    if (image && typeof image.value === 'string') {
      const parts = splitReference(image.value);
      const slot = slotOf(image, p, [...at, 'image']);
      if (parts && slot && (parts.tag || parts.digest)) {
        found.push({
          file,
          line: slot.line,
          kind: 'image',
          name: parts.name,
          key: keyOf(parts.name),
          current: currentOf(parts.tag, parts.digest),
          tag: parts.tag,
          digest: parts.digest,
          slots: { ref: slot },
        });
      }
    }
    // `{registry?, repository, tag?, digest?}`, completed from the chart's values at the same path.
    const repository = scalarAt(map, 'repository');
    const tag = scalarAt(map, 'tag');
    const digest = scalarAt(map, 'digest');
    if (!kustomization && (repository || tag || digest) && (tag || digest)) {
      const fallback = (key: string) => (repository ? undefined : lookup(defaults, at, key));
      const repoValue = repository?.value ?? fallback('repository');
      const registryValue =
        scalarAt(map, 'registry')?.value ?? (repository ? undefined : lookup(defaults, at, 'registry'));
      if (
        typeof repoValue === 'string' &&
        IMAGE_NAME.test(repoValue) &&
        (registryValue === undefined || registryValue === null || typeof registryValue === 'string')
      ) {
        const name = registryValue ? `${registryValue}/${repoValue}` : repoValue;
        const tagSlot = tag && slotOf(tag, p, [...at, 'tag']);
        const digestSlot = digest && slotOf(digest, p, [...at, 'digest']);
        const t = tagSlot ? splitTag(tagSlot.value) : { tag: undefined, digest: undefined };
        const d = digestSlot?.value || t.digest;
        if ((tagSlot || digestSlot) && (t.tag === undefined || TAG.test(t.tag))) {
          found.push({
            file,
            line: (tagSlot || digestSlot)!.line,
            kind: 'values map',
            name,
            key: keyOf(name),
            current: currentOf(t.tag, d),
            tag: t.tag,
            digest: d || undefined,
            slots: { ...(tagSlot ? { tag: tagSlot } : {}), ...(digestSlot ? { digest: digestSlot } : {}) },
          });
        }
      }
    }
  };

  for (const [i, doc] of p.docs.entries()) walk(doc.contents as Node, [i], undefined);

  // Kustomize `images:` entries: the effective image is newName (or name); newTag and digest hold the version.
  if (kustomization) {
    p.docs.forEach((doc, i) => {
      const images = isMap(doc.contents) ? (doc.contents as YAMLMap).get('images', true) : undefined;
      if (!isSeq(images)) return;
      images.items.forEach((entry, j) => {
        if (!isMap(entry)) return;
        const at: ValuePath = [i, 'images', j];
        const name = scalarAt(entry, 'newName')?.value ?? scalarAt(entry, 'name')?.value;
        const newTag = scalarAt(entry, 'newTag');
        const digest = scalarAt(entry, 'digest');
        if (typeof name !== 'string' || !IMAGE_NAME.test(name) || (!newTag && !digest)) return;
        const tagSlot = newTag && slotOf(newTag, p, [...at, 'newTag']);
        const digestSlot = digest && slotOf(digest, p, [...at, 'digest']);
        if (!tagSlot && !digestSlot) return;
        const reference: ImageReference = {
          file,
          line: (tagSlot || digestSlot)!.line,
          kind: 'kustomize images',
          name,
          key: keyOf(name),
          current: currentOf(tagSlot?.value, digestSlot?.value),
          tag: tagSlot?.value,
          digest: digestSlot?.value,
          slots: { ...(tagSlot ? { tag: tagSlot } : {}), ...(digestSlot ? { digest: digestSlot } : {}) },
        };
        if (tagSlot && !digestSlot) {
          const lineStart = p.text.lastIndexOf('\n', tagSlot.start - 1) + 1;
          const keyStart = p.text.slice(lineStart, tagSlot.start).search(/newTag\s*:/);
          const indent = p.text.slice(lineStart, lineStart + keyStart).replace(/[^ ]/g, ' ');
          reference.digestKeyAfter = { ...tagSlot, indent, flow: entry.flow === true };
        }
        found.push(reference);
      });
    });
  }

  // Markers: Flux on the value's line, Renovate on the line before it.
  const lines = p.text.split('\n');
  lines.forEach((lineText, index) => {
    const line = index + 1;
    const flux = FLUX_MARKER.exec(lineText);
    if (flux && lineText.indexOf('#') !== -1 && lineText.indexOf('#') < flux.index) {
      const [id, field] = splitFluxPolicy(flux[1]!);
      const scalar = scalarsByLine.get(line)?.at(-1);
      if (scalar) found.push(...fluxReference(file, p, scalar, id, field, flux, scalarsByLine));
    }
    const renovate = RENOVATE_MARKER.exec(lineText);
    if (renovate && lineText.trim().startsWith('#')) {
      const params = Object.fromEntries([...renovate[1]!.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
      if ((params.datasource ?? 'docker') !== 'docker' || !params.depName) return;
      let next = line + 1;
      while (next <= lines.length && (lines[next - 1]!.trim() === '' || lines[next - 1]!.trim().startsWith('#')))
        next++;
      const scalar = scalarsByLine.get(next)?.at(-1);
      const slot = scalar && slotOf(scalar.node, p, scalar.at);
      if (!slot) return;
      const parts = splitReference(slot.value);
      const whole = parts && keyOf(parts.name) === keyOf(params.depName);
      const t = whole ? { tag: parts.tag, digest: parts.digest } : splitTag(slot.value);
      if (t.tag !== undefined && !TAG.test(t.tag)) return;
      found.push({
        file,
        line: slot.line,
        kind: 'renovate marker',
        name: params.depName,
        key: keyOf(params.depName),
        current: currentOf(t.tag, t.digest),
        tag: t.tag,
        digest: t.digest,
        slots: whole ? { ref: slot } : { tag: slot },
      });
    }
  });

  function fluxReference(
    file: string,
    p: ParsedFile,
    scalar: { node: Scalar; at: ValuePath; parent: YAMLMap | undefined },
    id: string,
    field: string | undefined,
    marker: RegExpExecArray,
    byLine: typeof scalarsByLine,
  ): ImageReference[] {
    const slot = slotOf(scalar.node, p, scalar.at);
    if (!slot || field === 'name') return [];
    const known = flux.get(id);
    const base = {
      file,
      line: slot.line,
      kind: 'flux marker' as const,
      fluxPolicy: id,
      ...(known?.policy ? { policy: known.policy } : {}),
    };
    if (field === undefined) {
      const parts = splitReference(slot.value);
      if (!parts) return [];
      return [
        {
          ...base,
          name: parts.name,
          key: keyOf(parts.name),
          current: currentOf(parts.tag, parts.digest),
          tag: parts.tag,
          digest: parts.digest,
          slots: { ref: slot },
        },
      ];
    }
    // `:tag` and `:digest`: the image comes from a `:name` marker of the same policy, a sibling repository, or the
    // ImageRepository the policy points at.
    let name: string | undefined = known?.image;
    for (const [line, entries] of byLine) {
      const text = lines[line - 1] ?? '';
      const m = FLUX_MARKER.exec(text);
      if (m && m[0] !== marker[0] && splitFluxPolicy(m[1]!)[0] === id && splitFluxPolicy(m[1]!)[1] === 'name')
        name = String(entries.at(-1)!.node.value);
    }
    const sibling = scalar.parent && scalarAt(scalar.parent, 'repository')?.value;
    if (!name && typeof sibling === 'string') name = sibling;
    if (!name || !IMAGE_NAME.test(name)) return [];
    const t = field === 'digest' ? { tag: undefined, digest: slot.value } : splitTag(slot.value);
    return [
      {
        ...base,
        name,
        key: keyOf(name),
        current: currentOf(t.tag, t.digest),
        tag: t.tag,
        digest: t.digest,
        slots: field === 'digest' ? { digest: slot } : { tag: slot },
      },
    ];
  }

  return dedupe(found);
}

function splitFluxPolicy(value: string): [string, string | undefined] {
  const parts = value.split(':');
  return parts.length >= 3 ? [`${parts[0]}:${parts[1]}`, parts[2]] : [value, undefined];
}

/** A value found both by shape and by a marker is one reference; the marker's reading wins. */
function dedupe(found: ImageReference[]): ImageReference[] {
  const bySlot = new Map<number, ImageReference>();
  const out: ImageReference[] = [];
  const rank = (r: ImageReference) => (r.kind === 'flux marker' ? 2 : r.kind === 'renovate marker' ? 1 : 0);
  for (const r of found) {
    const starts = Object.values(r.slots).map((s) => s!.start);
    const clash = starts.map((s) => bySlot.get(s)).find((x) => x !== undefined);
    if (clash) {
      if (rank(r) > rank(clash)) {
        out[out.indexOf(clash)] = r;
        for (const s of starts) bySlot.set(s, r);
      }
      continue;
    }
    out.push(r);
    for (const s of starts) bySlot.set(s, r);
  }
  return out.sort((a, b) => a.line - b.line);
}

/** The value at the same path in the chart's values (or an earlier values file), for partial overrides. */
function lookup(layers: ParsedFile[], at: ValuePath, key: string): unknown {
  for (const layer of [...layers].reverse()) {
    let value: unknown = layer.values[0];
    for (const k of [...at.slice(1), key])
      value = value && typeof value === 'object' ? (value as Record<string | number, unknown>)[k] : undefined;
    if (value !== undefined) return value;
  }
  return undefined;
}
