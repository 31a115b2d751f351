import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../config/load-config.js';
import { withOptInsFrom } from '../config/opt-ins.js';
import { isSystemError, KubeplanError, systemError } from '../errors.js';
import type { ManifestFormat } from '../manifests/serialize.js';
import { serializeManifestSet, serializeManifestSets } from '../manifests/serialize.js';
import type { ManifestSet } from '../manifests/types.js';
import { renderTargets } from '../render/render-targets.js';
import type { ToolOverrides } from '../render/tools.js';

export interface RenderCommandOptions {
  config: string;
  targets: string[];
  outDir: string | undefined;
  format: ManifestFormat;
  /** Print Secret values on stdout (files in --out-dir always hold the real objects). */
  showSecrets: boolean;
  tools: ToolOverrides;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Take the opt-ins from the config as committed at this git ref (see DiffCommandOptions.optInsFrom). */
  optInsFrom?: string | undefined;
  /** With optInsFrom: fetch the commit from origin when the clone lacks it; if that fails, opt-ins are off. */
  fetchOptIns?: boolean;
  /** Called with each notice as soon as it is known, before rendering (which may fail). */
  onNotice?: (notice: string) => void;
}

export interface RenderCommandResult {
  sets: ManifestSet[];
  /** Files written (with --out-dir), absolute. */
  files: string[];
  /** The stream for stdout (without --out-dir). */
  stdout: string | undefined;
  /** How many Secret values were replaced in stdout. */
  redacted: number;
  /** What the user should know (a change to an opt-in that this render did not use). */
  notices: string[];
}

/**
 * `kubeplan render`: loads and validates the config, renders every selected target, and only when all succeeded
 * writes anything (one file per target with an output folder, else one stream).
 */
export async function renderCommand(options: RenderCommandOptions): Promise<RenderCommandResult> {
  const loaded = loadConfig(options.config, options.cwd);
  const { config, notices } = options.optInsFrom
    ? await withOptInsFrom(loaded, options.optInsFrom, options.env, { fetch: options.fetchOptIns ?? false })
    : { config: loaded, notices: [] };
  for (const notice of notices) options.onNotice?.(notice);
  const sets = await renderTargets(config, {
    targets: options.targets,
    tools: options.tools,
    env: options.env,
    cwd: options.cwd,
  });
  if (options.outDir === undefined) {
    const out = serializeManifestSets(sets, { format: options.format, redactSecrets: !options.showSecrets });
    return { sets, files: [], stdout: out.text, redacted: out.redacted, notices };
  }
  const dir = path.resolve(options.cwd, options.outDir);
  const hint = 'choose another output folder (--out-dir, or the out-dir input), or check its permissions';
  await mkdir(dir, { recursive: true }).catch((error: unknown) => {
    if (!isSystemError(error)) throw error;
    // mkdir -p fails with EEXIST only when something that is not a folder is in the way.
    if (error.code === 'EEXIST')
      throw new KubeplanError(`the output folder ${dir} is a file, not a folder`, { hint, cause: error });
    throw systemError(error, `create the output folder ${dir}`, { hint });
  });
  const files: string[] = [];
  for (const set of sets) {
    const file = path.join(dir, `${set.target}.${options.format}`);
    await writeFile(file, serializeManifestSet(set, { format: options.format, redactSecrets: false }).text).catch(
      (error: unknown) => {
        throw isSystemError(error) ? systemError(error, `write ${file}`, { hint }) : error;
      },
    );
    files.push(file);
  }
  return { sets, files, stdout: undefined, redacted: 0, notices };
}
