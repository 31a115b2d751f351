import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { caFingerprint } from '../../src/core/cluster/client.js';
import { startForge, type Forge } from '../forge/forge.js';
import { api, bench, freshNamespace } from '../harness/kube.js';
import { OciTestClient } from '../harness/oci.js';
import { startOidcIssuer } from '../harness/oidc.js';
import { startRecordingProxy, type RecordingProxy } from '../harness/recording-proxy.js';
import { startRegistry, type RunningRegistry } from '../harness/registry.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runAction } from '../helpers/run-action.js';
import { runCliAsync } from '../helpers/run-cli.js';
import { repoRoot } from '../helpers/tools.js';

// A runner behind a corporate proxy: HTTPS_PROXY/HTTP_PROXY/NO_PROXY (or a kubeconfig proxy-url) must carry every
// request kubeplan makes (apiserver, registries, GitHub, the OIDC token request), the way kubectl and helm honour
// them. Clients never send loopback through a proxy (as Go and the Actions toolkit), so the bench servers are named
// here by hosts the recording proxy maps to 127.0.0.1 (the apiserver's certificate holds kubernetes.default.svc).
const PROXY_USER = 'corp-user';
const PROXY_PASSWORD = 'proxy-pa55-seeded-7f3a';
const APISERVER_NAME = 'kubernetes.default.svc';
const hostsHook = path.join(repoRoot, 'test/helpers/test-hosts.mjs');

let proxy: RecordingProxy;
let scratch: string;
let port: string;
beforeAll(async () => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-proxy-'));
  port = new URL(bench().server).port;
  proxy = await startRecordingProxy({
    auth: { username: PROXY_USER, password: PROXY_PASSWORD },
    hosts: {
      [APISERVER_NAME]: '127.0.0.1',
      'registry.test': '127.0.0.1',
      'github.test': '127.0.0.1',
      'oidc.test': '127.0.0.1',
    },
  });
});
afterAll(async () => {
  await proxy?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** A kubeconfig for the bench apiserver (admin token, bench CA) at `server`, with an optional proxy-url. */
function kubeconfig(server: string, proxyUrl?: string): string {
  const file = path.join(mkdtempSync(path.join(scratch, 'kc-')), 'config');
  const ca = readFileSync(bench().caFile).toString('base64');
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters:
- name: bench
  cluster:
    server: ${server}
    certificate-authority-data: ${ca}${proxyUrl ? `\n    proxy-url: ${proxyUrl}` : ''}
users:
- name: admin
  user: {token: ${bench().adminToken}}
contexts:
- name: bench
  context: {cluster: bench, user: admin}
current-context: bench
`,
  );
  return file;
}

function configMapRepo(ns: string): string {
  return makeRepo({
    'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: manifests\n`,
    'manifests/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {LOG_LEVEL: info}\n',
  });
}

const noPassword = (run: { stdout: string; stderr: string }) => {
  for (const text of [run.stdout, run.stderr]) {
    expect(text).not.toContain(PROXY_PASSWORD);
    expect(text).not.toContain(Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString('base64'));
  }
};

/** The log as the runner shows it: the ::add-mask:: commands themselves are consumed, never printed. */
const unmasked = (log: string) =>
  log
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');

