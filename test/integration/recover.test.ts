import { execFileSync, spawn } from 'node:child_process';
import { Ajv } from 'ajv';
import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
// @ts-expect-error: a plain ES module of the demo (the bench runs no controllers: it plays them)
import { startDemoControllers } from '../../scripts/demo-controllers.mjs';
import { type RunningApiserver, startApiserver } from '../bench/servers.mjs';
import { apiOn } from '../harness/clusters.js';
import { startForge } from '../forge/forge.js';
import { startGitLab } from '../forge/gitlab.js';
import { GitLabApi } from '../../src/platform/gitlab/api.js';
import { makeGitRepo, makeRepo } from '../helpers/fixture-repo.js';
import { type CliRun, runCliAsync } from '../helpers/run-cli.js';
import { examplesDir, helmBin, kubectlBin, repoRoot } from '../helpers/tools.js';

// kubeplan recover (the built CLI) on fresh bench apiservers: the examples rebuilt onto an empty cluster by the drill
// script and checked with drift; a named-cluster fixture with a PVC, Secrets kept outside git and a LoadBalancer; a
// populated cluster refused with nothing written; --force, --dry-run and --to SHA.

let empty: RunningApiserver;
let prodUs: RunningApiserver;
let partial: RunningApiserver;
const stops: (() => Promise<void>)[] = [];
beforeAll(async () => {
  [empty, prodUs, partial] = await Promise.all([
    startApiserver(inject('apiserverBinary')),
    startApiserver(inject('apiserverBinary')),
    startApiserver(inject('apiserverBinary')),
  ]);
  // The bench runs no controllers: rollouts finish and Jobs complete as the demo plays them; PVCs get Bound.
  for (const s of [empty, prodUs, partial]) {
    stops.push(startDemoControllers({ server: s.server, caFile: s.caFile, token: s.adminToken }));
    stops.push(bindClaims(s));
  }
}, 180_000);
afterAll(async () => {
  for (const stop of stops) await stop();
  await Promise.all([empty?.stop(), prodUs?.stop(), partial?.stop()]);
});

const schema = JSON.parse(readFileSync(path.join(repoRoot, 'kubeplan-report.schema.json'), 'utf8')) as { $id: string };
const ajv = new Ajv({ strict: true, allErrors: true });
ajv.addSchema(schema);
/** The report is what kubeplan-report.schema.json says `kubeplan recover -o json` prints. */
function expectRecoverSchema(report: unknown): void {
  for (const id of [`${schema.$id}#/definitions/recover`, schema.$id]) {
    const validate = ajv.getSchema(id)!;
    expect(validate(report) ? [] : validate.errors).toEqual([]);
  }
}

/** Plays the volume binder: every PersistentVolumeClaim becomes Bound. */
function bindClaims(s: RunningApiserver): () => Promise<void> {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const list = await apiOn<{
        items?: { metadata: { namespace: string; name: string }; status?: { phase?: string } }[];
      }>(s, 'GET', '/api/v1/persistentvolumeclaims').catch(() => undefined);
      for (const pvc of list?.body.items ?? []) {
        if (pvc.status?.phase === 'Bound') continue;
        await apiOn(
          s,
          'PATCH',
          `/api/v1/namespaces/${pvc.metadata.namespace}/persistentvolumeclaims/${pvc.metadata.name}/status`,
          { body: { status: { phase: 'Bound' } }, contentType: 'application/merge-patch+json' },
        ).catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

/** Every ConfigMap, Deployment and Namespace with its resourceVersion: what a refused run must leave as it was. */
async function versions(s: RunningApiserver): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const p of ['/api/v1/configmaps', '/apis/apps/v1/deployments', '/api/v1/namespaces', '/api/v1/secrets']) {
    const list = await apiOn<{ items: { metadata: { namespace?: string; name: string; resourceVersion: string } }[] }>(
      s,
      'GET',
      p,
    );
    for (const o of list.body.items)
      out[`${p} ${o.metadata.namespace ?? ''}/${o.metadata.name}`] = o.metadata.resourceVersion;
  }
  return out;
}

const inventories = async (s: RunningApiserver) =>
  (
    await apiOn<{ items: { metadata: { namespace: string; name: string; annotations?: Record<string, string> } }[] }>(
      s,
      'GET',
      '/api/v1/configmaps?labelSelector=applyset.kubernetes.io/id',
    )
  ).body.items;

