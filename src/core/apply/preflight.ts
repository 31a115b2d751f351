import { dump } from 'js-yaml';
import { applySetParent } from '../cluster/applyset.js';
import type { ClusterClient } from '../cluster/client.js';
import { accessAllowed } from '../cluster/objects.js';
import type { ResourceInfo } from '../cluster/discovery.js';
import type { TargetPlan } from '../diff/types.js';
import { ApplyError } from './apply-error.js';

export interface Need {
  verb: string;
  group: string;
  resource: string;
  namespace: string | undefined;
}

const CONFIGMAPS: Pick<ResourceInfo, 'group' | 'resource' | 'namespaced'> = {
  group: '',
  resource: 'configmaps',
  namespaced: true,
};
const SECRETS: Pick<ResourceInfo, 'group' | 'resource' | 'namespaced'> = {
  group: '',
  resource: 'secrets',
  namespaced: true,
};

/** Every (verb, group, resource, namespace) applying this plan needs: create/patch to write, delete to prune, get to wait. */
export function requiredAccess(plan: TargetPlan, waits: boolean, revisions = false, hooks = true): Need[] {
  return [...accessNeeds(plan, waits, revisions, hooks).values()].map((n) => n.need);
}

/**
 * The rights of `requiredAccess` that the plan's server-side dry-runs have not already proven. A dry-run is authorized
 * exactly like the write it previews: an update's (a server-side apply PATCH) proves `patch`, a create's (a server-side
 * apply of an object that does not exist yet) proves `patch` and `create`, for that object. A right is proven only when
 * every object that needs it had such a dry-run; anything else (the inventory ConfigMap, revisions, hooks, waits,
 * prunes, replaces, objects planned without a dry-run) is still asked.
 */
export function unprovenAccess(plan: TargetPlan, waits: boolean, revisions = false, hooks = true): Need[] {
  return [...accessNeeds(plan, waits, revisions, hooks).values()].filter((n) => !n.proven).map((n) => n.need);
}

function accessNeeds(
  plan: TargetPlan,
  waits: boolean,
  revisions: boolean,
  hooks: boolean,
): Map<string, { need: Need; proven: boolean }> {
  const needs = new Map<string, { need: Need; proven: boolean }>();
  const add = (
    verb: string,
    info: Pick<ResourceInfo, 'group' | 'resource' | 'namespaced'>,
    namespace: string | undefined,
    proven = false,
  ) => {
    const n: Need = {
      verb,
      group: info.group,
      resource: info.resource,
      namespace: info.namespaced ? namespace : undefined,
    };
    const key = `${n.verb}|${n.group}|${n.resource}|${n.namespace ?? ''}`;
    needs.set(key, { need: n, proven: (needs.get(key)?.proven ?? true) && proven });
  };
  for (const c of plan.changes) {
    if (!c.resource) continue;
    const dryRun = c.via === 'dry-run';
    // An object the plan could not dry-run (Forbidden) may have to be created.
    if (c.action === 'create' || c.action === 'error')
      for (const v of ['create', 'patch']) add(v, c.resource!, c.namespace, dryRun && c.action === 'create');
    if (c.action === 'update' || c.action === 'adopt') add('patch', c.resource, c.namespace, dryRun);
    if (c.action === 'replace') for (const v of ['delete', 'create', 'patch']) add(v, c.resource!, c.namespace);
    if (c.action === 'delete') add('delete', c.resource, c.namespace);
    if (waits && ['create', 'update', 'adopt', 'replace', 'error'].includes(c.action))
      add('get', c.resource, c.namespace);
  }
  // Hooks are written like release objects and waited for; every delete policy (the default too) deletes them.
  if (hooks) {
    for (const h of plan.hooks ?? [])
      if (h.resource)
        for (const v of ['create', 'patch', 'get', 'delete']) add(v, h.resource!, h.object.metadata.namespace);
  }
  const parent = applySetParent(plan.target, plan.namespace);
  for (const verb of ['get', 'create', 'patch']) add(verb, CONFIGMAPS, parent.namespace);
  // Revisions (apply.rollback) are Secrets next to the parent: listed, read, created, and the oldest deleted.
  if (revisions) for (const verb of ['list', 'get', 'create', 'delete']) add(verb, SECRETS, parent.namespace);
  return needs;
}

