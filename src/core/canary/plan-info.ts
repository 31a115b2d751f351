/**
 * A canary target in a plan (`kubeplan diff`, the pull request's comment): where its canary stands and what merging
 * the change does to it, in the plan's words ("merging this …"), and what a canary would run: git's pod template
 * against the stable one.
 */
import { unifiedDiff } from '../diff/field-diff.js';
import type { CanaryPlanInfo } from '../diff/types.js';
import type { CanaryStep } from './machine.js';
import { podTemplate } from './effective.js';
import { canaryActive, type CanaryPrep, describeCanary } from './prepare.js';

/** `10 %, 50 %, approval` */
export function describeSteps(steps: readonly CanaryStep[]): string {
  return steps.map((s) => (s.approve ? 'approval' : `${s.weight ?? 0} %`)).join(', ');
}

/**
 * The plan's view of a prepared canary target. `scrub` takes the values of the Secrets the plan saw out of the
 * template diff (a chart may write one into an env value).
 */
export function canaryPlanInfo(prep: CanaryPrep, scrub: (text: string) => string): CanaryPlanInfo {
  const steps = prep.plan.steps.length;
  const active = canaryActive(prep.stored?.state) ? prep.stored!.state : undefined;
  const state = active
    ? {
        phase: active.phase,
        step: Math.min(active.step + 1, steps),
        steps,
        weight: active.weight,
        commit: active.commit,
      }
    : undefined;
  let note: string;
  switch (prep.start) {
    case 'steady':
      note = 'the pod template is the stable one: merging this starts no canary';
      break;
    case 'first-install':
      note =
        'no stable version of the workload yet: merging this applies it without a canary (that apply stores the first stable revision)';
      break;
    case 'held': {
      const why = prep.stored?.state.message;
      note = `this pod template failed its canary${why ? ` (${why})` : ''}; merging this changes nothing for it until kubeplan canary retry`;
      break;
    }
    case 'start':
      note = `merging this starts a canary of the new pod template (steps: ${describeSteps(prep.plan.steps)})`;
      break;
    case 'resume':
      note = `${describeCanary(active!, steps)}; it goes on: this change renders the pod template it runs`;
      break;
    case 'restart':
      note = `${describeCanary(active!, steps)}; merging this restarts it with this change's pod template (steps: ${describeSteps(prep.plan.steps)})`;
      break;
    default:
      note = prep.note;
  }
  let templateDiff: string | undefined;
  if (prep.start === 'start' || prep.start === 'restart' || prep.start === 'held') {
    const git = prep.git.find(
      (m) =>
        m.object.kind === 'Deployment' &&
        m.object.metadata.name === prep.spec.workload.name &&
        (m.object.metadata.namespace ?? prep.namespace) === prep.namespace,
    );
    if (git)
      templateDiff = scrub(
        unifiedDiff(
          `Deployment/${prep.spec.workload.name}/spec.template`,
          prep.stableTemplate,
          podTemplate(git.object),
          ['stable', 'git'],
        ),
      );
  }
  return {
    start: prep.start,
    note,
    ...(state ? { state } : {}),
    ...(templateDiff !== undefined ? { templateDiff } : {}),
  };
}