describe('the apiserver through a proxy (kubectl rules: proxy-url, else HTTPS_PROXY and NO_PROXY)', () => {
  it('diff and apply reach the apiserver through a CONNECT tunnel of HTTPS_PROXY, with the pinned CA still checked', async () => {
    const ns = await freshNamespace('proxy');
    const repo = configMapRepo(ns);
    const config = kubeconfig(`https://${APISERVER_NAME}:${port}`);
    const env = { HTTPS_PROXY: proxy.url };
    const target = `${APISERVER_NAME}:${port}`;
    const pin = ['--expect-ca-sha256', caFingerprint(readFileSync(bench().caFile, 'utf8'))!];

    const diff = await runCliAsync(['diff', '--kubeconfig', config, ...pin], { cwd: repo, env });
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toMatch(/1 to create/);
    const tunnels = proxy.to(target);
    expect(tunnels.length).toBeGreaterThan(0);
    expect(tunnels.every((r) => r.method === 'CONNECT' && r.authorized)).toBe(true);

    const before = tunnels.length;
    const apply = await runCliAsync(['apply', '--kubeconfig', config, ...pin], { cwd: repo, env });
    expect(apply.code, apply.stderr).toBe(0);
    expect(proxy.to(target).length).toBeGreaterThan(before);
    expect((await api(`GET`, `/api/v1/namespaces/${ns}/configmaps/settings`)).status).toBe(200);
    for (const run of [diff, apply]) noPassword(run);
  });

  it('--server with --token-env (no kubeconfig) goes through HTTPS_PROXY too, the --certificate-authority verified', async () => {
    const ns = await freshNamespace('proxy-direct');
    const before = proxy.to(`${APISERVER_NAME}:${port}`).length;
    const run = await runCliAsync(
      [
        'diff',
        '--server',
        `https://${APISERVER_NAME}:${port}`,
        '--token-env',
        'CLUSTER_TOKEN',
        '--certificate-authority',
        bench().caFile,
      ],
      { cwd: configMapRepo(ns), env: { HTTPS_PROXY: proxy.url, CLUSTER_TOKEN: bench().adminToken } },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/1 to create/);
    expect(proxy.to(`${APISERVER_NAME}:${port}`).length).toBeGreaterThan(before);
  });

  it('the server certificate is verified end to end through the tunnel: a name it does not hold is refused', async () => {
    // The proxy connects proxied.test to the apiserver, whose certificate does not name proxied.test.
    const other = await startRecordingProxy({ hosts: { 'proxied.test': '127.0.0.1' } });
    try {
      const run = await runCliAsync(['diff', '--kubeconfig', kubeconfig(`https://proxied.test:${port}`)], {
        cwd: configMapRepo('default'),
        env: { HTTPS_PROXY: other.url },
      });
      expect(run.code).toBe(2);
      expect(other.to(`proxied.test:${port}`).length).toBeGreaterThan(0);
      expect(run.stderr).toMatch(/cannot reach the apiserver at https:\/\/proxied\.test:\d+ through the proxy/);
      expect(run.stderr).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID|altnames/);
    } finally {
      await other.stop();
    }
  });

  it('NO_PROXY (a domain suffix) sends the apiserver directly, and loopback never goes through the proxy', async () => {
    const ns = await freshNamespace('noproxy');
    const repo = configMapRepo(ns);
    const before = proxy.records.length;
    const bypass = await runCliAsync(['diff', '--kubeconfig', kubeconfig(`https://${APISERVER_NAME}:${port}`)], {
      cwd: repo,
      env: {
        HTTPS_PROXY: proxy.url,
        NO_PROXY: 'example.com,.svc',
        NODE_OPTIONS: `--import ${hostsHook}`,
        KUBEPLAN_TEST_HOSTS: APISERVER_NAME,
      },
    });
    expect(bypass.code, bypass.stderr).toBe(0);
    expect(bypass.stdout).toMatch(/1 to create/);

    const loopback = await runCliAsync(['diff', '--kubeconfig', bench().adminKubeconfig], {
      cwd: repo,
      env: { HTTPS_PROXY: proxy.url, https_proxy: proxy.url },
    });
    expect(loopback.code, loopback.stderr).toBe(0);
    expect(proxy.records.length).toBe(before);
  });

  it("a kubeconfig cluster's proxy-url is used without any proxy variable (even for a loopback server)", async () => {
    const ns = await freshNamespace('proxyurl');
    const before = proxy.to(`127.0.0.1:${port}`).length;
    const run = await runCliAsync(['diff', '--kubeconfig', kubeconfig(bench().server, proxy.url)], {
      cwd: configMapRepo(ns),
      env: {},
    });
    expect(run.code, run.stderr).toBe(0);
    expect(proxy.to(`127.0.0.1:${port}`).length).toBeGreaterThan(before);
    noPassword(run);
  });

  it('a proxy that refuses the credentials is named in the error, without the password', async () => {
    const wrong = proxy.url.replace(PROXY_PASSWORD, `${PROXY_PASSWORD}-old`);
    const run = await runCliAsync(['diff', '--kubeconfig', kubeconfig(`https://${APISERVER_NAME}:${port}`)], {
      cwd: configMapRepo('default'),
      env: { HTTPS_PROXY: wrong },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/through the proxy http:\/\/\*\*\*@127\.0\.0\.1:\d+ \(HTTPS_PROXY\)/);
    expect(run.stderr).toContain('407');
    noPassword(run);
  });

  it('the proxy password (from HTTPS_PROXY or a proxy-url) is masked in what kubeplan prints', async () => {
    // Apps behind the same proxy get its URL in their configuration: the plan shows it without the password.
    const ns = await freshNamespace('proxy-mask');
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: manifests\n`,
      'manifests/cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: proxy}\ndata: {HTTPS_PROXY: '${proxy.url}'}\n`,
    });
    for (const format of ['text', 'json']) {
      const fromEnv = await runCliAsync(['diff', '--kubeconfig', bench().adminKubeconfig, '-o', format], {
        cwd: repo,
        env: { HTTPS_PROXY: proxy.url },
      });
      expect(fromEnv.code, fromEnv.stderr).toBe(0);
      expect(fromEnv.stdout).toContain('HTTPS_PROXY: http://***@127.0.0.1');
      noPassword(fromEnv);
      const fromKubeconfig = await runCliAsync(
        ['diff', '--kubeconfig', kubeconfig(bench().server, proxy.url), '-o', format],
        { cwd: repo, env: {} },
      );
      expect(fromKubeconfig.code, fromKubeconfig.stderr).toBe(0);
      noPassword(fromKubeconfig);
    }
  });

  it('a proxy variable that is not a URL is refused with its name, before anything is sent', async () => {
    const run = await runCliAsync(['diff', '--kubeconfig', kubeconfig(`https://${APISERVER_NAME}:${port}`)], {
      cwd: configMapRepo('default'),
      env: { https_proxy: `socks4://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:1080` },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('environment variable https_proxy');
    expect(run.stderr).not.toContain('bug in kubeplan');
    noPassword(run);
  });
});

