import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { api, bench, freshNamespace, kubectl } from '../harness/kube.js';
import { MAX_DEPTH } from '../../src/core/manifests/input-limits.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync, type CliRun } from '../helpers/run-cli.js';

// Objects and server answers a user can provoke: an object too large for the apiserver is named in the plan, and
// Secret values the apiserver echoes in an error (an admission policy, a decoding error) never reach any output.

interface JsonReport {
  targets: { changes: { action: string; kind: string; name: string; error: { message: string } | null }[] }[];
}

const kubeconfig = () => ['--kubeconfig', bench().adminKubeconfig];

describe('an object too large for the apiserver', () => {
  it('is a plan error naming it, found before any request, and apply writes nothing', async () => {
    const ns = await freshNamespace('big');
    const big = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'big', namespace: ns },
      binaryData: { blob: randomBytes(3 * 1024 * 1024).toString('base64') },
    };
    const small = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'small', namespace: ns }, data: { a: '1' } };
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: raw\n`,
      'raw/big.json': JSON.stringify(big),
      'raw/small.json': JSON.stringify(small),
    });
    const started = Date.now();
    const diff = await runCliAsync(['diff', ...kubeconfig(), '-o', 'json'], { cwd: repo });
    expect(diff.code, diff.stderr).toBe(2);
    expect((Date.now() - started) / 1000).toBeLessThan(30);
    const changes = (JSON.parse(diff.stdout) as JsonReport).targets[0]!.changes;
    expect(changes.find((c) => c.name === 'small')!.action).toBe('create');
    const error = changes.find((c) => c.name === 'big')!;
    expect(error.action).toBe('error');
    expect(error.error!.message).toMatch(
      /^the object is 4\.\d MiB as JSON, more than the 3 MiB the apiserver accepts in one request$/,
    );
    expect(diff.stdout).not.toContain('cannot reach');

    const text = await runCliAsync(['diff', ...kubeconfig()], { cwd: repo });
    expect(text.code).toBe(2);
    expect(text.stdout).toMatch(/ConfigMap .*big/);
    expect(text.stdout).toContain('3 MiB the apiserver accepts');

    const apply = await runCliAsync(['apply', ...kubeconfig(), '--no-wait'], { cwd: repo });
    expect(apply.code).toBe(2);
    expect(apply.stderr).toContain(`${ns}/big: the object is 4.`);
    expect((await api('GET', `/api/v1/namespaces/${ns}/configmaps/small`)).status).toBe(404);
  });
});

/** A namespace and a served custom resource kind `Deep` in it that takes anything (x-kubernetes-preserve-unknown-fields). */
async function deepKind(): Promise<{ ns: string; group: string }> {
  const ns = await freshNamespace('deep');
  const group = `${ns}.example.com`;
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `deeps.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind: 'Deep', plural: 'deeps', singular: 'deep', listKind: 'DeepList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  };
  expect((await api('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: crd })).status).toBe(
    201,
  );
  for (let i = 0; ; i++) {
    // Until the CRD is served the answer is a plain-text 404, which the JSON helper cannot read: ask kubectl.
    if ((await kubectl(['get', `deeps.${group}`, '-n', ns])).code === 0) break;
    if (i > 100) throw new Error('the CRD was never served');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { ns, group };
}

describe('an object nested as deep as kubeplan accepts', () => {
  it('goes through every plan mode, every report format and apply', async () => {
    const { ns, group } = await deepKind();
    const deep = (leaf: string) => {
      // The object and spec are two levels: the rest of the limit nests inside spec.
      let value: unknown = leaf;
      for (let i = 0; i < MAX_DEPTH - 2; i++) value = { k: value };
      return JSON.stringify({
        apiVersion: `${group}/v1`,
        kind: 'Deep',
        metadata: { name: 'd', namespace: ns },
        spec: value,
      });
    };
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: raw\n`,
      'raw/d.json': deep('one'),
    });
    const first = await runCliAsync(['apply', ...kubeconfig(), '--no-wait'], { cwd: repo });
    expect(first.code, first.stderr).toBe(0);
    writeFileSync(path.join(repo, 'raw/d.json'), deep('two'));
    for (const args of [
      ['-o', 'json'],
      ['-o', 'markdown'],
      ['-o', 'text'],
      ['--mode', 'client'],
    ]) {
      const run = await runCliAsync(['diff', ...kubeconfig(), '--exit-code', ...args], { cwd: repo });
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(1);
      expect(run.stdout).toContain('two');
    }
    const drift = await runCliAsync(['drift', ...kubeconfig()], { cwd: repo });
    expect(drift.stderr).not.toMatch(/bug in kubeplan|Maximum call stack/);
    const second = await runCliAsync(['apply', ...kubeconfig(), '--no-wait'], { cwd: repo });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('1 updated');
  }, 240_000);

  it('a live object nested deeper (the apiserver takes it) is an error naming it, not a crash', async () => {
    const { ns, group } = await deepKind();
    const n = 3000;
    const body = `{"apiVersion":"${group}/v1","kind":"Deep","metadata":{"name":"d"},"spec":${'{"k":'.repeat(n)}"x"${'}'.repeat(n)}}`;
    const created = await api('POST', `/apis/${group}/v1/namespaces/${ns}/deeps`, { body });
    expect(created.status).toBe(201);
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: raw\n`,
      'raw/d.yaml': `apiVersion: ${group}/v1\nkind: Deep\nmetadata:\n  name: d\nspec:\n  k: shallow\n`,
    });
    for (const mode of ['server', 'client']) {
      const run = await runCliAsync(['diff', ...kubeconfig(), '--mode', mode, '-o', 'json'], { cwd: repo });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).not.toContain('bug in kubeplan');
      const change = (JSON.parse(run.stdout) as JsonReport).targets[0]!.changes[0]!;
      expect(change).toMatchObject({ action: 'error', kind: 'Deep', name: 'd' });
      expect(change.error!.message).toMatch(
        /^the live object nests deeper than \d+ levels, too deep for kubeplan to compare$/,
      );
    }
  }, 120_000);
});

