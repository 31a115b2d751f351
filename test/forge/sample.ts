/**
 * Builds a value that satisfies a JSON schema from GitHub's OpenAPI description: every required property, with a
 * plain value of the right type and format. The forge starts its responses from such a sample and sets the fields
 * kubeplan reads, so the responses stay valid as GitHub's schemas grow.
 */
export function sampleFromSchema(schema: unknown): unknown {
  const s = (schema ?? {}) as Record<string, unknown>;
  if (Array.isArray(s.allOf)) return Object.assign({}, ...s.allOf.map((x) => sampleFromSchema(x) as object));
  if (Array.isArray(s.oneOf)) return sampleFromSchema(s.oneOf[0]);
  if (Array.isArray(s.anyOf)) return sampleFromSchema(s.anyOf[0]);
  if (Array.isArray(s.enum)) return s.enum[0];
  const types = Array.isArray(s.type) ? s.type : [s.type ?? (s.properties ? 'object' : 'string')];
  const type = types.find((t) => t !== 'null') ?? 'null';
  switch (type) {
    case 'object': {
      const props = (s.properties ?? {}) as Record<string, unknown>;
      const required = (s.required ?? []) as string[];
      return Object.fromEntries(required.map((k) => [k, sampleFromSchema(props[k])]));
    }
    case 'array':
      return [];
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      switch (s.format) {
        case 'date-time':
          return '2026-01-01T00:00:00Z';
        case 'uri':
          return 'https://github.com/acme/config';
        case 'email':
          return 'octocat@github.com';
        default:
          return 'x';
      }
  }
}

/** Deep-merges plain objects (arrays, scalars and null in `patch` replace; undefined keeps `base`). */
export function merge<T>(base: T, patch: unknown): T {
  if (patch === undefined) return base;
  if (
    typeof base !== 'object' ||
    base === null ||
    Array.isArray(base) ||
    typeof patch !== 'object' ||
    patch === null ||
    Array.isArray(patch)
  )
    return patch as T;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(patch)) out[k] = k in out ? merge(out[k], v) : v;
  return out as T;
}
