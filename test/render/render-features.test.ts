import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo } from '../helpers/fixture-repo.js';
import { parseStream } from '../helpers/objects.js';
import { runCli, runCliAsync } from '../helpers/run-cli.js';
import { helmBin } from '../helpers/tools.js';

const CAPS_CHART = {
  'charts/caps/Chart.yaml': 'apiVersion: v2\nname: caps\nversion: 0.1.0\nkubeVersion: ">=1.30.0-0"\n',
  'charts/caps/templates/info.yaml': [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: caps',
    'data:',
    '  kube: {{ .Capabilities.KubeVersion.Version | quote }}',
    '  monitoring: {{ .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" | quote }}',
    '  port: {{ .Values.port | quote }}',
    '  portType: {{ kindOf .Values.port | quote }}',
    '  list: {{ .Values.list | toJson | quote }}',
    '',
  ].join('\n'),
};

describe('helm capabilities and --set types', () => {
  it('renders with kubeVersion and apiVersions, and set keeps YAML types', () => {
    const repo = makeRepo({
      ...CAPS_CHART,
      'kubeplan.yaml':
        'targets:\n  - name: caps\n    namespace: c\n    helm:\n      chart: charts/caps\n      kubeVersion: v1.35.1\n      apiVersions: [monitoring.coreos.com/v1]\n      set: {port: "9090", list: [1, "a,b"]}\n',
    });
    const run = runCli(['render'], { cwd: repo });
    expect(run.code, run.stderr).toBe(0);
    expect(parseStream(run.stdout)[0]!.data).toEqual({
      kube: 'v1.35.1',
      monitoring: 'true',
      port: '9090',
      portType: 'string',
      list: '[1,"a,b"]',
    });
  });

  it("helm's kubeVersion check fails with the chart named", () => {
    const repo = makeRepo({
      ...CAPS_CHART,
      'kubeplan.yaml': 'targets:\n  - name: caps\n    helm:\n      chart: charts/caps\n      kubeVersion: v1.20.0\n',
    });
    const run = runCli(['render'], { cwd: repo });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('target caps');
    expect(run.stderr).toMatch(/chart requires kubeVersion/);
  });
});

describe('remote charts from a chart repository', () => {
  let server: http.Server;
  let url: string;
  let repoDir: string;
  beforeAll(async () => {
    const work = makeRepo({ ...CAPS_CHART });
    repoDir = path.join(work, 'served');
    mkdirSync(repoDir);
    execFileSync(helmBin, ['package', path.join(work, 'charts/caps'), '--destination', repoDir], { stdio: 'ignore' });
    server = http.createServer((req, res) => {
      const file = path.join(repoDir, path.basename(req.url ?? '/'));
      if (!existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200).end(readFileSync(file));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    execFileSync(helmBin, ['repo', 'index', repoDir, '--url', url], { stdio: 'ignore' });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('pulls chart + repo + version with helm and renders it', async () => {
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: remote\n    namespace: r\n    helm:\n      chart: caps\n      repo: ${url}\n      version: 0.1.0\nhelm:\n  allowRepositories: ["${url}"]\n`,
    });
    const run = await runCliAsync(['render', '-o', 'json'], {
      cwd: repo,
      env: { HELM_CACHE_HOME: path.join(repo, '.helm-cache') },
    });
    expect(run.code, run.stderr).toBe(0);
    const json = JSON.parse(run.stdout) as {
      targets: {
        objects: { source: { file: string; template: string }; object: { metadata: { namespace: string } } }[];
      }[];
    };
    const [only] = json.targets[0]!.objects;
    expect(only!.source).toEqual({ file: `${url} caps@0.1.0`, template: 'caps/templates/info.yaml' });
    expect(only!.object.metadata.namespace).toBe('r');
  });

  it("a version that does not exist fails with helm's message", async () => {
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: remote\n    helm:\n      chart: caps\n      repo: ${url}\n      version: 9.9.9\nhelm:\n  allowRepositories: ["${url}"]\n`,
    });
    const run = await runCliAsync(['render'], { cwd: repo, env: { HELM_CACHE_HOME: path.join(repo, '.helm-cache') } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('target remote');
    expect(run.stderr).toMatch(/9\.9\.9/);
  });
});

describe('kustomize guard rails', () => {
  it('a post-render folder must be a Component', () => {
    const repo = makeRepo({
      ...CAPS_CHART,
      'overlay/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n',
      'kubeplan.yaml': 'targets:\n  - name: caps\n    helm:\n      chart: charts/caps\n    kustomize: overlay\n',
    });
    const run = runCli(['render'], { cwd: repo });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('overlay is a Kustomization, but post-rendering a chart needs a Kustomize Component');
  });

  it('a Component cannot be built alone', () => {
    const repo = makeRepo({
      'comp/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n',
      'kubeplan.yaml': 'targets:\n  - name: c\n    kustomize: comp\n',
    });
    const run = runCli(['render'], { cwd: repo });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('comp is a Kustomize Component, which cannot be built on its own');
  });

  it('exec plugins are off unless the config opts in, and the hint says how', () => {
    const repo = makeRepo({
      'ov/kustomization.yaml': 'resources: [cm.yaml]\ntransformers: [fn.yaml]\n',
      'ov/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n',
      'ov/fn.yaml':
        'apiVersion: example.com/v1\nkind: Touch\nmetadata:\n  name: touch\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ./touch.sh\n',
      'kubeplan.yaml': 'targets:\n  - name: ov\n    kustomize: ov\n',
    });
    const run = runCli(['render'], { cwd: repo });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('allowExecPlugins');
  });

  it('helmCharts inside a kustomization are off unless the config opts in', () => {
    const repo = makeRepo({
      'ov/kustomization.yaml': 'helmCharts:\n  - name: caps\n    repo: http://127.0.0.1:1\n    version: 0.1.0\n',
      'kubeplan.yaml': 'targets:\n  - name: ov\n    kustomize: ov\n',
    });
    const run = runCli(['render'], { cwd: repo });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('allowHelmCharts');
  });

  it('a kustomization may not reach outside the repository', () => {
    const repo = makeRepo({
      'ov/kustomization.yaml': 'resources:\n  - ../../outside\n',
      'kubeplan.yaml': 'targets:\n  - name: ov\n    kustomize: ov\n',
    });
    const run = runCli(['render'], { cwd: repo });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('lists "../../outside", which leaves the repository');
  });

  it('a symlink out of the repository is refused', () => {
    const repo = makeRepo({
      'kubeplan.yaml': 'targets:\n  - name: raw\n    manifests: raw\n',
      '../elsewhere/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n',
    });
    symlinkSync(path.join(repo, '..', 'elsewhere'), path.join(repo, 'raw'));
    const run = runCli(['render'], { cwd: repo });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('kubeplan.yaml:3: target "raw": "raw" is a symlink that leaves the repository');
  });
});
