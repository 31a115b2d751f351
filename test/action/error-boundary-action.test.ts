import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startForge, type Forge } from '../forge/forge.js';
import { makeGitRepo } from '../helpers/fixture-repo.js';
import { runAction } from '../helpers/run-action.js';

// What the runner's environment can make go wrong is reported as what it is, never as "a bug in kubeplan".
let forge: Forge;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-error-boundary-'));
beforeAll(async () => {
  forge = await startForge();
});
afterAll(async () => {
  await forge.stop();
  rmSync(scratch, { recursive: true, force: true });
});

function committedRepo(): { repo: string; base: string } {
  const { repo, head } = makeGitRepo({
    'kubeplan.yaml': 'targets:\n  - name: app\n    namespace: web\n    manifests: manifests\n',
    'manifests/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  a: "1"\n',
  });
  return { repo, base: head() };
}

describe('the error boundary', () => {
  // (A RUNNER_TEMP that does not exist is created: test/action/plan-comment.test.ts.)
  it('a RUNNER_TEMP that is a file fails the plan with the path and a hint, not as a kubeplan bug', async () => {
    const { repo, base } = committedRepo();
    const missing = path.join(scratch, 'runner-temp-is-a-file');
    writeFileSync(missing, 'not a folder\n');
    const repoJson = { full_name: 'acme/config', name: 'config', owner: { login: 'acme' }, fork: false };
    const run = await runAction({
      repo,
      forge,
      event: 'pull_request',
      payload: {
        action: 'synchronize',
        number: 3,
        pull_request: {
          number: 3,
          state: 'open',
          title: 'x',
          html_url: 'https://github.com/acme/config/pull/3',
          base: { ref: 'main', sha: base, repo: repoJson },
          head: { ref: 'x', sha: 'b'.repeat(40), repo: repoJson },
        },
        repository: repoJson,
        sender: { login: 'alice', type: 'User' },
      },
      inputs: { kubeconfig: '', 'github-token': 'ghs_seededtoken0123456789' },
      scratch,
      env: { RUNNER_TEMP: missing },
    });
    expect(run.code, run.stdout).not.toBe(0);
    expect(run.stdout).toContain(`cannot write the JSON report ${path.join(missing, 'kubeplan-report.json')}: `);
    expect(run.stdout).toContain('hint: kubeplan keeps its files in RUNNER_TEMP');
    expect(run.stdout).not.toMatch(/a bug in kubeplan|unexpected error/);
  });
});
