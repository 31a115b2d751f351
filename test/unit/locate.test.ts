import { describe, expect, it } from 'vitest';
import { documentLine } from '../../src/core/manifests/locate.js';

// Which line of a Helm template or Kustomize base made an object: the line an annotation about it points at.
const obj = (kind: string, name: string) => ({ kind, metadata: { name } });

describe('documentLine', () => {
  it('finds the document by kind, then by name, in CRLF files with header comments and flow mappings', () => {
    const text = [
      '# header',
      '---',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: a}',
      '---',
      'apiVersion: v1',
      'kind: Service',
      'metadata:',
      '  # the service',
      '  name: "web" # quoted',
      '---',
      'apiVersion: v1',
      'kind: Service',
      'metadata:',
      '  labels:',
      '    name: not-this',
      '  name: api',
      '',
    ].join('\r\n');
    expect(documentLine(text, obj('ConfigMap', 'a'))).toBe(3);
    expect(documentLine(text, obj('Service', 'web'))).toBe(7);
    // A nested `name:` (a label) is not the object's name.
    expect(documentLine(text, obj('Service', 'api'))).toBe(13);
    // A prefix added by an overlay.
    expect(documentLine(text, obj('Service', 'prod-api'))).toBe(13);
  });

  it('gives no line when two documents could have made the object, or none', () => {
    const text =
      'kind: Role\nmetadata:\n  name: {{ .Release.Name }}-a\n---\nkind: Role\nmetadata:\n  name: {{ .Release.Name }}-b\n';
    expect(documentLine(text, obj('Role', 'app-a'))).toBeUndefined();
    expect(documentLine(text, obj('Secret', 'x'))).toBeUndefined();
    // The only document, with a templated kind.
    expect(documentLine('kind: {{ .Values.kind }}\nmetadata:\n  name: x\n', obj('Deployment', 'x'))).toBe(1);
  });
});
