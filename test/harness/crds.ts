import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAll } from 'js-yaml';
import { api } from './kube.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const GATEWAY_API_MODULE = path.join(HERE, '..', 'tools', 'gateway-api');
const TEST_CRDS = path.join(HERE, '..', 'canary', 'crds');

interface Crd {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: { group: string; versions: { name: string; served: boolean }[]; names: { plural: string } };
}

/**
 * Server-side applies CRDs to the bench apiserver (field manager test-bench) and waits until each is Established and
 * its resources are in discovery. Idempotent: test files running at once may install the same ones.
 */
export async function installCrds(crds: Crd[]): Promise<void> {
  await Promise.all(
    crds.map(async (crd) => {
      const res = await api(
        'PATCH',
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}?fieldManager=test-bench&force=true`,
        { body: crd, contentType: 'application/apply-patch+yaml' },
      );
      if (res.status !== 200 && res.status !== 201)
        throw new Error(`cannot install the CRD ${crd.metadata.name}: ${JSON.stringify(res.body).slice(0, 500)}`);
    }),
  );
  for (const crd of crds) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const got = await api<{ status?: { conditions?: { type: string; status: string }[] } }>(
        'GET',
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
      );
      const established = got.body.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
      const served = crd.spec.versions.filter((v) => v.served);
      const discovered = established
        ? await Promise.all(
            served.map(async (v) => {
              const list = await api<{ resources?: { name: string }[] }>('GET', `/apis/${crd.spec.group}/${v.name}`);
              return list.status === 200 && (list.body.resources ?? []).some((r) => r.name === crd.spec.names.plural);
            }),
          )
        : [false];
      if (discovered.every(Boolean)) break;
      if (Date.now() > deadline) throw new Error(`the CRD ${crd.metadata.name} was not established and served in 60s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** The CRDs in a YAML stream (other documents, such as a ValidatingAdmissionPolicy, are left out). */
export function crdsIn(text: string): Crd[] {
  return (loadAll(text) as (Crd | null)[]).filter((d): d is Crd => d?.kind === 'CustomResourceDefinition');
}

/** The folder of the Gateway API module (test/tools/gateway-api pins it) in Go's module cache, downloaded if needed. */
export function gatewayApiModuleDir(): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      'go',
      ['mod', 'download', '-json', 'sigs.k8s.io/gateway-api'],
      {
        cwd: GATEWAY_API_MODULE,
        env: { ...process.env, GOTOOLCHAIN: 'local', GOWORK: 'off', GOFLAGS: '-mod=readonly' },
      },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`go mod download of sigs.k8s.io/gateway-api failed in ${GATEWAY_API_MODULE}: ${stderr}`));
          return;
        }
        const info = JSON.parse(stdout) as { Dir?: string; Version?: string; Error?: string };
        if (!info.Dir) reject(new Error(`go mod download gave no folder for sigs.k8s.io/gateway-api: ${stdout}`));
        else resolve(info.Dir);
      },
    ),
  );
}

/** The Gateway API standard-channel CRDs (config/crd/standard of the pinned module), as its release ships them. */
export async function gatewayApiCrds(): Promise<Crd[]> {
  const dir = path.join(await gatewayApiModuleDir(), 'config', 'crd', 'standard');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => crdsIn(readFileSync(path.join(dir, f), 'utf8')));
}

/** Installs the real Gateway API CRDs (HTTPRoute, Gateway, GatewayClass, …) on the bench apiserver. */
export async function installGatewayApiCrds(): Promise<Crd[]> {
  const crds = await gatewayApiCrds();
  await installCrds(crds);
  return crds;
}

/** A CRD kept as test data in test/canary/crds: `argo-rollouts`, `flagger`, `istio-virtualservice`. */
export function testCrd(name: 'argo-rollouts' | 'flagger' | 'istio-virtualservice'): Crd[] {
  return crdsIn(readFileSync(path.join(TEST_CRDS, `${name}.yaml`), 'utf8'));
}
