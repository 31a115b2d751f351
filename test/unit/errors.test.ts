import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ForgeError,
  forgeStatusHint,
  formatError,
  formatWhere,
  KubeplanError,
  objectWhere,
  type Where,
} from '../../src/core/errors.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function thrown(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('formatWhere prints each kind of place the way messages always named it', () => {
  const cases: [Where, string][] = [
    [{ file: 'kubeplan.yaml', line: 12, path: '/repo/kubeplan.yaml' }, 'kubeplan.yaml:12'],
    [{ file: 'apps/web.yaml', line: 3, column: 7 }, 'apps/web.yaml:3:7'],
    [{ file: 'kubeplan.yaml' }, 'kubeplan.yaml'],
    [{ target: 'shop', file: 'charts/x/templates/y.yaml', line: 6 }, 'target shop: charts/x/templates/y.yaml:6'],
    [{ target: 'shop', file: 'charts/x/templates/y.yaml' }, 'target shop: charts/x/templates/y.yaml'],
    [
      { target: 'shop', file: 'charts/x/templates/y.yaml', item: { index: 2, of: 'ConfigMapList' } },
      'target shop: charts/x/templates/y.yaml (item 2 of the ConfigMapList)',
    ],
    [{ target: 'shop-prod' }, 'target shop-prod'],
    [{ target: 'shop', part: 'kustomize output' }, 'target shop: kustomize output'],
    [
      objectWhere({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' }),
      'apps/v1 Deployment shop/web',
    ],
    [objectWhere({ apiVersion: 'v1', kind: 'Namespace', name: 'shop' }), 'v1 Namespace shop'],
    [{ object: { kind: 'Secret', namespace: 'shop', name: 'rev-3' } }, 'Secret shop/rev-3'],
    [
      {
        ...objectWhere({ apiVersion: 'batch/v1', kind: 'Job', namespace: 'shop', name: 'migrate' }),
        hook: 'pre-apply',
      },
      'pre-apply hook batch/v1 Job shop/migrate',
    ],
    // A kind or name from a pull request stays on one line.
    [objectWhere({ apiVersion: 'v1', kind: 'Config\nMap', name: 'a' }), 'v1 Config␤Map a'],
    [{ input: 'fail-on', via: 'action' }, 'action input fail-on'],
    [{ via: 'cli', command: 'rollback', input: 'target' }, 'kubeplan rollback --target'],
    [{ via: 'cli', command: 'bump' }, 'kubeplan bump'],
    [{ image: 'ghcr.io/acme/web' }, 'ghcr.io/acme/web'],
    [{ context: 'kind-dev' }, 'context kind-dev'],
    [{ server: 'https://127.0.0.1:6443' }, 'https://127.0.0.1:6443'],
    [{ request: { method: 'GET', path: '/api/v1/namespaces' } }, 'GET /api/v1/namespaces'],
    [{ directory: '/work/repo' }, '/work/repo'],
    [{ forge: 'GitHub', operation: 'POST /repos/acme/deploy/pulls' }, 'GitHub POST /repos/acme/deploy/pulls'],
  ];
  it.each(cases)('%j → %s', (where, shown) => {
    expect(formatWhere(where)).toBe(shown);
    expect(new KubeplanError('m', { where, hint: 'h' }).format()).toBe(`${shown}: m\n  hint: h`);
    expect(new KubeplanError('m', { where }).location).toEqual(where);
  });
});

describe('formatError', () => {
  it('an operating-system error nobody wrapped names what failed on which path, with a hint, and no stack', () => {
    const missing = path.join(dir, 'no-such-runner-temp', 'plan.json');
    const error = thrown(() => writeFileSync(missing, '{}'));
    expect(formatError(error)).toBe(
      `cannot open ${missing}: no such file or folder (ENOENT)\n` +
        '  hint: check that the path exists: a folder named by an input, a flag or the environment (RUNNER_TEMP, TMPDIR, HOME) may be missing',
    );
    writeFileSync(path.join(dir, 'a-file'), '');
    const notDir = thrown(() => writeFileSync(path.join(dir, 'a-file', 'x'), ''));
    expect(formatError(notDir)).toMatch(
      /^cannot open .*a-file\/x: a part of the path is a file, not a folder \(ENOTDIR\)\n {2}hint: /,
    );
    expect(formatError(notDir)).not.toMatch(/bug|\n\s+at /);
    // A socket's error has no path: the call and the code say what failed.
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', syscall: 'read' });
    expect(formatError(reset)).toBe(
      'cannot read: the connection was reset (ECONNRESET)\n' +
        '  hint: check the address, DNS and network access from this runner (HTTPS_PROXY/NO_PROXY), then run again',
    );
  });

  it('anything else unexpected is still reported as a bug, with its stack', () => {
    const text = formatError(new TypeError('x is undefined'));
    expect(text).toMatch(/^unexpected error: TypeError: x is undefined\n\s+at /);
    expect(text).toContain('this is a bug in kubeplan');
  });
});

describe('forge errors', () => {
  it('say where (forge and operation) and a hint that fits the status', () => {
    const hint = (status: number, extra: { rateLimited?: boolean } = {}) =>
      forgeStatusHint(status, {
        forge: 'GitHub',
        permission: 'pull-requests: write',
        token: 'the github-token input',
        ...extra,
      });
    const error = new ForgeError('403 Resource not accessible by integration', {
      status: 403,
      where: { forge: 'GitHub', operation: 'POST /repos/acme/deploy/pulls' },
      hint: hint(403),
    });
    expect(formatError(error)).toBe(
      'GitHub POST /repos/acme/deploy/pulls: 403 Resource not accessible by integration\n' +
        '  hint: the github-token input may not do this: it needs pull-requests: write (in GitHub Actions, grant it under permissions: in the workflow)',
    );
    expect(error.status).toBe(403);
    expect(hint(403, { rateLimited: true })).toMatch(/^GitHub limits requests/);
    expect(hint(429)).toMatch(/^GitHub limits requests/);
    expect(hint(401)).toBe('GitHub refused the github-token input: check that it is set and current');
    expect(hint(404)).toMatch(/^not found, or the github-token input cannot see it/);
    expect(hint(502)).toBe('GitHub failed: retry later');
    expect(hint(0)).toMatch(/^check the network access to GitHub/);
  });
});
