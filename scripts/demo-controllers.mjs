// The controllers `npm run demo` plays: the bench apiserver runs no kube-controller-manager and no kubelet, so this
// loop writes the status a healthy cluster would (Deployments, StatefulSets and DaemonSets rolled out, Jobs
// complete), letting the demo apply with health waits and Helm hooks as in production. Tests play controllers
// themselves, per test, to show failures as well.
import { readFileSync } from 'node:fs';
import https from 'node:https';

export function startDemoControllers({ server, caFile, token }) {
  const ca = readFileSync(caFile);
  const request = (method, path, body, contentType = 'application/merge-patch+json') =>
    new Promise((resolve, reject) => {
      const req = https.request(
        new URL(server + path),
        {
          method,
          ca,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            ...(body ? { 'content-type': contentType } : {}),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode, body: text ? JSON.parse(text) : undefined }));
        },
      );
      req.on('error', reject);
      if (body) req.write(JSON.stringify(body));
      req.end();
    });
  const now = () => new Date().toISOString();
  const statusFor = {
    deployments: (o) => {
      const want = o.spec?.replicas ?? 1;
      return {
        observedGeneration: o.metadata.generation,
        replicas: want,
        updatedReplicas: want,
        readyReplicas: want,
        availableReplicas: want,
        conditions: [
          {
            type: 'Available',
            status: 'True',
            reason: 'MinimumReplicasAvailable',
            lastUpdateTime: now(),
            lastTransitionTime: now(),
          },
          {
            type: 'Progressing',
            status: 'True',
            reason: 'NewReplicaSetAvailable',
            lastUpdateTime: now(),
            lastTransitionTime: now(),
          },
        ],
      };
    },
    statefulsets: (o) => {
      const want = o.spec?.replicas ?? 1;
      return {
        observedGeneration: o.metadata.generation,
        replicas: want,
        readyReplicas: want,
        currentReplicas: want,
        updatedReplicas: want,
        availableReplicas: want,
        currentRevision: `${o.metadata.name}-${o.metadata.generation}`,
        updateRevision: `${o.metadata.name}-${o.metadata.generation}`,
      };
    },
    daemonsets: (o) => ({
      observedGeneration: o.metadata.generation,
      desiredNumberScheduled: 1,
      currentNumberScheduled: 1,
      updatedNumberScheduled: 1,
      numberReady: 1,
      numberAvailable: 1,
      numberMisscheduled: 0,
    }),
    jobs: () => ({
      startTime: now(),
      completionTime: now(),
      succeeded: 1,
      conditions: [
        { type: 'SuccessCriteriaMet', status: 'True', lastProbeTime: now(), lastTransitionTime: now() },
        { type: 'Complete', status: 'True', lastProbeTime: now(), lastTransitionTime: now() },
      ],
    }),
  };
  const done = (kind, o) =>
    kind === 'jobs'
      ? (o.status?.conditions ?? []).some((c) => c.type === 'Complete')
      : o.status?.observedGeneration === o.metadata.generation;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      for (const [kind, group] of [
        ['deployments', 'apps'],
        ['statefulsets', 'apps'],
        ['daemonsets', 'apps'],
        ['jobs', 'batch'],
      ]) {
        const list = await request('GET', `/apis/${group}/v1/${kind}`).catch(() => undefined);
        for (const o of list?.body?.items ?? []) {
          if (done(kind, o)) continue;
          await request(
            'PATCH',
            `/apis/${group}/v1/namespaces/${o.metadata.namespace}/${kind}/${o.metadata.name}/status`,
            { status: statusFor[kind](o) },
          ).catch(() => undefined);
        }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}
