import { load, YAMLException } from 'js-yaml';
import { isSeq, LineCounter, parseDocument as parseYamlDocument } from 'yaml';
import { inItem, RenderError, type Where } from '../errors.js';
import { depthProblem, MAX_DEPTH, valueLimitProblem } from './input-limits.js';
import { KUBE_YAML_SCHEMA as schema } from './kube-yaml.js';
import type { KubeObject, SourceRef } from './types.js';

/** One YAML document of a stream, with the 1-based line it starts on and the `# Source:` comment before it, if any. */
export interface RawDocument {
  text: string;
  /** Line of the document's first text line (the `---` marker when there is one): the base for YAML error lines. */
  line: number;
  /** Line of the first line that is neither blank nor a comment: where messages about the document point. */
  contentLine: number;
  helmSource?: string;
  /**
   * Line of content after a `...` document end with no `---` before it, if any. kubectl reads only the first document
   * of such a block and silently drops the rest, so kubeplan refuses it instead of applying (or pruning) other objects.
   */
  afterEnd?: number;
  /** Line of a `---` followed by text that is neither a space nor a comment (`---x: 1`), which kubectl refuses. */
  badSeparator?: number;
}

/**
 * Splits a YAML stream on `---` lines the way Kubernetes' own YAML reader does, keeping each document's first line
 * (js-yaml's loadAll loses positions) and Helm's `# Source:` comment.
 */
export function splitYamlStream(text: string): RawDocument[] {
  const docs: RawDocument[] = [];
  const lines = text.split(/\r?\n/);
  let start = 0;
  let buffer: string[] = [];
  let ended = false;
  let extra: Pick<RawDocument, 'afterEnd' | 'badSeparator'> = {};
  const flush = () => {
    // A document of blank lines and comments only (a license header, a `# yaml-language-server:` line, a Helm
    // template that renders only comments) holds nothing: kubectl, Helm and Kustomize skip it.
    const offset = buffer.findIndex((l) => !isBlankOrComment(l));
    if (offset >= 0 || extra.badSeparator !== undefined) {
      const body = buffer.join('\n');
      const source = /^#\s*Source:\s*(.+?)\s*$/m.exec(body);
      docs.push({
        text: body,
        line: start + 1,
        contentLine: start + 1 + Math.max(offset, 0),
        ...(source ? { helmSource: source[1] } : {}),
        ...extra,
      });
    }
    buffer = [];
    ended = false;
    extra = {};
  };
  lines.forEach((line, i) => {
    if (/^---(\s|$)/.test(line)) {
      flush();
      start = i;
      const rest = line.slice(3).trim();
      // `--- {a: 1}` or `--- |` puts content on the marker line itself.
      if (rest !== '' && !rest.startsWith('#')) buffer.push(' '.repeat(4) + rest);
      else buffer.push('');
      return;
    }
    if (/^---/.test(line)) {
      // Kubernetes' YAML reader splits on every line starting with `---` and refuses one with text after it.
      if (buffer.length === 0) start = i;
      extra.badSeparator ??= i + 1;
      buffer.push(line);
      return;
    }
    if (/^\.\.\.(\s|$)/.test(line)) {
      buffer.push('');
      ended = true;
      return;
    }
    if (buffer.length === 0) start = i;
    if (ended && !isBlankOrComment(line)) extra.afterEnd ??= i + 1;
    buffer.push(line);
  });
  flush();
  return docs;
}

function isBlankOrComment(line: string): boolean {
  const trimmed = line.trim();
  return trimmed === '' || trimmed.startsWith('#');
}

/**
 * Parses one document; YAML errors name the file and the line. A document nesting deeper than MAX_DEPTH or expanding
 * to far more than it is through aliases (an alias bomb) is refused, as Kubernetes' YAML reader refuses it.
 */
