import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startApiserver, type RunningApiserver } from '../bench/servers.mjs';
import { startForge, type Forge } from '../forge/forge.js';
import { bench } from '../harness/kube.js';
import { startOidcIssuer, type OidcIssuer } from '../harness/oidc.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runAction } from '../helpers/run-action.js';
import { runCliAsync } from '../helpers/run-cli.js';

/**
 * GitHub OIDC end to end: an issuer on 127.0.0.1 over TLS, an apiserver that trusts it through its structured
 * AuthenticationConfiguration (audience kubeplan-bench, repository acme/config only), RBAC bound to the token's
 * subject, and the action run as a subprocess with the runner's ID-token request variables.
 */
describe('GitHub OIDC and token credentials (apiserver with --authentication-config)', () => {
  let issuer: OidcIssuer;
  let cluster: RunningApiserver;
  let forge: Forge;
  let scratch: string;
  let repository = 'acme/config';
  const ns = 'oidc-app';
  const subject = 'repo:acme/config:ref:refs/heads/main';

  const admin = (method: string, urlPath: string, body?: unknown) =>
    new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      const req = https.request(
        new URL(cluster.server + urlPath),
        {
          method,
          ca: readFileSync(cluster.caFile),
          headers: { authorization: `Bearer ${cluster.adminToken}`, 'content-type': 'application/json' },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
        },
      );
      req.on('error', reject);
      if (body !== undefined) req.write(JSON.stringify(body));
      req.end();
    });

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-oidc-'));
    // The issuer serves with the shared bench apiserver's certificate (for 127.0.0.1), signed by the bench CA.
    const pki = path.join(bench().dataDir, 'pki');
    issuer = await startOidcIssuer(
      { certFile: path.join(pki, 'apiserver.crt'), keyFile: path.join(pki, 'apiserver.key') },
      () => ({
        sub: subject,
        repository,
        ref: 'refs/heads/main',
      }),
    );
    const ca = readFileSync(path.join(pki, 'ca.crt'), 'utf8');
    const authn = path.join(scratch, 'authentication.yaml');
    writeFileSync(
      authn,
      [
        'apiVersion: apiserver.config.k8s.io/v1',
        'kind: AuthenticationConfiguration',
        'jwt:',
        '  - issuer:',
        `      url: ${issuer.url}`,
        '      audiences: [kubeplan-bench]',
        '      certificateAuthority: |',
        ...ca
          .trim()
          .split('\n')
          .map((l) => `        ${l}`),
        '    claimMappings:',
        "      username: {claim: sub, prefix: 'github:'}",
        '    claimValidationRules:',
        '      - expression: "claims.repository == \'acme/config\'"',
        '        message: only acme/config may deploy here',
        '',
      ].join('\n'),
    );
    cluster = await startApiserver(inject('apiserverBinary'), { extraFlags: [`--authentication-config=${authn}`] });
    expect(
      (await admin('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }))
        .status,
    ).toBe(201);
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'deployer', namespace: ns },
      rules: [
        {
          apiGroups: [''],
          resources: ['configmaps'],
          verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'],
        },
      ],
    };
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'deployer', namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'deployer' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: `github:${subject}` }],
    };
    expect((await admin('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, role)).status).toBe(201);
    expect(
      (await admin('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, binding)).status,
    ).toBe(201);
    forge = await startForge();
  }, 120_000);
  afterAll(async () => {
    await forge?.stop();
    await cluster?.stop();
    await issuer?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const repo = () =>
    makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: m\n`,
      'm/cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {MODE: oidc, RUN: "${Math.random()}"}\n`,
    });
  const apply = (
    dir: string,
    inputs: Record<string, string>,
    env: Record<string, string> = {
      ACTIONS_ID_TOKEN_REQUEST_URL: issuer.actions.url,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.actions.requestToken,
    },
  ) =>
    runAction({
      repo: dir,
      forge,
      event: 'push',
      payload: { before: '0'.repeat(40), after: 'c'.repeat(40), repository: { default_branch: 'main' } },
      scratch,
      inputs: {
        command: 'apply',
        kubeconfig: '',
        'only-affected': 'false',
        'cluster-server': cluster.server,
        'cluster-ca': readFileSync(cluster.caFile, 'utf8'),
        ...inputs,
      },
      env,
    });

  it('applies with a GitHub OIDC token: no kubeconfig, no file, the token masked everywhere', async () => {
    const dir = repo();
    const run = await apply(dir, { 'oidc-audience': 'kubeplan-bench' });
    expect(run.code, run.stdout).toBe(0);
    const cm = await admin('GET', `/api/v1/namespaces/${ns}/configmaps/settings`);
    expect(cm.status).toBe(200);
    expect((cm.body.data as Record<string, string>).MODE).toBe('oidc');
    const token = issuer.actions.minted.at(-1)!;
    expect(run.stdout).toContain(`::add-mask::${token}`);
    for (const text of [
      run.stdout.replaceAll(`::add-mask::${token}`, ''),
      run.summary,
      JSON.stringify(run.outputs),
      JSON.stringify([...forge.comments.values()]),
    ]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(token.split('.')[2]!);
    }
  });

  it('a token for another audience is refused before anything is written, with what to check', async () => {
    const run = await apply(repo(), { 'oidc-audience': 'some-other-cluster' });
    expect(run.code).not.toBe(0);
    expect(run.stdout).toContain(
      `${cluster.server} refused a GitHub OIDC token (audience some-other-cluster) (401 Unauthorized)`,
    );
    expect(run.stdout).toContain("check the apiserver's AuthenticationConfiguration");
  });

  it('a token from another repository is refused by the claim rule', async () => {
    repository = 'evil/fork';
    try {
      const run = await apply(repo(), { 'oidc-audience': 'kubeplan-bench' });
      expect(run.code).not.toBe(0);
      expect(run.stdout).toContain('(401 Unauthorized)');
    } finally {
      repository = 'acme/config';
    }
  });

  it('cluster-token: a bearer token input with the server and CA, masked', async () => {
    const token = issuer.mint({ aud: 'kubeplan-bench', sub: subject, repository: 'acme/config' });
    const run = await apply(repo(), { 'cluster-token': token }, {});
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout.replaceAll(`::add-mask::${token}`, '')).not.toContain(token);
    const noServer = await apply(repo(), { 'cluster-token': token, 'cluster-server': '' }, {});
    expect(noServer.code).not.toBe(0);
    expect(noServer.stdout).toContain('cluster-token needs cluster-server');
  });

  it('without the id-token permission the step says which permission to add', async () => {
    const run = await apply(repo(), { 'oidc-audience': 'kubeplan-bench' }, {});
    expect(run.code).not.toBe(0);
    expect(run.stdout).toContain('GitHub OIDC needs the id-token permission');
    expect(run.stdout).toContain('permissions: id-token: write');
  });

  it('the CLI takes a token from a variable (GitLab id_tokens) with --server and --certificate-authority', async () => {
    const dir = repo();
    // The same repository the action runs above applied from (their inventory records it); a clone has it as origin.
    execFileSync('git', ['init', '-q'], { cwd: dir });
    execFileSync('git', ['remote', 'add', 'origin', 'https://github.com/acme/config.git'], { cwd: dir });
    const token = issuer.mint({ aud: 'kubeplan-bench', sub: subject, repository: 'acme/config' });
    const args = [
      'diff',
      '--server',
      cluster.server,
      '--token-env',
      'KUBEPLAN_ID_TOKEN',
      '--certificate-authority',
      cluster.caFile,
    ];
    const ok = await runCliAsync(args, { cwd: dir, env: { KUBEPLAN_ID_TOKEN: token } });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('ConfigMap');
    expect(ok.stdout + ok.stderr).not.toContain(token);
    const empty = await runCliAsync(args, { cwd: dir, env: {} });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('the variable KUBEPLAN_ID_TOKEN (--token-env) is empty or not set');
    const refused = await runCliAsync(args, {
      cwd: dir,
      env: { KUBEPLAN_ID_TOKEN: issuer.mint({ aud: 'kubeplan-bench', sub: subject, repository: 'evil/fork' }) },
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${cluster.server} refused the token in $KUBEPLAN_ID_TOKEN (401 Unauthorized)`);
  });
});