/**
 * Asks the apiserver (SelfSubjectAccessReviews) for every right the apply needs before writing anything; when some
 * are missing, lists them all and prints the Role / ClusterRole and binding that would grant exactly them.
 */
export async function preflightAccess(
  client: ClusterClient,
  plan: TargetPlan,
  waits: boolean,
  revisions = false,
  hooks = true,
): Promise<void> {
  const access = await missingAccess(client, plan, waits, revisions, hooks);
  if (!access) return;
  const { missing, user } = access;
  const lines = missing.map(describeNeed);
  throw new ApplyError(
    `the credentials${user ? ` (${user})` : ''} lack ${missing.length} right${missing.length === 1 ? '' : 's'} this apply needs, so nothing of this target was written:\n${lines.map((l) => `    - ${l}`).join('\n')}\n  this grants exactly them:\n${indent(access.grant)}`,
    {
      where: { target: plan.target },
      hint: 'have a cluster admin apply the YAML above (or grant the rights another way), then run again',
    },
  );
}

export interface MissingAccess {
  missing: Need[];
  /** The user the apiserver sees (SelfSubjectReview), when it says. */
  user: string | undefined;
  /** Role / ClusterRole and bindings that grant exactly the missing rights. */
  grant: string;
}

/**
 * The rights applying this plan needs that the credentials lack (SelfSubjectAccessReviews), or undefined. Rights the
 * plan's dry-runs proved are not asked again: a re-apply that changes a few objects asks about the inventory only.
 */
export async function missingAccess(
  client: ClusterClient,
  plan: TargetPlan,
  waits: boolean,
  revisions = false,
  hooks = true,
): Promise<MissingAccess | undefined> {
  const needs = unprovenAccess(plan, waits, revisions, hooks);
  const results = await Promise.all(needs.map(async (n) => ({ need: n, allowed: await accessAllowed(client, n) })));
  const missing = results.filter((r) => !r.allowed).map((r) => r.need);
  if (missing.length === 0) return undefined;
  const user = await whoAmI(client);
  return { missing, user, grant: grantYaml(plan.target, missing, user) };
}

/** `delete deployments.apps in namespace shop`, `create namespaces (cluster-wide)`. */
export function describeNeed(n: Need): string {
  return `${n.verb} ${n.group ? `${n.resource}.${n.group}` : n.resource}${n.namespace ? ` in namespace ${n.namespace}` : ' (cluster-wide)'}`;
}

async function whoAmI(client: ClusterClient): Promise<string | undefined> {
  try {
    const res = await client.request<{ status?: { userInfo?: { username?: string } } }>(
      'POST',
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      {
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      },
    );
    return res.body.status?.userInfo?.username;
  } catch {
    return undefined;
  }
}

/** A Role per namespace and a ClusterRole for cluster-wide rights, each bound to the user. */
export function grantYaml(target: string, missing: Need[], user: string | undefined): string {
  const rules = (needs: Need[]) => {
    const byResource = new Map<string, { apiGroups: string[]; resources: string[]; verbs: string[] }>();
    for (const n of needs) {
      const key = `${n.group}|${n.resource}`;
      const rule = byResource.get(key) ?? { apiGroups: [n.group], resources: [n.resource], verbs: [] };
      if (!rule.verbs.includes(n.verb)) rule.verbs.push(n.verb);
      byResource.set(key, rule);
    }
    return [...byResource.values()].map((r) => ({ ...r, verbs: r.verbs.sort() }));
  };
  const name = `kubeplan-${target}`;
  const subject = { kind: 'User', name: user ?? 'REPLACE-WITH-THE-CI-USER', apiGroup: 'rbac.authorization.k8s.io' };
  const docs: object[] = [];
  const namespaces = [...new Set(missing.map((n) => n.namespace).filter((n): n is string => n !== undefined))].sort();
  for (const ns of namespaces) {
    docs.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name, namespace: ns },
      rules: rules(missing.filter((n) => n.namespace === ns)),
    });
    docs.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [subject],
    });
  }
  const cluster = missing.filter((n) => n.namespace === undefined);
  if (cluster.length) {
    docs.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name },
      rules: rules(cluster),
    });
    docs.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [subject],
    });
  }
  return docs.map((d) => `---\n${dump(d, { lineWidth: -1 })}`).join('');
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
