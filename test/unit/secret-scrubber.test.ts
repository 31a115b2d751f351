import { describe, expect, it } from 'vitest';
import { SecretScrubber } from '../../src/core/diff/secrets.js';
import { ApplyError } from '../../src/core/apply/apply-error.js';
import { ClusterError, ErrorList } from '../../src/core/errors.js';

const secret = (fields: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 's' },
  ...fields,
});

describe('SecretScrubber', () => {
  const key = '-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END KEY-----\n';
  const scrubber = new SecretScrubber();
  scrubber.add(
    secret({
      stringData: { pin: 80613579, flag: true, quote: 'pa"ss<&>word', key },
      data: { token: Buffer.from('tok-live-123').toString('base64') },
    }),
  );
  scrubber.add({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { visible: 'not-a-secret' } });

  it('replaces every form a server message may quote a value in', () => {
    const quotes = [
      'expected string, got &value.valueUnstructured{Value:80613579}',
      `token=${Buffer.from('tok-live-123').toString('base64')} plain=tok-live-123`,
      `base64 of the PIN ${Buffer.from('80613579').toString('base64')}`,
      JSON.stringify({ message: 'denied: pa"ss<&>word' }),
      'Go %q: "pa\\"ss<&>word", html-safe JSON: "pa\\"ss\\u003c\\u0026\\u003eword"',
      'a line of the key: MIIEvQIBADANBgkqhkiG9w0BAQEFAASC',
      `the whole key, JSON-escaped: ${JSON.stringify(key)}`,
      'flag=true',
    ];
    for (const q of quotes) {
      const out = scrubber.scrub(q);
      expect(out, q).toContain('(redacted)');
      for (const leak of [
        '80613579',
        'tok-live-123',
        'pa"ss',
        'pa\\"ss',
        'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC',
        'flag=true',
      ])
        expect(out).not.toContain(leak);
    }
    expect(scrubber.scrub('ConfigMap c: not-a-secret')).toBe('ConfigMap c: not-a-secret');
  });

  it('scrubs an error in place: message, hint, field causes, nested errors and causes', () => {
    const cluster = new ClusterError('denied tok-live-123', {
      status: 422,
      hint: 'value tok-live-123 is bad',
      causes: [{ field: 'data.token', message: 'got tok-live-123' }],
    });
    const wrapped = new ApplyError('apply failed: 80613579', {
      where: { object: { apiVersion: 'v1', kind: 'Secret', namespace: 'ns', name: 's' } },
      cause: cluster,
    });
    const list = scrubber.scrubError(new ErrorList([wrapped]));
    expect(list.format()).toBe('v1 Secret ns/s: apply failed: (redacted)');
    expect(cluster.message).toBe('denied (redacted)');
    expect(cluster.hint).toBe('value (redacted) is bad');
    expect(cluster.causes[0]!.message).toBe('got (redacted)');
    expect(cluster.stack).not.toContain('tok-live-123');
  });
});
