import { spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startFaultProxy } from '../harness/fault-proxy.js';
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
    // drift decides the same way (one function): a few of the cases are enough there.
    const runs = ['diff', 'drift'].flatMap((command) =>
      (command === 'diff' ? cases : [cases[0]!, cases[2]!, cases[7]!]).map(async ([flags, env, coloured]) => {
        const run = await runCliAsync([command, '--kubeconfig', kubeconfig, ...flags], { cwd: repo, env });
        const label = `${command} ${flags.join(' ')} ${JSON.stringify(env)}`;
        expect(run.code, `${label}: ${run.stderr}`).toBe(0);
        expect(run.stdout, label).toContain('settings');
        expect(run.stdout.includes(ansi), label).toBe(coloured);
      }),
    );
    await Promise.all(runs);
    const both = runCli(['diff', '--color', '--no-color'], { cwd: repo });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('error: kubeplan diff: --color and --no-color exclude each other');
  }, 180_000);
});

describe('errors a script can parse', () => {
  it('with -o json a failed diff, apply, drift, bump, rollback or recover prints the error as JSON on stdout too', () => {
    const runs: [string, string[]][] = [
      ['diff', ['diff', '-o', 'json', '--config', 'missing.yaml']],
      ['apply', ['apply', '--output=json', '--config', 'missing.yaml']],
      ['drift', ['drift', '-ojson', '--config', 'missing.yaml']],
      ['bump', ['bump', '--dry-run', '-o', 'json', '--config', 'missing.yaml']],
      ['rollback', ['rollback', '-o', 'json', '--target', 'app', '--config', 'missing.yaml']],
      ['recover', ['recover', '-o', 'json', '--config', 'missing.yaml']],
    ];
    for (const [command, args] of runs) {
      const run = runCli(args, { cwd: repoRoot });
      expect(run.code, command).toBe(2);
      expect(JSON.parse(run.stdout), command).toEqual({
        error: {
          message: 'config file not found',
          where: 'missing.yaml',
          hint: expect.stringContaining('pass --config PATH'),
        },
      });
      expect(run.stderr, command).toContain('error: missing.yaml: config file not found');
    }
    // A flag the command does not know, and a value it refuses: JSON as well, where and hint included.
    const flag = runCli(['diff', '-o', 'json', '--kubconfig', 'x']);
    expect(flag.code).toBe(2);
    expect(JSON.parse(flag.stdout)).toEqual({
      error: {
        message: "Unknown option '--kubconfig'",
        where: 'kubeplan diff',
        hint: 'did you mean --kubeconfig? run `kubeplan diff --help` to see the options',
      },
    });
    const timeout = runCli(['apply', '-o', 'json', '--timeout', 'soon']);
    expect(JSON.parse(timeout.stdout).error).toMatchObject({ where: 'kubeplan apply --timeout' });
    // Several errors at once (every unknown field of kubeplan.yaml): the first, and all of them.
    const invalid = makeRepo({
      'kubeplan.yaml': 'targets:\n  - name: a\n    namespace: x\n    manifests: m\n    foo: 1\n    bar: 2\n',
    });
    const several = runCli(['drift', '-o', 'json'], { cwd: invalid });
    expect(several.code).toBe(2);
    const parsed = JSON.parse(several.stdout) as { error: { where: string }; errors: { where: string }[] };
    expect(parsed.error.where).toBe('kubeplan.yaml:5');
    expect(parsed.errors.map((e) => e.where)).toEqual(['kubeplan.yaml:5', 'kubeplan.yaml:6']);
    // Without -o json stdout stays empty, as before.
    const text = runCli(['diff', '--config', 'missing.yaml']);
    expect(text.code).toBe(2);
    expect(text.stdout).toBe('');
  });

  it('a failed apply -o json prints its report, whose error says the same, and no second document', async () => {
    const repo = await missingConfigMapRepo();
    // Reads pass; every write of the ConfigMap fails with 503.
    const proxy = await startFaultProxy(bench(), (_n, req) =>
      req.method === 'PATCH' && /\/configmaps\/settings\?/.test(req.url ?? '') && !/dryRun/.test(req.url ?? '')
        ? '503'
        : undefined,
    );
    try {
      const kubeconfig = path.join(repo, 'proxy.kubeconfig');
      writeFileSync(kubeconfig, proxy.kubeconfig(bench().adminToken));
      const run = await runCliAsync(['apply', '--no-wait', '-o', 'json', '--kubeconfig', kubeconfig], { cwd: repo });
      expect(run.code).toBe(2);
      const report = JSON.parse(run.stdout) as { finished: boolean; error: { message: string; where: string } };
      expect(report.finished).toBe(false);
      expect(report.error.message).toContain('injected 503');
      expect(report.error.where).toContain('ConfigMap');
      expect(run.stderr).toContain('injected 503');
    } finally {
      await proxy.stop();
    }
  });

  it('drift -o openmetrics says kubeplan_drift_check_success 0 when the whole check fails', async () => {
    const repo = await missingConfigMapRepo();
    // Nothing listens on port 1: the cluster is unreachable.
    const kubeconfig = path.join(repo, 'unreachable.yaml');
    writeFileSync(
      kubeconfig,
      readFileSync(bench().adminKubeconfig, 'utf8').replace(/server: \S+/, 'server: https://127.0.0.1:1'),
    );
    const run = await runCliAsync(['drift', '-o', 'openmetrics', '--kubeconfig', kubeconfig], { cwd: repo });
    expect(run.code).toBe(2);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toContain('kubeplan_drift_check_success 0');
    expect(lines.at(-1)).toBe('# EOF');
    expect(run.stderr).toContain('cannot reach the apiserver at https://127.0.0.1:1');
    // A target whose render fails is marked too, by name.
    const broken = makeRepo({
      'kubeplan.yaml': 'targets:\n  - name: web\n    namespace: web\n    helm:\n      chart: charts/c\n',
      'charts/c/Chart.yaml': 'apiVersion: v2\nname: c\nversion: 0.1.0\n',
      'charts/c/templates/x.yaml': '{{ fail "boom" }}\n',
    });
    const render = await runCliAsync(['drift', '-o', 'openmetrics', '--kubeconfig', kubeconfig], { cwd: broken });
    expect(render.code).toBe(2);
    expect(render.stdout.split('\n')).toEqual(
      expect.arrayContaining(['kubeplan_drift_check_success 0', 'kubeplan_drift_check_success{target="web"} 0']),
    );
    expect(render.stderr).toContain('boom');
  });

  it('drift -o openmetrics marks a target whose objects could not be checked with check_success 0', async () => {
    const repo = await missingConfigMapRepo();
    // The limited user may not read ConfigMaps in this namespace.
    const run = await runCliAsync(['drift', '-o', 'openmetrics', '--kubeconfig', bench().limitedKubeconfig], {
      cwd: repo,
    });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stdout.split('\n')).toContain('kubeplan_drift_check_success{target="app"} 0');
  });
});

