import { ClusterClient } from '../cluster/client.js';
import { ResourceMap } from '../cluster/discovery.js';
import { canI } from '../cluster/objects.js';
import { loadConfig } from '../config/load-config.js';
import { planTargets } from '../diff/plan.js';
import { hasChanges, type DiffMode, type Plan } from '../diff/types.js';
import { EXIT_ERROR } from '../errors.js';
import type { ManifestSet } from '../manifests/types.js';
import { renderTargets } from '../render/render-targets.js';
import type { ToolOverrides } from '../render/tools.js';
import { formatPlanJson } from '../report/json.js';
import { formatPlanMarkdown } from '../report/markdown.js';
import { formatPlanText } from '../report/text.js';

export type ReportFormat = 'text' | 'markdown' | 'json';

export interface DiffCommandOptions {
  config: string;
  targets: string[];
  tools: ToolOverrides;
  kubeconfig: string | undefined;
  context: string | undefined;
  mode: DiffMode | 'auto';
  output: ReportFormat;
  /** 0 no changes, 1 changes, 2 error (kubectl's convention); without it 0 unless an error. */
  exitCode: boolean;
  concurrency: number;
  color: boolean;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface DiffCommandResult {
  plan: Plan;
  report: string;
  exitCode: number;
}

/** `kubeplan diff`: render, read the cluster, plan, and format the report. */
export async function diffCommand(options: DiffCommandOptions): Promise<DiffCommandResult> {
  const config = loadConfig(options.config, options.cwd);
  const sets = await renderTargets(config, { targets: options.targets, tools: options.tools, env: options.env, cwd: options.cwd });
  const client = await ClusterClient.connect({
    kubeconfig: options.kubeconfig,
    context: options.context,
    concurrency: options.concurrency,
    env: options.env,
    cwd: options.cwd,
  });
  const resources = await ResourceMap.discover(client);
  const { mode, reason } = await chooseMode(options.mode, client, resources, sets);
  const plan = await planTargets(sets, client, resources, { mode, modeReason: reason });
  const report = options.output === 'json' ? formatPlanJson(plan) : options.output === 'markdown' ? formatPlanMarkdown(plan) : formatPlanText(plan, { color: options.color });
  const exitCode = plan.summary.error > 0 ? EXIT_ERROR : options.exitCode && hasChanges(plan.summary) ? 1 : 0;
  return { plan, report, exitCode };
}

/** `auto`: server mode when the credentials may patch every kind and namespace the plan touches, else client mode. */
async function chooseMode(
  requested: DiffMode | 'auto',
  client: ClusterClient,
  resources: ResourceMap,
  sets: ManifestSet[],
): Promise<{ mode: DiffMode; reason: string }> {
  if (requested !== 'auto') return { mode: requested, reason: `--mode ${requested}` };
  const checks = new Map<string, Promise<boolean>>();
  for (const m of sets.flatMap((s) => s.manifests)) {
    const info = resources.lookup(m.object);
    if (!info) continue;
    const ns = info.namespaced ? (m.object.metadata.namespace ?? client.namespace) : undefined;
    const key = `${info.group}/${info.resource}/${ns ?? ''}`;
    if (!checks.has(key)) checks.set(key, canI(client, 'patch', info, ns).catch(() => false));
  }
  const denied = (await Promise.all([...checks].map(async ([key, allowed]) => ((await allowed) ? undefined : key)))).filter((k) => k !== undefined);
  if (denied.length === 0) return { mode: 'server', reason: 'auto: the credentials may patch every object' };
  return { mode: 'client', reason: `auto: no patch permission for ${denied.slice(0, 3).join(', ')}${denied.length > 3 ? ', …' : ''}, so read-only comparison` };
}
