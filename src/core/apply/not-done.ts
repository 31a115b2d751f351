import type { Change, TargetPlan } from '../diff/types.js';
import { RECORD_STAGE, WAIT_STAGE, type TargetApplyResult } from './apply.js';

/**
 * One step of a target's plan that an apply which stopped (failed or cancelled) did not do: an object it did not
 * write or prune, a Helm hook it did not run, the health wait, or recording the commit on the inventory.
 */
export interface NotDone {
  /** `create`, `update`, `recreate`, `prune`, `run hook <events>`, `wait until healthy`, `record the commit in the inventory`. */
  step: string;
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
}

const same = (
  a: { kind: string; namespace?: string | undefined; name: string },
  b: { kind: string; namespace?: string | undefined; name: string },
) => a.kind === b.kind && (a.namespace ?? '') === (b.namespace ?? '') && a.name === b.name;

const of = (step: string, c: Pick<Change, 'apiVersion' | 'kind' | 'namespace' | 'name'>): NotDone => ({
  step,
  apiVersion: c.apiVersion,
  kind: c.kind,
  ...(c.namespace ? { namespace: c.namespace } : {}),
  name: c.name,
});

/**
 * What `plan` asked for that `done` (the target's partial result, empty for a target that never started) does not
 * show as done, in the order apply does it.
 */
export function notDone(
  plan: TargetPlan,
  done: TargetApplyResult,
  options: { wait: boolean; hooks: boolean },
): NotDone[] {
  const out: NotDone[] = [];
  const writes = plan.changes.filter(
    (c) => !c.hook && (c.action === 'create' || c.action === 'update' || c.action === 'replace'),
  );
  const deletes = plan.changes.filter((c) => c.action === 'delete');
  const wrote = (c: Change) =>
    done.objects.some((o) => o.action !== 'unchanged' && o.action !== 'pruned' && same(o, c));
  const pruned = (c: Change) => done.objects.some((o) => o.action === 'pruned' && same(o, c));
  const finished = (stage: string) => done.stages.some((s) => s.name === stage);
  const changes = writes.length + deletes.length > 0;
  const hooks = options.hooks && changes ? (plan.hooks ?? []) : [];
  const ran = (h: NonNullable<TargetPlan['hooks']>[number], when: 'pre' | 'post') =>
    done.notes.some((n) =>
      new RegExp(
        `^ran ${when}-(install|upgrade) ${h.object.kind} ${h.object.metadata.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`,
      ).test(n),
    );
  const hook = (when: 'pre' | 'post') => {
    for (const h of hooks) {
      const events = h.hook.events.filter((e) => e === `${when}-install` || e === `${when}-upgrade`);
      if (events.length && !ran(h, when))
        out.push(
          of(`run hook ${events.join(',')}`, {
            apiVersion: h.object.apiVersion,
            kind: h.object.kind,
            namespace: h.object.metadata.namespace,
            name: h.object.metadata.name,
          }),
        );
    }
  };
  hook('pre');
  for (const c of writes) if (!wrote(c)) out.push(of(c.action === 'replace' ? 'recreate' : c.action, c));
  if (options.wait && !finished(WAIT_STAGE)) out.push({ step: WAIT_STAGE });
  for (const c of deletes) if (!pruned(c)) out.push(of('prune', c));
  if (!finished(RECORD_STAGE)) out.push({ step: RECORD_STAGE });
  hook('post');
  return out;
}
