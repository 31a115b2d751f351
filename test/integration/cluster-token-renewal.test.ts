import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../../src/core/cluster/client.js';
import { namedClusterOptions } from '../../src/core/cluster/named-clusters.js';
import type { ClusterConfig } from '../../src/core/config/types.js';
import { ClusterError } from '../../src/core/errors.js';
import { startOidcCluster, type OidcCluster } from '../harness/oidc-cluster.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';

/**
 * A long run on a short-lived credential: an apiserver that trusts GitHub-style OIDC ID tokens, a runner token endpoint
 * that hands out tokens living a few seconds, and the cluster client (through a named cluster's auth.oidcAudience, as
 * a run builds it) renewing them; fixed tokens say when they expire, and a refused expired one says so.
 */
describe('cluster credentials that outlive a short OIDC token', () => {
  const ns = 'renewal';
  let oidc: OidcCluster;
  let scratch: string;
  /** Seconds each token the endpoint hands out lives. */
  let lifeSeconds = 300;
  /** How many of the next tokens the endpoint hands out belong to another repository (the apiserver refuses them). */
  let foreignTokens = 0;

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-renewal-'));
    oidc = await startOidcCluster({
      scratch,
      namespace: ns,
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'create', 'patch'] }],
      jobClaims: () => {
        const now = Math.floor(Date.now() / 1000);
        const foreign = foreignTokens > 0;
        if (foreign) foreignTokens--;
        return { iat: now, exp: now + lifeSeconds, ...(foreign ? { repository: 'evil/fork' } : {}) };
      },
    });
  }, 120_000);
  afterAll(async () => {
    await oidc?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const clusterConfig = (auth: ClusterConfig['auth']): ClusterConfig => ({
    name: 'eu',
    server: oidc.cluster.server,
    caPem: readFileSync(oidc.cluster.caFile, 'utf8'),
    caSha256: undefined,
    auth,
    where: { file: 'kubeplan.yaml', line: 3 },
  });
  /** Connects the way a run over named clusters does, collecting what reaches the secret mask. */
  const connect = async (auth: ClusterConfig['auth'], env: NodeJS.ProcessEnv = {}) => {
    const masked: string[] = [];
    const options = await namedClusterOptions(
      clusterConfig(auth),
      {
        kubeconfig: undefined,
        context: undefined,
        concurrency: 4,
        cwd: scratch,
        env: {
          ACTIONS_ID_TOKEN_REQUEST_URL: oidc.issuer.actions.url,
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.issuer.actions.requestToken,
          ...env,
        },
      },
      { onSecret: (value) => masked.push(value) },
    );
    return { client: await ClusterClient.connect(options), masked };
  };
  const list = (client: ClusterClient) => client.request('GET', `/api/v1/namespaces/${ns}/configmaps`, { list: true });

  it('keeps working past the first ID token’s expiry: each token renewed before it runs out, each masked', async () => {
    lifeSeconds = 6;
    const before = oidc.issuer.actions.minted.length;
    const { client, masked } = await connect({ kind: 'oidc', audience: oidc.audience });
    expect(client.credentialExpiresAt()).toBeUndefined();
    // Longer than a token's life plus the apiserver's 10 s cache of a token it accepted: without renewal the first
    // token is refused from about 10 s on.
    const started = Date.now();
    let sent = 0;
    while (Date.now() - started < 17_000) {
      await list(client);
      sent++;
      await new Promise((r) => setTimeout(r, 250));
    }
    const minted = oidc.issuer.actions.minted.slice(before);
    expect(minted.length).toBeGreaterThanOrEqual(3);
    expect(minted.length).toBeLessThanOrEqual(6);
    // Renewed ahead of time, not after a refusal: no request was sent twice.
    expect(client.stats.requests).toBe(sent);
    expect(masked).toEqual(minted);
  }, 60_000);

  it('a refused ID token is renewed once and the request sent once more', async () => {
    lifeSeconds = 300;
    const before = oidc.issuer.actions.minted.length;
    foreignTokens = 1;
    const { client, masked } = await connect({ kind: 'oidc', audience: oidc.audience });
    const res = await list(client);
    expect(res.status).toBe(200);
    const minted = oidc.issuer.actions.minted.slice(before);
    expect(minted).toHaveLength(2);
    expect(client.stats).toMatchObject({ requests: 2, lists: 1, retries: 0 });
    expect(masked).toEqual(minted);
  });

  it('an ID token refused again after its renewal fails with what to check, without asking a third time', async () => {
    lifeSeconds = 300;
    const before = oidc.issuer.actions.minted.length;
    foreignTokens = 5;
    try {
      const { client } = await connect({ kind: 'oidc', audience: oidc.audience });
      const error = (await list(client).catch((e: unknown) => e)) as ClusterError;
      expect(error).toBeInstanceOf(ClusterError);
      expect(error.message).toBe(
        `${oidc.cluster.server} refused a GitHub OIDC token (audience ${oidc.audience}) (401 Unauthorized)`,
      );
      expect(error.format()).toContain("check the apiserver's AuthenticationConfiguration");
      const minted = oidc.issuer.actions.minted.slice(before);
      expect(minted).toHaveLength(2);
      for (const token of minted) expect(error.format()).not.toContain(token);
    } finally {
      foreignTokens = 0;
    }
  });

  it('a fixed token says when it expires; once expired, the refusal says so and what to do', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { aud: oidc.audience, sub: oidc.subject, repository: 'acme/config' };
    const valid = oidc.issuer.mint({ ...claims, exp: now + 600 });
    const live = await connect({ kind: 'token', env: 'EU_TOKEN' }, { EU_TOKEN: valid });
    expect(live.client.credentialExpiresAt()).toEqual(new Date((now + 600) * 1000));
    expect((await list(live.client)).status).toBe(200);
    expect(live.masked).toEqual([valid]);

    const expired = oidc.issuer.mint({ ...claims, iat: now - 600, nbf: now - 600, exp: now - 60 });
    const old = await connect({ kind: 'token', env: 'EU_TOKEN' }, { EU_TOKEN: expired });
    expect(old.client.credentialExpiresAt()).toEqual(new Date((now - 60) * 1000));
    const error = (await list(old.client).catch((e: unknown) => e)) as ClusterError;
    expect(error).toBeInstanceOf(ClusterError);
    expect(error.status).toBe(401);
    const at = new Date((now - 60) * 1000).toISOString();
    expect(error.message).toBe(
      `${oidc.cluster.server} refused the token in $EU_TOKEN (401 Unauthorized): the token expired at ${at}`,
    );
    expect(error.hint).toContain('a token that lives longer than the run');
    expect(error.hint).toContain('GitHub OIDC');
    expect(error.format()).not.toContain(expired);
    expect(error.format()).not.toContain(expired.split('.')[2]!);
    // Nothing to renew: the endpoint is not asked, the request is not repeated.
    expect(old.client.stats.requests).toBe(1);
  });

  it('an expired token in a kubeconfig: the refusal names the kubeconfig token and when it expired', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = oidc.issuer.mint({
      aud: oidc.audience,
      sub: oidc.subject,
      repository: 'acme/config',
      iat: now - 600,
      nbf: now - 600,
      exp: now - 30,
    });
    const kubeconfig = path.join(scratch, 'expired-kubeconfig');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: '${oidc.cluster.server}', certificate-authority: '${oidc.cluster.caFile}'}}]\nusers: [{name: u, user: {token: '${expired}'}}]\ncontexts: [{name: x, context: {cluster: c, user: u, namespace: ${ns}}}]\ncurrent-context: x\n`,
    );
    const client = await ClusterClient.connect({
      kubeconfig,
      context: undefined,
      concurrency: 2,
      env: {},
      cwd: scratch,
    });
    expect(client.credentialExpiresAt()).toEqual(new Date((now - 30) * 1000));
    const error = (await list(client).catch((e: unknown) => e)) as ClusterError;
    expect(error.message).toBe(
      `${oidc.cluster.server} refused the kubeconfig token (401 Unauthorized): the token expired at ${new Date((now - 30) * 1000).toISOString()}`,
    );
    expect(error.format()).not.toContain(expired);
  });

  it('the CLI with an expired --token-env token says it expired, and prints no part of it', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = oidc.issuer.mint({
      aud: oidc.audience,
      sub: oidc.subject,
      repository: 'acme/config',
      iat: now - 600,
      nbf: now - 600,
      exp: now - 60,
    });
    const dir = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: m\n`,
      'm/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {MODE: fixed}\n',
    });
    const run = await runCliAsync(
      [
        'diff',
        '--server',
        oidc.cluster.server,
        '--token-env',
        'KUBEPLAN_ID_TOKEN',
        '--certificate-authority',
        oidc.cluster.caFile,
      ],
      { cwd: dir, env: { KUBEPLAN_ID_TOKEN: expired } },
    );
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(
      `refused the token in $KUBEPLAN_ID_TOKEN (401 Unauthorized): the token expired at ${new Date((now - 60) * 1000).toISOString()}`,
    );
    expect(run.stderr).toContain('GitHub OIDC');
    for (const part of [expired, ...expired.split('.')]) expect(run.stdout + run.stderr).not.toContain(part);
  });
});
