import { RenderError } from '../errors.js';
import { objectIdentity, ScopeTable } from './scope.js';
import type { Manifest, ManifestSet, SourceRef } from './types.js';

/**
 * Builds a target's manifest set: namespaced objects without a namespace get the target's, every object is checked to
 * appear once, and the order is deterministic (Namespaces, then CRDs, then by kind, namespace and name).
 */
export function buildManifestSet(target: string, namespace: string | undefined, manifests: Manifest[]): ManifestSet {
  const scopes = new ScopeTable(manifests.map((m) => m.object));
  if (namespace !== undefined) {
    for (const m of manifests) {
      const meta = m.object.metadata;
      if ((meta.namespace === undefined || meta.namespace === '') && !scopes.isClusterScoped(m.object)) {
        meta.namespace = namespace;
      }
    }
  }
  const seen = new Map<string, Manifest>();
  for (const m of manifests) {
    const key = objectIdentity(m.object);
    const first = seen.get(key);
    if (first) {
      throw new RenderError(
        `${describeObject(m)} is rendered twice: by ${formatSource(first.source)} and by ${formatSource(m.source)}`,
        {
          where: { target },
          hint: 'remove one of them, or give them different names (an object can only be applied once)',
        },
      );
    }
    seen.set(key, m);
  }
  return { target, namespace, manifests: [...manifests].sort(compareManifests) };
}

function rank(m: Manifest): number {
  if (m.object.kind === 'Namespace' && m.object.apiVersion === 'v1') return 0;
  if (m.object.kind === 'CustomResourceDefinition') return 1;
  return 2;
}

export function compareManifests(a: Manifest, b: Manifest): number {
  return (
    rank(a) - rank(b) ||
    compare(a.object.kind, b.object.kind) ||
    compare(a.object.metadata.namespace ?? '', b.object.metadata.namespace ?? '') ||
    compare(a.object.metadata.name, b.object.metadata.name) ||
    compare(a.object.apiVersion, b.object.apiVersion)
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `apps/v1 Deployment shop/web`: how messages name an object. */
export function describeObject(m: Pick<Manifest, 'object'>): string {
  const { apiVersion, kind, metadata } = m.object;
  return `${apiVersion} ${kind} ${metadata.namespace ? `${metadata.namespace}/` : ''}${metadata.name}`;
}

export function formatSource(source: SourceRef): string {
  const file = source.line ? `${source.file}:${source.line}` : source.file;
  const base = source.template && source.template !== source.file ? `${file} (${source.template})` : file;
  return source.changedBy?.length ? `${base}, changed by ${source.changedBy.join(', then ')}` : base;
}
