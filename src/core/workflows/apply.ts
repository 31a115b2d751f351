import { createHash } from 'node:crypto';
import { marker, upsertMarkedComment } from '../../platform/sticky-comments.js';
import type { TargetApplyResult } from '../apply/apply.js';
import { CancelledError } from '../cancel.js';
import { applyCommand, type StoppedApply } from '../commands/apply.js';
import { BindingError, formatError, KubeplanError, UsageError } from '../errors.js';
import type { InstanceOutcome } from '../commands/named-apply.js';
import type { ClusterSummary } from '../diff/types.js';
import { objectName } from '../report/common.js';
import { instanceTablesMarkdown } from '../report/instances.js';
import { fencedBlock, htmlText, inlineCode, markdownText } from '../report/escape.js';
import { affectedSince } from './affected.js';
import { bindTargets, type ReviewEvidence, refusalMessage, reviewEvidence, type TargetBinding } from './binding.js';
import { instanceName } from '../cluster/named-clusters.js';
import type { DeploymentPayload } from '../../platform/types.js';
import type { ApplyRequest } from './request.js';
import { namedClusterRun, namesClusters, refuseClustersInput } from './named-clusters.js';
import { emptyOutcome, neverFail, type Outcome, type WorkflowRun } from './types.js';
import type { CanaryRunResult } from '../canary/drive.js';
import type { CanaryControl } from '../canary/prepare.js';
import { CanaryHeld } from '../canary/state.js';
import {
  canariesOutput,
  canaryDeploymentStatus,
  canaryPlace,
  canarySummary,
  canaryVerdict,
  openCanaryDeployment,
} from './canary.js';

/**
 * Apply a push to the default branch: every affected target, one deployment per target (in progress, then success or
 * failure), the summary per target and stage, outputs, and the same summary as a comment on the merged pull request.
 * A failed apply still returns its report, with the failure in `error`. A canary the apply moved keeps its deployment
 * in progress until it ends; one rolled back fails the step, one not finished does not.
 *
 * `control`: `command: canary` (the canary targets only, with that instruction): the deployment each canary's apply
 * keeps in progress gets its new status (one is recorded when there is none).
 */
