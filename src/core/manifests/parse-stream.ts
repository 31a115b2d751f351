import { load, YAMLException } from 'js-yaml';
import { RenderError } from '../errors.js';
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
  const flush = () => {
    const body = buffer.join('\n');
    if (body.trim() !== '') {
      const source = /^#\s*Source:\s*(.+?)\s*$/m.exec(body);
      const offset = buffer.findIndex((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
      docs.push({ text: body, line: start + 1, contentLine: start + 1 + Math.max(offset, 0), ...(source ? { helmSource: source[1] } : {}) });
    }
    buffer = [];
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
    if (/^\.\.\.(\s|$)/.test(line)) {
      buffer.push('');
      return;
    }
    if (buffer.length === 0) start = i;
    buffer.push(line);
  });
  flush();
  return docs;
}

/**
 * Parses one document; YAML errors name the file and the line. A document nesting deeper than MAX_DEPTH or expanding
 * to far more than it is through aliases (an alias bomb) is refused, as Kubernetes' YAML reader refuses it.
 */
export function parseDocument(doc: RawDocument, where: (line: number) => string): unknown {
  let value: unknown;
  try {
    value = load(doc.text, { schema, maxDepth: MAX_DEPTH });
  } catch (error) {
    if (error instanceof YAMLException) {
      const line = doc.line + (error.mark?.line ?? 0);
      if (/^nesting exceeded maxDepth/.test(error.reason)) throw new RenderError(depthProblem().message, { where: where(line), hint: depthProblem().hint });
      throw new RenderError(`YAML syntax error: ${error.reason}`, {
        where: where(line),
        hint: 'fix the YAML at that line',
      });
    }
    throw error;
  }
  const problem = valueLimitProblem(value);
  if (problem) throw new RenderError(problem.message, { where: where(doc.contentLine), hint: problem.hint });
  return value;
}

/**
 * Turns one parsed document into objects: `null` (an empty document) gives none, a `List` gives its items, a
 * Kubernetes object gives itself; anything else is an error that names the source.
 */
export function toObjects(value: unknown, source: SourceRef, where: string): KubeObject[] {
  if (value === null || value === undefined) return [];
  if (!isRecord(value)) {
    throw new RenderError(`document is ${describe(value)}, not a Kubernetes object`, {
      where,
      hint: 'every YAML document must be a mapping with apiVersion, kind and metadata.name',
    });
  }
  if (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) {
    return (value.items as unknown[]).flatMap((item, i) => toObjects(item, source, `${where} (item ${i + 1} of the ${String(value.kind)})`));
  }
  const missing: string[] = [];
  if (typeof value.apiVersion !== 'string' || value.apiVersion === '') missing.push('apiVersion');
  if (typeof value.kind !== 'string' || value.kind === '') missing.push('kind');
  const metadata = value.metadata;
  if (!isRecord(metadata) || typeof metadata.name !== 'string' || metadata.name === '') {
    missing.push(isRecord(metadata) && typeof metadata.generateName === 'string' ? 'metadata.name (generateName is not supported: kubeplan applies by name)' : 'metadata.name');
  }
  if (missing.length > 0) {
    throw new RenderError(`document is not a Kubernetes object: missing ${missing.join(', ')}`, {
      where,
      hint: 'every YAML document must be a mapping with apiVersion, kind and metadata.name',
    });
  }
  if (metadata !== undefined && isRecord(metadata) && metadata.namespace !== undefined && typeof metadata.namespace !== 'string') {
    throw new RenderError('metadata.namespace must be a string', { where, hint: 'quote the namespace' });
  }
  return [value as KubeObject];
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `a ${typeof value}`;
}