export function parseDocument(doc: RawDocument, where: (line: number) => Where): unknown {
  if (doc.badSeparator !== undefined) {
    throw new RenderError(
      'a line starts with `---` followed by text: kubectl reads it as an invalid document separator',
      {
        where: where(doc.badSeparator),
        hint: 'put `---` on a line of its own (a comment may follow after a space), or indent or quote the value that starts with ---',
      },
    );
  }
  if (doc.afterEnd !== undefined) {
    throw new RenderError('content after a `...` document end, without a `---` line before it', {
      where: where(doc.afterEnd),
      hint: 'start the next document with a `---` line (kubectl would silently ignore everything after `...` up to the next `---`)',
    });
  }
  let value: unknown;
  try {
    // Like kubectl (sigs.k8s.io/yaml), a key given twice in a mapping keeps its last value.
    value = load(doc.text, { schema, maxDepth: MAX_DEPTH, json: true });
  } catch (error) {
    if (error instanceof YAMLException) {
      const at = errorAt(doc.text, error);
      const line = doc.line + at.line;
      if (/^nesting exceeded maxDepth/.test(error.reason))
        throw new RenderError(depthProblem().message, { where: where(line), hint: depthProblem().hint, cause: error });
      throw new RenderError(`YAML syntax error: ${at.reason ?? error.reason}`, {
        where: where(line),
        cause: error,
        hint: at.reason ? 'close it' : 'fix the YAML at that line',
      });
    }
    throw error;
  }
  const problem = valueLimitProblem(value);
  if (problem) throw new RenderError(problem.message, { where: where(doc.contentLine), hint: problem.hint });
  return value;
}

/**
 * The 0-based line of a YAML error in a document's text. An error at the end of the text (an unclosed `[`, `{` or
 * quote) points at the line where the unclosed construct opens, not past the last line.
 */
function errorAt(text: string, error: YAMLException): { line: number; reason?: string } {
  const line = error.mark?.line ?? 0;
  const position = error.mark?.position;
  if (position === undefined || text.slice(position).trim() !== '') return { line };
  const open = unclosedAt(text);
  if (open !== undefined)
    return {
      line: open.line,
      reason: `the ${open.what} that starts on this line is not closed before the document ends`,
    };
  const lines = text.split('\n');
  let last = Math.min(line, lines.length - 1);
  while (last > 0 && lines[last]!.trim() === '') last--;
  return { line: last };
}

