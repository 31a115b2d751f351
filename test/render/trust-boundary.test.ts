import { chmodSync, mkdirSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeGitRepo, makeRepo } from '../helpers/fixture-repo.js';
import { parseStream } from '../helpers/objects.js';
import { runCli, runCliAsync, type CliRun } from '../helpers/run-cli.js';
import { helmBin, kubectlBin } from '../helpers/tools.js';

// Rendering runs pull-request content next to the runner's credentials: nothing it reads may come from outside the
// repository, nothing it fetches may go anywhere the base branch did not allow, and helm/kubectl never see tokens.

const SEED = 'seeded-credential-5f1e2d3c4b';
const CHART = {
  'charts/app/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\n',
  'charts/app/values.yaml': 'greeting: hello\n',
  'charts/app/templates/cm.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  greeting: {{ .Values.greeting | quote }}\n  file: {{ .Files.Get "files/x" | quote }}\n',
  'charts/app/files/.keep': '',
  'kubeplan.yaml': 'targets:\n  - name: app\n    namespace: web\n    helm:\n      chart: charts/app\n',
  // A credential on the runner, outside the checkout (like the kubeconfig in RUNNER_TEMP).
  '../runner-temp/kubeconfig': `token: ${SEED}\n`,
};

/** The run fails with a message, and the seeded credential is in no output. */
function expectRefused(run: CliRun, ...messages: string[]): void {
  expect(run.code, run.stderr).toBe(2);
  for (const text of [run.stdout, run.stderr]) expect(text).not.toContain(SEED);
  for (const message of messages) expect(run.stderr).toContain(message);
  expect(run.stderr).toContain('hint: ');
}

describe('a local chart reads nothing outside the repository', () => {
  it('refuses a chart file that links to a runner file, naming the link and where it points', () => {
    const repo = makeRepo(CHART);
    const outside = path.join(repo, '..', 'runner-temp', 'kubeconfig');
    symlinkSync(outside, path.join(repo, 'charts/app/files/x'));
    expectRefused(
      runCli(['render'], { cwd: repo }),
      `target app: charts/app/files/x is a symlink to ${outside}, outside the repository`,
      'replace the symlink',
    );
  });

  it('refuses /proc/self/environ, whatever the environment holds', () => {
    const repo = makeRepo(CHART);
    symlinkSync('/proc/self/environ', path.join(repo, 'charts/app/files/x'));
    expectRefused(
      runCli(['render'], { cwd: repo, env: { GITHUB_TOKEN: SEED, HELM_SEEDED: SEED } }),
      'charts/app/files/x is a symlink to /proc/self/environ',
    );
  });

  it('refuses a linked templates folder, a linked values.yaml and a link inside a subchart', () => {
    const cases: [string, (repo: string) => void, string][] = [
      [
        'templates',
        (repo) => {
          mkdirSync(path.join(repo, '../evil-templates'));
          writeFileSync(
            path.join(repo, '../evil-templates/cm.yaml'),
            `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: evil\ndata:\n  x: ${SEED}\n`,
          );
          symlinkSync(path.join(repo, '../evil-templates'), path.join(repo, 'charts/app/templates/more'));
        },
        'charts/app/templates/more is a symlink',
      ],
      [
        'values.yaml',
        (repo) => {
          writeFileSync(path.join(repo, '../values.yaml'), `greeting: ${SEED}\n`);
          unlinkSync(path.join(repo, 'charts/app/values.yaml'));
          symlinkSync(path.join(repo, '../values.yaml'), path.join(repo, 'charts/app/values.yaml'));
        },
        'charts/app/values.yaml is a symlink',
      ],
      [
        'subchart',
        (repo) => {
          mkdirSync(path.join(repo, 'charts/app/charts/sub/templates'), { recursive: true });
          writeFileSync(
            path.join(repo, 'charts/app/charts/sub/Chart.yaml'),
            'apiVersion: v2\nname: sub\nversion: 0.1.0\n',
          );
          writeFileSync(
            path.join(repo, 'charts/app/charts/sub/templates/cm.yaml'),
            'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sub\ndata:\n  x: {{ .Files.Get "kc" | quote }}\n',
          );
          symlinkSync(path.join(repo, '../runner-temp/kubeconfig'), path.join(repo, 'charts/app/charts/sub/kc'));
        },
        'charts/app/charts/sub/kc is a symlink',
      ],
    ];
    for (const [name, arrange, message] of cases) {
      const repo = makeRepo(CHART);
      arrange(repo);
      const run = runCli(['render'], { cwd: repo });
      expect(run.stderr, name).toContain(message);
      expectRefused(run);
    }
  });

  it('refuses a link into .git, where actions/checkout keeps the token', () => {
    const repo = makeRepo({
      ...CHART,
      '.git/config': `[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic ${SEED}\n`,
    });
    symlinkSync('../../../.git/config', path.join(repo, 'charts/app/files/x'));
    expectRefused(
      runCli(['render'], { cwd: repo }),
      "charts/app/files/x is a symlink to ../../../.git/config, which is inside the repository's .git folder",
    );
  });

  it('refuses a chart at the repository root, whose files would include .git', () => {
    const repo = makeRepo({
      'Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\n',
      'templates/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  git: {{ .Files.Get ".git/config" | quote }}\n',
      '.git/config': `[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic ${SEED}\n`,
      'kubeplan.yaml': 'targets:\n  - name: app\n    helm:\n      chart: .\n',
    });
    expectRefused(
      runCli(['render'], { cwd: repo }),
      "target app: .git is inside the repository's .git folder",
      'move the chart',
    );
  });

  it('keeps links inside the repository working', () => {
    const repo = makeRepo({ ...CHART, 'shared/motd.txt': 'shared text' });
    symlinkSync('../../../shared/motd.txt', path.join(repo, 'charts/app/files/x'));
    const run = runCli(['render'], { cwd: repo });
    expect(run.code, run.stderr).toBe(0);
    expect(parseStream(run.stdout)[0]!.data).toEqual({ greeting: 'hello', file: 'shared text' });
  });
});

