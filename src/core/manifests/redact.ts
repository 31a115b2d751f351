import type { KubeObject } from './types.js';

export const REDACTED = '(redacted)';
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

export function isSecret(object: Pick<KubeObject, 'apiVersion' | 'kind'>): boolean {
  return object.apiVersion === 'v1' && object.kind === 'Secret';
}

/**
 * Returns a copy with Secret values and last-applied annotations replaced, keeping the keys so a reader still sees
 * what is there. The input is not modified.
 */
export function redactObject(object: KubeObject): { object: KubeObject; redacted: number } {
  let redacted = 0;
  const copy = structuredClone(object);
  if (isSecret(copy)) {
    for (const field of ['data', 'stringData'] as const) {
      const values = copy[field];
      if (values && typeof values === 'object' && !Array.isArray(values)) {
        for (const key of Object.keys(values)) {
          (values as Record<string, unknown>)[key] = REDACTED;
          redacted++;
        }
      }
    }
  }
  const annotations = copy.metadata.annotations;
  if (annotations && typeof annotations[LAST_APPLIED] === 'string') {
    annotations[LAST_APPLIED] = REDACTED;
    redacted++;
  }
  return { object: copy, redacted };
}
