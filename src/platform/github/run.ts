import * as core from '@actions/core';
import path from 'node:path';
import { renderCommand } from '../../core/commands/render.js';
import { formatError } from '../../core/errors.js';
import { formatSource } from '../../core/manifests/manifest-set.js';
import { readGitHubContext } from './context.js';
import { readInputs } from './inputs.js';
import { runPlan } from './plan.js';

/** The action: one error boundary around input parsing and the core call. */
export async function run(env: NodeJS.ProcessEnv): Promise<void> {
  try {
    const inputs = readInputs(env);
    if (inputs.command === 'plan') {
      await runPlan(inputs, readGitHubContext(env), env);
      return;
    }
    const result = await renderCommand({
      config: inputs.config,
      targets: inputs.targets,
      outDir: inputs.outDir,
      format: inputs.format,
      showSecrets: false,
      tools: inputs.tools,
      cwd: inputs.workingDirectory,
      env,
    });
    const rows = result.sets.map((set, i) => ({
      name: set.target,
      objects: set.manifests.length,
      hooks: set.manifests.filter((m) => m.hook).length,
      file: result.files[i]!,
    }));
    for (const set of result.sets) {
      core.startGroup(`${set.target}: ${set.manifests.length} objects`);
      for (const m of set.manifests) {
        const o = m.object;
        core.info(`${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}  ← ${formatSource(m.source)}${m.hook ? '  [hook]' : ''}`);
      }
      core.endGroup();
    }
    core.setOutput('out-dir', inputs.outDir);
    core.setOutput('objects', String(rows.reduce((n, r) => n + r.objects, 0)));
    core.setOutput('targets', JSON.stringify(rows));
    await core.summary
      .addHeading('kubeplan render', 3)
      .addTable([
        [
          { data: 'Target', header: true },
          { data: 'Objects', header: true },
          { data: 'Hooks', header: true },
          { data: 'File', header: true },
        ],
        ...rows.map((r) => [r.name, String(r.objects), String(r.hooks), path.relative(inputs.workingDirectory, r.file)]),
      ])
      .write();
  } catch (error) {
    core.setFailed(formatError(error));
  }
}
