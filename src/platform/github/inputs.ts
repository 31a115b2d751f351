import * as core from '@actions/core';
import path from 'node:path';
import { UsageError } from '../../core/errors.js';
import type { ManifestFormat } from '../../core/manifests/serialize.js';
import type { ToolOverrides } from '../../core/render/tools.js';

/** Everything the action needs, parsed and validated once. The only place that reads action inputs. */
export interface ActionInputs {
  command: 'render';
  config: string;
  targets: string[];
  outDir: string;
  format: ManifestFormat;
  workingDirectory: string;
  tools: ToolOverrides;
}

export function readInputs(env: NodeJS.ProcessEnv): ActionInputs {
  const command = core.getInput('command') || 'render';
  if (command !== 'render') {
    throw new UsageError(`input command must be render, not "${command}"`, { where: 'action input command', hint: 'set command: render' });
  }
  const format = core.getInput('output-format') || 'yaml';
  if (format !== 'yaml' && format !== 'json') {
    throw new UsageError(`input output-format must be yaml or json, not "${format}"`, { where: 'action input output-format' });
  }
  const workspace = env.GITHUB_WORKSPACE ?? process.cwd();
  const workingDirectory = path.resolve(workspace, optional('working-directory') ?? '.');
  const runnerTemp = env.RUNNER_TEMP ?? path.join(workingDirectory, '.kubeplan');
  return {
    command,
    config: optional('config') ?? 'kubeplan.yaml',
    targets: (core.getInput('targets') || '')
      .split(/[\n,]/)
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    outDir: path.resolve(workingDirectory, optional('out-dir') ?? path.join(runnerTemp, 'kubeplan-render')),
    format,
    workingDirectory,
    tools: { helm: optional('helm'), kubectl: optional('kubectl'), kustomize: optional('kustomize') },
  };
}

function optional(name: string): string | undefined {
  const value = core.getInput(name);
  return value === '' ? undefined : value;
}