/** Runs the shipped drill script with sh, kubeplan being the built CLI. */
function drill(cwd: string, args: string[], kubeplan?: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', [path.join(examplesDir, 'scripts', 'recovery-drill.sh'), ...args], {
      cwd,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        KUBEPLAN: kubeplan ?? `${process.execPath} ${path.join(repoRoot, 'dist', 'cli.js')}`,
        KUBEPLAN_HELM: helmBin,
        KUBEPLAN_KUBECTL: kubectlBin,
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('kubeplan recover: the examples onto an empty cluster', () => {
  it('dry-run writes nothing; the drill recovers and drift is 0; a second recover is refused untouched; --force proceeds', async () => {
    const { repo } = makeGitRepo({ 'README.md': '# config\n' });
    cpSync(examplesDir, repo, { recursive: true });
    const kube = ['--kubeconfig', empty.adminKubeconfig];
    // The copied examples committed, so the recovery has a commit to restore and record.
    execFileSync('git', ['add', '-A'], { cwd: repo });
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'examples'], { cwd: repo });
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();

    const before = await versions(empty);
    const dry = await runCliAsync(['recover', '--dry-run', ...kube], { cwd: repo });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(
      `Recovery of the cluster at ${empty.server} to commit ${head.slice(0, 12)} (--to head): dry run, nothing written`,
    );
    expect(dry.stdout).toContain('would apply, in this order: platform, shop-prod, shop-staging, api-prod');
    expect(dry.stdout).toContain('Dry run, nothing written.');
    expect(await versions(empty)).toEqual(before);
    expect(await inventories(empty)).toEqual([]);

    const run = await drill(repo, ['-', ...kube], undefined, { KUBEPLAN_RECOVER_OPTIONS: '--timeout 3m' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`recovery drill: kubeplan recover --timeout 3m --kubeconfig ${empty.adminKubeconfig}`);
    expect(run.stdout).toMatch(/commit guard recorded on 4 inventories before the first object/);
    expect(run.stdout).toMatch(/shop-prod: applied in [\d.]+ (ms|s) \(\d+ created;/);
    expect(run.stdout).toMatch(/recovery time: [\d.]+ (ms|s)\n/);
    expect(run.stderr).toContain('recovery drill passed');
    const parents = await inventories(empty);
    expect(parents.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort()).toEqual([
      'api/kubeplan-api-prod',
      'default/kubeplan-platform',
      'shop-staging/kubeplan-shop-staging',
      'shop/kubeplan-shop-prod',
    ]);
    for (const p of parents) {
      expect(p.metadata.annotations?.['kubeplan.dev/commit']).toBe(head);
      expect(p.metadata.annotations?.['kubeplan.dev/applying-commit']).toBeUndefined();
    }

    // Populated now: refused, exit 3, nothing written, the inventories named with the way forward.
    const populated = await versions(empty);
    const refused = await runCliAsync(['recover', ...kube], { cwd: repo });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('already has 4 kubeplan inventories of this repository; nothing was written');
    expect(refused.stderr).toContain(`shop/kubeplan-shop-prod (target shop-prod, commit ${head.slice(0, 12)})`);
    expect(refused.stderr).toContain('pass --force');
    const json = await runCliAsync(['recover', '-o', 'json', ...kube], { cwd: repo });
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout).error.message).toContain('already has 4 kubeplan inventories');
    expect(await versions(empty)).toEqual(populated);
    // The drill on a cluster that is not empty fails with recover's exit code, and says so.
    const notEmpty = await drill(repo, ['-', ...kube]);
    expect(notEmpty.code).toBe(3);
    expect(notEmpty.stderr).toContain('recovery drill FAILED: kubeplan recover exited 3');
    expect(await versions(empty)).toEqual(populated);

    const forced = await runCliAsync(['recover', '--force', ...kube], { cwd: repo });
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('--force: recovered over 4 existing inventories');
    expect((await runCliAsync(['drift', '--exit-code', ...kube], { cwd: repo })).code).toBe(0);
  }, 300_000);
});

const seed = 'recover-seed-V4lu3';
const b64 = (s: string) => Buffer.from(s).toString('base64');

