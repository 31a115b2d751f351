import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startForge, type Forge } from '../forge/forge.js';
import { apiOn } from '../harness/kube.js';
import { startOidcCluster, type OidcCluster } from '../harness/oidc-cluster.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runAction } from '../helpers/run-action.js';

/**
 * The action on GitHub OIDC through an apply that lasts longer than its ID tokens: the runner's token endpoint hands
 * out tokens that live 6 s, the apply waits (as it would for a canary) for a rollout the test finishes after 15 s.
 */
describe('GitHub OIDC tokens renewed during a long apply (action subprocess)', () => {
  const ns = 'oidc-long';
  let oidc: OidcCluster;
  let forge: Forge;
  let scratch: string;

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-oidc-long-'));
    oidc = await startOidcCluster({
      scratch,
      namespace: ns,
      rules: [
        { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'update'] },
        {
          apiGroups: ['apps'],
          resources: ['deployments'],
          verbs: ['get', 'list', 'watch', 'create', 'patch', 'update'],
        },
      ],
      jobClaims: () => {
        const now = Math.floor(Date.now() / 1000);
        return { iat: now, exp: now + 6 };
      },
    });
    forge = await startForge();
  }, 120_000);
  afterAll(async () => {
    await forge?.stop();
    await oidc?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('applies and waits past several ID tokens’ expiry; every token is masked and printed nowhere', async () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1' }] } },
      },
    };
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: web\n    namespace: ${ns}\n    manifests: m\n`,
      'm/web.json': JSON.stringify(deployment),
    });
    const admin = <T>(method: string, urlPath: string, body?: unknown) =>
      apiOn<T>(oidc.cluster, method, urlPath, body === undefined ? {} : { body });
    const deploymentPath = `/apis/apps/v1/namespaces/${ns}/deployments/web`;
    // Played by the test: the controller finishes the rollout 15 s after the apply wrote it (no controller runs here).
    let stop = false;
    const rollout = (async () => {
      while (!stop && (await admin('GET', deploymentPath)).status !== 200) await new Promise((r) => setTimeout(r, 200));
      const end = Date.now() + 15_000;
      while (!stop && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
      if (stop) return;
      const live = (await admin<{ metadata: { generation: number } }>('GET', deploymentPath)).body;
      await admin('PUT', `${deploymentPath}/status`, {
        ...live,
        status: {
          observedGeneration: live.metadata.generation,
          replicas: 1,
          updatedReplicas: 1,
          readyReplicas: 1,
          availableReplicas: 1,
        },
      });
    })();
    const before = oidc.issuer.actions.minted.length;
    const run = await runAction({
      repo,
      forge,
      event: 'push',
      payload: { before: '0'.repeat(40), after: 'c'.repeat(40), repository: { default_branch: 'main' } },
      scratch,
      inputs: {
        command: 'apply',
        kubeconfig: '',
        'only-affected': 'false',
        wait: 'true',
        timeout: '90s',
        'cluster-server': oidc.cluster.server,
        'cluster-ca': readFileSync(oidc.cluster.caFile, 'utf8'),
        'oidc-audience': oidc.audience,
      },
      env: {
        ACTIONS_ID_TOKEN_REQUEST_URL: oidc.issuer.actions.url,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.issuer.actions.requestToken,
      },
    }).finally(() => {
      stop = true;
    });
    await rollout;
    expect(run.code, run.stdout).toBe(0);
    const minted = oidc.issuer.actions.minted.slice(before);
    expect(minted.length).toBeGreaterThanOrEqual(3);
    let log = run.stdout;
    for (const token of minted) {
      expect(run.stdout).toContain(`::add-mask::${token}`);
      log = log.replaceAll(`::add-mask::${token}`, '');
    }
    for (const text of [log, run.summary, JSON.stringify(run.outputs), JSON.stringify([...forge.comments.values()])])
      for (const token of minted) expect(text).not.toContain(token.split('.')[2]!);
  }, 120_000);
});
