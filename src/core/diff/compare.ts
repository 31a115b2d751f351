import { isSecret } from '../manifests/redact.js';
import type { KubeObject } from '../manifests/types.js';
import { isQuantityPath, quantitiesEqual } from './quantity.js';

type Path = (string | number)[];

/**
 * Whether every field that `rendered` sets already has the same value in `live` (fields only live has, such as
 * defaults or other managers' fields, do not count). Values compare semantically: quantities by value, Secret
 * `stringData` against the live `data`. A `false` only costs a dry-run; a wrong `true` would hide a change, so
 * anything unusual answers `false`.
 */
export function renderedMatchesLive(rendered: Record<string, unknown>, live: Record<string, unknown>): boolean {
  const secret = isSecret(rendered as Pick<KubeObject, 'apiVersion' | 'kind'>);
  for (const [key, value] of Object.entries(rendered)) {
    if (secret && key === 'stringData') {
      if (!stringDataMatches(value, live.data)) return false;
      continue;
    }
    if (!matches(value, live[key], [key])) return false;
  }
  return true;
}

function matches(rendered: unknown, live: unknown, path: Path): boolean {
  if (rendered === live) return true;
  if (rendered === null || live === null || rendered === undefined || live === undefined) return false;
  if (Array.isArray(rendered)) {
    if (!Array.isArray(live) || live.length !== rendered.length) return false;
    return rendered.every((item, i) => matches(item, live[i], [...path, i]));
  }
  if (typeof rendered === 'object') {
    if (typeof live !== 'object' || Array.isArray(live)) return false;
    const liveObject = live as Record<string, unknown>;
    return Object.entries(rendered as Record<string, unknown>).every(([k, v]) =>
      matches(v, liveObject[k], [...path, k]),
    );
  }
  if (isQuantityPath(path)) return quantitiesEqual(rendered, live);
  return false;
}

function stringDataMatches(stringData: unknown, liveData: unknown): boolean {
  if (typeof stringData !== 'object' || stringData === null || Array.isArray(stringData)) return false;
  if (typeof liveData !== 'object' || liveData === null) return Object.keys(stringData).length === 0;
  const data = liveData as Record<string, unknown>;
  return Object.entries(stringData as Record<string, unknown>).every(
    ([k, v]) =>
      typeof v === 'string' && typeof data[k] === 'string' && Buffer.from(data[k], 'base64').toString('utf8') === v,
  );
}
