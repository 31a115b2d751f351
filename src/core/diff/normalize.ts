/**
 * What a reviewer never needs to see: fields the server owns or that change on every write. Removed from both sides
 * before diffing, and counted per rule so the report can say what was hidden.
 */

export interface HiddenCounts {
  [rule: string]: number;
}

const METADATA_NOISE = [
  'managedFields',
  'resourceVersion',
  'uid',
  'generation',
  'creationTimestamp',
  'selfLink',
] as const;
const ANNOTATION_NOISE = [
  'kubectl.kubernetes.io/last-applied-configuration',
  'deployment.kubernetes.io/revision',
] as const;

/** A deep copy without noise; `hidden` counts each rule that removed something. */
export function stripNoise(object: Record<string, unknown>, hidden: HiddenCounts = {}): Record<string, unknown> {
  const copy = structuredClone(object);
  const count = (rule: string) => (hidden[rule] = (hidden[rule] ?? 0) + 1);
  if ('status' in copy) {
    delete copy.status;
    count('status');
  }
  const metadata = copy.metadata as Record<string, unknown> | undefined;
  if (metadata && typeof metadata === 'object') {
    for (const field of METADATA_NOISE) {
      if (field in metadata) {
        delete metadata[field];
        count(`metadata.${field}`);
      }
    }
    const annotations = metadata.annotations as Record<string, unknown> | undefined;
    if (annotations && typeof annotations === 'object') {
      for (const a of ANNOTATION_NOISE) {
        if (a in annotations) {
          delete annotations[a];
          count(`annotation ${a}`);
        }
      }
      if (Object.keys(annotations).length === 0) delete metadata.annotations;
    }
  }
  return copy;
}
