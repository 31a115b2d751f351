import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeRepo } from '../helpers/fixture-repo.js';
import { examplesDir, helmBin, kubectlBin, repoRoot, toolsDir } from '../helpers/tools.js';

// Runs dist/index.js the way the GitHub runner does: INPUT_* variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files.
const scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-action-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function runAction(inputs: Record<string, string>, workspace: string) {
  const dir = mkdtempSync(path.join(scratch, 'run-'));
  const outputFile = path.join(dir, 'output');
  const summaryFile = path.join(dir, 'summary');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const env: NodeJS.ProcessEnv = {
    PATH: `${toolsDir}${path.delimiter}${process.env.PATH}`,
    HOME: process.env.HOME,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    RUNNER_TEMP: dir,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
  };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  const result = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'index.js')], {
    cwd: workspace,
    env,
    encoding: 'utf8',
  });
  return {
    code: result.status,
    stdout: result.stdout,
    outputs: parseOutputs(readFileSync(outputFile, 'utf8')),
    summary: readFileSync(summaryFile, 'utf8'),
    dir,
  };
}

/** GITHUB_OUTPUT uses `name<<DELIMITER\nvalue\nDELIMITER` blocks. */
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const re = /^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const m of text.matchAll(re)) outputs[m[1]!] = m[3]!;
  return outputs;
}

describe('the action (dist/index.js)', () => {
  it('renders the selected targets to out-dir and reports outputs, log groups and a job summary', () => {
    const run = runAction(
      {
        command: 'render',
        'working-directory': 'examples',
        targets: 'shop-prod\napi-prod',
        helm: helmBin,
        kubectl: kubectlBin,
      },
      repoRoot,
    );
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs['out-dir']).toBe(path.join(run.dir, 'kubeplan-render'));
    expect(run.outputs.objects).toBe('12');
    expect(JSON.parse(run.outputs.targets!)).toEqual([
      { name: 'shop-prod', objects: 8, hooks: 2, file: path.join(run.dir, 'kubeplan-render', 'shop-prod.yaml') },
      { name: 'api-prod', objects: 4, hooks: 0, file: path.join(run.dir, 'kubeplan-render', 'api-prod.yaml') },
    ]);
    expect(existsSync(path.join(run.dir, 'kubeplan-render', 'platform.yaml'))).toBe(false);
    expect(run.stdout).toContain('::group::shop-prod: 8 objects');
    expect(run.stdout).toContain('Job shop/shop-migrate  ← examples/charts/shop/templates/migrate-job.yaml');
    expect(run.summary).toContain('<th>Target</th>');
    expect(run.summary).toContain('<td>shop-prod</td>');
    expect(examplesDir).toBeTruthy();
  });

  it('fails the step with the located message on a bad config, writing nothing', () => {
    const repo = makeRepo({
      'kubeplan.yaml': 'targets:\n  - name: x\n    manifests: raw\n    nmespace: y\n',
      'raw/a.yaml': '',
    });
    const run = runAction({ command: 'render', 'out-dir': 'out' }, repo);
    expect(run.code).not.toBe(0);
    expect(run.stdout).toContain(
      '::error title=kubeplan,file=kubeplan.yaml,line=4::kubeplan.yaml:4: target "x": unknown field "nmespace" (did you mean "namespace"?)',
    );
    expect(existsSync(path.join(repo, 'out'))).toBe(false);
  });
});
