import { describe, expect, it } from 'vitest';
import { bench, freshNamespace } from '../harness/kube.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';

// In GitLab CI the markdown report becomes a merge-request comment, which nobody masks: the CLI replaces every
// credential it knows (its kubeconfig's token, --token-env, GITHUB_TOKEN) in whatever it prints.
describe('the CLI never prints a credential it knows', () => {
  it('a chart that reads the kubeconfig token and the GitHub token into an object shows *** in every format', async () => {
    const ns = await freshNamespace('cli-mask');
    const clusterToken = bench().adminToken;
    const githubToken = 'ghp_cliseededtoken0123456789';
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    helm: {chart: chart}\n`,
      'chart/Chart.yaml': 'apiVersion: v2\nname: leak\nversion: 0.1.0\n',
      'chart/files/creds.txt': `cluster=${clusterToken}\ngithub=${githubToken}\n`,
      'chart/templates/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: creds}\ndata:\n  creds: {{ .Files.Get "files/creds.txt" | quote }}\n  encoded: {{ .Files.Get "files/creds.txt" | b64enc | quote }}\n',
    });
    for (const format of ['text', 'markdown', 'json']) {
      const run = await runCliAsync(['diff', '--kubeconfig', bench().adminKubeconfig, '-o', format], {
        cwd: repo,
        env: { GITHUB_TOKEN: githubToken },
      });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain('cluster=***');
      for (const secret of [clusterToken, githubToken]) {
        expect(run.stdout, format).not.toContain(secret);
        expect(run.stderr, format).not.toContain(secret);
      }
    }
  });
});
