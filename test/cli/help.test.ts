import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { repoRoot } from '../helpers/tools.js';

const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };

describe('CLI help', () => {
  it('kubeplan --help is printed verbatim in README', () => {
    const run = runCli(['--help']);
    expect(run.code).toBe(0);
    expect(readme).toContain(`\`\`\`text\n${run.stdout}\`\`\``);
  });

  it('kubeplan render --help is printed verbatim in README', () => {
    const run = runCli(['render', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('--out-dir DIR');
    expect(readme).toContain(`\`\`\`text\n${run.stdout}\`\`\``);
  });

  it('the help of diff, apply, drift, bump, rollback, recover, promote, canary and init is printed verbatim in README', () => {
    for (const command of ['diff', 'apply', 'drift', 'bump', 'rollback', 'recover', 'promote', 'canary', 'init']) {
      const run = runCli([command, '--help']);
      expect(run.code).toBe(0);
      expect(readme).toContain(`\`\`\`text\n${run.stdout}\`\`\``);
    }
  });

  it('no command prints help on stderr and exits 2; an unknown command says so', () => {
    const none = runCli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: kubeplan <command>');
    const unknown = runCli(['deploy']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('error: unknown command "deploy"');
  });

  it('--version prints the package version', () => {
    expect(runCli(['--version']).stdout).toBe(`${pkg.version}\n`);
  });
});
