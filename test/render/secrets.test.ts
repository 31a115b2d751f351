import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runCli } from '../helpers/run-cli.js';

const SEEDED = 'kubeplan-seeded-secret-value-4b1d';
const b64 = Buffer.from(SEEDED).toString('base64');

describe('Secrets on stdout', () => {
  const repo = makeRepo({
    'kubeplan.yaml': 'targets:\n  - name: app\n    namespace: app\n    manifests: raw\n',
    'raw/secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\ndata:\n  password: ${b64}\nstringData:\n  url: postgres://u:${SEEDED}@db\n`,
  });

  it('are redacted in YAML and JSON, with a note on stderr', () => {
    for (const format of ['yaml', 'json']) {
      const run = runCli(['render', '-o', format], { cwd: repo });
      expect(run.code).toBe(0);
      expect(run.stdout + run.stderr).not.toContain(SEEDED);
      expect(run.stdout + run.stderr).not.toContain(b64);
      expect(run.stdout).toContain('(redacted)');
      expect(run.stderr).toContain('redacted 2 Secret values on stdout; pass --show-secrets');
    }
  });

  it('are printed with --show-secrets and always written to --out-dir files', () => {
    expect(runCli(['render', '--show-secrets'], { cwd: repo }).stdout).toContain(b64);
    const out = path.join(repo, 'out');
    const run = runCli(['render', '--out-dir', out], { cwd: repo });
    expect(run.stdout + run.stderr).not.toContain(b64);
    expect(readFileSync(path.join(out, 'app.yaml'), 'utf8')).toContain(b64);
  });
});
