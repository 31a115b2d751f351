import { isDeepStrictEqual } from 'node:util';
import { isMap, isScalar, parse, parseAllDocuments, visit, type Document } from 'yaml';
import { KubeplanError } from '../errors.js';
import type { ImageReference, Slot, ValuePath } from './references.js';

/** An edit would change more (or less) than the version it was meant to change. */
export class EditError extends KubeplanError {}

/** The version to write: a tag, and a digest when pinning or when the reference already carries one. */
export interface NewVersion {
  tag: string;
  digest: string | undefined;
  /** `pin: digest`: write the digest even where the reference had none. */
  pin: boolean;
}

interface Splice {
  start: number;
  end: number;
  text: string;
  /** The value the document must hold at `path` afterwards. */
  path: ValuePath;
  value: string;
}

/** The splices that move one reference to `next`, or none when it is already there. */
export function splicesFor(ref: ImageReference, next: NewVersion, text: string): Splice[] {
  const withDigest = next.digest !== undefined && (next.pin || ref.digest !== undefined);
  const digest = withDigest ? next.digest : undefined;
  const out: Splice[] = [];
  const set = (slot: Slot, value: string) => {
    if (slot.value !== value)
      out.push({ start: slot.start, end: slot.end, text: scalarText(value, slot, text), path: slot.path, value });
  };
  const { ref: whole, tag, digest: digestSlot } = ref.slots;
  if (whole) {
    set(whole, `${ref.name}:${next.tag}${digest ? `@${digest}` : ''}`);
    return out;
  }
  if (tag) {
    // A tag slot holds the digest too (`2.5.0@sha256:…`) when the map has no digest key of its own, unless a digest
    // key can be added next to it (Kustomize images entries).
    const inTag = digest !== undefined && !digestSlot && !ref.digestKeyAfter;
    set(tag, inTag ? `${next.tag}@${digest}` : next.tag);
  }
  if (digest !== undefined && digestSlot) set(digestSlot, digest);
  if (digest !== undefined && !digestSlot && ref.digestKeyAfter) {
    const after = ref.digestKeyAfter;
    if (after.flow) {
      out.push({
        start: after.end,
        end: after.end,
        text: `, digest: ${digest}`,
        path: [...after.path.slice(0, -1), 'digest'],
        value: digest,
      });
    } else {
      const lineEnd = text.indexOf('\n', after.end);
      const at = lineEnd === -1 ? text.length : lineEnd;
      const newline = text[at - 1] === '\r' ? '\r\n' : '\n';
      const start = text[at - 1] === '\r' ? at - 1 : at;
      out.push({
        start,
        end: start,
        text: `${newline}${after.indent}digest: ${digest}`,
        path: [...after.path.slice(0, -1), 'digest'],
        value: digest,
      });
    }
  }
  return out;
}

/** The new scalar in the quoting style of the old one; plain only while it still reads back as the same string. */
function scalarText(value: string, slot: Slot, text: string): string {
  const original = text.slice(slot.start, slot.end);
  if (slot.style === 'single') return `'${value.replaceAll("'", "''")}'`;
  if (slot.style === 'double' || original.startsWith('"')) return JSON.stringify(value);
  let readBack: unknown;
  try {
    readBack = parse(`k: ${value}`)?.k;
  } catch {
    readBack = undefined;
  }
  return readBack === value ? value : JSON.stringify(value);
}

/**
 * Applies splices to a file's text and proves the result: every document is parsed again, and exactly the intended
 * values differ from before (comments, quotes, indentation, key order and every other value stay byte-identical,
 * which the splice guarantees for the bytes and this check guarantees for the meaning).
 */
export function applySplices(file: string, text: string, splices: Splice[]): string {
  const ordered = dedupeSplices(file, splices).sort((a, b) => b.start - a.start);
  let out = text;
  for (const s of ordered) out = out.slice(0, s.start) + s.text + out.slice(s.end);
  const afterDocs = parseAllDocuments(out);
  const broken = afterDocs.find((d) => d.errors.length > 0);
  if (broken)
    throw new EditError(`the edit would break the YAML: ${broken.errors[0]!.message.split('\n')[0]}`, {
      where: { file },
      hint: 'report this as a kubeplan bug with the file attached; nothing was written',
    });
  // Aliases were checked when the file was read (input-limits); an edit changes scalars only, never the structure.
  const after = afterDocs.map((d) => d.toJS({ maxAliasCount: -1 }) as unknown);
  // The expectation: the original documents with only the intended scalars changed in place (so an alias of a
  // changed anchor follows it, as it does in the file). Without aliases the original's plain values, read once per
  // file text, serve; with them the document model is edited so aliases follow.
  const original = originalOf(text);
  let expected: unknown[];
  if (original.aliases) {
    const model = parseAllDocuments(text);
    for (const s of ordered) setAt(model, s.path, s.value);
    expected = model.map((d) => d.toJS({ maxAliasCount: -1 }) as unknown);
  } else {
    expected = structuredClone(original.values);
    for (const s of ordered) setPlain(expected, s.path, s.value);
  }
  const normalize = (docs: unknown[]) =>
    JSON.parse(
      JSON.stringify(docs, (_k, v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v)),
    ) as unknown;
  if (!isDeepStrictEqual(normalize(after), normalize(expected))) {
    throw new EditError('the edit would change more than the image version (an anchor or alias shares the value?)', {
      where: { file },
      hint: 'edit this file by hand, or give the shared value its own key; nothing was written',
    });
  }
  return out;
}

function dedupeSplices(file: string, splices: Splice[]): Splice[] {
  const seen = new Map<string, Splice>();
  for (const s of splices) {
    const key = `${s.start}:${s.end}`;
    const prior = seen.get(key);
    if (prior && prior.text !== s.text)
      throw new EditError(`two references want different values in the same place (${String(s.path)})`, {
        where: { file },
        hint: 'report this as a kubeplan bug',
      });
    seen.set(key, s);
  }
  return [...seen.values()];
}

const originals = new Map<string, { values: unknown[]; aliases: boolean }>();

/** A file's documents as plain values, and whether any alias refers to an anchor (read once per text). */
function originalOf(text: string): { values: unknown[]; aliases: boolean } {
  let o = originals.get(text);
  if (!o) {
    const docs = parseAllDocuments(text);
    let aliases = false;
    for (const d of docs) {
      visit(d, {
        Alias() {
          aliases = true;
          return visit.BREAK;
        },
      });
    }
    o = { values: docs.map((d) => d.toJS({ maxAliasCount: -1 }) as unknown), aliases };
    if (originals.size > 1000) originals.clear();
    originals.set(text, o);
  }
  return o;
}

function setPlain(docs: unknown[], at: ValuePath, value: string): void {
  const [index, ...keys] = at;
  if (keys.length === 0) {
    docs[Number(index)] = value;
    return;
  }
  let node = docs[Number(index)] as Record<string | number, unknown>;
  for (const k of keys.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  node[keys.at(-1)!] = value;
}

function setAt(docs: Document.Parsed[], at: ValuePath, value: string): void {
  const [index, ...keys] = at;
  const doc = docs[Number(index)]!;
  const node = keys.length === 0 ? doc.contents : doc.getIn(keys, true);
  if (isScalar(node)) {
    node.value = value;
    return;
  }
  const parent = doc.getIn(keys.slice(0, -1), true);
  if (isMap(parent)) parent.set(keys.at(-1), value);
  else throw new EditError(`cannot find the value at ${keys.join('.')}`, { hint: 'report this as a kubeplan bug' });
}
