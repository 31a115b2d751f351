import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/load-config.js';
import { ErrorList, formatError } from '../../src/core/errors.js';
import { makeRepo } from '../helpers/fixture-repo.js';

// kubeplan.yaml `clusters:` and a target's clusters, dependsOn and rollout.waves: what loads, and what is refused
// with its line, what is wrong and what to do.

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function load(yaml: string, files: Record<string, string> = {}) {
  const repo = makeRepo({ 'kubeplan.yaml': yaml, 'm/cm.yaml': '', 'clusters/eu-ca.pem': PEM, ...files });
  return loadConfig(path.join(repo, 'kubeplan.yaml'), repo);
}

function errorsOf(yaml: string, files: Record<string, string> = {}): string[] {
  try {
    load(yaml, files);
  } catch (error) {
    return (error instanceof ErrorList ? error.errors : [error]).map((e) => formatError(e));
  }
  throw new Error('the config loaded');
}

const CLUSTERS = `clusters:
  staging: {server: https://stg.example:6443, ca: "${PEM.replace(/\n/g, '\\n')}", auth: {tokenEnv: STG_TOKEN}}
  prod-eu:
    server: https://eu.example:6443/
    caFile: clusters/eu-ca.pem
    caSha256: "AB:${'cd:'.repeat(30)}ef"
    auth: {oidcAudience: kubeplan-prod}
  prod-us: {server: https://us.example:6443, auth: {kubeconfigEnv: US_KUBECONFIG, context: us}}
`;

describe('clusters in kubeplan.yaml', () => {
  it('loads named clusters, and the targets on them with their order', () => {
    const config = load(`${CLUSTERS}targets:
  - name: platform
    manifests: m
    clusters: [staging, prod-eu, prod-us]
  - name: shop
    manifests: m
    clusters: [prod-eu, prod-us]
    dependsOn: [platform]
    rollout: {waves: [[prod-eu], [prod-us]]}
`);
    expect(config.clusters?.map((c) => [c.name, c.server, c.auth])).toEqual([
      ['staging', 'https://stg.example:6443', { kind: 'token', env: 'STG_TOKEN' }],
      ['prod-eu', 'https://eu.example:6443', { kind: 'oidc', audience: 'kubeplan-prod' }],
      ['prod-us', 'https://us.example:6443', { kind: 'kubeconfig', env: 'US_KUBECONFIG', context: 'us' }],
    ]);
    const eu = config.clusters!.find((c) => c.name === 'prod-eu')!;
    expect(eu.caPem).toBe(PEM);
    expect(eu.caSha256).toBe(`ab${'cd'.repeat(30)}ef`);
    expect(config.clusters![0]!.caPem).toBe(PEM);
    const shop = config.targets.find((t) => t.name === 'shop')!;
    expect(shop.clusters).toEqual(['prod-eu', 'prod-us']);
    expect(shop.dependsOn).toEqual(['platform']);
    expect(shop.rollout).toEqual({ waves: [['prod-eu'], ['prod-us']] });
  });

  it('without clusters: a config loads as before, with no clusters', () => {
    const config = load('targets:\n  - name: app\n    manifests: m\n');
    expect(config.clusters).toBeUndefined();
    expect(config.targets[0]!.clusters).toBeUndefined();
  });

  it('an unknown cluster name is refused at its line, with the known names', () => {
    const errors = errorsOf(
      `${CLUSTERS}targets:\n  - name: app\n    manifests: m\n    clusters: [staging, prod-asia]\n`,
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('kubeplan.yaml:12: target "app": unknown cluster "prod-asia"');
    expect(errors[0]).toContain('the clusters defined under clusters: are staging, prod-eu, prod-us');
  });

  it('refuses a target without clusters when there are clusters, and clusters without a clusters: map', () => {
    expect(errorsOf(`${CLUSTERS}targets:\n  - name: app\n    manifests: m\n`)[0]).toContain(
      'kubeplan.yaml:10: target "app" has no clusters',
    );
    expect(errorsOf('targets:\n  - name: app\n    manifests: m\n    clusters: [prod]\n')[0]).toContain(
      'kubeplan.yaml:4: target "app" names clusters, and kubeplan.yaml has no top-level clusters:',
    );
  });

  it('refuses waves that do not split the target clusters, unknown dependencies and cycles', () => {
    const errors = errorsOf(`${CLUSTERS}targets:
  - name: a
    manifests: m
    clusters: [prod-eu, prod-us, staging]
    dependsOn: [b, nothere]
    rollout: {waves: [[prod-eu, staging], [staging]]}
  - name: b
    manifests: m
    clusters: [prod-eu]
    dependsOn: [a]
`);
    const text = errors.join('\n');
    expect(text).toContain('kubeplan.yaml:13: target "a": dependsOn names unknown target "nothere"');
    expect(text).toContain('kubeplan.yaml:14: target "a": cluster "staging" is in more than one wave');
    expect(text).toContain('target "a": cluster prod-us in no wave');
    expect(text).toContain('targets depend on each other in a cycle: a → b → a');
  });

  it('refuses a cluster with a bad server, two CAs, a pin without a CA, or an auth that is not one of the three', () => {
    const errors = errorsOf(`clusters:
  a: {server: http://plain.example, auth: {tokenEnv: T}}
  b: {server: https://b.example, ca: "${PEM.replace(/\n/g, '\\n')}", caFile: clusters/eu-ca.pem, auth: {tokenEnv: T}}
  c: {server: https://c.example, caSha256: "${'ab'.repeat(32)}", auth: {tokenEnv: T}}
  d: {server: https://d.example, auth: {tokenEnv: T, oidcAudience: x}}
  e: {server: https://e.example, caFile: ../outside.pem, auth: {tokenEnv: T}}
targets:
  - name: app
    manifests: m
    clusters: [a]
`);
    const text = errors.join('\n');
    expect(text).toContain('kubeplan.yaml:2: cluster "a": server "http://plain.example" is not an https:// URL');
    expect(text).toContain(
      'kubeplan.yaml:5: cluster "d": auth must be one of {oidcAudience}, {tokenEnv} or {kubeconfigEnv, context}',
    );
    // Schema errors come first, alone.
    const more = errorsOf(`clusters:
  b: {server: https://b.example, ca: "${PEM.replace(/\n/g, '\\n')}", caFile: clusters/eu-ca.pem, auth: {tokenEnv: T}}
  c: {server: https://c.example, caSha256: "${'ab'.repeat(32)}", auth: {tokenEnv: T}}
  e: {server: https://e.example, caFile: ../outside.pem, auth: {tokenEnv: T}}
  f: {server: https://f.example, caFile: m/cm.yaml, auth: {tokenEnv: T}}
targets:
  - name: app
    manifests: m
    clusters: [b]
`).join('\n');
    expect(more).toContain('kubeplan.yaml:2: cluster "b": ca and caFile exclude each other');
    expect(more).toContain('kubeplan.yaml:3: cluster "c": caSha256 pins a CA, and the cluster has none');
    expect(more).toContain('kubeplan.yaml:4: cluster "e": "../outside.pem" leaves the repository');
    expect(more).toContain('kubeplan.yaml:5: cluster "f": caFile "m/cm.yaml" is not a PEM certificate');
  });
});