export async function applyPush(request: ApplyRequest, run: WorkflowRun, control?: CanaryControl): Promise<Outcome> {
  const { ctx, ports, secrets } = run;
  const log = ports.reporter;
  if (ctx.pullRequest || /^(pull_request|merge_request)/.test(ctx.event)) {
    const cr = ctx.changeRequestName ?? 'pull request';
    throw new UsageError(`kubeplan never applies from a ${cr} event`, {
      where: run.where('command'),
      hint: `apply on push to the default branch; plan on ${cr}s`,
    });
  }
  const named = namesClusters(run, request.config);
  if (!named) refuseClustersInput(run, request);
  const cluster = named ? namedClusterRun(run, request) : run.cluster.options;
  if (!cluster)
    throw new UsageError('apply needs a cluster', {
      where: run.where('kubeconfig'),
      hint: `pass ${run.cluster.inputs}`,
    });
  const sha = ctx.push?.after ?? ctx.sha;
  const outcome = emptyOutcome();

  let targets = request.targets;
  if (!control && targets.length === 0 && ctx.push && !/^0*$/.test(ctx.push.before) && request.onlyAffected) {
    const affected = await affectedSince(
      run,
      request.config,
      ctx.push.before,
      `${ctx.push.before.slice(0, 7)}..${sha.slice(0, 7)}`,
    );
    if (affected) {
      targets = affected.targets;
      if (targets.length === 0) {
        outcome.outputs = { applied: '{}', 'failed-target': '' };
        outcome.summary = "### kubeplan apply: nothing to do\n\nNo target's files changed in this push.\n";
        return outcome;
      }
    }
  }

  // `deployments: false` when the job declares its environment: GitHub records that deployment itself.
  const deployments = request.deployments ? ports.deployments : undefined;
  const ids = new Map<string, number>();
  const results: TargetApplyResult[] = [];
  let failedTarget = '';
  let failure: unknown;
  let stopped: StoppedApply | undefined;
  // Named clusters: every instance applied, failed or skipped, for a table per cluster.
  let instances: NamedOutcome | undefined;
  // Plan binding: per target, whether this is the plan the merged pull request's reviewers approved.
  const bindings: (TargetBinding & { instance: string })[] = [];
  // Targets applied although not bound (warn): one annotation per reason, naming them all (a push that merged no pull
  // request would otherwise warn once per target and instance).
  const warned: { target: string; headline: string }[] = [];
  let evidence: Promise<ReviewEvidence> | undefined;
  const payloads = new Map<string, DeploymentPayload>();
  const canaries: CanaryRunResult[] = [];
  // Where each target's deployment is, for `command: canary`: the one its canary keeps in progress.
  const environments = new Map<string, { environment: string; production: boolean }>();
  try {
    const result = await applyCommand({
      config: request.config,
      targets,
      tools: run.tools,
      ...cluster,
      signal: run.signal,
      dryRun: false,
      forceConflicts: request.forceConflicts,
      allowEmpty: false,
      noHooks: false,
      waitTimeoutMs: request.waitTimeoutMs,
      hookTimeoutMs: request.timeoutMs,
      onProgress: (m) => log.info(m),
      onWarning: (message) => outcome.annotations.push({ level: 'warning', title: 'kubeplan plan binding', message }),
      output: 'json',
      tooling: `kubeplan/v${run.version}`,
      canary: { disabled: request.canary.disabled, budgetMs: request.canary.budgetMs, control },
      // The Prometheus token (canary.analysis.prometheus.tokenEnv): masked in the log and in all kubeplan writes.
      onSecret: (value) => log.mask(value),
      ...(request.expectPlan
        ? {
            // The way out of a strict binding: this digest, not a review, says what may be applied.
            expect: { digests: { plan: request.expectPlan }, where: run.where('expect-plan') },
          }
        : {
            bind: async (plan, changes, modes, cluster) => {
              // Named clusters: called once per cluster; its targets are reported (and deployed) as instances.
              const named = (target: string) => (cluster ? instanceName(target, cluster) : target);
              const mine = new Map<string, DeploymentPayload>();
              for (const [target, d] of Object.entries(plan.digests.targets)) {
                const payload = { planDigest: d.plan };
                payloads.set(named(target), payload);
                mine.set(target, payload);
              }
              if (!Object.keys(plan.digests.targets).some((t) => (modes[t] ?? 'warn') !== 'off'))
                return { hold: new Set<string>(), audit: {} };
              evidence ??= reviewEvidence(run, sha);
              const found = await evidence;
              const bound = bindTargets(found, plan.digests, changes, modes, ctx.changeRequestName).map((b) => ({
                ...b,
                instance: named(b.target),
              }));
              // Reported by instance (`app@eu`): the summary, the refusal and its way out name the cluster.
              bindings.push(...bound.map((x) => ({ ...x, target: x.instance })));
              for (const b of bound.map((x) => ({ ...x, target: x.instance }))) {
                if (b.kind === 'bound') log.info(`${b.target}: ${b.headline}`);
                else if (!b.held) {
                  const message = `${b.target}: ${b.headline}; applied anyway (apply.binding: warn)`;
                  log.info([message, ...b.lines.map((l) => `  ${l}`)].join('\n'));
                  warned.push({ target: b.target, headline: b.headline });
                }
              }
              const review = {
                pullRequest: found.pullRequest,
                approvers: found.approvers.length ? found.approvers : undefined,
              };
              for (const p of mine.values()) Object.assign(p, review);
              return {
                hold: new Set(bound.filter((b) => b.held).map((b) => b.target)),
                audit: Object.fromEntries([...mine.keys()].map((t) => [t, review])),
              };
            },
          }),
      // command: canary moves what is applied already: no plan binding to a merged pull request.
      ...(control ? { bind: undefined } : {}),
      around: {
        before: async (target, deployment) => {
          log.group(`${control ? `canary ${control}` : 'apply'} ${target}`);
          environments.set(target, deployment);
          // command: canary records its deployment once it knows the canary's commit (after the target).
          if (deployments && !control)
            await neverFail(run, 'record the deployment', async () => {
              const description = `kubeplan apply ${sha.slice(0, 7)} to ${target}`;
              const id = await deployments.create(deployment, sha, description, payloads.get(target));
              ids.set(target, id);
              await deployments.setStatus(id, 'in_progress', `applying ${sha.slice(0, 7)}`, ctx.runUrl);
            });
        },
        after: async (target, result, error, canary) => {
          if (canary) {
            canaries.push(canary);
            log.info(`${target}: ${canaryPlace(canary)}, ${canary.phase}: ${canary.message}`);
          }
          if (result) {
            results.push(result);
            for (const o of result.objects.filter((x) => x.action !== 'unchanged'))
              log.info(`${o.action.padEnd(9)} ${o.apiVersion} ${objectName(o)}`);
            for (const n of result.notes) log.info(`note: ${n}`);
          }
          log.endGroup();
          if (deployments && canary) {
            await neverFail(run, 'record the canary on the deployment', async () => {
              const { state, description } = canaryDeploymentStatus(canary);
              const environment = environments.get(target) ?? { environment: target, production: true };
              // The deployment of the canary's commit that an earlier run left in progress.
              const open =
                control || canary.commit !== sha
                  ? await openCanaryDeployment(deployments, environment.environment, canary.commit)
                  : undefined;
              const mine = ids.get(target);
              if (open !== undefined && open !== mine)
                await deployments.setStatus(open, state, secrets.mask(description), ctx.runUrl);
              if (mine !== undefined) await deployments.setStatus(mine, state, secrets.mask(description), ctx.runUrl);
              else if (open === undefined) {
                const id = await deployments.create(
                  environment,
                  canary.commit,
                  `kubeplan canary ${canary.commit.slice(0, 7)} to ${target}`,
                );
                await deployments.setStatus(id, state, secrets.mask(description), ctx.runUrl);
              }
            });
            if (error) failedTarget = target;
            return;
          }
          const id = ids.get(target);
          if (error instanceof CanaryHeld && deployments && id !== undefined) {
            // Another run moves this target's canary: not done by this run, not failed either.
            await neverFail(run, 'record the deployment status', () =>
              deployments.setStatus(id, 'in_progress', 'canary moved by another run', ctx.runUrl),
            );
            failedTarget = target;
            return;
          }
          if (deployments && id !== undefined) {
            const description = result
              ? `${result.created} created, ${result.updated} updated, ${result.pruned} pruned`
              : error instanceof CancelledError
                ? `cancelled (${error.signalName})${error.progress ? `: ${error.progress}` : ''}`
                : error instanceof KubeplanError
                  ? error.format()
                  : String(error);
            await neverFail(run, 'record the deployment status', () =>
              deployments.setStatus(id, result ? 'success' : 'failure', secrets.mask(description), ctx.runUrl),
            );
          }
          if (error) failedTarget = target;
        },
      },
    });
    if (result.instances) instances = { instances: result.instances, clusters: result.plan.clusters ?? [] };
    // A stopped apply returns its failure with what it wrote before it (the summary lists both).
    if (result.failure !== undefined) {
      failure = result.failure;
      stopped = result.stopped;
    }
  } catch (error) {
    failure = error;
  }
  // Another run moves a canary: this run stops there, but did not fail, unless it left another target undone.
  let heldCanary: CanaryHeld | undefined;
  if (
    failure instanceof CanaryHeld &&
    (stopped?.notDone ?? []).every((n) => n.target === stopped?.target?.target || n.steps.length === 0)
  ) {
    heldCanary = failure;
    failure = undefined;
    stopped = undefined;
    failedTarget = '';
    log.notice(secrets.mask(`${heldCanary.message}; this run left it as it is (that run goes on with it)`));
  }

  const reasons = new Map<string, string[]>();
  for (const w of warned) reasons.set(w.headline, [...(reasons.get(w.headline) ?? []), w.target]);
  for (const [headline, names] of reasons)
    outcome.annotations.push({
      level: 'warning',
      title: 'kubeplan plan binding',
      message: `${names.join(', ')}: ${headline}; applied anyway (apply.binding: warn)`,
    });

  // Strict targets that were not the reviewed plan: nothing of them was written; the step fails with exit code 4.
  const held = bindings.filter((b) => b.held);
  // Named clusters: instances held by the binding (and those that wait for them) are the whole failure: exit 4 too.
  const onlyHeld =
    instances?.instances.every((i) => i.status === 'applied' || (i.status === 'skipped' && i.cause !== 'cancelled')) ??
    false;
  if (held.length && (failure === undefined || onlyHeld)) {
    failedTarget = held[0]!.target;
    const { message, hint } = refusalMessage(held);
    failure = new BindingError(message, { where: { target: held[0]!.target }, hint });
  }
  outcome.outputs = {
    applied: JSON.stringify(
      Object.fromEntries(
        results.map((r) => [
          r.target,
          { created: r.created, updated: r.updated, recreated: r.recreated, pruned: r.pruned, unchanged: r.unchanged },
        ]),
      ),
    ),
    'failed-target': failedTarget,
    canaries: canariesOutput(canaries),
  };
  const verdict = canaryVerdict(canaries);
  outcome.annotations.push(...verdict.annotations);
  for (const n of verdict.notices) log.notice(secrets.mask(n));
  if (verdict.failed && failure === undefined) outcome.failed = verdict.failed;
  // command: canary, or a canary rolled back: the heading says what happened to the canaries.
  const heading =
    failure !== undefined
      ? ''
      : verdict.failed
        ? `### kubeplan ${control ? `canary ${control}` : 'apply'} of \`${sha.slice(0, 7)}\` failed: ${markdownText(verdict.failed)}\n\n`
        : control
          ? `### kubeplan canary ${control} at \`${sha.slice(0, 7)}\`\n\n${canaries.length ? '' : 'No canary moved in this run.\n\n'}`
          : '';
  const summary = secrets.mask(
    heading +
      applySummary(sha, results, failedTarget, failure, stopped, bindings, instances, heading !== '') +
      (canaries.length ? `\n${canarySummary(canaries)}` : '') +
      (heldCanary ? `\n${markdownText(heldCanary.message)}: this run left the canary as it is.\n` : ''),
  );
  outcome.summary = summary;
  const { comments } = ports;
  // command: canary leaves the merged pull request's apply comment as that apply wrote it.
  if (comments && !control) {
    await neverFail(run, `comment on the merged ${ctx.changeRequestName ?? 'pull request'}`, async () => {
      const pr = await comments.mergedPullRequest(sha);
      if (pr === undefined) return;
      const key = `apply-${createHash('sha256').update(`${request.config}|${sha}`).digest('hex').slice(0, 12)}`;
      // Masked here, not only on the way out, so an unchanged comment compares equal and is not written again.
      const body = secrets.mask(
        `${marker('plan', key)}\n${summary}${ctx.runUrl ? `\n[Run log](${ctx.runUrl})\n` : ''}`,
      );
      await upsertMarkedComment(comments, pr, marker('plan', key), body);
    });
  }
  if (failure !== undefined) outcome.error = failure;
  return outcome;
}

