import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runCli } from '../helpers/run-cli.js';

// Every bad input exits 2 with what, where and what to do, and writes nothing.

const CHART = {
  'charts/app/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\n',
  'charts/app/values.yaml': 'replicas: 1\n',
  'charts/app/templates/cm.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  replicas: "{{ .Values.replicas }}"\n',
};

function renderExpectingFailure(repo: string, args: string[] = []) {
  const out = path.join(repo, 'out');
  const run = runCli(['render', '--out-dir', out, ...args], { cwd: repo });
  expect(run.code, run.stderr).toBe(2);
  expect(run.stdout).toBe('');
  expect(existsSync(out)).toBe(false);
  expect(run.stderr).toMatch(/^error: /);
  expect(run.stderr).toContain('hint: ');
  return run.stderr;
}

describe('bad config', () => {
  it('YAML syntax error names kubeplan.yaml:LINE', () => {
    const repo = makeRepo({
      'kubeplan.yaml': 'targets:\n  - name: a\n    manifests: raw\n  - name: b: c\n    manifests: raw\n',
      'raw/a.yaml': '',
    });
    expect(renderExpectingFailure(repo)).toMatch(/kubeplan\.yaml:4: YAML syntax error/);
  });

  it('unknown field names the target, the line and a likely fix', () => {
    const repo = makeRepo({
      ...CHART,
      'kubeplan.yaml': 'targets:\n  - name: app\n    helm:\n      chart: charts/app\n      valuse: [x.yaml]\n',
    });
    const err = renderExpectingFailure(repo);
    expect(err).toContain('kubeplan.yaml:5: target "app": unknown field "valuse" (did you mean "values"?)');
  });

  it('a deployment environment that is not a name, or production that is not true or false, names the line', () => {
    const repo = makeRepo({
      'kubeplan.yaml': "targets:\n  - name: app\n    manifests: raw\n    environment: ''\n    production: 'yes'\n",
      'raw/a.yaml': '',
    });
    const err = renderExpectingFailure(repo);
    expect(err).toMatch(/kubeplan\.yaml:4: target "app": .*environment/);
    expect(err).toMatch(/kubeplan\.yaml:5: target "app": .*production/);
  });

  it('a bump reviewer written with @, or a commit prefix over two lines, names the line and the fix', () => {
    const repo = makeRepo({
      'kubeplan.yaml':
        'targets:\n  - name: app\n    manifests: raw\nbump:\n  reviewers: [alice, "@bob"]\n  assignees: [acme/platform]\n  commitMessagePrefix: "chore:\\n"\n',
      'raw/a.yaml': '',
    });
    const err = renderExpectingFailure(repo);
    expect(err).toContain('kubeplan.yaml:5: bump.reviewers[1] "@bob" is not a login');
    expect(err).toContain('hint: write a GitHub login or org/team (a GitLab username), without @');
    expect(err).toContain('kubeplan.yaml:6: bump.assignees[0] "acme/platform" is not a login');
    expect(err).toContain('kubeplan.yaml:7: bump.commitMessagePrefix must be one line of at most 100 characters');
  });

  it('missing field names the target and line', () => {
    const repo = makeRepo({
      'kubeplan.yaml': 'targets:\n  - name: app\n    namespace: web\n    helm:\n      releaseName: app\n',
    });
    expect(renderExpectingFailure(repo)).toContain('kubeplan.yaml:4: target "app": missing required field "chart"');
  });

  it('a target without a source', () => {
    const repo = makeRepo({
      'kubeplan.yaml': 'targets:\n  - name: raw\n    manifests: raw\n  - name: lonely\n    namespace: x\n',
      'raw/a.yaml': '',
    });
    const err = renderExpectingFailure(repo);
    expect(err).toContain('kubeplan.yaml:4: target "lonely" has no source');
    expect(err).toContain('set one of helm');
  });

  it('duplicate target names point at both', () => {
    const repo = makeRepo({
      'kubeplan.yaml': 'targets:\n  - name: raw\n    manifests: raw\n  - name: raw\n    manifests: raw\n',
      'raw/a.yaml': '',
    });
    expect(renderExpectingFailure(repo)).toContain(
      'kubeplan.yaml:4: duplicate target name "raw" (first defined at kubeplan.yaml:2)',
    );
  });

  it('a path outside the repository', () => {
    const repo = makeRepo({ 'kubeplan.yaml': 'targets:\n  - name: escape\n    manifests: ../elsewhere\n' });
    expect(renderExpectingFailure(repo)).toMatch(
      /kubeplan\.yaml:3: target "escape": "\.\.\/elsewhere" leaves the repository/,
    );
  });

  it('a path that does not exist, and invalid names, all reported at once', () => {
    const repo = makeRepo({
      'kubeplan.yaml': 'targets:\n  - name: Bad_Name\n    manifests: raw\n  - name: ok\n    manifests: missing\n',
    });
    const err = renderExpectingFailure(repo);
    expect(err).toContain('kubeplan.yaml:2: target "Bad_Name": name "Bad_Name" is not valid');
  });

  it('a missing config file says how to fix it', () => {
    const repo = makeRepo({});
    expect(renderExpectingFailure(repo)).toContain('kubeplan.yaml: config file not found');
  });

  it('an unknown --target lists the known ones', () => {
    const repo = makeRepo({ 'kubeplan.yaml': 'targets:\n  - name: raw\n    manifests: raw\n', 'raw/a.yaml': '' });
    const err = renderExpectingFailure(repo, ['--target', 'nope']);
    expect(err).toContain('unknown target: nope');
    expect(err).toContain('targets in');
  });

  it('an unknown option or output format', () => {
    const repo = makeRepo({ 'kubeplan.yaml': 'targets:\n  - name: raw\n    manifests: raw\n', 'raw/a.yaml': '' });
    expect(renderExpectingFailure(repo, ['--frobnicate'])).toContain("Unknown option '--frobnicate'");
    expect(renderExpectingFailure(repo, ['-o', 'xml'])).toContain('--output must be yaml or json');
  });
});

