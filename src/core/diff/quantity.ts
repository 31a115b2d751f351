/**
 * Kubernetes resource quantities (`500m`, `0.5`, `1Gi`, `1024Mi`, `1e3`), compared by value: the apiserver rewrites
 * them to a canonical form, so `cpu: 0.5` in git and `cpu: 500m` in the cluster are the same.
 */

const BINARY: Record<string, bigint> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};
const DECIMAL: Record<string, [bigint, bigint]> = {
  n: [1n, 1_000_000_000n],
  u: [1n, 1_000_000n],
  m: [1n, 1000n],
  '': [1n, 1n],
  k: [1000n, 1n],
  M: [1_000_000n, 1n],
  G: [1_000_000_000n, 1n],
  T: [1_000_000_000_000n, 1n],
  P: [1_000_000_000_000_000n, 1n],
  E: [1_000_000_000_000_000_000n, 1n],
};

const PATTERN = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;

/** The quantity as an exact fraction [numerator, denominator], or undefined when it is not a quantity. */
export function parseQuantity(value: unknown): [bigint, bigint] | undefined {
  const text =
    typeof value === 'number'
      ? Number.isFinite(value)
        ? String(value)
        : ''
      : typeof value === 'string'
        ? value.trim()
        : '';
  const m = PATTERN.exec(text);
  if (!m) return undefined;
  const [, sign, digits, suffix, exponent] = m;
  const [whole = '', fraction = ''] = digits!.split('.');
  let num = BigInt(`${whole || '0'}${fraction}`);
  let den = 10n ** BigInt(fraction.length);
  if (suffix !== undefined && suffix in BINARY) num *= BINARY[suffix]!;
  else if (suffix !== undefined) {
    const [mul, div] = DECIMAL[suffix]!;
    num *= mul;
    den *= div;
  } else if (exponent !== undefined) {
    const e = BigInt(exponent);
    if (e >= 0n) num *= 10n ** e;
    else den *= 10n ** -e;
  }
  if (sign === '-') num = -num;
  return [num, den];
}

export function quantitiesEqual(a: unknown, b: unknown): boolean {
  const x = parseQuantity(a);
  const y = parseQuantity(b);
  return x !== undefined && y !== undefined && x[0] * y[1] === y[0] * x[1];
}

/** Map keys under which values are quantities (resources, quotas, limit ranges, storage). */
const QUANTITY_PARENTS = new Set([
  'requests',
  'limits',
  'hard',
  'used',
  'capacity',
  'allocatable',
  'default',
  'defaultRequest',
  'max',
  'min',
  'maxLimitRequestRatio',
  'overhead',
]);
const QUANTITY_FIELDS = new Set(['sizeLimit', 'storage']);

/** Whether the value at this path is a quantity (by the Kubernetes API's field names). */
export function isQuantityPath(path: readonly (string | number)[]): boolean {
  const last = path.at(-1);
  const parent = path.at(-2);
  return (
    (typeof last === 'string' && QUANTITY_FIELDS.has(last)) ||
    (typeof parent === 'string' && QUANTITY_PARENTS.has(parent))
  );
}
