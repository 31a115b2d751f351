import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { examplesDir, repoRoot } from '../helpers/tools.js';

// What a command loads is most of what a short command costs (#22): `kubeplan render` and `--version` must not read
// the cluster client (client-node, undici, dist/vendor/) nor the Node.js built-ins only it needs (http, https, tls),
// and a command that talks to a cluster loads them when it does. A preload records every module file the run loads
// and every Node.js built-in (process.moduleLoadList) when it exits.
const scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-start-up-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const recorder = path.join(scratch, 'record-loads.mjs');
writeFileSync(
  recorder,
  `import { registerHooks } from 'node:module';
import { writeFileSync } from 'node:fs';
const files = [];
registerHooks({ load(url, context, next) { if (url.startsWith('file:')) files.push(url); return next(url, context); } });
process.on('exit', () => writeFileSync(process.env.RECORD_LOADS, JSON.stringify({ files, builtins: process.moduleLoadList })));
`,
);

function loadsOf(
  args: string[],
  cwd = repoRoot,
): { code: number; stderr: string; files: string[]; builtins: string[] } {
  const record = path.join(scratch, `loads-${args[0]}.json`);
  const run = runCli(args, { cwd, env: { NODE_OPTIONS: `--import=${pathToFileURL(recorder)}`, RECORD_LOADS: record } });
  const loads = JSON.parse(readFileSync(record, 'utf8')) as { files: string[]; builtins: string[] };
  const dist = pathToFileURL(path.join(repoRoot, 'dist')).href;
  return {
    ...run,
    files: loads.files.filter((f) => f.startsWith(dist)).map((f) => f.slice(dist.length + 1)),
    builtins: loads.builtins.filter((b) => b.startsWith('NativeModule ')).map((b) => b.slice('NativeModule '.length)),
  };
}

const clusterOnly = ['http', 'https', 'tls', 'internal/deps/undici/undici'];

describe('start-up', () => {
  it('kubeplan --version loads the CLI and nothing of the cluster or forge clients', () => {
    const run = loadsOf(['--version']);
    expect(run.code).toBe(0);
    expect(run.files).toEqual(['cli.js', 'cli-main.js']);
    for (const builtin of clusterOnly) expect(run.builtins).not.toContain(builtin);
  });

  it('kubeplan render runs helm and kustomize without loading the cluster client', () => {
    const run = loadsOf(['render', '--out-dir', path.join(scratch, 'out')], examplesDir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.files).toEqual(['cli.js', 'cli-main.js']);
    for (const builtin of clusterOnly) expect(run.builtins).not.toContain(builtin);
  });

  it('a command that talks to a cluster loads the cluster client when it connects', () => {
    // An apiserver nobody listens on: the run fails to connect, after it loaded what connecting needs.
    const kubeconfig = path.join(scratch, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
        'users: [{name: u, user: {token: t}}]',
        'contexts: [{name: x, context: {cluster: c, user: u}}]',
        'current-context: x',
      ].join('\n'),
    );
    const run = loadsOf(['diff', '--kubeconfig', kubeconfig, '--mode', 'server'], examplesDir);
    expect(run.code, run.stderr).not.toBe(0);
    expect(run.stderr).toContain('127.0.0.1:1');
    expect(run.files).toEqual(expect.arrayContaining(['vendor/kubernetes-client.js', 'vendor/undici.js']));
    expect(run.builtins).toEqual(expect.arrayContaining(['tls']));
  });
});
