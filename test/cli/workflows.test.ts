import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { dump } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureActionlint } from '../tools/build.mjs';
import { actionFiles, loadAction } from '../helpers/action-metadata.js';
import { repoRoot } from '../helpers/tools.js';

let actionlint: string;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-workflows-'));
beforeAll(async () => {
  actionlint = await ensureActionlint({ log: (m) => process.stderr.write(`[actionlint] ${m}\n`) });
}, 300_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** actionlint's exit code and findings; shellcheck and pyflakes off, so a runner that has them finds the same. */
async function lint(cwd: string, files: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await promisify(execFile)(actionlint, ['-no-color', '-shellcheck=', '-pyflakes=', ...files], {
      cwd,
    });
    return { code: 0, output: stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

const workflows = readdirSync(path.join(repoRoot, '.github/workflows'))
  .filter((f) => f.endsWith('.yml'))
  .map((f) => `.github/workflows/${f}`);

/** A copy of the repository's workflows, action metadata and main files, with `extra` workflows, for actionlint to resolve `./x`. */
function project(extra: Record<string, string>): string {
  const dir = mkdtempSync(path.join(scratch, 'project-'));
  mkdirSync(path.join(dir, '.git'));
  cpSync(path.join(repoRoot, '.github'), path.join(dir, '.github'), { recursive: true });
  for (const file of actionFiles) {
    const main = path.join(path.dirname(file), loadAction(file).runs.main);
    for (const f of [file, main]) cpSync(path.join(repoRoot, f), path.join(dir, f));
  }
  for (const [name, text] of Object.entries(extra)) writeFileSync(path.join(dir, '.github/workflows', name), text);
  return dir;
}

/** A workflow that uses every action of the repository with every input it declares. */
function usesEveryAction(): string {
  const steps = actionFiles.map((file) => {
    const dir = path.dirname(file);
    const inputs = loadAction(file).inputs ?? {};
    return {
      uses: dir === '.' ? './' : `./${dir}`,
      with: Object.fromEntries(Object.keys(inputs).map((name) => [name, inputs[name]!.default || 'x'])),
    };
  });
  return dump({ on: 'push', jobs: { every: { 'runs-on': 'ubuntu-latest', steps } } });
}

describe('the GitHub workflows (actionlint)', () => {
  it('has ci.yml and release.yml', () => {
    expect(workflows).toEqual(expect.arrayContaining(['.github/workflows/ci.yml', '.github/workflows/release.yml']));
  });

  it('every workflow passes actionlint', async () => {
    const result = await lint(repoRoot, workflows);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });

  it('every action.yml is metadata actionlint accepts, with every input it declares', async () => {
    const dir = project({ 'every-action.yml': usesEveryAction() });
    const result = await lint(dir, ['.github/workflows/every-action.yml']);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });

  it('fails on a broken workflow, and on an input a per-command action does not have', async () => {
    const ci = readFileSync(path.join(repoRoot, '.github/workflows/ci.yml'), 'utf8');
    const dir = project({
      'ci.yml': ci.replace('runs-on: ubuntu-latest', 'runs-on: ubuntu-latest\n    needs: no-such-job'),
      'plan-command.yml': dump({
        on: 'pull_request',
        jobs: { plan: { 'runs-on': 'ubuntu-latest', steps: [{ uses: './plan', with: { command: 'apply' } }] } },
      }),
    });
    const result = await lint(dir, ['.github/workflows/ci.yml', '.github/workflows/plan-command.yml']);
    expect(result.code).toBe(1);
    expect(result.output).toContain('.github/workflows/ci.yml');
    expect(result.output).toContain('"no-such-job"');
    expect(result.output).toContain('input "command" is not defined in action "kubeplan plan"');
  });
});
