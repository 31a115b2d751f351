import { defineScalarTag, mapTag, mergeTag, NOT_RESOLVED, nullCoreTag, Schema, seqTag, strTag } from 'js-yaml';

/**
 * How Kubernetes reads plain YAML scalars: kubectl and Helm decode manifests with sigs.k8s.io/yaml, whose go-yaml v2
 * resolves them the YAML 1.1 way, not the YAML 1.2 way js-yaml defaults to. So `defaultMode: 0644` is the octal 420
 * (not 644), `enabled: yes` and `on` are true, `1_000` is 1000, and `08` and `1e3` are numbers. kubeplan reads
 * rendered manifests with these rules, so it applies what kubectl and Helm would. Quoted scalars stay strings; dates
 * stay strings (kubeplan never turns them into timestamps).
 */
const TRUE = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const FALSE = new Set(['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);

const boolTag = defineScalarTag<boolean>('tag:yaml.org,2002:bool', {
  implicit: true,
  implicitFirstChars: ['y', 'Y', 't', 'T', 'o', 'O', 'n', 'N', 'f', 'F'],
  resolve: (source) => (TRUE.has(source) ? true : FALSE.has(source) ? false : NOT_RESOLVED),
  identify: (data) => typeof data === 'boolean',
  represent: (data: boolean) => (data ? 'true' : 'false'),
});

const DIGITS = ['-', '+', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** Go's strconv.ParseInt(s, 0, 64) after go-yaml removed every underscore: 0x, 0o, 0b, leading-0 octal, decimal. */
function parseGoInt(source: string): number | undefined {
  const plain = source.replaceAll('_', '');
  const m = /^([-+]?)(?:0[xX]([0-9a-fA-F]+)|0[oO]([0-7]+)|0[bB]([01]+)|0([0-7]*)|([1-9][0-9]*))$/.exec(plain);
  if (!m) return undefined;
  const [, sign, hex, octO, bin, oct, dec] = m;
  const value =
    hex !== undefined
      ? parseInt(hex, 16)
      : octO !== undefined
        ? parseInt(octO, 8)
        : bin !== undefined
          ? parseInt(bin, 2)
          : oct !== undefined
            ? oct === ''
              ? 0
              : parseInt(oct, 8)
            : Number(dec);
  return sign === '-' ? -value : value;
}

const intTag = defineScalarTag<number>('tag:yaml.org,2002:int', {
  implicit: true,
  implicitFirstChars: DIGITS,
  resolve: (source) => parseGoInt(source) ?? NOT_RESOLVED,
  identify: (data) => Number.isInteger(data),
});

const FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

const floatTag = defineScalarTag<number>('tag:yaml.org,2002:float', {
  implicit: true,
  implicitFirstChars: [...DIGITS, '.'],
  resolve: (source) => {
    const plain = source.replaceAll('_', '');
    return FLOAT.test(plain) ? Number(plain) : NOT_RESOLVED;
  },
  identify: (data) => typeof data === 'number' && !Number.isInteger(data),
});

/** The schema rendered manifests are read with (see above), with `<<` merge keys as go-yaml has them. */
export const KUBE_YAML_SCHEMA = new Schema([strTag, seqTag, mapTag, nullCoreTag, boolTag, intTag, floatTag, mergeTag]);