describe('bad render', () => {
  it("a helm template failure keeps helm's message and names the target and template file", () => {
    const repo = makeRepo({
      ...CHART,
      'charts/app/templates/broken.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\ndata:\n  x: {{ required "x is required" .Values.x }}\n',
      'kubeplan.yaml': 'targets:\n  - name: app\n    helm:\n      chart: charts/app\n',
    });
    const err = renderExpectingFailure(repo);
    expect(err).toContain('target app: charts/app/templates/broken.yaml');
    expect(err).toContain('x is required');
  });

  it('a nil value in a template names the template file and line (helm 4 opens the error with file:line:column)', () => {
    const repo = makeRepo({
      ...CHART,
      'charts/app/templates/nil.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: nil\ndata:\n  x: {{ .Values.missing.deeper }}\n',
      'kubeplan.yaml': 'targets:\n  - name: app\n    helm:\n      chart: charts/app\n',
    });
    const err = renderExpectingFailure(repo);
    expect(err).toContain('error: target app: charts/app/templates/nil.yaml:6: helm template failed');
    expect(err).toContain('nil pointer evaluating');
  });

  it("a kustomize failure keeps kustomize's message and names the target", () => {
    const repo = makeRepo({
      'overlay/kustomization.yaml': 'resources:\n  - missing.yaml\n',
      'kubeplan.yaml': 'targets:\n  - name: ov\n    kustomize: overlay\n',
    });
    const err = renderExpectingFailure(repo);
    expect(err).toContain('target ov: kustomize build of overlay failed');
    expect(err).toContain('missing.yaml');
  });

  it('refuses remote kustomize resources unless the config opts in', () => {
    const repo = makeRepo({
      'overlay/kustomization.yaml': 'resources:\n  - https://github.com/example/repo//deploy?ref=v1.0.0\n',
      'kubeplan.yaml': 'targets:\n  - name: ov\n    kustomize: overlay\n',
    });
    const err = renderExpectingFailure(repo);
    expect(err).toContain('lists the remote resource "https://github.com/example/repo//deploy?ref=v1.0.0"');
    expect(err).toContain('allowRemoteResources');
  });

  it('the same object twice in one target names both source files', () => {
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: same\n';
    const repo = makeRepo({
      'raw/a.yaml': cm,
      'raw/sub/b.yaml': `# a comment\n${cm}`,
      'kubeplan.yaml': 'targets:\n  - name: raw\n    namespace: ns\n    manifests: raw\n',
    });
    const err = renderExpectingFailure(repo);
    expect(err).toContain('v1 ConfigMap ns/same is rendered twice: by raw/a.yaml:1 and by raw/sub/b.yaml:2');
  });

  it('a document that is not a Kubernetes object names file:line', () => {
    const repo = makeRepo({
      'raw/a.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fine\n---\n# settings\nreplicas: 3\nimage: nginx\n',
      'kubeplan.yaml': 'targets:\n  - name: raw\n    manifests: raw\n',
    });
    expect(renderExpectingFailure(repo)).toContain(
      'raw/a.yaml:7: document is not a Kubernetes object: missing apiVersion, kind, metadata.name',
    );
  });

  it('a YAML error in a manifest names file:line', () => {
    const repo = makeRepo({
      'raw/a.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fine\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [broken\n',
      'kubeplan.yaml': 'targets:\n  - name: raw\n    manifests: raw\n',
    });
    expect(renderExpectingFailure(repo)).toMatch(/raw\/a\.yaml:(9|10): YAML syntax error/);
  });

  it('a missing helm binary says how to install it', () => {
    const repo = makeRepo({
      ...CHART,
      'kubeplan.yaml': 'targets:\n  - name: app\n    helm:\n      chart: charts/app\n',
    });
    const out = path.join(repo, 'out');
    const run = runCli(['render', '--out-dir', out], { cwd: repo, env: { KUBEPLAN_HELM: '', PATH: '/nonexistent' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('helm not found on PATH');
    expect(run.stderr).toContain('install Helm 4');
    expect(existsSync(out)).toBe(false);
  });

  it('an --out-dir that cannot be made (a file is in the way) names the path and what to do, not a kubeplan bug', () => {
    const repo = makeRepo({
      'kubeplan.yaml': 'targets:\n  - name: raw\n    manifests: raw\n',
      'raw/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n',
      'out.txt': 'a file\n',
    });
    for (const [out, says] of [
      [path.join(repo, 'out.txt'), `the output folder ${path.join(repo, 'out.txt')} is a file, not a folder`],
      [
        path.join(repo, 'out.txt', 'sub'),
        `cannot create the output folder ${path.join(repo, 'out.txt', 'sub')}: a part of the path is a file, not a folder (ENOTDIR)`,
      ],
    ] as const) {
      const run = runCli(['render', '--out-dir', out], { cwd: repo });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain(`error: ${says}\n`);
      expect(run.stderr).toContain('hint: choose another output folder (--out-dir, or the out-dir input)');
      expect(run.stderr).not.toMatch(/bug|unexpected error|\n\s+at /);
    }
    expect(readFileSync(path.join(repo, 'out.txt'), 'utf8')).toBe('a file\n');
  });
});