describe('a manifests folder follows links inside the repository, and only there', () => {
  const cm = (name: string, value: string) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  v: ${value}\n`;

  it('renders files and folders linked from elsewhere in the repository (they were skipped, so apply pruned them)', () => {
    const repo = makeRepo({
      'raw/own.yaml': cm('own', 'a'),
      'common/one.yaml': cm('linked-file', 'b'),
      'common/more/two.yaml': cm('linked-folder', 'c'),
      'kubeplan.yaml': 'targets:\n  - name: raw\n    namespace: ns\n    manifests: raw\n',
    });
    symlinkSync('../common/one.yaml', path.join(repo, 'raw/one.yaml'));
    symlinkSync('../common/more', path.join(repo, 'raw/more'));
    const run = runCli(['render', '-o', 'json'], { cwd: repo });
    expect(run.code, run.stderr).toBe(0);
    const objects = (
      JSON.parse(run.stdout) as {
        targets: { objects: { source: { file: string }; object: { metadata: { name: string } } }[] }[];
      }
    ).targets[0]!.objects;
    expect(objects.map((o) => [o.object.metadata.name, o.source.file]).sort()).toEqual([
      ['linked-file', 'raw/one.yaml'],
      ['linked-folder', 'raw/more/two.yaml'],
      ['own', 'raw/own.yaml'],
    ]);
  });

  it('refuses a link out of the repository, and a dangling link', () => {
    const repo = makeRepo({
      'raw/own.yaml': cm('own', 'a'),
      '../outside/leak.yaml': cm('leak', SEED),
      'kubeplan.yaml': 'targets:\n  - name: raw\n    manifests: raw\n',
    });
    symlinkSync(path.join(repo, '../outside'), path.join(repo, 'raw/ext'));
    expectRefused(runCli(['render'], { cwd: repo }), 'target raw: raw/ext is a symlink to', 'outside the repository');

    const dangling = makeRepo({
      'raw/own.yaml': cm('own', 'a'),
      'kubeplan.yaml': 'targets:\n  - name: raw\n    manifests: raw\n',
    });
    symlinkSync('gone.yaml', path.join(dangling, 'raw/link.yaml'));
    expectRefused(
      runCli(['render'], { cwd: dangling }),
      'raw/link.yaml is a symlink to gone.yaml, which does not exist',
    );
  });
});

describe('a kustomization reads nothing outside the repository', () => {
  it('refuses a linked folder, a linked generator file and a generator folder outside, in every field', () => {
    const outsideKustomization = {
      '../outside/kustomization.yaml': 'resources: [gen.yaml]\n',
      '../outside/gen.yaml': `apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata:\n  name: leak\nliterals: [k=${SEED}]\n`,
      '../outside/cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leak\ndata:\n  k: ${SEED}\n`,
      '../outside/kubeconfig': `token: ${SEED}\n`,
    };
    const base = {
      ...outsideKustomization,
      'ov/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n',
      'kubeplan.yaml': 'targets:\n  - name: ov\n    kustomize: ov\n',
    };
    const cases: [string, Record<string, string>, [string, string][], string][] = [
      [
        'linked resource folder',
        { 'ov/kustomization.yaml': 'resources: [cm.yaml, linked]\n' },
        [['../../outside', 'ov/linked']],
        'ov/kustomization.yaml: linked (ov/linked) is a symlink',
      ],
      [
        'generator folder outside',
        { 'ov/kustomization.yaml': 'resources: [cm.yaml]\ngenerators: [../../outside]\n' },
        [],
        'ov/kustomization.yaml lists "../../outside", which leaves the repository',
      ],
      [
        'linked generator file',
        { 'ov/kustomization.yaml': 'resources: [cm.yaml]\ngenerators: [gen.yaml]\n' },
        [['../../outside/gen.yaml', 'ov/gen.yaml']],
        'ov/gen.yaml) is a symlink',
      ],
      [
        'linked configMapGenerator file',
        { 'ov/kustomization.yaml': 'configMapGenerator:\n  - name: cfg\n    files: [kc=kc.txt]\n' },
        [['../../outside/kubeconfig', 'ov/kc.txt']],
        'ov/kc.txt) is a symlink',
      ],
      [
        'linked patch',
        { 'ov/kustomization.yaml': 'resources: [cm.yaml]\npatches:\n  - path: p.yaml\n' },
        [['../../outside/cm.yaml', 'ov/p.yaml']],
        'ov/p.yaml) is a symlink',
      ],
      [
        'linked file of a builtin generator config',
        {
          'ov/kustomization.yaml': 'generators: [gen.yaml]\n',
          'ov/gen.yaml': 'apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata:\n  name: cfg\nfiles: [kc.txt]\n',
        },
        [['../../outside/kubeconfig', 'ov/kc.txt']],
        'ov/kc.txt) is a symlink',
      ],
    ];
    for (const [name, files, links, message] of cases) {
      const repo = makeRepo({ ...base, ...files });
      for (const [to, at] of links) symlinkSync(to, path.join(repo, at));
      const run = runCli(['render'], { cwd: repo });
      expect(run.stderr, name).toContain(message);
      expectRefused(run);
    }
  });
});

