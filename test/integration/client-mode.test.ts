import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bench, freshNamespace } from '../harness/kube.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';

/**
 * Client mode (read-only credentials, forks, every drift run) estimates what server-side apply would produce without
 * asking the server. It must agree with server mode on manifests as people write them: ports without `protocol`,
 * Services without `targetPort`, explicit `false` / empty maps the server drops, quantities in another spelling,
 * webhook rules without `scope`. A corpus is applied with kubeplan, then planned in both modes.
 */

interface JsonChange {
  action: string;
  kind: string;
  name: string;
  paths: string[];
  diff: string;
}
interface JsonReport {
  mode: string;
  summary: Record<string, number>;
  targets: { name: string; changes: JsonChange[] }[];
}

/** The corpus, as YAML people write: every shape here once made client mode report a change that was not there. */
function corpus(ns: string, webhook: string, edit: (text: string) => string = (t) => t): string {
  return edit(`# Rendered as a chart would be: comments, quantities in several spellings, defaults left out.
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  annotations:
data:
  LOG_LEVEL: info
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
stringData:
  password: hunter2-not-real
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
automountServiceAccountToken: false
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
      annotations:
    spec:
      serviceAccountName: web
      securityContext:
        runAsNonRoot: true
      containers:
        - name: web
          image: ghcr.io/example/web:1.0.0
          ports:
            - containerPort: 8080
              name: http
            - containerPort: 9090
              name: metrics
          env:
            - name: MODE
              value: production
            - name: FROM_CONFIG
              valueFrom:
                configMapKeyRef: {name: settings, key: LOG_LEVEL}
          resources:
            requests: {cpu: 2000m, memory: 1024Mi}
            limits: {cpu: "4", memory: 2Gi}
          readinessProbe:
            httpGet: {path: /healthz, port: http}
          volumeMounts:
            - name: cache
              mountPath: /cache
      volumes:
        - name: cache
          emptyDir: {sizeLimit: 500Mi}
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  publishNotReadyAddresses: false
  ports:
    - name: http
      port: 80
      targetPort: http
    - name: metrics
      port: 9090
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
        - name: db
          image: ghcr.io/example/db:15
          ports: [{containerPort: 5432}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 1Gi}}
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: report
              image: ghcr.io/example/report:1.0.0
              args: [--daily]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  rules:
    - host: web.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service: {name: web, port: {name: http}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 5
  metrics:
    - type: Resource
      resource:
        name: cpu
        target: {type: Utilization, averageUtilization: 80}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
spec:
  minAvailable: 1
  selector:
    matchLabels: {app: web}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
spec:
  podSelector:
    matchLabels: {app: web}
  ingress:
    - ports:
        - port: 8080
  policyTypes: [Ingress]
---
apiVersion: v1
kind: ResourceQuota
metadata:
  name: quota
spec:
  hard:
    requests.cpu: "8"
    requests.memory: 16384Mi
    pods: 20
---
apiVersion: v1
kind: LimitRange
metadata:
  name: limits
spec:
  limits:
    - type: Container
      default: {cpu: 500m, memory: 0.5Gi}
      defaultRequest: {cpu: 0.1}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader
rules:
  - apiGroups: [""]
    resources: [configmaps]
    verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: reader
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects:
  - kind: ServiceAccount
    name: web
    namespace: ${ns}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: ${webhook}
webhooks:
  - name: check.${webhook}.example.com
    admissionReviewVersions: [v1]
    sideEffects: None
    failurePolicy: Ignore
    clientConfig:
      url: https://127.0.0.1:1/validate
    namespaceSelector:
      matchLabels: {kubernetes.io/metadata.name: ${ns}}
    rules:
      - apiGroups: [""]
        apiVersions: [v1]
        operations: [CREATE]
        resources: [nothing-real]
`);
}

function repoFor(ns: string, manifests: string): string {
  return makeRepo({
    'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: manifests\n    policy:\n      namespaces: [${ns}]\n      clusterScoped: [ValidatingWebhookConfiguration]\n`,
    'manifests/corpus.yaml': manifests,
  });
}

