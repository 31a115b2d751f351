import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startForge, type Forge } from '../forge/forge.js';
import { bigCrd } from '../helpers/big-crd.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runAction } from '../helpers/run-action.js';

// dist/index.js run the way the GitHub runner runs it, against the bench apiserver and the local forge.
let forge: Forge;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-large-plan-'));
beforeAll(async () => {
  forge = await startForge();
});
afterAll(async () => {
  await forge.stop();
  rmSync(scratch, { recursive: true, force: true });
});

function pullRequestEvent(number: number) {
  const repo = {
    full_name: 'acme/config',
    name: 'config',
    owner: { login: 'acme' },
    fork: false,
    default_branch: 'main',
  };
  return {
    action: 'synchronize',
    number,
    pull_request: {
      number,
      state: 'open',
      title: 'Install the operator',
      html_url: `https://github.com/acme/config/pull/${number}`,
      base: { ref: 'main', sha: 'a'.repeat(40), repo },
      head: { ref: 'operator', sha: 'b'.repeat(40), repo },
    },
    repository: repo,
    sender: { login: 'alice', type: 'User' },
  };
}

describe('the plan of a first install with a large CRD (action)', () => {
  it('comments the summary, the table and the CRD as its digest; the job summary and the JSON report keep the full text', async () => {
    const id = Math.random().toString(36).slice(2, 8);
    const ns = `large-pr-${id}`;
    const group = `large-pr-${id}.example.com`;
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: operator\n    namespace: ${ns}\n    manifests: m\n`,
      'm/all.json': JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
          bigCrd(group),
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { LEVEL: 'info' } },
        ],
      }),
    });
    const run = await runAction({
      repo,
      forge,
      event: 'pull_request',
      payload: pullRequestEvent(41),
      inputs: { 'github-token': 'ghs_seededtoken0123456789' },
      scratch,
    });
    expect(run.code, run.stdout).toBe(0);
    const comments = forge.comments.get(41) ?? [];
    expect(comments).toHaveLength(1);
    const body = comments[0]!.body;
    expect(body.length).toBeLessThan(20 * 1024);
    expect(body).toContain('### kubeplan: Plan: +3 to create');
    expect(body).toContain('#### operator — 3 changes, 0 unchanged');
    expect(body).toContain(`group \`${group}\``);
    expect(body).toContain('the full text is in the job summary');
    expect(body).not.toContain('field599');
    expect(run.summary).toContain('field599');
    expect(readFileSync(run.outputs['report-path']!, 'utf8')).toContain('field599');
  });
});
