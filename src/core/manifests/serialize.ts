import { dump } from 'js-yaml';
import { formatSource } from './manifest-set.js';
import { redactObject } from './redact.js';
import type { Manifest, ManifestSet } from './types.js';

export type ManifestFormat = 'yaml' | 'json';

export interface SerializeOptions {
  format: ManifestFormat;
  /** Replace Secret values and last-applied annotations (for output that may end up in logs). */
  redactSecrets: boolean;
}

export interface Serialized {
  text: string;
  redacted: number;
}

/** YAML: one document per object, each preceded by `# Source:`; JSON: `{target, namespace, objects: [...]}`. */
export function serializeManifestSet(set: ManifestSet, options: SerializeOptions): Serialized {
  let redacted = 0;
  const prepare = (m: Manifest) => {
    if (!options.redactSecrets) return m.object;
    const r = redactObject(m.object);
    redacted += r.redacted;
    return r.object;
  };
  if (options.format === 'json') {
    const objects = set.manifests.map((m) => ({
      source: m.source,
      ...(m.hook ? { hook: m.hook } : {}),
      object: prepare(m),
    }));
    return {
      text: `${JSON.stringify({ target: set.target, namespace: set.namespace ?? null, objects }, null, 2)}\n`,
      redacted,
    };
  }
  const parts = [
    `# kubeplan target: ${set.target} (${set.manifests.length} object${set.manifests.length === 1 ? '' : 's'})\n`,
  ];
  for (const m of set.manifests) {
    const hook = m.hook ? `# Hook: ${m.hook.events.join(',')} (weight ${m.hook.weight})\n` : '';
    parts.push(`---\n# Source: ${formatSource(m.source)}\n${hook}${dump(prepare(m), { lineWidth: -1, noRefs: true })}`);
  }
  return { text: parts.join(''), redacted };
}

/** Several targets on one stream: YAML streams concatenated, JSON as `{targets: [...]}`. */
export function serializeManifestSets(sets: ManifestSet[], options: SerializeOptions): Serialized {
  const each = sets.map((s) => serializeManifestSet(s, options));
  const redacted = each.reduce((n, s) => n + s.redacted, 0);
  if (options.format === 'json') {
    const targets = each.map((s) => JSON.parse(s.text) as unknown);
    return { text: `${JSON.stringify({ targets }, null, 2)}\n`, redacted };
  }
  return { text: each.map((s) => s.text).join(''), redacted };
}