describe('Secret values in errors', () => {
  // Policies are cluster-wide and the bench apiserver is shared by test files: each test's is removed afterwards.
  const policies: string[] = [];
  afterAll(async () => {
    for (const policy of policies) {
      await api('DELETE', `/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/${policy}`);
      await api('DELETE', `/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/${policy}`);
    }
  });

  /**
   * A policy that denies Secrets labelled `echo` in one namespace (`echo: plan` always, `echo: apply` only when not a
   * dry-run) with a message quoting the object's data and, on update, the live object's data.
   */
  async function echoPolicy(ns: string) {
    const policy = `kubeplan-test-${ns}`;
    policies.push(policy);
    const created = await api('POST', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies', {
      body: {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicy',
        metadata: { name: policy },
        spec: {
          failurePolicy: 'Fail',
          matchConstraints: {
            resourceRules: [
              { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['secrets'] },
            ],
          },
          matchConditions: [
            {
              name: 'labelled',
              expression: `object.metadata.namespace == '${ns}' && has(object.metadata.labels) && 'echo' in object.metadata.labels`,
            },
          ],
          validations: [
            {
              expression: "object.metadata.labels['echo'] == 'apply' && request.dryRun == true",
              messageExpression:
                "'denied ' + object.metadata.name + ': ' + (has(object.data) ? object.data.map(k, k + '=' + string(object.data[k])).join(', ') : '') + (oldObject != null && has(oldObject.data) ? ' was: ' + oldObject.data.map(k, k + '=' + string(oldObject.data[k])).join(', ') : '')",
            },
          ],
        },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const bound = await api('POST', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings', {
      body: {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name: policy },
        spec: { policyName: policy, validationActions: ['Deny'] },
      },
    });
    expect(bound.status, JSON.stringify(bound.body)).toBe(201);
    // The policy takes effect once the apiserver has compiled it: wait until a labelled Secret is denied.
    for (let i = 0; ; i++) {
      const probe = await api('POST', `/api/v1/namespaces/${ns}/secrets?dryRun=All`, {
        body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'probe', labels: { echo: 'plan' } } },
      });
      if (probe.status === 422) break;
      if (i > 100) throw new Error(`the policy never denied: ${JSON.stringify(probe.body)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const seed = (label: string) => `${label}-${randomBytes(6).toString('hex')}`;
  /** Every form a seeded value could leak in: as written and base64-encoded. */
  const forms = (values: string[]) => values.flatMap((v) => [v, Buffer.from(v).toString('base64')]);
  function expectNoSecret(run: CliRun, values: string[]) {
    for (const form of forms(values)) {
      expect(run.stdout, `stdout leaks ${form}`).not.toContain(form);
      expect(run.stderr, `stderr leaks ${form}`).not.toContain(form);
    }
  }

  function chart(
    ns: string,
    secrets: { name: string; echo?: string; hook?: boolean; values: Record<string, string> }[],
    rev: number,
  ) {
    const docs = secrets.map((s) =>
      [
        'apiVersion: v1',
        'kind: Secret',
        'metadata:',
        `  name: ${s.name}`,
        `  namespace: ${ns}`,
        ...(s.echo ? [`  labels: {echo: ${s.echo}}`] : []),
        ...(s.hook ? ['  annotations:', '    "helm.sh/hook": pre-install,pre-upgrade'] : []),
        'stringData:',
        // Unquoted on purpose: a number stays a number, as a user would write a PIN.
        ...Object.entries(s.values).map(([k, v]) => `  ${k}: ${v}`),
      ].join('\n'),
    );
    return {
      'chart/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\n',
      'chart/templates/cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: ${ns}\ndata:\n  rev: "${rev}"\n`,
      'chart/templates/secrets.yaml': `${docs.join('\n---\n')}\n`,
    };
  }
  const writeChart = (repo: string, files: Record<string, string>) => {
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(repo, name), text);
  };

  it('are scrubbed from plan and apply errors: rendered and live values, strings and numbers, plain and base64', async () => {
    const ns = await freshNamespace('echo');
    await echoPolicy(ns);
    const live = seed('live');
    const rendered = seed('tok');
    const created = seed('new');
    const pin = String(10_000_000 + Math.floor(Math.random() * 89_999_999));
    // A Secret that exists with a value git never had: the policy echoes it from the live object.
    await api('POST', `/api/v1/namespaces/${ns}/secrets`, {
      body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'live1' }, stringData: { old: live } },
    });
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    helm:\n      chart: chart\n`,
      ...chart(
        ns,
        [
          { name: 'live1', echo: 'plan', values: { tok: rendered } },
          { name: 'new1', echo: 'plan', values: { tok: created } },
          { name: 'pin', values: { pin } },
        ],
        1,
      ),
    });
    const values = [live, rendered, created, pin];
    const json = await runCliAsync(['diff', ...kubeconfig(), '-o', 'json'], { cwd: repo });
    expect(json.code, json.stderr).toBe(2);
    const errors = (JSON.parse(json.stdout) as JsonReport).targets[0]!.changes.filter((c) => c.action === 'error');
    expect(errors.map((c) => c.name).sort()).toEqual(['live1', 'new1', 'pin']);
    // The errors are still shown, with the values replaced.
    const echoed = errors.find((c) => c.name === 'live1')!.error!.message;
    expect(echoed).toContain('denied live1: ');
    expect(echoed).toContain('tok=(redacted)');
    expect(echoed).toContain('was: old=(redacted)');
    expect(errors.find((c) => c.name === 'pin')!.error!.message).toContain('.stringData.pin: expected string');
    expectNoSecret(json, values);
    for (const output of [
      ['-o', 'text'],
      ['-o', 'markdown'],
    ]) {
      const run = await runCliAsync(['diff', ...kubeconfig(), ...output], { cwd: repo });
      expect(run.code).toBe(2);
      expect(run.stdout).toContain('(redacted)');
      expectNoSecret(run, values);
    }
    const apply = await runCliAsync(['apply', ...kubeconfig(), '--no-wait'], { cwd: repo });
    expect(apply.code).toBe(2);
    expect(apply.stderr).toContain('could not be planned');
    expectNoSecret(apply, values);
  });

  it('are scrubbed from errors of apply and of Helm hooks', async () => {
    const ns = await freshNamespace('echo');
    await echoPolicy(ns);
    const hooked = seed('hook');
    const applied = seed('app');
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    helm:\n      chart: chart\n`,
      ...chart(ns, [{ name: 'hook1', echo: 'apply', hook: true, values: { tok: hooked } }], 1),
    });
    // The plan passes (dry-runs are allowed, hooks are not dry-run); the hook is denied when apply creates it.
    const hook = await runCliAsync(['apply', ...kubeconfig(), '--no-wait'], { cwd: repo });
    expect(hook.code, hook.stderr).toBe(2);
    expect(hook.stderr).toContain(`pre-install hook v1 Secret ${ns}/hook1: failed: `);
    expect(hook.stderr).toContain('denied hook1: tok=(redacted)');
    expectNoSecret(hook, [hooked]);

    writeChart(repo, chart(ns, [{ name: 'app1', echo: 'apply', values: { tok: applied } }], 2));
    for (const output of [[], ['-o', 'json']]) {
      const run = await runCliAsync(['apply', ...kubeconfig(), '--no-wait', ...output], { cwd: repo });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain(`v1 Secret ${ns}/app1`);
      expect(run.stderr).toContain('denied app1: tok=(redacted)');
      expectNoSecret(run, [applied]);
    }
  });
});
