import { describe, expect, it } from 'vitest';
import { renderedMatchesLive } from '../../src/core/diff/compare.js';
import { changedPaths, unifiedDiff } from '../../src/core/diff/field-diff.js';
import { ownedButNotRendered } from '../../src/core/diff/managed-fields.js';
import { parseQuantity, quantitiesEqual } from '../../src/core/diff/quantity.js';
import { SecretMasker, secretKeyChanges } from '../../src/core/diff/secrets.js';
import type { KubeObject } from '../../src/core/manifests/types.js';
import { removeFields } from '../../src/core/diff/ignore.js';

describe('quantities', () => {
  it('compare by value across suffixes and notations', () => {
    for (const [a, b] of [
      ['500m', '0.5'],
      ['1Gi', '1024Mi'],
      ['1k', '1000'],
      ['1e3', '1k'],
      ['2', 2],
      ['0.1', '100m'],
      ['128974848', '123Mi'],
    ] as const) {
      expect(quantitiesEqual(a, b), `${a} = ${b}`).toBe(true);
    }
    for (const [a, b] of [
      ['1Gi', '1G'],
      ['500m', '0.05'],
      ['1', '1m'],
    ] as const)
      expect(quantitiesEqual(a, b), `${a} ≠ ${b}`).toBe(false);
    expect(parseQuantity('abc')).toBeUndefined();
    expect(parseQuantity('1.5.2')).toBeUndefined();
  });
});

describe('renderedMatchesLive (the fast path)', () => {
  const live = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'n', uid: 'x' },
    spec: {
      containers: [
        {
          name: 'a',
          image: 'i:1',
          resources: { requests: { cpu: '500m' } },
          terminationMessagePath: '/dev/termination-log',
        },
      ],
    },
  };
  it('accepts defaults the render does not set, and quantities only where the API has quantities', () => {
    expect(
      renderedMatchesLive(
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'p', namespace: 'n' },
          spec: { containers: [{ name: 'a', image: 'i:1', resources: { requests: { cpu: 0.5 } } }] },
        },
        live,
      ),
    ).toBe(true);
    expect(
      renderedMatchesLive(
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { x: '1k' } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { x: '1000' } },
      ),
    ).toBe(false);
  });
  it('refuses on a different value, a different list length or order', () => {
    expect(renderedMatchesLive({ spec: { containers: [{ name: 'a', image: 'i:2' }] } }, live)).toBe(false);
    expect(renderedMatchesLive({ spec: { containers: [{ name: 'a' }, { name: 'b' }] } }, live)).toBe(false);
    expect(renderedMatchesLive({ spec: { list: [1, 2] } }, { spec: { list: [2, 1] } })).toBe(false);
  });
  it('compares Secret stringData with the live data', () => {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { k: Buffer.from('v').toString('base64') },
    };
    expect(
      renderedMatchesLive(
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { k: 'v' } },
        secret,
      ),
    ).toBe(true);
    expect(
      renderedMatchesLive(
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { k: 'w' } },
        secret,
      ),
    ).toBe(false);
  });
});

describe('ownedButNotRendered', () => {
  const owned = {
    'f:metadata': { 'f:labels': { 'f:team': {}, 'f:tier': {} } },
    'f:spec': {
      'f:ports': {
        'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {} },
        'k:{"port":53,"protocol":"UDP"}': { '.': {}, 'f:port': {} },
      },
      'f:finalizers': { 'v:"a"': {} },
    },
  };
  it('finds fields git no longer sets, matching list keys and defaulted protocols exactly', () => {
    const rendered = {
      metadata: { labels: { team: 'x' } },
      spec: { ports: [{ port: 80 }, { port: 53 }], finalizers: ['a'] },
    };
    expect(ownedButNotRendered(owned, rendered)).toEqual(['metadata.labels.tier', 'spec.ports[port=53,protocol=UDP]']);
    const all = {
      metadata: { labels: { team: 'x', tier: 'y' } },
      spec: { ports: [{ port: 80 }, { port: 53, protocol: 'UDP' }], finalizers: ['a'] },
    };
    expect(ownedButNotRendered(owned, all)).toEqual([]);
  });
});

describe('diff helpers', () => {
  it('names changed paths, with named list items by name', () => {
    const a = {
      spec: {
        replicas: 1,
        containers: [
          { name: 'web', image: '1' },
          { name: 'side', image: 's' },
        ],
      },
    };
    const b = {
      spec: {
        replicas: 2,
        containers: [
          { name: 'web', image: '2' },
          { name: 'side', image: 's' },
        ],
      },
    };
    expect(changedPaths(a, b)).toEqual(['spec.replicas', 'spec.containers[name=web].image']);
  });
  it('writes a unified diff with sorted keys, so key order is never a change', () => {
    const diff = unifiedDiff('cm/x', { b: 1, a: 1 }, { a: 1, b: 2 });
    expect(diff).toContain('-b: 1\n+b: 2');
    expect(diff).not.toContain('-a: 1');
  });
  it('masks Secret values with salted fingerprints, folding stringData into data', () => {
    const masker = new SecretMasker();
    const before = masker.mask({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { a: Buffer.from('one').toString('base64'), b: Buffer.from('two').toString('base64') },
    } as KubeObject);
    const after = masker.mask({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      stringData: { a: 'one', c: 'three' },
    } as KubeObject);
    expect(JSON.stringify([before, after])).not.toMatch(/one|two|three|b25l|dHdv/);
    expect(secretKeyChanges(before, after)).toEqual([
      { key: 'a', change: 'unchanged' },
      { key: 'b', change: 'removed' },
      { key: 'c', change: 'added' },
    ]);
    expect(new SecretMasker().fingerprint('one')).not.toBe(masker.fingerprint('one'));
  });
});

describe('removeFields (ignore rules by field manager)', () => {
  it('removes the elements a managedFields set names, and a key that is not JSON names none instead of failing the plan', () => {
    const live = {
      spec: {
        containers: [
          { name: 'web', image: 'a' },
          { name: 'side', image: 'b' },
        ],
      },
    };
    expect(
      removeFields(live, { 'f:spec': { 'f:containers': { 'k:{"name":"side"}': { '.': {} }, 'k:{bad': { '.': {} } } } }),
    ).toBe(true);
    expect(live.spec.containers).toEqual([{ name: 'web', image: 'a' }]);
    expect(removeFields(live, { 'f:spec': { 'f:containers': { 'k:{bad': { '.': {} } } } })).toBe(false);
  });
});