function appFiles(value: string): Record<string, string> {
  return {
    'platform/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n',
    'app/cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {VALUE: "${value}"}\n`,
    'app/secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata: {name: rendered-token}\ndata: {token: ${b64(seed)}}\n`,
    'app/pvc.yaml':
      'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\nspec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n',
    'app/svc.yaml':
      'apiVersion: v1\nkind: Service\nmetadata: {name: front}\nspec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 80}]}\n',
    'app/deploy.yaml': [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: {name: web}',
      'spec:',
      '  selector: {matchLabels: {app: web}}',
      '  template:',
      '    metadata: {labels: {app: web}}',
      '    spec:',
      '      imagePullSecrets: [{name: regcred}]',
      '      containers:',
      '        - name: web',
      '          image: ghcr.io/acme/web:1.0.0',
      '          env:',
      '            - {name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db-credentials, key: password}}}',
      '          envFrom: [{secretRef: {name: rendered-token}}]',
      '          volumeMounts: [{name: tls, mountPath: /tls}]',
      '      volumes:',
      '        - {name: tls, secret: {secretName: optional-tls, optional: true}}',
      '',
    ].join('\n'),
    'app/sts.yaml': [
      'apiVersion: apps/v1',
      'kind: StatefulSet',
      'metadata: {name: cache}',
      'spec:',
      '  serviceName: cache',
      '  replicas: 2',
      '  selector: {matchLabels: {app: cache}}',
      '  template:',
      '    metadata: {labels: {app: cache}}',
      '    spec: {containers: [{name: cache, image: ghcr.io/acme/cache:1.0.0}]}',
      '  volumeClaimTemplates:',
      '    - metadata: {name: data}',
      '      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}',
      '',
    ].join('\n'),
  };
}