/** The 0-based line of the outermost flow collection or the quoted scalar still open at the end of the text. */
function unclosedAt(text: string): { line: number; what: string } | undefined {
  const flow: { line: number; what: string }[] = [];
  let quote: { char: string; line: number } | undefined;
  let line = 0;
  let previous = '\n';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') line++;
    if (quote) {
      if (quote.char === '"' && c === '\\') i++;
      else if (c === quote.char) {
        if (quote.char === "'" && text[i + 1] === "'") i++;
        else quote = undefined;
      }
    } else if (c === '#' && /\s/.test(previous)) {
      const end = text.indexOf('\n', i);
      i = (end < 0 ? text.length : end) - 1;
    } else if ((c === '"' || c === "'") && /[\s:,[{\-?]/.test(previous)) {
      const before = text.slice(text.lastIndexOf('\n', i - 1) + 1, i).trimEnd();
      if (before === '' || /[:,[{\-?]$/.test(before)) quote = { char: c, line };
    } else if (c === '[' || c === '{') flow.push({ line, what: c === '[' ? '`[` sequence' : '`{` mapping' });
    else if ((c === ']' || c === '}') && flow.length > 0) flow.pop();
    previous = c;
  }
  if (quote) return { line: quote.line, what: `${quote.char === '"' ? 'double' : 'single'}-quoted string` };
  return flow[0];
}

/**
 * The 1-based line of each item of a `List` document in its file, so that every item names its own line; undefined
 * when the document is no List.
 */
export function listItemLines(doc: RawDocument, value: unknown): number[] | undefined {
  if (!isRecord(value) || typeof value.kind !== 'string' || !value.kind.endsWith('List') || !Array.isArray(value.items))
    return undefined;
  const lineCounter = new LineCounter();
  const parsed = parseYamlDocument(doc.text, { lineCounter, uniqueKeys: false });
  const items = parsed.get('items', true);
  if (!isSeq(items) || items.items.length !== value.items.length) return undefined;
  return items.items.map((item) => {
    const offset = (item as { range?: number[] } | null)?.range?.[0];
    return offset === undefined ? doc.contentLine : doc.line + lineCounter.linePos(offset).line - 1;
  });
}

/**
 * Turns one parsed document into objects: `null` (an empty document) gives none, a `List` gives its items, a
 * Kubernetes object gives itself; anything else is an error that names the source.
 */
export function toObjects(
  value: unknown,
  source: SourceRef,
  where: Where,
  item?: (i: number) => { source: SourceRef; where: Where },
): KubeObject[] {
  return sourcedObjects(value, source, where, item).map((m) => m.object);
}

/**
 * Like toObjects, with the source of each object: `item` gives the source and place of a List's items (their own
 * lines). A List inside a List, or an empty List item, is refused as kubectl refuses it.
 */
export function sourcedObjects(
  value: unknown,
  source: SourceRef,
  where: Where,
  item?: (i: number) => { source: SourceRef; where: Where },
): { object: KubeObject; source: SourceRef }[] {
  if (value === null || value === undefined) return [];
  if (isRecord(value) && typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) {
    const kind = value.kind;
    return (value.items as unknown[]).flatMap((entry, i) => {
      const at = item?.(i) ?? { source, where: inItem(where, { index: i + 1, of: kind }) };
      if (entry === null || entry === undefined) {
        throw new RenderError(`item ${i + 1} of the ${kind} is empty`, {
          where: at.where,
          hint: 'remove the empty item (kubectl refuses it too)',
        });
      }
      if (
        isRecord(entry) &&
        typeof entry.kind === 'string' &&
        entry.kind.endsWith('List') &&
        Array.isArray(entry.items)
      ) {
        throw new RenderError(`item ${i + 1} of the ${kind} is itself a ${entry.kind}`, {
          where: at.where,
          hint: 'put its items directly into the outer list, or into a document of their own (kubectl refuses a List inside a List)',
        });
      }
      return sourcedObjects(entry, at.source, at.where);
    });
  }
  return toObject(value, where).map((object) => ({ object, source }));
}

function toObject(value: unknown, where: Where): KubeObject[] {
  if (!isRecord(value)) {
    throw new RenderError(`document is ${describe(value)}, not a Kubernetes object`, {
      where,
      hint: 'every YAML document must be a mapping with apiVersion, kind and metadata.name',
    });
  }
  const missing: string[] = [];
  if (typeof value.apiVersion !== 'string' || value.apiVersion === '') missing.push('apiVersion');
  if (typeof value.kind !== 'string' || value.kind === '') missing.push('kind');
  const metadata = value.metadata;
  if (!isRecord(metadata) || typeof metadata.name !== 'string' || metadata.name === '') {
    missing.push(
      isRecord(metadata) && typeof metadata.generateName === 'string'
        ? 'metadata.name (generateName is not supported: kubeplan applies by name)'
        : 'metadata.name',
    );
  }
  if (missing.length > 0) {
    throw new RenderError(`document is not a Kubernetes object: missing ${missing.join(', ')}`, {
      where,
      hint: 'every YAML document must be a mapping with apiVersion, kind and metadata.name',
    });
  }
  if (
    metadata !== undefined &&
    isRecord(metadata) &&
    metadata.namespace !== undefined &&
    typeof metadata.namespace !== 'string'
  ) {
    throw new RenderError('metadata.namespace must be a string', { where, hint: 'quote the namespace' });
  }
  return [value as KubeObject];
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string')
    return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `a ${typeof value}`;
}