describe('nothing is fetched during render unless the base branch allows it', () => {
  let server: http.Server;
  let url: string;
  const requests: string[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('refuses URLs in every kustomization field, and git:: references without ?ref=', async () => {
    const cases: [string, string][] = [
      ['generators', `resources: [cm.yaml]\ngenerators: [${url}/gen.yaml]\n`],
      ['transformers', `resources: [cm.yaml]\ntransformers: [${url}/t.yaml]\n`],
      ['validators', `resources: [cm.yaml]\nvalidators: [${url}/v.yaml]\n`],
      ['git::', `resources: [cm.yaml, "git::${url}/repo"]\n`],
      ['patches', `resources: [cm.yaml]\npatches:\n  - path: ${url}/p.yaml\n`],
      ['configMapGenerator', `configMapGenerator:\n  - name: c\n    files: [${url}/f.txt]\n`],
      ['host:port', `resources: [cm.yaml, "${url.replace('http://', '')}/repo.git"]\n`],
    ];
    for (const [name, kustomization] of cases) {
      const repo = makeRepo({
        'ov/kustomization.yaml': kustomization,
        'ov/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n',
        'kubeplan.yaml': 'targets:\n  - name: ov\n    kustomize: ov\n',
      });
      const run = await runCliAsync(['render'], { cwd: repo, env: { GIT_TERMINAL_PROMPT: '0' } });
      expect(run.code, `${name}: ${run.stderr}`).toBe(2);
      expect(run.stderr, name).toContain('ov/kustomization.yaml lists the remote');
      expect(run.stderr, name).toContain('allowRemoteResources');
      expect(requests, name).toEqual([]);
    }
  });

  it('refuses remote charts from repositories the config does not list, in helm targets and in helmCharts', async () => {
    const cases: [string, Record<string, string>, string][] = [
      [
        'repo',
        {
          'kubeplan.yaml': `targets:\n  - name: remote\n    helm:\n      chart: caps\n      repo: ${url}/charts\n      version: 0.1.0\n`,
        },
        `kubeplan.yaml:2: target "remote" pulls its chart from ${url}/charts, which is not an allowed chart repository`,
      ],
      [
        'oci',
        {
          'kubeplan.yaml': `targets:\n  - name: remote\n    helm:\n      chart: oci://127.0.0.1:1/charts/caps\n      version: 0.1.0\nhelm:\n  allowRepositories: [oci://127.0.0.1:1/other, "${url}/charts"]\n`,
        },
        'pulls its chart from oci://127.0.0.1:1/charts/caps',
      ],
      [
        'helmCharts',
        {
          'ov/kustomization.yaml': `helmCharts:\n  - name: caps\n    repo: ${url}/charts\n    version: 0.1.0\n`,
          'kubeplan.yaml': `targets:\n  - name: ov\n    kustomize: ov\nkustomize:\n  allowHelmCharts: true\nhelm:\n  allowRepositories: ["${url}/charts-other"]\n`,
        },
        `ov/kustomization.yaml inflates the chart "caps" from ${url}/charts, which is not an allowed chart repository`,
      ],
      [
        'HelmChartInflationGenerator config',
        {
          'ov/kustomization.yaml': 'generators: [helm.yaml]\n',
          'ov/helm.yaml': `apiVersion: builtin\nkind: HelmChartInflationGenerator\nmetadata:\n  name: caps\nname: caps\nrepo: ${url}/charts\nversion: 0.1.0\n`,
          'kubeplan.yaml': 'targets:\n  - name: ov\n    kustomize: ov\nkustomize:\n  allowHelmCharts: true\n',
        },
        `ov/helm.yaml inflates the chart "caps" from ${url}/charts, which is not an allowed chart repository`,
      ],
    ];
    for (const [name, files, message] of cases) {
      const repo = makeRepo(files);
      const run = await runCliAsync(['render'], {
        cwd: repo,
        env: { HELM_CACHE_HOME: path.join(repo, '.helm-cache') },
      });
      expect(run.code, `${name}: ${run.stderr}`).toBe(2);
      expect(run.stderr, name).toContain(message);
      expect(run.stderr, name).toContain('helm: {allowRepositories:');
      expect(requests, name).toEqual([]);
    }
  });
});

describe("helm and kubectl run without the runner's credentials", () => {
  it('passes PATH, HOME and their own settings, never INPUT_*, ACTIONS_*, RUNNER_*, GITHUB_* or tokens', () => {
    const repo = makeRepo({
      ...CHART,
      'ov/kustomization.yaml': 'resources: [cm.yaml]\n',
      'ov/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ov\n',
      'kubeplan.yaml':
        'targets:\n  - name: app\n    namespace: web\n    helm:\n      chart: charts/app\n  - name: ov\n    namespace: web\n    kustomize: ov\n',
    });
    // Recording wrappers: each writes its environment to a file, then runs the real binary.
    const record = (name: string, real: string) => {
      const wrapper = path.join(repo, '..', name);
      writeFileSync(wrapper, `#!/bin/sh\nenv > "${wrapper}.env"\nexec "${real}" "$@"\n`);
      chmodSync(wrapper, 0o755);
      return wrapper;
    };
    const seeded = {
      GITHUB_TOKEN: `${SEED}-1`,
      'INPUT_GITHUB-TOKEN': `${SEED}-2`,
      INPUT_KUBECONFIG: `${SEED}-3`,
      ACTIONS_RUNTIME_TOKEN: `${SEED}-4`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: `${SEED}-5`,
      RUNNER_TEMP: path.join(repo, '..', 'runner-temp'),
      KUBECONFIG: path.join(repo, '..', 'runner-temp', 'kubeconfig'),
      HELM_KUBETOKEN: `${SEED}-6`,
      KUBEPLAN_CLUSTER_TOKEN: `${SEED}-7`,
      REGISTRY_PASSWORD: `${SEED}-8`,
      HELM_CACHE_HOME: path.join(repo, '..', 'helm-cache'),
      LANG: 'C.UTF-8',
    };
    const run = runCli(['render'], {
      cwd: repo,
      env: { ...seeded, KUBEPLAN_HELM: record('helm', helmBin), KUBEPLAN_KUBECTL: record('kubectl', kubectlBin) },
    });
    expect(run.code, run.stderr).toBe(0);
    for (const tool of ['helm', 'kubectl']) {
      const env = readFileSync(path.join(repo, '..', `${tool}.env`), 'utf8');
      const names = env.split('\n').map((l) => l.split('=')[0]);
      expect(names, tool).toEqual(expect.arrayContaining(['PATH', 'HOME', 'HELM_CACHE_HOME', 'LANG']));
      expect(env, tool).not.toContain(SEED);
      for (const name of [
        'GITHUB_TOKEN',
        'INPUT_GITHUB-TOKEN',
        'INPUT_KUBECONFIG',
        'ACTIONS_RUNTIME_TOKEN',
        'RUNNER_TEMP',
        'KUBECONFIG',
        'HELM_KUBETOKEN',
        'KUBEPLAN_CLUSTER_TOKEN',
        'KUBEPLAN_HELM',
      ]) {
        expect(names, `${tool} ${name}`).not.toContain(name);
      }
    }
  });
});

describe('opt-ins come from the base commit when asked (--opt-ins-from)', () => {
  let server: http.Server;
  let url: string;
  const requests: string[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res
        .writeHead(200, { 'content-type': 'text/plain' })
        .end('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fetched\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const gitRepo = (files: Record<string, string>) => makeGitRepo(files);

  it('a change cannot turn an opt-in on for itself, and is told so', async () => {
    const config = 'targets:\n  - name: ov\n    kustomize: ov\n';
    const { repo, git } = gitRepo({
      'kubeplan.yaml': config,
      'ov/kustomization.yaml': 'resources: [cm.yaml]\n',
      'ov/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n',
    });
    const base = git('rev-parse', 'HEAD');
    writeFileSync(path.join(repo, 'kubeplan.yaml'), `${config}kustomize:\n  allowRemoteResources: true\n`);
    writeFileSync(path.join(repo, 'ov/kustomization.yaml'), `resources: [cm.yaml, ${url}/remote.yaml]\n`);
    git('commit', '-qam', 'fetch something');

    const refused = await runCliAsync(['render', '--opt-ins-from', base], { cwd: repo });
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toContain(`ov/kustomization.yaml lists the remote resource "${url}/remote.yaml"`);
    expect(refused.stderr).toContain(
      `note: This change sets kustomize.allowRemoteResources from false to true in kubeplan.yaml. Opt-ins are read from the base commit ${base.slice(0, 12)}`,
    );
    expect(requests).toEqual([]);

    // Once merged (the base has the opt-in), the same render may fetch.
    const merged = git('rev-parse', 'HEAD');
    const allowed = await runCliAsync(['render', '--opt-ins-from', merged], { cwd: repo });
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stderr).not.toContain('note:');
    expect(
      parseStream(allowed.stdout)
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['cm', 'fetched']);
    expect(requests).toEqual(['GET /remote.yaml']);
  });

  it('a base commit without the config means every opt-in is off; an unknown ref is a usage error', async () => {
    const { repo, git } = gitRepo({ 'README.md': 'docs\n' });
    const base = git('rev-parse', 'HEAD');
    writeFileSync(
      path.join(repo, 'kubeplan.yaml'),
      `targets:\n  - name: remote\n    helm:\n      chart: caps\n      repo: ${url}\n      version: 0.1.0\nhelm:\n  allowRepositories: ["${url}"]\n`,
    );
    const before = requests.length;
    const run = await runCliAsync(['render', '--opt-ins-from', base], { cwd: repo });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(`pulls its chart from ${url}, which is not an allowed chart repository`);
    expect(run.stderr).toContain(`adds \`${url}\``.replace(/`/g, ''));
    expect(run.stderr).toContain('which has no kubeplan.yaml: everything off');
    expect(requests.length).toBe(before);

    const unknown = await runCliAsync(['render', '--opt-ins-from', 'no-such-branch'], { cwd: repo });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--opt-ins-from no-such-branch: no such commit, branch or tag');
  });
});
