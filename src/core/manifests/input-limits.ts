/**
 * Limits on what a YAML or JSON input may be, shared by every path that reads one (kubeplan.yaml, plain manifest
 * folders, Helm and Kustomize output, files an image bump edits): UTF-8 text, nesting at most MAX_DEPTH deep, and no
 * alias bomb. Kubernetes' own readers refuse these too; without the limits a 600-byte file could pin kubeplan at
 * gigabytes of memory, or overflow the stack of a recursive walk.
 */
import { isMap, isPair, isSeq, visit, type Document } from 'yaml';

/**
 * How deep collections may nest, counting through aliases. Real Kubernetes objects (deep CRD schemas included) stay
 * far below; every parser and recursive walk in kubeplan stays far from the stack limit with this depth.
 */
export const MAX_DEPTH = 500;

export interface LimitProblem {
  message: string;
  hint: string;
}

export const DEPTH_HINT =
  'Kubernetes objects never nest this deep: check the program or template that generated the file';

export function depthProblem(maxDepth = MAX_DEPTH): LimitProblem {
  return { message: `the document nests deeper than ${maxDepth} levels`, hint: DEPTH_HINT };
}

/**
 * What a parsed document (a tree, or a graph when aliases share nodes) would be once every alias is expanded, as
 * Kubernetes' YAML reader expands it: refused when aliases make up too much of it (go-yaml's "document contains
 * excessive aliasing" rule), when it nests deeper than MAX_DEPTH, or when an alias refers to a node containing it.
 * Linear in the written size: shared nodes are measured once.
 */
export function valueLimitProblem(value: unknown, maxDepth = MAX_DEPTH): LimitProblem | undefined {
  if (!isCollection(value)) return undefined;
  interface Frame {
    node: object;
    children: unknown[];
    next: number;
    /** Nodes once expanded: this one, its keys, and its children expanded. */
    size: number;
    depth: number;
  }
  const measured = new Map<object, { size: number; depth: number }>();
  const open = new Set<object>();
  let written = 0;
  const frame = (node: object): Frame => {
    const children = Array.isArray(node) ? node : Object.values(node);
    const keys = Array.isArray(node) ? 0 : children.length;
    written += 1 + keys + children.filter((c) => !isCollection(c)).length;
    open.add(node);
    return { node, children, next: 0, size: 1 + keys, depth: 1 };
  };
  const stack: Frame[] = [frame(value)];
  let root = { size: 0, depth: 0 };
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next < top.children.length) {
      const child = top.children[top.next++];
      if (!isCollection(child)) {
        top.size += 1;
        continue;
      }
      const known = measured.get(child);
      if (known) {
        top.size += known.size;
        top.depth = Math.max(top.depth, known.depth + 1);
        if (top.depth > maxDepth) return depthProblem(maxDepth);
        continue;
      }
      if (open.has(child)) {
        return {
          message: 'an alias refers to a node that contains it (a recursive anchor)',
          hint: 'remove the alias: an object cannot contain itself',
        };
      }
      if (stack.length >= maxDepth) return depthProblem(maxDepth);
      stack.push(frame(child));
      continue;
    }
    stack.pop();
    open.delete(top.node);
    const done = { size: top.size, depth: top.depth };
    measured.set(top.node, done);
    const parent = stack[stack.length - 1];
    if (parent) {
      parent.size += done.size;
      parent.depth = Math.max(parent.depth, done.depth + 1);
      if (parent.depth > maxDepth) return depthProblem(maxDepth);
    } else root = done;
  }
  const expanded = root.size;
  const aliased = expanded - written;
  if (aliased > 100 && expanded > 1000 && aliased / expanded > allowedAliasRatio(expanded)) {
    return {
      message: `the document contains excessive aliasing (its aliases expand it to ${expanded < 1e12 ? expanded.toLocaleString('en-US') : 'over a trillion'} nodes)`,
      hint: 'write the values out instead of repeating large anchors (kubectl refuses such documents too)',
    };
  }
  return undefined;
}

/**
 * go-yaml's rule (yaml.v3 decode.go): up to 400,000 nodes, 99% may come from alias expansion; from 4,000,000 on,
 * 10%; in between the share scales down linearly.
 */
function allowedAliasRatio(nodes: number): number {
  const low = 400_000;
  const high = 4_000_000;
  if (nodes <= low) return 0.99;
  if (nodes >= high) return 0.1;
  return 0.99 - 0.89 * ((nodes - low) / (high - low));
}

function isCollection(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

/** Where in JSON text nesting first goes deeper than MAX_DEPTH (1-based line and column), if it does. */
export function jsonTooDeepAt(text: string): { line: number; column: number } | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      if (++depth > MAX_DEPTH) return positionOf(text, i);
    } else if (c === ']' || c === '}') depth--;
  }
  return undefined;
}

/** 1-based line and column (in characters) of an offset in text. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: [...before.slice(lineStart)].length + 1 };
}

export const UTF8_HINT =
  "save the file as UTF-8 (Kubernetes reads manifests as UTF-8; binary content belongs base64-encoded in a Secret's data or a ConfigMap's binaryData)";

/**
 * Decodes UTF-8 without replacing anything: text that is not UTF-8 is refused with the place of its first bad byte
 * (1-based line, and column in characters), instead of being silently rewritten to U+FFFD.
 */
export function decodeUtf8(bytes: Uint8Array): { text: string } | { invalid: { line: number; column: number } } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    const offset = firstInvalidUtf8(bytes);
    const before = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes.subarray(0, offset));
    return { invalid: positionOf(before, before.length) };
  }
}

/** The offset of the first byte that does not start or continue a well-formed UTF-8 sequence (Unicode table 3-7). */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let length: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b < 0x80) length = 1;
    else if (b >= 0xc2 && b <= 0xdf) length = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += length;
  }
  return bytes.length;
}

/** Where the `yaml` parser ran out of stack (it reports that as a syntax error), if it did: the input nests too deep. */
export function tooDeepToParse(doc: Document.Parsed): number | undefined {
  return doc.errors.find((e) => /Maximum call stack size exceeded/.test(e.message))?.pos[0];
}

/**
 * The value of a document parsed with the `yaml` package, within the same limits: nesting is checked on the syntax
 * tree before any recursive conversion (and a parser that ran out of stack counts as too deep), aliases and depth
 * through aliases on the value. A problem comes with the offset it is at (the first alias for aliasing).
 */
export function limitedYamlValue(doc: Document.Parsed): { value: unknown } | { problem: LimitProblem; offset: number } {
  const overflow = tooDeepToParse(doc);
  if (overflow !== undefined) return { problem: depthProblem(), offset: overflow };
  const stack: { node: unknown; depth: number }[] = [{ node: doc.contents, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (isPair(node)) {
      stack.push({ node: node.key, depth }, { node: node.value, depth });
    } else if (isCollection(node) && (isMap(node) || isSeq(node))) {
      if (depth + 1 > MAX_DEPTH) return { problem: depthProblem(), offset: node.range?.[0] ?? 0 };
      for (const item of node.items) stack.push({ node: item, depth: depth + 1 });
    }
  }
  const value = doc.toJS({ maxAliasCount: -1 }) as unknown;
  const problem = valueLimitProblem(value);
  if (!problem) return { value };
  let offset = doc.contents?.range?.[0] ?? 0;
  visit(doc, {
    Alias(_key, node) {
      offset = node.range?.[0] ?? offset;
      return visit.BREAK;
    },
  });
  return { problem, offset };
}
