import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/load-config.js';
import { ApplyError } from '../../src/core/apply/apply-error.js';
import { ErrorList, formatError, KubeplanError, objectWhere } from '../../src/core/errors.js';
import { renderTargets } from '../../src/core/render/render-targets.js';
import { errorAnnotations } from '../../src/core/report/annotations.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { helmBin } from '../helpers/tools.js';

// Annotations come from the errors' location data: the file relative to the workspace the CI checked out, and the
// line, for config errors (named from the working directory) and render errors (named from the repository root) alike.

function thrown(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

async function rejected(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

const CHART = {
  'charts/app/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\n',
  'charts/app/templates/cm.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  x: {{ .Values.missing.deeper }}\n',
};

describe('error annotations', () => {
  it('a config error in a working directory below the workspace points at that kubeplan.yaml and line', () => {
    const repo = makeRepo({
      'deploy/kubeplan.yaml': 'targets:\n  - name: x\n    manifests: raw\n    nmespace: y\n',
      'deploy/raw/a.yaml': '',
    });
    const error = thrown(() => loadConfig('kubeplan.yaml', path.join(repo, 'deploy')));
    // The message names the file as the user passed it (from the working directory)…
    expect(formatError(error)).toMatch(/^kubeplan\.yaml:4: target "x": unknown field "nmespace"/);
    // …the annotation names it from the workspace, so GitHub finds it.
    expect(errorAnnotations(error, { workspace: repo })).toEqual([
      { message: formatError(error), title: 'kubeplan', file: 'deploy/kubeplan.yaml', line: 4 },
    ]);
  });

  it('every error of a list is one annotation at its own line', () => {
    const repo = makeRepo({
      'kubeplan.yaml': 'targets:\n  - name: a\n    manifests: raw\n    nmespace: y\n  - name: b\n    helm: {}\n',
      'raw/a.yaml': '',
    });
    const error = thrown(() => loadConfig('kubeplan.yaml', repo));
    expect(error).toBeInstanceOf(ErrorList);
    const annotations = errorAnnotations(error, { workspace: repo });
    expect(annotations.map((a) => [a.file, a.line])).toEqual([
      ['kubeplan.yaml', 4],
      ['kubeplan.yaml', 6],
    ]);
    expect(annotations.map((a) => a.message)).toEqual((error as ErrorList).errors.map((e) => e.format()));
  });

  it('a broken chart template points at the template file from the repository root, with a config in a subfolder', async () => {
    const repo = makeRepo({
      ...CHART,
      'deploy/kubeplan.yaml': 'targets:\n  - name: app\n    namespace: web\n    helm:\n      chart: ../charts/app\n',
    });
    const cwd = path.join(repo, 'deploy');
    const config = loadConfig('kubeplan.yaml', cwd);
    const error = await rejected(() =>
      renderTargets(config, { targets: [], tools: { helm: helmBin }, env: process.env, cwd }),
    );
    expect((error as KubeplanError).where).toBe('target app: charts/app/templates/cm.yaml:6');
    expect(errorAnnotations(error, { workspace: repo })).toEqual([
      { message: formatError(error), title: 'kubeplan', file: 'charts/app/templates/cm.yaml', line: 6 },
    ]);
  });

  it('a YAML error in a manifest points at its line', async () => {
    const repo = makeRepo({
      'kubeplan.yaml': 'targets:\n  - name: raw\n    namespace: web\n    manifests: raw\n',
      'raw/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata: [\n',
    });
    const config = loadConfig('kubeplan.yaml', repo);
    const error = await rejected(() => renderTargets(config, { targets: [], tools: {}, env: process.env, cwd: repo }));
    const [annotation] = errorAnnotations(error, { workspace: repo });
    expect(annotation).toMatchObject({ file: 'raw/a.yaml', line: 5 });
  });

  it('an error about an object points at the file and line it was rendered from, given the repository root', async () => {
    const repo = makeRepo({
      'deploy/kubeplan.yaml': 'targets:\n  - name: raw\n    namespace: web\n    manifests: ../raw\n',
      'raw/a.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n',
    });
    const config = loadConfig('kubeplan.yaml', path.join(repo, 'deploy'));
    const [set] = await renderTargets(config, { targets: [], tools: {}, env: process.env, cwd: repo });
    const b = set!.manifests.find((m) => m.object.metadata.name === 'b')!;
    const error = new ApplyError('conflicts with other field managers: .data.x (owned by kubectl)', {
      where: objectWhere({ ...b.object, ...b.object.metadata, source: b.source }),
    });
    expect(error.where).toBe('v1 ConfigMap web/b');
    expect(errorAnnotations(error, { workspace: repo, repositoryRoot: config.repoRoot })).toEqual([
      { message: formatError(error), title: 'kubeplan', file: 'raw/a.yaml', line: 6 },
    ]);
    // Without the repository root the source cannot be placed: no guess.
    expect(errorAnnotations(error, { workspace: repo })).toEqual([{ message: formatError(error), title: 'kubeplan' }]);
  });

  it('an error about a Helm object points at the line its document starts on in the template', async () => {
    const repo = makeRepo({
      'kubeplan.yaml': 'targets:\n  - name: app\n    namespace: web\n    helm:\n      chart: charts/app\n',
      'charts/app/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\n',
      // Two documents of one kind: the literal name tells them apart; the second's name is templated.
      'charts/app/templates/rbac.yaml': [
        '# Roles of the app',
        '{{- if true }}',
        'apiVersion: rbac.authorization.k8s.io/v1',
        'kind: Role',
        'metadata:',
        '  name: reader',
        'rules: []',
        '---',
        'apiVersion: rbac.authorization.k8s.io/v1',
        'kind: Role',
        'metadata:',
        '  labels: {a: b}',
        '  name: {{ .Release.Name }}-writer',
        'rules: []',
        '{{- end }}',
        '',
      ].join('\n'),
      'charts/app/templates/cm.yaml': 'kind: ConfigMap\napiVersion: v1\nmetadata:\n  name: {{ .Release.Name }}\n',
    });
    const config = loadConfig('kubeplan.yaml', repo);
    const [set] = await renderTargets(config, { targets: [], tools: { helm: helmBin }, env: process.env, cwd: repo });
    const where = (name: string) => {
      const m = set!.manifests.find((x) => x.object.metadata.name === name)!;
      const error = new ApplyError('the server refused it', {
        where: objectWhere({ ...m.object, ...m.object.metadata, source: m.source }),
      });
      return errorAnnotations(error, { workspace: repo, repositoryRoot: config.repoRoot })[0];
    };
    expect(where('reader')).toMatchObject({ file: 'charts/app/templates/rbac.yaml', line: 3 });
    // The other Role's document names another object: the templated one is the only one that can have made it.
    expect(where('app-writer')).toMatchObject({ file: 'charts/app/templates/rbac.yaml', line: 9 });
    expect(where('app')).toMatchObject({ file: 'charts/app/templates/cm.yaml', line: 2 });
  });

  it('a file outside the workspace, or an error that names no file, gets no position', async () => {
    const repo = makeRepo({
      'deploy/kubeplan.yaml': 'targets:\n  - name: x\n    nmespace: y\n',
    });
    const error = thrown(() => loadConfig('kubeplan.yaml', path.join(repo, 'deploy')));
    expect(errorAnnotations(error, { workspace: path.join(repo, 'elsewhere') })).toEqual([
      { message: formatError(error), title: 'kubeplan' },
    ]);
    const targetError = new KubeplanError('failed', { where: { target: 'shop' }, hint: 'retry' });
    expect(errorAnnotations(targetError, { workspace: repo })).toEqual([
      { message: 'target shop: failed\n  hint: retry', title: 'kubeplan' },
    ]);
    const plain = new Error('boom');
    expect(errorAnnotations(plain, { workspace: repo })).toEqual([{ message: formatError(plain), title: 'kubeplan' }]);
  });
});