const kubeconfig = () => bench().adminKubeconfig;

async function plan(repo: string, mode: 'client' | 'server'): Promise<JsonReport> {
  const run = await runCliAsync(['diff', '--kubeconfig', kubeconfig(), '--mode', mode, '-o', 'json'], { cwd: repo });
  expect(run.stdout, run.stderr).not.toBe('');
  const report = JSON.parse(run.stdout) as JsonReport;
  expect(report.mode).toBe(mode);
  return report;
}

const changed = (report: JsonReport) =>
  report.targets
    .flatMap((t) => t.changes)
    .filter((c) => c.action !== 'unchanged')
    .map((c) => `${c.action} ${c.kind}/${c.name}: ${[...c.paths].sort().join(' ')}`)
    .sort();

describe('client mode agrees with server mode on manifests as people write them', () => {
  it('reports nothing right after a clean apply, in both modes and in drift', async () => {
    const ns = await freshNamespace('two-modes');
    const webhook = `kubeplan-${ns}`;
    const repo = repoFor(ns, corpus(ns, webhook));
    const applied = await runCliAsync(['apply', '--kubeconfig', kubeconfig(), '--no-wait'], { cwd: repo });
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const server = await plan(repo, 'server');
    const client = await plan(repo, 'client');
    expect(changed(server)).toEqual([]);
    expect(changed(client)).toEqual([]);
    const drift = await runCliAsync(['drift', '--kubeconfig', kubeconfig(), '-o', 'json'], { cwd: repo });
    expect(drift.code, drift.stdout + drift.stderr).toBe(0);
  });

  it('finds the same changed fields as server mode when git changes', async () => {
    const ns = await freshNamespace('two-modes-edit');
    const webhook = `kubeplan-${ns}`;
    const repo = repoFor(ns, corpus(ns, webhook));
    const applied = await runCliAsync(['apply', '--kubeconfig', kubeconfig(), '--no-wait'], { cwd: repo });
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const edited = corpus(ns, webhook, (text) =>
      text
        .replace('image: ghcr.io/example/web:1.0.0', 'image: ghcr.io/example/web:1.1.0')
        .replace('requests: {cpu: 2000m, memory: 1024Mi}', 'requests: {cpu: "3", memory: 1Gi}')
        .replace(/\n {12}- containerPort: 9090\n {14}name: metrics/, '')
        .replace('publishNotReadyAddresses: false', 'publishNotReadyAddresses: true')
        .replace('    pods: 20', '    pods: 30')
        .replace('LOG_LEVEL: info', 'LOG_LEVEL: debug')
        // Objects whose lists have no names (ports, webhook rules, claim templates) once lost the server's defaults.
        .replace('image: ghcr.io/example/db:15', 'image: ghcr.io/example/db:16')
        .replace('failurePolicy: Ignore', 'failurePolicy: Fail')
        .replace('schedule: "0 3 * * *"', 'schedule: "0 4 * * *"')
        .replace('        - port: 8080', '        - port: 8080\n        - port: 8443'),
    );
    writeFileSync(path.join(repo, 'manifests', 'corpus.yaml'), edited);
    const server = await plan(repo, 'server');
    const client = await plan(repo, 'client');
    expect(changed(server)).toEqual([
      'update ConfigMap/settings: data.LOG_LEVEL',
      'update CronJob/report: spec.schedule',
      'update Deployment/web: spec.template.spec.containers[name=web].image spec.template.spec.containers[name=web].ports[name=metrics] spec.template.spec.containers[name=web].resources.requests.cpu',
      'update NetworkPolicy/web: spec.ingress',
      'update ResourceQuota/quota: spec.hard.pods',
      'update Service/web: spec.publishNotReadyAddresses',
      'update StatefulSet/db: spec.template.spec.containers[name=db].image',
      `update ValidatingWebhookConfiguration/${webhook}: webhooks[name=check.${webhook}.example.com].failurePolicy`,
    ]);
    expect(changed(client)).toEqual(changed(server));
  });
});
