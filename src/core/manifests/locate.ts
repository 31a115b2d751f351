/**
 * Where in a Helm template or a Kustomize base file the document that made an object starts, so an error about the
 * object (an RBAC denial, a webhook's rejection, an unknown kind) is annotated on that line and the plan names it.
 * Templates are not YAML until Helm has run, so this reads lines, not documents: a document's `kind:` at column 0,
 * and the literal `name:` of its `metadata:` block where it has one. A file where no single document clearly made the
 * object gives no line (the file alone is still named).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { KubeObject, SourceRef } from './types.js';

interface DocumentLines {
  /** 1-based line of the document's `apiVersion:` (else its `kind:`). */
  line: number;
  kind: string | undefined;
  /** The literal metadata.name; undefined when absent or templated. */
  name: string | undefined;
}

const SEPARATOR = /^---(\s|$)/;
const TOP_KEY = /^(apiVersion|kind):(?:\s(.*))?$/;

/** A scalar's literal value (quotes and a trailing comment off); undefined when Helm fills it in. */
function literal(value: string | undefined): string | undefined {
  const v = (value ?? '')
    .replace(/\s+#.*$/, '')
    .trim()
    .replace(/^(['"])(.*)\1$/, '$2');
  return v && !v.includes('{{') ? v : undefined;
}

/** Splits a template or manifest file into documents, keeping the lines of their top-level keys. */
export function documentsOf(text: string): DocumentLines[] {
  const docs: DocumentLines[] = [];
  let current: { apiVersionLine?: number; kindLine?: number; kind?: string; name?: string; inMetadata?: number } = {};
  const flush = () => {
    const line = current.apiVersionLine ?? current.kindLine;
    if (line !== undefined) docs.push({ line, kind: current.kind, name: current.name });
    current = {};
  };
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    if (SEPARATOR.test(raw)) {
      flush();
      continue;
    }
    const top = TOP_KEY.exec(raw);
    if (top) {
      if (top[1] === 'apiVersion' && current.apiVersionLine === undefined) current.apiVersionLine = i + 1;
      if (top[1] === 'kind' && current.kindLine === undefined) {
        current.kindLine = i + 1;
        current.kind = literal(top[2]);
      }
      current.inMetadata = undefined;
      continue;
    }
    if (/^metadata:\s*(#.*)?$/.test(raw)) {
      current.inMetadata = -1;
      continue;
    }
    if (current.inMetadata === undefined) continue;
    const content = raw.trimStart();
    if (content === '' || content.startsWith('#') || content.startsWith('{{')) continue;
    const indent = raw.length - content.length;
    if (indent === 0) {
      current.inMetadata = undefined;
      continue;
    }
    if (current.inMetadata === -1) current.inMetadata = indent;
    const field = /^name:(?:\s(.*))?$/.exec(content);
    if (field && indent === current.inMetadata && current.name === undefined) current.name = literal(field[1]) ?? '';
  }
  flush();
  return docs.map((d) => ({ ...d, name: d.name === '' ? undefined : d.name }));
}

/**
 * The line of the document that made `object` in `text`: the only document of its kind, else the only one of its kind
 * named like the object, else the only one whose name could be the object's (templated, or contained in it: a
 * Kustomize prefix or suffix); undefined when that leaves more than one.
 */
export function documentLine(text: string, object: { kind: string; metadata: { name: string } }): number | undefined {
  const docs = documentsOf(text);
  const sameKind = docs.filter((d) => d.kind === object.kind);
  if (sameKind.length === 1) return sameKind[0]!.line;
  // A template whose kind is templated (`kind: {{ .Values.kind }}`) may be the one: only when it is the file's only
  // document.
  if (sameKind.length === 0) return docs.length === 1 && docs[0]!.kind === undefined ? docs[0]!.line : undefined;
  const exact = sameKind.filter((d) => d.name === object.metadata.name);
  if (exact.length > 0) return exact.length === 1 ? exact[0]!.line : undefined;
  // Documents whose literal name is not the object's cannot have made it; a templated name can.
  const possible = sameKind.filter((d) => d.name === undefined || object.metadata.name.includes(d.name));
  return possible.length === 1 ? possible[0]!.line : undefined;
}

/**
 * Adds the document's line to sources in repository files (Helm templates of a local chart, Kustomize bases), reading
 * each file once. Render has already checked that these files lie inside the repository.
 */
export class SourceLines {
  readonly #files = new Map<string, string | undefined>();
  constructor(private readonly repoRoot: string) {}

  locate(source: SourceRef, object: KubeObject): SourceRef {
    if (source.line !== undefined) return source;
    const abs = path.join(this.repoRoot, source.file);
    if (!this.#files.has(abs)) {
      let text: string | undefined;
      try {
        text = readFileSync(abs, 'utf8');
      } catch {
        text = undefined;
      }
      this.#files.set(abs, text);
    }
    const text = this.#files.get(abs);
    const line = text === undefined ? undefined : documentLine(text, object);
    return line === undefined ? source : { ...source, line };
  }
}
