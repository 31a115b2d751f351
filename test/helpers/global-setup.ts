import { readFile } from 'node:fs/promises';
import type { TestProject } from 'vitest/node';
import { setupTools } from '../../scripts/setup-tools.mjs';
import { ensureBench } from '../bench/build.mjs';
import { startApiserver } from '../bench/servers.mjs';
import { ensurePrometheus } from '../tools/prometheus.mjs';

/**
 * Once per test run: extract helm and kubectl, build (or reuse) the bench binaries, start one kube-apiserver, and
 * hand its address and kubeconfigs to the tests. The returned teardown stops it, also when tests fail.
 */
export default async function globalSetup(project: TestProject): Promise<() => Promise<void>> {
  const tools = await setupTools();
  process.env.KUBEPLAN_TEST_TOOLS = tools;
  const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
  const binaries = await ensureBench({ log });
  // MutatingAdmissionPolicy (beta in 1.35) lets tests mutate objects on admission like a webhook, in-process.
  const apiserver = await startApiserver(binaries.apiserver, {
    extraFlags: [
      '--feature-gates=MutatingAdmissionPolicy=true',
      '--runtime-config=admissionregistration.k8s.io/v1beta1=true',
    ],
  });
  log(`kube-apiserver ready at ${apiserver.server} in ${apiserver.startupSeconds.toFixed(1)}s`);
  const { stop, ...info } = apiserver;
  project.provide('apiserver', info);
  project.provide('toolsDir', tools);
  project.provide('registryBinary', binaries.registry);
  project.provide('apiserverBinary', binaries.apiserver);
  // Prometheus takes minutes to build cold: only when a test file of this run starts one, and before the tests start,
  // so the build does not compete with running tests for the CPU.
  if (await runStartsPrometheus(project)) project.provide('prometheusBinary', await ensurePrometheus({ log }));
  return async () => {
    await stop();
  };
}

/** Whether a test file of this run (all of them, or those matching the command line's filters) calls startPrometheus. */
async function runStartsPrometheus(project: TestProject): Promise<boolean> {
  try {
    // The command line's file filters (vitest keeps them on the instance while a run starts).
    const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
    const specs = await project.vitest.getRelevantTestSpecifications(filters);
    for (const spec of specs) if ((await readFile(spec.moduleId, 'utf8')).includes('startPrometheus(')) return true;
    return false;
  } catch {
    return true; // cannot tell: build it (a cache hit costs nothing)
  }
}
