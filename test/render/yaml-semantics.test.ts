import { describe, expect, it } from 'vitest';
import { kubectl } from '../harness/kube.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';

// Plain scalars that YAML 1.2 and Kubernetes (go-yaml v2, YAML 1.1) read differently.
const manifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: yaml-semantics
spec:
  replicas: 0o3
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 1_0
      containers:
        - name: web
          image: ghcr.io/example/web:1.0.0
          tty: yes
          stdin: on
          env:
            - {name: QUOTED, value: "0644"}
      volumes:
        - name: config
          configMap: {name: web, defaultMode: 0644}
`;

describe('rendered YAML is read as Kubernetes reads it', () => {
  it('kubeplan render and kubectl decode the same manifest to the same object (0644 is 420, yes and on are true)', async () => {
    const repo = makeRepo({
      'kubeplan.yaml': 'targets:\n  - name: app\n    namespace: yaml-semantics\n    manifests: m\n',
      'm/deploy.yaml': manifest,
    });
    const rendered = await runCliAsync(['render', '-o', 'json'], { cwd: repo });
    expect(rendered.code, rendered.stderr).toBe(0);
    const ours = JSON.parse(rendered.stdout).targets[0].objects[0].object;
    const theirs = await kubectl(['create', '--dry-run=client', '-o', 'json', '-f', '-'], { input: manifest });
    expect(theirs.code, theirs.stderr).toBe(0);
    const kube = JSON.parse(theirs.stdout);
    // biome-ignore lint/suspicious/noExplicitAny: kubectl's JSON, compared field by field
    const pick = (o: { spec: Record<string, any> }) => ({
      replicas: o.spec.replicas,
      grace: o.spec.template.spec.terminationGracePeriodSeconds,
      tty: o.spec.template.spec.containers[0].tty,
      stdin: o.spec.template.spec.containers[0].stdin,
      quoted: o.spec.template.spec.containers[0].env[0].value,
      mode: o.spec.template.spec.volumes[0].configMap.defaultMode,
    });
    expect(pick(kube)).toEqual({ replicas: 3, grace: 10, tty: true, stdin: true, quoted: '0644', mode: 420 });
    expect(pick(ours)).toEqual(pick(kube));
  });

  it('dates stay strings, keys YAML 1.1 reads as booleans become "true"/"false", 1e3 is a number: as kubectl has them', async () => {
    const configMap =
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: scalars, namespace: yaml-semantics}\ndata:\n  date: 2024-01-01\n  n: 1e3\n  mode: 0644\n';
    const repo = makeRepo({
      'kubeplan.yaml': 'targets:\n  - name: app\n    namespace: yaml-semantics\n    manifests: m\n',
      'm/cm.yaml': configMap,
    });
    const rendered = await runCliAsync(['render', '-o', 'json'], { cwd: repo });
    expect(rendered.code, rendered.stderr).toBe(0);
    const theirs = await kubectl(['create', '--dry-run=client', '-o', 'json', '-f', '-'], { input: configMap });
    expect(theirs.code, theirs.stderr).toBe(0);
    expect(JSON.parse(theirs.stdout).data).toEqual({ date: '2024-01-01', false: 1000, mode: 420 });
    expect(JSON.parse(rendered.stdout).targets[0].objects[0].object.data).toEqual(JSON.parse(theirs.stdout).data);
  });
});
