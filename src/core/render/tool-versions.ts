import type { Config } from '../config/types.js';
import type { RenderContext } from './context.js';
import { prepareRenderContext, type RenderOptions, selectTargets } from './render-targets.js';
import { runTool } from './run-tool.js';

/** The versions of the tools a render ran (`v4.1.4`); a tool the run did not need is absent. */
export interface ToolVersions {
  helm?: string | undefined;
  kubectl?: string | undefined;
  /** kustomize's own version, or the one built into kubectl when `kubectl kustomize` renders. */
  kustomize?: string | undefined;
}

/** What a version looks like; anything else a binary prints is left out rather than shown. */
const VERSION = /^v?\d+\.\d+[0-9A-Za-z.+-]{0,40}$/;

function clean(value: unknown): string | undefined {
  return typeof value === 'string' && VERSION.test(value.trim()) ? value.trim() : undefined;
}

/**
 * Asks the binaries a render used for their versions: one `helm version` and one `kubectl version --client` or
 * `kustomize version`, in parallel, with a short timeout. A tool that does not answer is left out: the versions only
 * say what made the report.
 */
export async function readToolVersions(ctx: Pick<RenderContext, 'helm' | 'kustomize' | 'env' | 'repoRoot'>) {
  const run = async (file: string, args: string[]) => {
    try {
      const r = await runTool(file, args, { cwd: ctx.repoRoot, env: ctx.env, timeoutMs: 10_000 });
      return r.exitCode === 0 ? r.stdout.trim() : undefined;
    } catch {
      return undefined;
    }
  };
  const versions: ToolVersions = {};
  await Promise.all([
    ctx.helm &&
      run(ctx.helm, ['version', '--template', '{{.Version}}']).then((v) => {
        versions.helm = clean(v);
      }),
    ctx.kustomize?.kind === 'kubectl' &&
      run(ctx.kustomize.path, ['version', '--client', '-o', 'json']).then((v) => {
        try {
          const parsed = JSON.parse(v ?? '') as {
            clientVersion?: { gitVersion?: unknown };
            kustomizeVersion?: unknown;
          };
          versions.kubectl = clean(parsed.clientVersion?.gitVersion);
          versions.kustomize = clean(parsed.kustomizeVersion);
        } catch {
          // not kubectl's JSON: left out
        }
      }),
    ctx.kustomize?.kind === 'kustomize' &&
      run(ctx.kustomize.path, ['version']).then((v) => {
        // kustomize 5 prints `v5.7.1`; kustomize 4 `{Version:kustomize/v4.5.7 GitCommit:…}`.
        versions.kustomize = clean(/v\d+\.\d+\.\d+[0-9A-Za-z.+-]*/.exec(v ?? '')?.[0]);
      }),
  ]);
  return Object.fromEntries(Object.entries(versions).filter(([, v]) => v !== undefined)) as ToolVersions;
}

/** The versions of the tools rendering these targets uses (the same binaries renderTargets picks). */
export async function toolVersionsFor(config: Config, options: RenderOptions): Promise<ToolVersions> {
  return readToolVersions(prepareRenderContext(config, selectTargets(config, options.targets), options));
}