describe('registries through a proxy (HTTP_PROXY forwards plain-HTTP registry requests)', () => {
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistry(inject('registryBinary'), 'anonymous');
    const pusher = new OciTestClient(registry);
    for (const tag of ['1.0.0', '1.1.0']) await pusher.pushImage('acme/app', tag);
  });
  afterAll(async () => {
    await registry?.stop();
  });

  const repoWithImage = () =>
    makeRepo({
      'kubeplan.yaml': 'targets:\n  - name: app\n    namespace: app\n    manifests: manifests\n',
      'manifests/deploy.yaml':
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n  selector: {matchLabels: {app: app}}\n  template:\n    metadata: {labels: {app: app}}\n    spec:\n      containers:\n        - name: app\n          image: ghcr.io/acme/app:1.0.0\n',
    });

  it('bump --dry-run asks the registry through the proxy, and NO_PROXY sends it directly', async () => {
    const registryPort = new URL(registry.url).port;
    const endpoint = ['--registry-endpoint', `ghcr.io=http://registry.test:${registryPort}`];
    const proxied = await runCliAsync(['bump', '--dry-run', ...endpoint], {
      cwd: repoWithImage(),
      env: { HTTP_PROXY: proxy.url },
    });
    expect(proxied.code, proxied.stderr + proxied.stdout).toBe(0);
    expect(proxied.stdout).toContain('1.1.0');
    const records = proxy.to(`registry.test:${registryPort}`);
    expect(records.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining(['GET /v2/', expect.stringMatching(/^GET \/v2\/acme\/app\/tags\/list/)]),
    );
    expect(records.every((r) => r.authorized)).toBe(true);
    noPassword(proxied);

    const before = proxy.records.length;
    const direct = await runCliAsync(['bump', '--dry-run', ...endpoint], {
      cwd: repoWithImage(),
      env: {
        HTTP_PROXY: proxy.url,
        no_proxy: `registry.test:${registryPort}`,
        NODE_OPTIONS: `--import ${hostsHook}`,
        KUBEPLAN_TEST_HOSTS: 'registry.test',
      },
    });
    expect(direct.code, direct.stderr + direct.stdout).toBe(0);
    expect(direct.stdout).toContain('1.1.0');
    expect(proxy.records.length).toBe(before);
  });

  it('a proxy that refuses the credentials fails the image with the 407, without the password', async () => {
    const registryPort = new URL(registry.url).port;
    const run = await runCliAsync(
      ['bump', '--dry-run', '--registry-endpoint', `ghcr.io=http://registry.test:${registryPort}`],
      { cwd: repoWithImage(), env: { HTTP_PROXY: proxy.url.replace(PROXY_PASSWORD, 'wrong-password') } },
    );
    expect(run.code).toBe(2);
    expect(run.stdout + run.stderr).toMatch(/cannot reach the registry at registry\.test:\d+ \(.*407/);
    expect(run.stdout + run.stderr).toContain('HTTPS_PROXY/NO_PROXY');
    expect(run.stdout + run.stderr).not.toContain('wrong-password');
  });
});

