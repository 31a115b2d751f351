import { applyTarget, bundleDigest, emptyResult, stageOf, type TargetApplyResult } from '../apply/apply.js';
import { ApplyError } from '../apply/apply-error.js';
import { RevisionStore } from '../apply/revisions.js';
import { rollbackTarget, rolledBackError } from '../apply/rollback.js';
import { cancelReason, CancelledError, throwIfCancelled } from '../cancel.js';
import { KubeplanError } from '../errors.js';
import { openCluster, type ClusterOptions } from './cluster-run.js';
import { loadConfig } from '../config/load-config.js';
import { headCommit, isAncestor } from '../git/ancestry.js';
import { planTargets } from '../diff/plan.js';
import { SecretScrubber } from '../diff/secrets.js';
import type { Plan, TargetPlan } from '../diff/types.js';
import { renderTargets } from '../render/render-targets.js';
import type { ToolOverrides } from '../render/tools.js';
import { hookRows, objectName, summaryLine } from '../report/common.js';

export interface ApplyCommandOptions extends ClusterOptions {
  config: string;
  targets: string[];
  tools: ToolOverrides;
  /** Plan only: report what would be applied, write nothing. */
  dryRun: boolean;
  forceConflicts: boolean;
  allowEmpty: boolean;
  noHooks: boolean;
  /** Wait until written objects are healthy, at most this long (undefined: --no-wait). */
  waitTimeoutMs: number | undefined;
  onProgress?: (message: string) => void;
  output: 'text' | 'json';
  tooling: string;
  /** Called around each target, e.g. to report GitHub Deployments; an error in the target is passed and rethrown. */
  around?: {
    before(target: string): Promise<void>;
    after(target: string, result: TargetApplyResult | undefined, error: unknown): Promise<void>;
  };
}

export interface ApplyCommandResult {
  plan: Plan;
  results: TargetApplyResult[];
  report: string;
}

