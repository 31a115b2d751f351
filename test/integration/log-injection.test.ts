import { describe, expect, it } from 'vitest';
import { bench, freshNamespace } from '../harness/kube.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';

// The CLI's output is the job log in CI (GitHub Actions, GitLab CI): text from the pull request must not become a
// workflow command (a line starting with `::`) or a GitLab section marker (ESC[0Ksection_start:…).
const ESC = '\u001b';

function hostileLines(output: string): string[] {
  return output
    .split('\n')
    .filter((l) => /^\s*(::|##\[)/.test(l) || l.includes(`${ESC}[0Ksection_`) || l.includes('\r'));
}

describe('the CLI log cannot be taken over by names, keys, values or file names', () => {
  it('kubeplan diff prints them on their own lines, escaped', async () => {
    const ns = await freshNamespace('cli-inject');
    const marker = `${ESC}[0Ksection_start:1700000000:pwned\r${ESC}[0KINJECTED`;
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: manifests\n`,
      'manifests/value.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: value}\ndata:\n  note: "line one\\n::warning::INJECTED-VALUE\\n  ::stop-commands::INJECTED\\n"\n`,
      'manifests/kind.yaml': `apiVersion: example.com/v1\nkind: "Widget\\n::warning::INJECTED-KIND"\nmetadata: {name: w}\n`,
      'manifests/name.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: "n\\n::warning::INJECTED-NAME ${marker.replaceAll(ESC, '\\e').replaceAll('\r', '\\r')}"}\n`,
      'manifests/evil\n::warning::INJECTED-FILE.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-file}\ndata: {A: "1"}\n',
    });
    const run = await runCliAsync(['diff', '--kubeconfig', bench().adminKubeconfig], { cwd: repo });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(output).toContain('INJECTED-VALUE');
    expect(output).toContain('INJECTED-KIND');
    expect(hostileLines(output), output).toEqual([]);
  });
});
