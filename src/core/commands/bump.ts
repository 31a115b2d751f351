import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config/load-config.js';
import type { Config } from '../config/types.js';
import { EXIT_ERROR, isSystemError, systemError } from '../errors.js';
import { proxyFetch } from '../http/proxy.js';
import type { OnRetry } from '../http/retry-policy.js';
import { editsOf, type ImageBump, planBumps, type BumpRequest } from '../images/bump.js';
import { dockerConfig, parseImageRef, RegistryClient } from '../images/registry.js';
import {
  formatBumpJson,
  formatBumpText,
  type BumpMode,
  type BumpReport,
  type PullRequestOutcome,
} from '../report/bump.js';
import { publishBumps, type BumpPublisher } from '../images/publish.js';

export interface BumpOptions {
  config: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  request: BumpRequest;
  mode: BumpMode;
  output: 'text' | 'json';
  /** `--registry-endpoint HOST=URL`: reach HOST's registry API at URL (a mirror); wins over kubeplan.yaml. */
  endpoints: { host: string; endpoint: string }[];
  /** Registry credentials given directly (the action's registry-auth); they win over Docker's config.json. */
  credentials?: ReadonlyMap<string, { username: string; password: string }>;
  /** Opens the pull requests (mode pull-requests). */
  publisher?: BumpPublisher;
  /** Told before each retry of a request to a registry (the CLI prints it on stderr). */
  onRetry?: OnRetry | undefined;
  /** Told every registry secret read from Docker's config.json or a credential helper, to mask it everywhere. */
  onSecret?: ((value: string) => void) | undefined;
}

export interface BumpResult {
  report: BumpReport;
  /** kubeplan.yaml as read. */
  config: Config;
  output: string;
  exitCode: number;
}

/**
 * `kubeplan bump`: finds the image references of every target's source files, asks the registries, applies the
 * policies and then writes nothing (dry-run), edits the working tree (local), or opens one pull request per image or
 * group (pull-requests). An image whose registry fails is reported and the others still move; the exit code is then 2.
 */
export async function bumpCommand(options: BumpOptions): Promise<BumpResult> {
  const config = loadConfig(options.config, options.cwd);
  const registries = [
    ...options.endpoints.map((e) => ({ host: e.host, insecure: false, endpoint: e.endpoint })),
    ...config.registries.filter((r) => !options.endpoints.some((e) => e.host === r.host)),
  ];
  const docker = dockerConfig(options.env);
  for (const c of docker.credentials.values()) options.onSecret?.(c.password);
  const registry = new RegistryClient({
    // Given credentials win over config.json's, and over its credential helpers (run only for hosts without any).
    credentials: new Map([...docker.credentials, ...(options.credentials ?? [])]),
    registries,
    helpers: docker.helpers,
    dockerConfigFile: docker.file,
    helperEnv: options.env,
    onSecret: options.onSecret,
    fetch: proxyFetch(options.env),
    onRetry: options.onRetry,
  });
  const plan = await planBumps(config, options.request, registry);
  const moving = plan.images.filter((i) => i.status === 'bump');
  // All images' edits together, for --local to write and the text report to show; pull requests edit per image or group.
  const edits = options.mode === 'pull-requests' ? [] : editsOf(moving, plan.textOf);
  const written: string[] = [];
  let pullRequests: PullRequestOutcome[] = [];
  if (options.mode === 'local') {
    for (const e of edits) {
      const file = path.join(config.repoRoot, e.file);
      try {
        writeFileSync(file, e.after);
      } catch (error) {
        if (!isSystemError(error)) throw error;
        throw systemError(error, `write the bumped ${e.file}`, {
          where: { file: e.file, path: file },
          hint: `check the file's permissions${written.length ? `; already written: ${written.join(', ')}` : ''}`,
        });
      }
      written.push(e.file);
    }
  } else if (options.mode === 'pull-requests') {
    if (!options.publisher) throw new Error('pull-requests mode needs a publisher');
    await readCreated(moving, registry);
    pullRequests = await publishBumps(plan, config, options.publisher, {
      closeStale: options.request.dispatch === undefined,
    });
  }
  const report: BumpReport = { mode: options.mode, plan, edits, written, pullRequests };
  const output =
    options.output === 'json' ? formatBumpJson(report) : formatBumpText(report, { explain: options.request.explain });
  const failed = plan.images.some((i) => i.status === 'error') || pullRequests.some((p) => p.action === 'error');
  return { report, config, output, exitCode: failed ? EXIT_ERROR : 0 };
}

/**
 * When each version a pull request moves to was built and where its source lives, for its body (a manifest and a
 * config read per image, only when pull requests are opened): the config's `created` and its
 * `org.opencontainers.image.source` (else `.url`) and `.revision` labels. A registry that does not say, or fails
 * here, leaves them out; the bump stands.
 */
async function readCreated(moving: ImageBump[], registry: RegistryClient): Promise<void> {
  await Promise.all(
    moving.map(async (i) => {
      if (!i.to) return;
      const ref = parseImageRef(i.key);
      const config = await registry.imageConfig(ref, i.to.digest ?? i.to.tag).catch(() => undefined);
      i.to.created = config?.created;
      i.to.source = config?.labels['org.opencontainers.image.source'];
      i.to.url = config?.labels['org.opencontainers.image.url'];
      i.to.revision = config?.labels['org.opencontainers.image.revision'];
      i.requests = registry.requestsFor(ref);
    }),
  );
}