/** An apply over named clusters: what happened to each instance, and the clusters they are on. */
export interface NamedOutcome {
  instances: InstanceOutcome[];
  clusters: ClusterSummary[];
}

/** The apply's job summary: per target what was written, and for a stopped apply what was written and not done. */
export function applySummary(
  sha: string,
  results: TargetApplyResult[],
  failedTarget: string,
  failure: unknown,
  stopped: StoppedApply | undefined,
  bindings: readonly TargetBinding[] = [],
  named?: NamedOutcome,
  /** `command: canary` heads the summary itself. */
  noHeading = false,
): string {
  const held = bindings.filter((b) => b.held);
  // Named clusters: the heading counts instances, naming those not applied (a failure may hold several).
  const notApplied = named?.instances.filter((i) => i.status !== 'applied') ?? [];
  const instancesLine = () =>
    `### kubeplan apply of \`${sha.slice(0, 7)}\`: ${named!.instances.length - notApplied.length} of ${named!.instances.length} instances applied; not applied: ${notApplied.map((i) => markdownText(i.name)).join(', ')}`;
  const out: string[] = [
    failure instanceof BindingError
      ? `### kubeplan apply of \`${sha.slice(0, 7)}\`: not the reviewed plan, ${held.map((b) => markdownText(b.target)).join(', ')} not applied`
      : failure && notApplied.length
        ? instancesLine()
        : failure
          ? `### kubeplan apply of \`${sha.slice(0, 7)}\` failed in target ${markdownText(failedTarget)}`
          : `### kubeplan applied \`${sha.slice(0, 7)}\``,
    '',
  ];
  if (noHeading && !failure) out.splice(0, 2);
  if (failure) out.push(fencedBlock(formatError(failure)), '');
  if (bindings.length) {
    out.push('**Plan binding**', '');
    for (const b of bindings) {
      const state = b.kind === 'bound' ? '✅' : b.held ? '⛔ not applied:' : '⚠️ applied anyway (warn):';
      out.push(`- ${markdownText(b.target)}: ${state} ${markdownText(b.headline)}`);
    }
    out.push('');
    const detail = bindings.filter((b) => b.kind !== 'bound' && b.lines.length && !b.held);
    for (const b of detail) out.push(`${markdownText(b.target)}:`, '', fencedBlock(b.lines.join('\n')), '');
  }
  // Named clusters: a table per cluster with every instance, the ones not applied too (and why).
  if (named?.instances.length) out.push(...instanceTablesMarkdown(named.instances, named.clusters));
  if (results.length) {
    if (!named?.instances.length) {
      out.push(
        '| target | created | updated | recreated | pruned | unchanged |',
        '| --- | --- | --- | --- | --- | --- |',
      );
      for (const r of results)
        out.push(
          `| ${markdownText(r.target)} | ${r.created} | ${r.updated} | ${r.recreated} | ${r.pruned} | ${r.unchanged} |`,
        );
      out.push('');
    }
    for (const r of results) {
      const changed = r.objects.filter((o) => o.action !== 'unchanged');
      if (!changed.length && !r.stages.some((s) => s.objects)) continue;
      out.push(
        `<details><summary>${htmlText(r.target)}: ${changed.length} object${changed.length === 1 ? '' : 's'} written</summary>`,
        '',
      );
      for (const o of changed) out.push(`- ${o.action} ${inlineCode(`${o.apiVersion} ${objectName(o)}`)}`);
      out.push(
        '',
        ...r.stages
          .filter((s) => s.objects || s.ms > 50)
          .map((s) => `- stage ${s.name}: ${s.objects} objects, ${s.ms} ms`),
        '',
        '</details>',
        '',
      );
    }
  }
  if (stopped) {
    // What the stopped target wrote before it stopped, and every step (of it and of the targets never started) not done.
    const written = stopped.target?.objects.filter((o) => o.action !== 'unchanged') ?? [];
    if (stopped.target) {
      out.push(`**${markdownText(stopped.target.target)}: written before it stopped (${written.length})**`, '');
      out.push(
        ...(written.length
          ? written.map((o) => `- ${o.action} ${inlineCode(`${o.apiVersion} ${objectName(o)}`)}`)
          : ['- nothing']),
        '',
      );
    }
    for (const { target, steps } of stopped.notDone) {
      if (!steps.length) continue;
      out.push(
        `**${markdownText(target)}: not done${stopped.target?.target === target ? '' : ' (not started)'} (${steps.length})**`,
        '',
      );
      for (const n of steps)
        out.push(
          `- ${n.kind ? `${n.step} ${inlineCode(`${n.apiVersion} ${objectName({ kind: n.kind, namespace: n.namespace, name: n.name! })}`)}` : n.step}`,
        );
      out.push('');
    }
  }
  return `${out.join('\n')}\n`;
}