describe('GitHub through a proxy (the action)', () => {
  let forge: Forge;
  beforeAll(async () => {
    forge = await startForge();
  });
  afterAll(async () => {
    await forge?.stop();
  });

  const pullRequest = (number: number) => {
    const repo = { full_name: 'acme/config', name: 'config', owner: { login: 'acme' }, fork: false };
    return {
      action: 'synchronize',
      number,
      pull_request: {
        number,
        state: 'open',
        title: 'Change settings',
        html_url: `https://github.com/acme/config/pull/${number}`,
        base: { ref: 'main', sha: 'a'.repeat(40), repo },
        head: { ref: 'settings', sha: 'b'.repeat(40), repo },
      },
      repository: repo,
      sender: { login: 'alice', type: 'User' },
    };
  };

  it('the plan comment goes to GitHub through HTTP_PROXY (the apiserver on loopback directly)', async () => {
    const ns = await freshNamespace('proxy-gh');
    const forgePort = new URL(forge.url).port;
    const toApiserver = proxy.to(`127.0.0.1:${port}`).length;
    const run = await runAction({
      repo: configMapRepo(ns),
      forge,
      event: 'pull_request',
      payload: pullRequest(7),
      inputs: {},
      scratch,
      env: {
        GITHUB_API_URL: forge.url.replace('127.0.0.1', 'github.test'),
        GITHUB_GRAPHQL_URL: forge.graphqlUrl.replace('127.0.0.1', 'github.test'),
        HTTP_PROXY: proxy.url,
        HTTPS_PROXY: proxy.url,
      },
    });
    expect(run.code, run.stdout).toBe(0);
    expect(forge.comments.get(7)?.[0]?.body).toContain('Plan: +1 to create');
    const records = proxy.to(`github.test:${forgePort}`);
    expect(records).toContainEqual(
      expect.objectContaining({ method: 'POST', path: '/repos/acme/config/issues/7/comments', authorized: true }),
    );
    expect(proxy.to(`127.0.0.1:${port}`).length).toBe(toApiserver);
    // The proxy password is masked in the runner's log and in everything kubeplan writes.
    expect(run.stdout).toContain(`::add-mask::${PROXY_PASSWORD}`);
    expect(unmasked(run.stdout)).not.toContain(PROXY_PASSWORD);
  });

  it('the GitHub OIDC token request (@actions/core) goes through HTTP_PROXY', async () => {
    const pki = path.join(bench().dataDir, 'pki');
    const issuer = await startOidcIssuer(
      { certFile: path.join(pki, 'apiserver.crt'), keyFile: path.join(pki, 'apiserver.key') },
      () => ({ sub: 'repo:acme/config:ref:refs/heads/main' }),
    );
    try {
      const tokenUrl = new URL(issuer.actions.url);
      const run = await runAction({
        repo: configMapRepo('default'),
        forge,
        event: 'pull_request',
        payload: pullRequest(8),
        inputs: {
          kubeconfig: '',
          'oidc-audience': 'kubeplan-bench',
          'cluster-server': bench().server,
          'cluster-ca': readFileSync(bench().caFile, 'utf8'),
        },
        scratch,
        env: {
          ACTIONS_ID_TOKEN_REQUEST_URL: issuer.actions.url.replace('127.0.0.1', 'oidc.test'),
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.actions.requestToken,
          HTTP_PROXY: proxy.url,
        },
      });
      // The token, and a renewal when the apiserver refused it: a request refused with the current token asks for one
      // new token, once (discovery's requests in flight share it, or one of them asks again after it).
      expect(issuer.actions.minted.length).toBeGreaterThanOrEqual(2);
      expect(issuer.actions.minted.length).toBeLessThanOrEqual(3);
      // @actions/http-client tunnels (CONNECT) even to a plain-HTTP endpoint.
      expect(proxy.to(`oidc.test:${tokenUrl.port}`)).toContainEqual(expect.objectContaining({ authorized: true }));
      // The bench apiserver does not trust this issuer: the token was fetched, and then refused by the cluster.
      expect(run.stdout).toContain('refused a GitHub OIDC token');
      expect(unmasked(run.stdout)).not.toContain(PROXY_PASSWORD);
    } finally {
      await issuer.stop();
    }
  });
});