describe('kubeplan recover --cluster (named clusters)', () => {
  it('recovers --to SHA in dependency order, reports what git cannot restore, refuses once populated, --force', async () => {
    const config = [
      'clusters:',
      `  prod-us: {server: ${prodUs.server}, caFile: ca/us.pem, auth: {tokenEnv: US_TOKEN}}`,
      'targets:',
      '  - {name: app, namespace: shop, manifests: app, clusters: [prod-us], dependsOn: [platform]}',
      '  - {name: platform, manifests: platform, clusters: [prod-us]}',
      '',
    ].join('\n');
    const { repo, commit, head } = makeGitRepo({
      'kubeplan.yaml': config,
      'ca/us.pem': readFileSync(prodUs.caFile, 'utf8'),
      ...appFiles('v1'),
    });
    const first = head();
    commit('settings v2', { 'app/cm.yaml': appFiles('v2')['app/cm.yaml']! });
    const env = { US_TOKEN: prodUs.adminToken };
    const cli = (...args: string[]) => runCliAsync(args, { cwd: repo, env });

    const none = await cli('recover');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(
      'kubeplan recover --cluster: recover rebuilds one cluster at a time, and no --cluster was given (kubeplan.yaml names its clusters)',
    );
    const typo = await cli('recover', '--cluster', 'prod-uss');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('kubeplan recover --cluster: unknown cluster "prod-uss"');
    expect(typo.stderr).toContain('pass --cluster NAME, one of prod-us');
    expect(none.stderr).toContain('pass --cluster NAME, one of prod-us');
    const noForge = await cli('recover', '--cluster', 'prod-us', '--to', 'last-successful');
    expect(noForge.code).toBe(2);
    expect(noForge.stderr).toContain(
      "kubeplan recover --to: --to last-successful reads the forge's deployment history, and no forge is configured here (GitHub Deployments need GITHUB_TOKEN and GITHUB_REPOSITORY; GitLab deployments need KUBEPLAN_GITLAB_TOKEN",
    );
    expect(noForge.stderr).toContain('pass --to SHA');
    const unknown = await cli('recover', '--cluster', 'prod-us', '--to', 'no-such-ref');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no commit "no-such-ref"');

    const before = await versions(prodUs);
    const dry = await cli('recover', '--cluster', 'prod-us', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('would apply, in this order: platform@prod-us, app@prod-us');
    expect(dry.stdout).toContain('PersistentVolumeClaim shop/data  (rendered)');
    expect(dry.stdout).toContain(
      'PersistentVolumeClaim shop/data-cache-0  (volumeClaimTemplate of StatefulSet shop/cache)',
    );
    expect(dry.stdout).toContain('Secret shop/db-credentials  (Deployment shop/web)');
    expect(dry.stdout).toContain('Service shop/front  (type LoadBalancer)');
    expect(await versions(prodUs)).toEqual(before);

    const run = await cli('recover', '--cluster', 'prod-us', '--to', first, '-o', 'json', '--timeout', '2m');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout + run.stderr).not.toContain(seed);
    expect(run.stdout + run.stderr).not.toContain(b64(seed));
    const report = JSON.parse(run.stdout);
    expectRecoverSchema(report);
    expect(report).toMatchObject({
      command: 'recover',
      dryRun: false,
      finished: true,
      cluster: 'prod-us',
      commit: first,
    });
    expect(report.guard.inventories).toBe(2);
    expect(report.instances.map((i: { name: string; status: string }) => `${i.name} ${i.status}`)).toEqual([
      'platform@prod-us applied',
      'app@prod-us applied',
    ]);
    for (const i of report.instances) {
      expect(i.ms).toBeGreaterThan(0);
      expect(i.stages.map((s: { name: string }) => s.name)).toContain('wait until healthy');
    }
    expect(report.recoveryMs).toBeGreaterThanOrEqual(report.instances[0].ms + report.instances[1].ms);
    const names = (list: { namespace: string; name: string }[]) => list.map((g) => `${g.namespace}/${g.name}`);
    expect(names(report.cannotRestore.persistentVolumeClaims)).toEqual([
      'shop/data',
      'shop/data-cache-0',
      'shop/data-cache-1',
    ]);
    // Rendered (rendered-token) and optional (optional-tls) Secrets are no gap; the others must be restored by hand.
    expect(names(report.cannotRestore.secrets)).toEqual(['shop/db-credentials', 'shop/regcred']);
    expect(report.cannotRestore.secrets[0].because).toEqual(['Deployment shop/web']);
    expect(names(report.cannotRestore.loadBalancers)).toEqual(['shop/front']);
    const settings = await apiOn<{ data: Record<string, string> }>(
      prodUs,
      'GET',
      '/api/v1/namespaces/shop/configmaps/settings',
    );
    expect(settings.body.data.VALUE).toBe('v1');
    const parent = (await inventories(prodUs)).find((p) => p.metadata.name === 'kubeplan-app')!;
    expect(parent.metadata.annotations?.['kubeplan.dev/commit']).toBe(first);

    // The cluster runs the older commit: drift against the checked-out head says so.
    expect((await cli('drift', '--cluster', 'prod-us', '--exit-code')).code).toBe(1);

    const populated = await versions(prodUs);
    const refused = await cli('recover', '--cluster', 'prod-us');
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('kubeplan recover --cluster: cluster prod-us already has 2 kubeplan inventories');
    expect(refused.stderr).toContain(`shop/kubeplan-app (target app, commit ${first.slice(0, 12)})`);
    expect(await versions(prodUs)).toEqual(populated);

    // The drill fails when the recovered cluster differs from git: here its kubeplan restores the older commit.
    const wrapper = makeRepo({
      'kubeplan.sh': `#!/bin/sh\ncommand=$1\nshift\nif [ "$command" = recover ]; then set -- --force --to ${first} "$@"; fi\nexec "${process.execPath}" "${path.join(repoRoot, 'dist', 'cli.js')}" "$command" "$@"\n`,
    });
    const drifted = await drill(repo, ['prod-us'], `sh ${path.join(wrapper, 'kubeplan.sh')}`, env);
    expect(drifted.code, drifted.stderr).toBe(1);
    expect(drifted.stderr).toContain(
      'recovery drill FAILED: the recovered cluster differs from git (kubeplan drift exited 1)',
    );

    // --to last-successful: the newest commit the cluster's instances last applied successfully (GitHub Deployments).
    const forge = await startForge();
    try {
      const at = (min: number) => new Date(Date.now() - min * 60_000).toISOString();
      const deployed = (id: number, environment: string, sha: string, state: string, min: number) =>
        forge.deployments.push({
          id,
          ref: sha,
          environment,
          production: true,
          description: `kubeplan apply ${sha.slice(0, 12)}`,
          createdAt: at(min + 1),
          statuses: [{ state, description: state, log_url: '', createdAt: at(min) }],
        });
      deployed(1, 'platform@prod-us', first, 'success', 60);
      deployed(2, 'app@prod-us', first, 'success', 60);
      deployed(3, 'app@prod-us', head(), 'failure', 10);
      deployed(4, 'app@prod-eu', head(), 'success', 5);
      const fromForge = await runCliAsync(
        ['recover', '--cluster', 'prod-us', '--to', 'last-successful', '--dry-run', '--force', '-o', 'json'],
        {
          cwd: repo,
          env: { ...env, GITHUB_TOKEN: 'ghs_recover', GITHUB_REPOSITORY: 'acme/config', GITHUB_API_URL: forge.url },
        },
      );
      expect(fromForge.code, fromForge.stderr).toBe(0);
      expectRecoverSchema(JSON.parse(fromForge.stdout));
      expect(JSON.parse(fromForge.stdout)).toMatchObject({ commit: first, to: 'last-successful', dryRun: true });
    } finally {
      await forge.stop();
    }
    // The same from a GitLab CI job: GitLab deployments, read with KUBEPLAN_GITLAB_TOKEN.
    const gitlab = await startGitLab();
    try {
      const api = new GitLabApi({ apiUrl: gitlab.url, token: 'glpat-recover', project: 'acme/config' });
      const deploy = async (environment: string, sha: string, status: string) => {
        const { data } = await api.request<{ id: number }>(
          'POST',
          api.projectPath('/deployments'),
          { environment, sha, ref: 'main', tag: false, status: 'running' },
          'create',
        );
        await api.request('PUT', api.projectPath(`/deployments/${data.id}`), { status }, 'finish');
      };
      await deploy('platform@prod-us', head(), 'success');
      await deploy('app@prod-us', first, 'success');
      const fromGitLab = await runCliAsync(
        ['recover', '--cluster', 'prod-us', '--to', 'last-successful', '--dry-run', '--force', '-o', 'json'],
        {
          cwd: repo,
          env: {
            ...env,
            KUBEPLAN_GITLAB_TOKEN: 'glpat-recover',
            CI_API_V4_URL: gitlab.url,
            CI_PROJECT_ID: 'acme/config',
          },
        },
      );
      expect(fromGitLab.code, fromGitLab.stderr).toBe(0);
      // platform last succeeded with the newer commit, app with the older: the newest of them.
      expect(JSON.parse(fromGitLab.stdout)).toMatchObject({ commit: head(), to: 'last-successful' });
      expect(fromGitLab.stdout + fromGitLab.stderr).not.toContain('glpat-recover');
    } finally {
      await gitlab.stop();
    }

    const forced = await cli('recover', '--cluster', 'prod-us', '--force', '--timeout', '2m');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain(`to commit ${head().slice(0, 12)} (--to head)`);
    expect((await cli('drift', '--cluster', 'prod-us', '--exit-code')).code).toBe(0);
  }, 300_000);
});