describe('progress while retrying', () => {
  it('says on stderr which apiserver request it retries, when, and why; nothing when nothing is retried', async () => {
    const repo = await missingConfigMapRepo();
    // Discovery (GET /api) answers 503 twice, then passes.
    let failures = 0;
    const proxy = await startFaultProxy(bench(), (_n, req) =>
      req.method === 'GET' && req.url === '/api' && failures++ < 2 ? '503' : undefined,
    );
    try {
      const kubeconfig = path.join(repo, 'proxy.kubeconfig');
      writeFileSync(kubeconfig, proxy.kubeconfig(bench().adminToken));
      const run = await runCliAsync(['diff', '--kubeconfig', kubeconfig], { cwd: repo });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/^retrying GET \/api \(2\/5\) in \d+\.\d s: 503$/m);
      expect(run.stderr).toMatch(/^retrying GET \/api \(3\/5\) in \d+\.\d s: 503$/m);
      expect(run.stderr).not.toMatch(/\(4\/5\)/);
      // The report on stdout is untouched by them.
      expect(run.stdout).not.toContain('retrying');
      const quiet = await runCliAsync(['diff', '--kubeconfig', kubeconfig], { cwd: repo });
      expect(quiet.code, quiet.stderr).toBe(0);
      expect(quiet.stderr).not.toContain('retrying');
    } finally {
      await proxy.stop();
    }
  });

  it('says on stderr which registry request it retries', async () => {
    // A registry whose tag list answers 503 twice, then the tags.
    let failures = 0;
    const registry = http.createServer((req, res) => {
      if (req.url?.startsWith('/v2/acme/web/tags/list') && failures++ < 2) {
        res.writeHead(503).end();
        return;
      }
      if (req.url?.startsWith('/v2/acme/web/tags/list')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ name: 'acme/web', tags: ['1.0.0', '1.1.0'] }));
        return;
      }
      res.writeHead(req.url === '/v2/' ? 200 : 404).end();
    });
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    try {
      const port = (registry.address() as AddressInfo).port;
      const deployment = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: {
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'ghcr.io/acme/web:1.0.0' }] },
          },
        },
      };
      const repo = makeRepo({
        'kubeplan.yaml': 'targets:\n  - name: app\n    namespace: app\n    manifests: m\n',
        'm/web.yaml': JSON.stringify(deployment),
      });
      const run = await runCliAsync(['bump', '--dry-run', '--registry-endpoint', `ghcr.io=http://127.0.0.1:${port}`], {
        cwd: repo,
      });
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toContain('1.1.0');
      expect(run.stderr).toMatch(
        new RegExp(`^retrying GET 127\\.0\\.0\\.1:${port}/v2/acme/web/tags/list \\(2/5\\) in \\d+\\.\\d s: 503$`, 'm'),
      );
      expect(run.stderr).toMatch(/\(3\/5\) in \d+\.\d s: 503$/m);
    } finally {
      await new Promise((resolve) => registry.close(resolve));
    }
  });
});