/** `kubeplan apply`: render, plan (server mode), then apply target by target; a failing target stops the run. */
export async function applyCommand(options: ApplyCommandOptions): Promise<ApplyCommandResult> {
  const config = loadConfig(options.config, options.cwd);
  let sets: Awaited<ReturnType<typeof renderTargets>>;
  try {
    sets = await renderTargets(config, { targets: options.targets, tools: options.tools, env: options.env, cwd: options.cwd });
  } catch (error) {
    // Ctrl-C reaches helm and kustomize too: their failure is the cancellation, not a render error.
    throwIfCancelled(options.signal, 'the render finished; nothing was written');
    throw error;
  }
  throwIfCancelled(options.signal, 'connecting to the cluster; nothing was written');
  const { client, resources, ignore, policy: policyMap, repository } = await openCluster(config, options);
  // Learns every Secret value the plan sees: apply and hook errors (server messages may echo objects) are scrubbed too.
  const scrubber = new SecretScrubber();
  const plan = await planTargets(sets, client, resources, { mode: 'server', modeReason: 'apply plans with server-side dry-runs', ignore, policy: policyMap, repository, scrubber });
  const results: TargetApplyResult[] = [];
  const sha = await headCommit(config.repoRoot, options.env);
  const commit = sha ? { sha, isAncestor: (older: string, newer: string) => isAncestor(config.repoRoot, older, newer, options.env) } : undefined;
  if (!options.dryRun) {
    const policies = new Map(config.targets.map((t) => [t.name, t.apply]));
    for (const [index, target] of plan.targets.entries()) {
      const policy = policies.get(target.target);
      if (options.signal?.aborted) throw cancelledBefore(options.signal, plan, index, results);
      await options.around?.before(target.target);
      let result: TargetApplyResult;
      const rollback = policy?.rollback ?? false;
      const applyOptions = {
        forceConflicts: options.forceConflicts || (policy?.forceConflicts ?? false),
        allowEmpty: options.allowEmpty || (policy?.allowEmpty ?? false),
        recreate: policy?.recreate ?? [],
        tooling: options.tooling,
        crdTimeoutSeconds: 60,
        waitTimeoutMs: options.waitTimeoutMs,
        noHooks: options.noHooks,
        revisions: rollback,
        ...(commit ? { commit } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        signal: options.signal,
      };
      const partial = emptyResult(target.target);
      try {
        result = await applyTarget(target, client, resources, applyOptions, partial);
        if (rollback) {
          // The revision a later failure rolls back to: what this apply made the cluster hold.
          const objects = target.changes.filter((c) => c.action !== 'delete' && !c.hook && c.object).map((c) => c.object!);
          const saved = await new RevisionStore(client, target.target, target.namespace).save(objects, { commit: sha, digest: bundleDigest(objects) });
          if (saved.number !== undefined) result.notes.push(`stored as revision ${saved.number}`);
          if (saved.note) result.notes.push(saved.note);
        }
      } catch (error) {
        let failure = error;
        // Cancelled: no rollback (it would write), but a report of what was and was not written.
        if (error instanceof CancelledError) failure = cancelledDuring(error, target, partial, plan.targets.slice(index + 1));
        const wrote = partial.created + partial.updated + partial.recreated + partial.pruned > 0 || partial.stages.length > 0;
        if (rollback && wrote && error instanceof KubeplanError && !(error instanceof CancelledError)) {
          try {
            const outcome = await rollbackTarget(target.target, target.namespace, client, resources, { ...applyOptions, to: 'newest', ignore, policy: policyMap, repository, record: false, scrubber });
            failure = outcome
              ? rolledBackError(error, outcome, partial)
              : new ApplyError(`${error.message}\n  no earlier revision to roll back to (the first apply with rollback: true stores the first one): nothing was undone`, { where: error.where, hint: error.hint });
          } catch (rollbackError) {
            failure = new ApplyError(`${error.message}\n  the rollback failed too: ${rollbackError instanceof KubeplanError ? rollbackError.message : String(rollbackError)}`, {
              where: error.where,
              hint: `the cluster is between revisions; fix the cause and apply again, or run kubeplan rollback --target ${target.target}`,
            });
          }
        }
        scrubber.scrubError(failure);
        await options.around?.after(target.target, undefined, failure);
        throw failure;
      }
      await options.around?.after(target.target, result, undefined);
      results.push(result);
    }
  }
  return { plan, results, report: options.output === 'json' ? applyJson(plan, results, options.dryRun) : applyText(plan, results, options.dryRun) };
}

/** A CancelledError that says what the interrupted target wrote, what it did not, and which targets never started. */
function cancelledDuring(error: CancelledError, target: TargetPlan, partial: TargetApplyResult, notStarted: TargetPlan[]): CancelledError {
  const writes = target.changes.filter((c) => !c.hook && (c.action === 'create' || c.action === 'update' || c.action === 'adopt' || c.action === 'replace')).length;
  const prunes = target.changes.filter((c) => c.action === 'delete').length;
  const written = partial.created + partial.updated + partial.recreated;
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const missing = [writes - written > 0 ? count(writes - written, 'object') : '', prunes - partial.pruned > 0 ? count(prunes - partial.pruned, 'prune') : ''].filter(Boolean);
  const lines = [
    `cancelled (${error.signalName}): stopped ${error.message.replace(/^cancelled \([^)]*\) /, '')}`,
    `  written: ${written} of ${count(writes, 'object')}${partial.pruned ? `, ${partial.pruned} of ${count(prunes, 'prune')}` : ''}${partial.objects.filter((o) => o.action !== 'unchanged').map((o) => `\n    ${o.action} ${o.apiVersion} ${objectName(o)}`).join('')}`,
    `  not written: ${missing.length ? missing.join(', ') : 'nothing (the apply was finishing)'}`,
    ...(notStarted.length ? [`  targets not started: ${notStarted.map((t) => t.target).join(', ')}`] : []),
    '  the inventory records a commit only once its apply has finished: it still names the last finished one until this apply is run again',
  ];
  return new CancelledError(error.signalName, lines.join('\n'), {
    where: `target ${target.target}`,
    hint: 'run the apply again (re-run the workflow) to finish it',
    progress: `${written} of ${count(writes, 'object')} written${prunes ? `, ${partial.pruned} of ${count(prunes, 'prune')}` : ''}`,
  });
}

function cancelledBefore(signal: AbortSignal, plan: Plan, index: number, results: TargetApplyResult[]): CancelledError {
  const reason = cancelReason(signal);
  const done = results.map((r) => r.target);
  return new CancelledError(reason, `cancelled (${reason}) before target ${plan.targets[index]!.target}${done.length ? ` (finished: ${done.join(', ')})` : ''}; targets not started: ${plan.targets.slice(index).map((t) => t.target).join(', ')}`, {
    hint: 'run the apply again (re-run the workflow) to apply the rest',
  });
}

function applyText(plan: Plan, results: TargetApplyResult[], dryRun: boolean): string {
  if (dryRun) {
    // What apply would write, stage by stage (every change was validated by a server-side dry-run).
    const out: string[] = [];
    const stages = ['crds, namespaces, cluster rbac', 'everything else', 'webhooks and api services'];
    for (const t of plan.targets) {
      out.push(`── target ${t.target}`);
      for (const [n, name] of stages.entries()) {
        const changes = t.changes.filter((c) => (c.action === 'create' || c.action === 'update' || c.action === 'adopt' || c.action === 'replace') && stageOf(c.kind) === n);
        if (changes.length) out.push(`  stage ${name}:`, ...changes.map((c) => `    ${c.action.padEnd(7)} ${c.apiVersion} ${objectName(c)}`));
      }
      const prunes = t.changes.filter((c) => c.action === 'delete');
      if (prunes.length) out.push('  prune:', ...prunes.map((c) => `    delete  ${c.apiVersion} ${objectName(c)}`));
      const hooks = hookRows(t);
      if (hooks.length) out.push('  helm hooks (run around the stages when something changes):', ...hooks.map((h) => `    ${h.events.join(',')} weight ${h.weight}: ${h.apiVersion} ${objectName(h)}`));
      for (const e of t.changes.filter((c) => c.action === 'error')) out.push(`  error: ${describeError(e)}`);
    }
    out.push('', `Dry run, nothing written. ${summaryLine(plan.summary)}`);
    return `${out.join('\n')}\n`;
  }
  const out: string[] = [];
  for (const r of results) {
    const changed = r.objects.filter((o) => o.action !== 'unchanged');
    out.push(`── target ${r.target}: ${changed.length ? `${r.created} created, ${r.updated} updated, ${r.recreated ? `${r.recreated} recreated, ` : ''}${r.pruned} pruned` : 'no changes'}, ${r.unchanged} unchanged`);
    for (const o of changed) out.push(`  ${o.action.padEnd(9)} ${o.apiVersion} ${objectName(o)}`);
    for (const s of r.stages.filter((x) => x.objects > 0)) out.push(`  stage ${s.name}: ${s.objects} object${s.objects === 1 ? '' : 's'} in ${s.ms} ms`);
    for (const n of r.notes) out.push(`  note: ${n}`);
  }
  const total = results.reduce((t, r) => t + r.created + r.updated + r.recreated + r.pruned, 0);
  out.push('', total === 0 ? 'No changes: the cluster already matches git.' : `Applied: ${results.reduce((t, r) => t + r.created, 0)} created, ${results.reduce((t, r) => t + r.updated, 0)} updated, ${results.reduce((t, r) => t + r.pruned, 0)} pruned.`);
  return `${out.join('\n')}\n`;
}

function describeError(c: { apiVersion: string; kind: string; namespace?: string; name: string; error?: { message: string } }): string {
  return `${c.apiVersion} ${objectName(c)}: ${c.error?.message ?? ''}`;
}

function applyJson(plan: Plan, results: TargetApplyResult[], dryRun: boolean): string {
  return `${JSON.stringify({ version: 1, dryRun, plan: plan.summary, targets: results }, null, 2)}\n`;
}
