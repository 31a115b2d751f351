import { isPlainObject } from '../diff/field-diff.js';
import type { KubeObject } from './types.js';

/** Where a workload keeps its pod spec: a Pod's own spec, a CronJob's job template, else `spec.template.spec`. */
export function podSpecOf(object: KubeObject): Record<string, unknown> | undefined {
  const spec = object.spec as Record<string, unknown> | undefined;
  if (!isPlainObject(spec)) return undefined;
  if (object.kind === 'Pod') return spec;
  if (object.kind === 'CronJob') {
    const job = (spec.jobTemplate as { spec?: { template?: { spec?: unknown } } } | undefined)?.spec?.template?.spec;
    return isPlainObject(job) ? job : undefined;
  }
  const template = (spec.template as { spec?: unknown } | undefined)?.spec;
  return isPlainObject(template) ? template : undefined;
}
