import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/load-config.js';
import { ErrorList, formatError } from '../../src/core/errors.js';
import { makeRepo } from '../helpers/fixture-repo.js';

// kubeplan.yaml `promote: {from, soak}`: what loads, and what is refused with its line.

function load(yaml: string) {
  const repo = makeRepo({ 'kubeplan.yaml': yaml, 'm/cm.yaml': '' });
  return loadConfig(path.join(repo, 'kubeplan.yaml'), repo);
}

function errorsOf(yaml: string): string[] {
  try {
    load(yaml);
  } catch (error) {
    return (error instanceof ErrorList ? error.errors : [error]).map((e) => formatError(e));
  }
  throw new Error('the config loaded');
}

describe('promote in kubeplan.yaml', () => {
  it('loads the upstream target and the soak time', () => {
    const config = load(`targets:
  - name: staging
    manifests: m
  - name: prod
    manifests: m
    promote: {from: staging, soak: 1h30m}
  - name: qa
    manifests: m
    promote: {from: staging}
`);
    expect(config.targets.find((t) => t.name === 'prod')!.promote).toEqual({ from: 'staging', soakMs: 5_400_000 });
    expect(config.targets.find((t) => t.name === 'qa')!.promote).toEqual({ from: 'staging', soakMs: 0 });
    expect(config.targets.find((t) => t.name === 'staging')!.promote).toBeUndefined();
  });

  it('refuses an unknown upstream and a target promoting from itself, with the line', () => {
    const text = errorsOf(`targets:
  - name: staging
    manifests: m
  - name: prod
    manifests: m
    promote: {from: stagin, soak: 2h}
  - name: qa
    manifests: m
    promote:
      from: qa
`).join('\n');
    expect(text).toContain('kubeplan.yaml:6: target "prod": promote.from names unknown target "stagin"');
    expect(text).toContain('name the upstream target, one of: staging, qa');
    expect(text).toContain('kubeplan.yaml:10: target "qa" promotes from itself');
  });

  it('refuses a soak that is not a Go duration, with the line', () => {
    const text = errorsOf(`targets:
  - name: staging
    manifests: m
  - name: prod
    manifests: m
    promote: {from: staging, soak: two hours}
`).join('\n');
    expect(text).toContain('kubeplan.yaml:6: target "prod": targets[1].promote.soak must match pattern');
  });
});
