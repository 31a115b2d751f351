import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bench, freshNamespace } from '../harness/kube.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runCli, runCliAsync } from '../helpers/run-cli.js';
import { repoRoot } from '../helpers/tools.js';

// How the CLI behaves towards the person or script running it: the Node.js it needs, durations, colour, errors a
// script can parse, suggestions for a mistyped command or flag, progress while it retries.

/** A Node.js older than 24 on this machine (the system one), to run the bin with. */
function olderNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node', '/bin/node']) {
    const run = spawnSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    if (run.status === 0 && Number(run.stdout.split('.')[0]) < 24) return candidate;
  }
  return undefined;
}

describe('the Node.js version', () => {
  const node = olderNode();
  it.skipIf(node === undefined)('an older Node.js is told which version kubeplan needs, not a stack trace', () => {
    const run = spawnSync(node!, [path.join(repoRoot, 'dist', 'cli.js'), 'diff', '--help'], { encoding: 'utf8' });
    const version = spawnSync(node!, ['--version'], { encoding: 'utf8' }).stdout.trim();
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`kubeplan needs Node.js 24 or newer; this is Node.js ${version}`);
    expect(run.stderr).toContain('hint: install Node.js 24');
    expect(run.stderr).not.toMatch(/SyntaxError|\n\s+at /);
  });
});

describe('durations', () => {
  it('--timeout takes Go durations as helm and kubectl do, and refuses others naming the flag', () => {
    // A config that does not exist: the run stops there, after the flags were taken.
    for (const timeout of ['1m30s', '1h5m', '500ms', '90s', '5m', '90']) {
      const run = runCli(['apply', '--timeout', timeout, '--config', 'missing.yaml']);
      expect(run.code, timeout).toBe(2);
      expect(run.stderr, timeout).toContain('missing.yaml');
      expect(run.stderr, timeout).not.toContain('duration');
    }
    const bad = runCli(['apply', '--timeout', '1m30x', '--config', 'missing.yaml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('error: kubeplan apply --timeout: must be a duration like 90s, 5m or 1h, not "1m30x"');
    expect(bad.stderr).toContain('hint: numbers with a unit, ms, s, m or h, alone or combined as in 1m30s');
  });
});

describe('did you mean', () => {
  it('a mistyped command is answered with the command meant', () => {
    for (const [typed, meant] of [
      ['aply', 'apply'],
      ['dif', 'diff'],
      ['rollbak', 'rollback'],
      ['drfit', 'drift'],
      ['--verison', '--version'],
    ]) {
      const run = runCli([typed!]);
      expect(run.code, typed).toBe(2);
      expect(run.stderr, typed).toContain(`error: unknown command "${typed}"`);
      expect(run.stderr, typed).toContain(`hint: did you mean \`kubeplan ${meant}\`? run \`kubeplan --help\``);
    }
    const far = runCli(['deploy']);
    expect(far.stderr).toContain('hint: run `kubeplan --help` to see the commands');
    expect(far.stderr).not.toContain('did you mean');
  });

  it('a mistyped flag is answered with the flag of that command meant', () => {
    const cases: [string[], string][] = [
      [['diff', '--kubconfig', 'x'], 'kubeconfig'],
      [['apply', '--dryrun'], 'dry-run'],
      [['apply', '--tagret=shop'], 'target'],
      [['drift', '--exitcode'], 'exit-code'],
      [['bump', '--dry-rnu'], 'dry-run'],
    ];
    for (const [args, meant] of cases) {
      const run = runCli(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toContain(
        `error: kubeplan ${args[0]}: Unknown option '${args[1]!.split('=')[0]}'`,
      );
      expect(run.stderr, args.join(' ')).toContain(
        `hint: did you mean --${meant}? run \`kubeplan ${args[0]} --help\` to see the options`,
      );
    }
    const far = runCli(['diff', '--frobnicate']);
    expect(far.stderr).toContain('hint: run `kubeplan diff --help` to see the options');
    expect(far.stderr).not.toContain('did you mean');
  });
});

/** A target with one ConfigMap the cluster does not have: diff plans a create, drift reports it missing. */
async function missingConfigMapRepo() {
  const ns = await freshNamespace('manners');
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { A: '1' } };
  return makeRepo({
    'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: m\n`,
    'm/cm.json': JSON.stringify(cm),
  });
}

describe('colour', () => {
  const ansi = '\u001b[';
  it('diff and drift colour the text report by --color/--no-color, then FORCE_COLOR, then NO_COLOR', async () => {
    const repo = await missingConfigMapRepo();
    const kubeconfig = bench().adminKubeconfig;
    const cases: [string[], NodeJS.ProcessEnv, boolean][] = [
      // Not a terminal (a pipe): no colour unless asked for.
      [[], {}, false],
      [['--color'], {}, true],
      [[], { FORCE_COLOR: '1' }, true],
      [[], { FORCE_COLOR: 'true' }, true],
      [[], { FORCE_COLOR: '0' }, false],
      [[], { FORCE_COLOR: '' }, false],
      // force-color.org: FORCE_COLOR wins over NO_COLOR; a flag wins over both.
      [[], { FORCE_COLOR: '1', NO_COLOR: '1' }, true],
      [['--no-color'], { FORCE_COLOR: '1' }, false],
      [['--color'], { NO_COLOR: '1' }, true],
    ];
    for (const command of ['diff', 'drift']) {
      for (const [flags, env, coloured] of cases) {
        const run = await runCliAsync([command, '--kubeconfig', kubeconfig, ...flags], { cwd: repo, env });
        const label = `${command} ${flags.join(' ')} ${JSON.stringify(env)}`;
        expect(run.code, `${label}: ${run.stderr}`).toBe(0);
        expect(run.stdout, label).toContain('settings');
        expect(run.stdout.includes(ansi), label).toBe(coloured);
      }
    }
    const both = runCli(['diff', '--color', '--no-color'], { cwd: repo });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('error: kubeplan diff: --color and --no-color exclude each other');
  });
});
