import { isSecret } from '../manifests/redact.js';
import type { KubeObject } from '../manifests/types.js';
import { appliedFields, type FieldsV1, removeOwnedUnrendered } from './managed-fields.js';
import { isQuantityPath, quantitiesEqual } from './quantity.js';

type Path = readonly (string | number)[];

/**
 * Client mode's estimate of what server-side apply would produce, without asking the server: the rendered fields laid
 * over the live object the way the apiserver merges them, minus what kubeplan owned that git no longer sets.
 *
 * - Maps merge field by field. Lists whose items have a merge key (`name`, a port and its protocol, `mountPath`, …)
 *   merge item by item, so the server's defaults inside a kept item stay and other managers' items (an injected
 *   sidecar) stay. Other lists are replaced whole, keeping only the defaults the apiserver is known to fill in
 *   (`protocol: TCP`, a webhook rule's `scope: '*'`, a Service port's `targetPort`).
 * - `null` removes a field, as in an apply. A quantity equal by value keeps the server's spelling (`2000m` is `2`).
 * - A zero value (`false`, `0`, `""`, `{}`, `[]`) that kubeplan already owns but the live object lacks was dropped by
 *   the server (an omitempty field): it is not a change.
 */
export function mergeForClientMode(live: KubeObject, rendered: KubeObject): KubeObject {
  const owned = appliedFields(live.metadata.managedFields);
  const merged = overlay(structuredClone(live), rendered, [], owned) as KubeObject;
  if (owned) removeOwnedUnrendered(merged, owned, rendered);
  if (isSecret(rendered) && rendered.stringData) {
    const data = { ...((merged.data as Record<string, string> | undefined) ?? {}) };
    for (const [k, v] of Object.entries(rendered.stringData as Record<string, unknown>))
      data[k] = Buffer.from(String(v)).toString('base64');
    merged.data = data;
    delete merged.stringData;
  }
  return merged;
}

function overlay(target: unknown, source: unknown, path: Path, owned: FieldsV1 | undefined): unknown {
  if (Array.isArray(source)) return overlayList(target, source, path);
  if (isObject(source)) {
    const out = isObject(target) ? target : {};
    for (const [k, v] of Object.entries(source)) {
      const ownedChild = owned?.[`f:${k}`];
      if (v === null) delete out[k];
      else if (!(k in out) && isZero(v) && ownedChild !== undefined) continue;
      else {
        const value = overlay(out[k], v, [...path, k], ownedChild);
        if (value === undefined) delete out[k];
        else out[k] = value;
      }
    }
    return out;
  }
  if (target !== undefined && isQuantityPath(path) && quantitiesEqual(source, target)) return target;
  return source;
}

function overlayList(target: unknown, source: unknown[], path: Path): unknown[] {
  const live = Array.isArray(target) ? target : [];
  const key = mergeKeyOf(source, live);
  if (key) {
    // Items other managers added stay (a sidecar someone injects); kubeplan's own unrendered ones are removed after.
    return [
      ...source.map((item, i) => {
        const existing = live.find((t) => key(t) === key(item));
        return overlay(existing === undefined ? undefined : structuredClone(existing), item, [...path, i], undefined);
      }),
      ...live.filter((t) => !source.some((item) => key(item) === key(t))),
    ];
  }
  // Replaced whole: the server fills in its defaults again, so an item keeps only the live fields that are defaults.
  return source.map((item, i) =>
    withKnownDefaults(structuredClone(item), live.length === source.length ? live[i] : undefined, [...path, i]),
  );
}

/**
 * The merge key of a list's items, when every item (rendered and live) has one. Kubernetes keys most lists by `name`;
 * ports by number and protocol (which defaults to TCP); mounts by path.
 */
function mergeKeyOf(source: unknown[], live: unknown[]): ((item: unknown) => string) | undefined {
  const items = [...source, ...live];
  if (items.length === 0 || !items.every(isObject)) return undefined;
  const objects = items as Record<string, unknown>[];
  const has = (field: string) => objects.every((o) => typeof o[field] === 'string' || typeof o[field] === 'number');
  const protocol = (o: Record<string, unknown>) => String(o.protocol ?? 'TCP');
  if (has('name')) return (o) => `name=${String((o as Record<string, unknown>).name)}`;
  if (has('containerPort'))
    return (o) => `${String((o as Record<string, unknown>).containerPort)}/${protocol(o as Record<string, unknown>)}`;
  if (has('mountPath')) return (o) => `mount=${String((o as Record<string, unknown>).mountPath)}`;
  if (has('devicePath')) return (o) => `device=${String((o as Record<string, unknown>).devicePath)}`;
  if (has('ip') && objects.every((o) => Array.isArray(o.hostnames)))
    return (o) => `ip=${String((o as Record<string, unknown>).ip)}`;
  return undefined;
}

/** Fields the apiserver fills in inside list items when they are left out. */
const ITEM_DEFAULTS: Record<string, (live: unknown, item: Record<string, unknown>, path: Path) => boolean> = {
  protocol: (v) => v === 'TCP',
  // A webhook rule's scope.
  scope: (v) => v === '*',
  // A Service port's targetPort defaults to its port.
  targetPort: (v, item) => item.port !== undefined && v === item.port,
  // A PersistentVolumeClaim (template)'s volume mode.
  volumeMode: (v) => v === 'Filesystem',
  // A StatefulSet's claim templates get their type and an empty status.
  apiVersion: (v, _item, path) => v === 'v1' && path.at(-2) === 'volumeClaimTemplates',
  kind: (v, _item, path) => v === 'PersistentVolumeClaim' && path.at(-2) === 'volumeClaimTemplates',
  status: (v, _item, path) =>
    path.at(-2) === 'volumeClaimTemplates' &&
    isObject(v) &&
    Object.keys(v).every((k) => k === 'phase') &&
    v.phase === 'Pending',
};

function withKnownDefaults(item: unknown, live: unknown, path: Path): unknown {
  if (!isObject(item) || !isObject(live)) return item;
  for (const [k, v] of Object.entries(live)) {
    if (!(k in item)) {
      if (ITEM_DEFAULTS[k]?.(v, item, path)) item[k] = structuredClone(v);
    } else if (isObject(item[k]) && isObject(v)) {
      withKnownDefaults(item[k], v, [...path, k]);
    } else if (isQuantityPath([...path, k]) && quantitiesEqual(item[k], v)) {
      item[k] = v;
    }
  }
  return item;
}

function isZero(value: unknown): boolean {
  if (value === false || value === 0 || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return isObject(value) && Object.keys(value).length === 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