describe('kubeplan recover: a recovery that stops part-way', () => {
  it('records the commit guard before the first object, reports the failed target, is refused again, --force finishes', async () => {
    const { repo, commit, head } = makeGitRepo({
      'kubeplan.yaml': [
        'targets:',
        '  - {name: platform, manifests: platform}',
        // Listed before app, applied after it: dependsOn orders targets without named clusters too.
        '  - {name: broken, namespace: shop, manifests: broken, dependsOn: [app]}',
        '  - {name: app, namespace: shop, manifests: app}',
        '',
      ].join('\n'),
      'platform/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n',
      'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {VALUE: "1"}\n',
      // In a namespace nothing creates: its plan fails, so nothing of it is written.
      'broken/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lost, namespace: nowhere}\ndata: {VALUE: "1"}\n',
    });
    const kube = ['--kubeconfig', partial.adminKubeconfig];
    const run = await runCliAsync(['recover', '-o', 'json', ...kube], { cwd: repo });
    expect(run.code).toBe(2);
    const report = JSON.parse(run.stdout);
    expectRecoverSchema(report);
    expect(report.finished).toBe(false);
    expect(report.guard.inventories).toBe(3);
    expect(report.instances.map((i: { name: string; status: string }) => `${i.name} ${i.status}`)).toEqual([
      'platform applied',
      'app applied',
      'broken failed',
    ]);
    expect(report.instances[2].reason).toContain('could not be planned, so nothing of this target was written');
    expect(report.error.message).toContain('nowhere');
    // The guard is on broken's inventory though none of its objects was written: an apply of an older commit is
    // refused from now on, and the record says that this apply has not finished.
    const broken = (await inventories(partial)).find((p) => p.metadata.name === 'kubeplan-broken')!;
    expect(broken.metadata.annotations?.['kubeplan.dev/commit']).toBe(head());
    expect(broken.metadata.annotations?.['kubeplan.dev/applying-commit']).toBe(head());
    const text = await runCliAsync(['recover', ...kube], { cwd: repo });
    expect(text.code).toBe(3);
    expect(text.stderr).toContain(
      `shop/kubeplan-broken (target broken, commit ${head().slice(0, 12)}, an apply of ${head().slice(0, 12)} not finished)`,
    );

    // Fixed in git: --force finishes the recovery over the inventories the first run wrote.
    commit('fix broken', {
      'broken/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lost}\ndata: {VALUE: "1"}\n',
    });
    const forced = await runCliAsync(['recover', '--force', ...kube], { cwd: repo });
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/broken: applied in/);
    expect((await runCliAsync(['drift', '--exit-code', ...kube], { cwd: repo })).code).toBe(0);
  }, 180_000);
});
