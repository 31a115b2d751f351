import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  ADDITIONAL_NAMESPACES,
  APPLYSET_ID,
  ApplyError,
  CONTAINS_GROUP_KINDS,
  ResourceMap,
  TOOLING,
  applySetId,
  applySetParent,
  objectName,
  planTargets,
  preflightAccess,
  resourcePath,
  serverSideApply
} from "./chunk-FC6XUUJ6.js";
import {
  ClusterError,
  KubeplanError
} from "./chunk-4PR4VSOE.js";

// src/core/apply/apply.ts
import { createHash } from "node:crypto";

// src/core/apply/health.ts
function assessHealth(o) {
  const spec = o.spec ?? {};
  const status = o.status ?? {};
  const conditions = Array.isArray(status.conditions) ? status.conditions : [];
  const condition = (type) => conditions.find((c) => c.type === type);
  const generation = Number(o.metadata.generation ?? 0);
  const observed = Number(status.observedGeneration ?? 0);
  const stale = generation > 0 && observed < generation;
  const n = (v) => typeof v === "number" ? v : 0;
  switch (o.kind) {
    case "Deployment": {
      const progressing = condition("Progressing");
      if (progressing?.status === "False" && progressing.reason === "ProgressDeadlineExceeded") return { state: "failed", reason: progressing.message ?? "progress deadline exceeded" };
      if (stale) return { state: "pending", reason: "waiting for the controller to observe the new generation" };
      const want = typeof spec.replicas === "number" ? spec.replicas : 1;
      if (n(status.updatedReplicas) < want) return { state: "pending", reason: `${n(status.updatedReplicas)}/${want} replicas updated` };
      if (n(status.availableReplicas) < want) return { state: "pending", reason: `${n(status.availableReplicas)}/${want} replicas available` };
      if (n(status.replicas) > want) return { state: "pending", reason: `${n(status.replicas) - want} old replicas terminating` };
      return { state: "ready" };
    }
    case "StatefulSet": {
      if (stale) return { state: "pending", reason: "waiting for the controller to observe the new generation" };
      const want = typeof spec.replicas === "number" ? spec.replicas : 1;
      if (n(status.readyReplicas) < want) return { state: "pending", reason: `${n(status.readyReplicas)}/${want} replicas ready` };
      if (status.updateRevision !== void 0 && status.currentRevision !== status.updateRevision) return { state: "pending", reason: "rolling update in progress" };
      return { state: "ready" };
    }
    case "DaemonSet": {
      if (stale) return { state: "pending", reason: "waiting for the controller to observe the new generation" };
      const want = n(status.desiredNumberScheduled);
      if (n(status.updatedNumberScheduled) < want) return { state: "pending", reason: `${n(status.updatedNumberScheduled)}/${want} pods updated` };
      if (n(status.numberAvailable) < want) return { state: "pending", reason: `${n(status.numberAvailable)}/${want} pods available` };
      return { state: "ready" };
    }
    case "Job": {
      const failed = condition("Failed");
      if (failed?.status === "True") return { state: "failed", reason: failed.message ?? failed.reason ?? "the job failed" };
      if (condition("Complete")?.status === "True") return { state: "ready" };
      return { state: "pending", reason: `${n(status.succeeded)} succeeded, ${n(status.active)} active` };
    }
    case "PersistentVolumeClaim":
      return status.phase === "Bound" ? { state: "ready" } : { state: "pending", reason: `phase ${String(status.phase ?? "Pending")}` };
    case "CustomResourceDefinition":
      return condition("Established")?.status === "True" ? { state: "ready" } : { state: "pending", reason: "not Established yet" };
  }
  for (const type of ["Ready", "Available"]) {
    const c = condition(type);
    if (c && c.status !== "True") {
      if (c.status === "False" && /fail|error/i.test(c.reason ?? "")) return { state: "failed", reason: c.message ?? c.reason ?? `${type} is False` };
      return { state: "pending", reason: c.message ?? `${type} is ${c.status}` };
    }
  }
  return { state: "ready" };
}
async function waitHealthy(client, changes, options) {
  const started = Date.now();
  let pending = changes.filter((c) => c.resource);
  let lastReport = Date.now();
  const reasons = /* @__PURE__ */ new Map();
  while (pending.length > 0) {
    const next = [];
    await Promise.all(
      pending.map(async (c) => {
        let live;
        try {
          live = (await client.request("GET", resourcePath(c.resource, c.namespace, c.name))).body;
        } catch (error) {
          if (error instanceof ClusterError) throw new ApplyError(`cannot read it back to check its health: ${error.message}`, { where: `${c.apiVersion} ${objectName(c)}`, hint: error.hint });
          throw error;
        }
        const deadline = progressDeadline(live, options.timeoutMs);
        const health = assessHealth(live);
        if (health.state === "failed") throw new ApplyError(`is unhealthy: ${health.reason}`, { where: `${c.apiVersion} ${objectName(c)}`, hint: "see its events (kubectl describe) and fix the manifest; the rest of the apply stopped here" });
        if (health.state === "pending") {
          if (Date.now() - started > deadline) {
            throw new ApplyError(`was not healthy after ${Math.round(deadline / 1e3)}s: ${health.reason}`, {
              where: `${c.apiVersion} ${objectName(c)}`,
              hint: "check its pods and events; raise --timeout (or progressDeadlineSeconds) if it is just slow"
            });
          }
          reasons.set(c, health.reason);
          next.push(c);
        }
      })
    );
    pending = next;
    if (pending.length && options.onProgress && Date.now() - lastReport >= 5e3) {
      lastReport = Date.now();
      options.onProgress(pending.map((c) => ({ name: objectName(c), reason: reasons.get(c) ?? "", seconds: Math.round((Date.now() - started) / 1e3) })));
    }
    if (pending.length) await new Promise((r) => setTimeout(r, options.pollMs ?? 1e3));
  }
}
function progressDeadline(o, fallback) {
  const seconds = o.spec?.progressDeadlineSeconds;
  return o.kind === "Deployment" && typeof seconds === "number" ? Math.min(seconds * 1e3, fallback) : fallback;
}

// src/core/apply/hooks.ts
async function runHooks(hooks, phase, client, resources, options) {
  const selected = hooks.filter((h) => h.hook.events.includes(phase)).sort((a, b) => a.hook.weight - b.hook.weight || a.object.metadata.name.localeCompare(b.object.metadata.name));
  const ran = [];
  for (const h of selected) {
    const resource = h.resource ?? resources.lookup(h.object);
    const change = {
      action: "create",
      apiVersion: h.object.apiVersion,
      kind: h.object.kind,
      ...h.object.metadata.namespace ? { namespace: h.object.metadata.namespace } : {},
      name: h.object.metadata.name,
      paths: [],
      digest: [],
      diff: "",
      via: "intent",
      object: h.object,
      ...resource ? { resource } : {}
    };
    const where = `${phase} hook ${h.object.apiVersion} ${objectName(change)}`;
    if (!resource) throw new ApplyError(`the cluster has no kind ${h.object.kind} in ${h.object.apiVersion}`, { where, hint: "install its CRD first" });
    const policies = h.hook.deletePolicies.length ? h.hook.deletePolicies : ["before-hook-creation"];
    if (policies.includes("before-hook-creation")) await deleteAndWait(client, change);
    try {
      await serverSideApply(client, resource, h.object, { dryRun: false, force: true });
      options.onProgress?.(`running ${where}`);
      await waitHealthy(client, [change], { timeoutMs: options.timeoutMs, ...options.onProgress ? { onProgress: (p) => options.onProgress(`waiting ${p[0].seconds}s for ${where}: ${p[0].reason}`) } : {} });
    } catch (error) {
      if (policies.includes("hook-failed")) await deleteAndWait(client, change).catch(() => void 0);
      if (error instanceof ApplyError) throw new ApplyError(`${where} failed: ${error.message}`, { where, hint: error.hint });
      if (error instanceof ClusterError) throw new ApplyError(`${where} failed: ${error.message}`, { where, hint: error.hint });
      throw error;
    }
    if (policies.includes("hook-succeeded")) await deleteAndWait(client, change);
    ran.push(`${phase} ${h.object.kind} ${h.object.metadata.name}`);
  }
  return ran;
}
async function deleteAndWait(client, c) {
  const url = resourcePath(c.resource, c.namespace, c.name);
  try {
    await client.request("DELETE", url, { query: { propagationPolicy: "Background" } });
  } catch (error) {
    if (error instanceof ClusterError && error.status === 404) return;
    throw error;
  }
  for (let i = 0; i < 600; i++) {
    try {
      await client.request("GET", url);
    } catch (error) {
      if (error instanceof ClusterError && error.status === 404) return;
      throw error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new ApplyError("was not deleted within 60s (a finalizer?)", { where: `${c.apiVersion} ${objectName(c)}`, hint: "check its finalizers" });
}

// src/core/apply/apply.ts
var FIRST = /* @__PURE__ */ new Set(["CustomResourceDefinition", "Namespace", "ClusterRole", "ClusterRoleBinding"]);
var LAST = /* @__PURE__ */ new Set(["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "APIService"]);
function stageOf(kind) {
  return FIRST.has(kind) ? 0 : LAST.has(kind) ? 2 : 1;
}
function emptyResult(target) {
  return { target, created: 0, updated: 0, recreated: 0, pruned: 0, unchanged: 0, objects: [], stages: [], notes: [] };
}
async function applyTarget(plan, client, resources, options, result = emptyResult(plan.target)) {
  const errors = plan.changes.filter((c) => c.action === "error");
  if (errors.length && errors.every((c) => c.error?.status === 403)) await preflightAccess(client, plan, options.waitTimeoutMs !== void 0, options.revisions);
  refuseUnsafe(plan, options);
  await preflightAccess(client, plan, options.waitTimeoutMs !== void 0, options.revisions);
  const previous = await refuseForeignInventory(client, plan);
  await refuseOlderCommit(plan, previous, options, result);
  const writes = plan.changes.filter((c) => !c.hook && (c.action === "create" || c.action === "update" || c.action === "replace"));
  const deletes = plan.changes.filter((c) => c.action === "delete");
  const phase = previous === void 0 ? "install" : "upgrade";
  const hookTimeout = options.waitTimeoutMs ?? 5 * 6e4;
  const hookProgress = options.onProgress ? { onProgress: options.onProgress } : {};
  const runsHooks = (plan.hooks?.length ?? 0) > 0 && (writes.length > 0 || deletes.length > 0) && !options.noHooks;
  if (options.noHooks && plan.hooks?.length) result.notes.push(`${plan.hooks.length} Helm hook${plan.hooks.length === 1 ? "" : "s"} skipped (--no-hooks)`);
  result.unchanged = plan.changes.filter((c) => c.action === "unchanged").length;
  for (const c of plan.changes.filter((x) => x.action === "unchanged")) result.objects.push(record("unchanged", c));
  const timed = async (name, changes, fn) => {
    const started = Date.now();
    await fn();
    result.stages.push({ name, objects: changes.length, ms: Date.now() - started });
  };
  const stage = (n) => writes.filter((c) => stageOf(c.kind) === n);
  await timed("crds, namespaces, cluster rbac", stage(0), () => applyChanges(stage(0), client, options, result));
  const crds = writes.filter((c) => c.kind === "CustomResourceDefinition").map((c) => c.name);
  if (crds.length) await timed("wait for CRDs to be established", [], () => waitEstablished(client, crds, options.crdTimeoutSeconds));
  let current = resources;
  if (writes.some((c) => !c.resource)) current = await ResourceMap.discover(client);
  if (runsHooks) {
    await timed(`${phase} hooks (pre)`, [], async () => {
      result.notes.push(...(await runHooks(plan.hooks, `pre-${phase}`, client, current, { timeoutMs: hookTimeout, ...hookProgress })).map((h) => `ran ${h}`));
    });
  }
  const parent = applySetParent(plan.target, plan.namespace);
  const id = applySetId(parent);
  const rendered = plan.changes.filter((c) => c.action !== "delete" && !c.hook).map((c) => c.object).filter(Boolean);
  const stamp = { commit: options.commit?.sha, digest: bundleDigest(rendered) };
  await writeParent(client, parent, id, [...rendered, ...deletes.map((d) => d.object)], options.tooling, stamp);
  await timed("everything else", stage(1), () => applyChanges(stage(1), client, options, result, current));
  await timed("webhooks and api services", stage(2), () => applyChanges(stage(2), client, options, result, current));
  if (options.waitTimeoutMs !== void 0) {
    const written = writes.map((c) => c.resource ? c : { ...c, resource: current.lookup(c.object) }).filter((c) => c.resource);
    await timed(
      "wait until healthy",
      written,
      () => waitHealthy(client, written, {
        timeoutMs: options.waitTimeoutMs,
        onProgress: (pending) => options.onProgress?.(`target ${plan.target}: waiting ${pending[0].seconds}s for ${pending.map((p) => `${p.name} (${p.reason})`).join(", ")}`)
      })
    );
  }
  const pruneOrder = [...deletes].sort((a, b) => stageOf(b.kind) - stageOf(a.kind));
  await timed("prune", pruneOrder, async () => {
    for (const d of pruneOrder) {
      await deleteObject(client, d);
      result.pruned++;
      result.objects.push(record("pruned", d));
    }
  });
  await writeParent(client, parent, id, rendered, options.tooling, stamp);
  if (runsHooks) {
    await timed(`${phase} hooks (post)`, [], async () => {
      result.notes.push(...(await runHooks(plan.hooks, `post-${phase}`, client, current, { timeoutMs: hookTimeout, ...hookProgress })).map((h) => `ran ${h}`));
    });
  }
  return result;
}
function refuseUnsafe(plan, options) {
  const errors = plan.changes.filter((c) => c.action === "error");
  if (errors.length) {
    throw new ApplyError(`${errors.length} object${errors.length === 1 ? "" : "s"} could not be planned, so nothing was applied: ${errors.map((e) => `${objectName(e)}: ${e.error?.message}`).join("; ")}`, {
      where: `target ${plan.target}`,
      hint: "run kubeplan diff to see the errors and fix them"
    });
  }
  const never = /* @__PURE__ */ new Set(["CustomResourceDefinition", "Namespace", "PersistentVolumeClaim"]);
  const replaces = plan.changes.filter((c) => c.action === "replace" && (never.has(c.kind) || !(options.recreate ?? []).includes(c.kind)));
  if (replaces.length) {
    const c = replaces[0];
    throw new ApplyError(`${c.apiVersion} ${objectName(c)} changes ${c.replaceFields?.join(", ")}, which cannot change in place; nothing was applied`, {
      where: `target ${plan.target}`,
      hint: never.has(c.kind) ? `revert the field: a ${c.kind} is never recreated automatically (its data or dependants would be lost)` : `revert the field, or allow it with \`apply: {recreate: [${c.kind}]}\` on the target in kubeplan.yaml`
    });
  }
  const kept = plan.changes.filter((c) => c.action !== "delete").length;
  const deletes = plan.changes.filter((c) => c.action === "delete").length;
  if (kept === 0 && deletes > 0 && !options.allowEmpty) {
    throw new ApplyError(`the target renders no objects, and applying it would delete all ${deletes} objects it applied before; nothing was applied`, {
      where: `target ${plan.target}`,
      hint: "check the render (a wrong path or values file?), or pass --allow-empty if the target really is meant to be empty"
    });
  }
}
async function refuseForeignInventory(client, plan) {
  const parent = applySetParent(plan.target, plan.namespace);
  let existing;
  try {
    existing = (await client.request("GET", `/api/v1/namespaces/${encodeURIComponent(parent.namespace)}/configmaps/${encodeURIComponent(parent.name)}`)).body;
  } catch (error) {
    if (error instanceof ClusterError && error.status === 404) return void 0;
    throw error;
  }
  const tooling = existing.metadata.annotations?.[TOOLING];
  if (tooling !== void 0 && !tooling.startsWith("kubeplan/")) {
    throw new ApplyError(`the inventory ConfigMap ${parent.namespace}/${parent.name} is an ApplySet managed by "${tooling}", not kubeplan; nothing was applied`, {
      where: `target ${plan.target}`,
      hint: `rename the target, or move the objects to kubeplan by deleting that ConfigMap after checking what ${tooling.split("/")[0]} manages`
    });
  }
  return existing;
}
var COMMIT_ANNOTATION = "kubeplan.dev/commit";
var DIGEST_ANNOTATION = "kubeplan.dev/bundle-digest";
async function refuseOlderCommit(plan, parent, options, result) {
  const recorded = parent?.metadata.annotations?.[COMMIT_ANNOTATION];
  if (!recorded || !options.commit || recorded === options.commit.sha) return;
  const older = await options.commit.isAncestor(options.commit.sha, recorded);
  if (older === true) {
    throw new ApplyError(`commit ${options.commit.sha.slice(0, 12)} is older than ${recorded.slice(0, 12)}, which is already applied; nothing was applied`, {
      where: `target ${plan.target}`,
      hint: "a newer pipeline already ran: re-run the newest one instead (this guard keeps out-of-order merges from rolling back)"
    });
  }
  if (older === void 0) result.notes.push(`could not check that ${options.commit.sha.slice(0, 12)} is newer than the applied ${recorded.slice(0, 12)} (fetch full history to enable the guard)`);
}
async function applyChanges(changes, client, options, result, resources) {
  await Promise.all(
    changes.map(async (c) => {
      const info = c.resource ?? resources?.lookup(c.object);
      if (!info) throw new ApplyError(`the cluster has no kind ${c.kind} in ${c.apiVersion}`, { where: `${c.apiVersion} ${objectName(c)}`, hint: "install its CRD first" });
      try {
        if (c.action === "replace") await deleteAndWait(client, { ...c, resource: info });
        await serverSideApply(client, info, c.object, { dryRun: false, force: options.forceConflicts });
      } catch (error) {
        if (error instanceof ClusterError && error.status === 409) {
          const fields = error.causes.map((x) => `${x.field ?? ""} (${(x.message ?? "").replace(/^conflict with /, "owned by ")})`).join("; ");
          throw new ApplyError(`conflicts with other field managers: ${fields || error.message}`, {
            where: `${c.apiVersion} ${objectName(c)}`,
            hint: "let kubeplan take the fields over with --force-conflicts, or stop the other manager from setting them"
          });
        }
        if (error instanceof ClusterError) throw new ApplyError(error.message, { where: `${c.apiVersion} ${objectName(c)}`, hint: error.hint });
        throw error;
      }
      if (c.action === "create") result.created++;
      else if (c.action === "replace") result.recreated++;
      else result.updated++;
      result.objects.push(record(c.action === "create" ? "created" : c.action === "replace" ? "recreated" : "updated", c));
    })
  );
}
async function waitEstablished(client, names, timeoutSeconds) {
  const deadline = Date.now() + timeoutSeconds * 1e3;
  for (const name of names) {
    for (; ; ) {
      const crd = (await client.request("GET", `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${encodeURIComponent(name)}`)).body;
      const established = crd.status?.conditions?.find((c) => c.type === "Established");
      if (established?.status === "True") break;
      if (Date.now() > deadline) {
        throw new ApplyError(`CustomResourceDefinition ${name} was not Established after ${timeoutSeconds}s${established?.message ? `: ${established.message}` : ""}`, {
          where: `apiextensions.k8s.io/v1 CustomResourceDefinition ${name}`,
          hint: "check the CRD with kubectl describe crd"
        });
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
function bundleDigest(objects) {
  const hash = createHash("sha256");
  for (const o of objects) hash.update(JSON.stringify(o)).update("\n");
  return `sha256:${hash.digest("hex")}`;
}
async function writeParent(client, parent, id, objects, tooling, record2) {
  const groupKinds = [...new Set(objects.map((o) => o.apiVersion.includes("/") ? `${o.kind}.${o.apiVersion.split("/")[0]}` : o.kind))].sort();
  const namespaces = [...new Set(objects.map((o) => o.metadata.namespace).filter((ns) => !!ns && ns !== parent.namespace))].sort();
  const body = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: parent.name,
      namespace: parent.namespace,
      labels: { [APPLYSET_ID]: id },
      annotations: {
        [TOOLING]: tooling,
        [CONTAINS_GROUP_KINDS]: groupKinds.join(","),
        ...namespaces.length ? { [ADDITIONAL_NAMESPACES]: namespaces.join(",") } : {},
        ...record2.commit ? { [COMMIT_ANNOTATION]: record2.commit } : {},
        [DIGEST_ANNOTATION]: record2.digest
      }
    }
  };
  await client.request("PATCH", `/api/v1/namespaces/${encodeURIComponent(parent.namespace)}/configmaps/${encodeURIComponent(parent.name)}`, {
    query: { fieldManager: "kubeplan", force: true },
    body,
    contentType: "application/apply-patch+yaml"
  });
}
async function deleteObject(client, c) {
  try {
    await client.request("DELETE", resourcePath(c.resource, c.namespace, c.name), { query: { propagationPolicy: "Background" } });
  } catch (error) {
    if (error instanceof ClusterError && error.status === 404) return;
    if (error instanceof ClusterError) throw new ApplyError(`cannot prune: ${error.message}`, { where: `${c.apiVersion} ${objectName(c)}`, hint: error.hint });
    throw error;
  }
}
function record(action, c) {
  return { action, apiVersion: c.apiVersion, kind: c.kind, ...c.namespace ? { namespace: c.namespace } : {}, name: c.name };
}

// src/core/apply/revisions.ts
import { gunzipSync, gzipSync } from "node:zlib";
var REVISION_LIMIT_BYTES = 900 * 1024;
var REVISIONS_KEPT = 10;
var OF = "kubeplan.dev/revision-of";
var NUMBER = "kubeplan.dev/revision";
var COMMIT = "kubeplan.dev/commit";
var DIGEST = "kubeplan.dev/bundle-digest";
var APPLIED_AT = "kubeplan.dev/applied-at";
var OBJECTS = "kubeplan.dev/objects";
var ROLLBACK_OF = "kubeplan.dev/rollback-of";
var TYPE = "kubeplan.dev/revision";
var RevisionStore = class {
  constructor(client, target, namespace) {
    this.client = client;
    this.target = target;
    this.parent = applySetParent(target, namespace);
  }
  client;
  target;
  parent;
  path(name) {
    return `/api/v1/namespaces/${encodeURIComponent(this.parent.namespace)}/secrets${name ? `/${encodeURIComponent(name)}` : ""}`;
  }
  /** Every stored revision, oldest first. */
  async list() {
    const res = await this.client.request("GET", this.path(), { list: true, query: { labelSelector: `${OF}=${this.parent.name}` } });
    return res.body.items.map((s) => {
      const a = s.metadata.annotations ?? {};
      return {
        number: Number(a[NUMBER]),
        commit: a[COMMIT] || void 0,
        digest: a[DIGEST] ?? "",
        appliedAt: a[APPLIED_AT] ?? "",
        objects: Number(a[OBJECTS] ?? 0),
        bytes: Buffer.from(String(s.data?.bundle ?? ""), "base64").length,
        rollbackOf: a[ROLLBACK_OF] ? Number(a[ROLLBACK_OF]) : void 0,
        secretName: s.metadata.name
      };
    }).filter((r) => Number.isInteger(r.number)).sort((a, b) => a.number - b.number);
  }
  /** The objects a revision applied. */
  async load(revision) {
    const secret = (await this.client.request("GET", this.path(revision.secretName))).body;
    const data = String(secret.data?.bundle ?? "");
    try {
      const bundle = JSON.parse(gunzipSync(Buffer.from(data, "base64")).toString("utf8"));
      if (!Array.isArray(bundle.objects)) throw new Error("no objects in the bundle");
      return bundle.objects;
    } catch (error) {
      throw new KubeplanError(`revision ${revision.number} of target ${this.target} cannot be read: ${error.message}`, {
        where: `Secret ${this.parent.namespace}/${revision.secretName}`,
        hint: "roll back to another revision (--to-revision), or delete this Secret if it was edited by hand"
      });
    }
  }
  /**
   * Records a successful apply. Returns a note when it was not stored (unchanged since the newest revision, or too
   * big), else the new revision number.
   */
  async save(objects, record2) {
    const existing = await this.list();
    const newest = existing.at(-1);
    if (newest && newest.digest === record2.digest && record2.rollbackOf === void 0) return {};
    const bundle = gzipSync(JSON.stringify({ target: this.target, objects }));
    if (bundle.length > REVISION_LIMIT_BYTES) {
      return { note: `revision not stored: the bundle is ${Math.round(bundle.length / 1024)} KiB compressed, over the ${REVISION_LIMIT_BYTES / 1024} KiB a rollback can keep` };
    }
    const number = (newest?.number ?? 0) + 1;
    const name = `${this.parent.name}-rev-${number}`;
    await this.client.request("POST", this.path(), {
      body: {
        apiVersion: "v1",
        kind: "Secret",
        type: TYPE,
        metadata: {
          name,
          namespace: this.parent.namespace,
          labels: { [OF]: this.parent.name },
          annotations: {
            [NUMBER]: String(number),
            [COMMIT]: record2.commit ?? "",
            [DIGEST]: record2.digest,
            [APPLIED_AT]: (/* @__PURE__ */ new Date()).toISOString(),
            [OBJECTS]: String(objects.length),
            ...record2.rollbackOf !== void 0 ? { [ROLLBACK_OF]: String(record2.rollbackOf) } : {}
          }
        },
        data: { bundle: bundle.toString("base64") }
      }
    });
    for (const old of existing.slice(0, Math.max(0, existing.length + 1 - REVISIONS_KEPT))) {
      try {
        await this.client.request("DELETE", this.path(old.secretName));
      } catch (error) {
        if (!(error instanceof ClusterError && error.status === 404)) throw error;
      }
    }
    return { number };
  }
};

// src/core/apply/rollback.ts
async function rollbackTarget(target, namespace, client, resources, options) {
  const store = new RevisionStore(client, target, namespace);
  const revisions = await store.list();
  const to = typeof options.to === "number" ? revisions.find((r) => r.number === options.to) : options.to === "newest" ? revisions.at(-1) : revisions.at(-2);
  if (!to && options.to === "newest" && revisions.length === 0) return void 0;
  if (!to) {
    const known = revisions.map((r) => r.number).join(", ") || "none";
    throw new ApplyError(
      typeof options.to === "number" ? `target ${target} has no revision ${options.to}` : options.to === "newest" ? `target ${target} has no stored revision to roll back to` : `target ${target} has no revision before the current one`,
      { where: `target ${target}`, hint: `stored revisions: ${known} (kubeplan rollback --target ${target} --list); revisions are kept only with apply: {rollback: true}` }
    );
  }
  options.onProgress?.(`target ${target}: rolling back to revision ${to.number}`);
  const objects = await store.load(to);
  const set = { target, namespace, manifests: objects.map((object) => ({ object, source: { file: `revision ${to.number}` } })) };
  const plan = await planTargets([set], client, resources, { mode: "server", modeReason: `rollback to revision ${to.number}`, ignore: options.ignore, policy: options.policy });
  const targetPlan = plan.targets[0];
  const commit = to.commit ? { sha: to.commit, isAncestor: async () => false } : void 0;
  const result = await applyTarget(targetPlan, client, resources, { ...options, noHooks: true, allowEmpty: true, revisions: true, ...commit ? { commit } : { commit: void 0 } });
  let stored;
  if (options.record) {
    const saved = await store.save(objects, { commit: to.commit, digest: bundleDigest(objects), rollbackOf: to.number });
    stored = saved.number;
    if (saved.note) result.notes.push(saved.note);
  }
  return { to, result, stored };
}
function notUndone(failed) {
  const out = [];
  for (const o of failed.objects) {
    const name = `${o.apiVersion} ${objectName(o)}`;
    if (o.action === "recreated") out.push(`${name} was deleted and created again: what it held before is gone`);
    if (o.action === "pruned") out.push(`${name} was deleted: the revision creates it again, but not its data (volumes, status, generated values)`);
    if ((o.action === "created" || o.action === "updated" || o.action === "recreated") && o.kind === "Job") out.push(`${name} ran: what it did stays`);
  }
  for (const n of failed.notes.filter((x) => x.startsWith("ran "))) out.push(`hook ${n.slice(4)}: what it did stays`);
  return out;
}
function rolledBackError(error, outcome, failed) {
  const undone = notUndone(failed);
  const r = outcome.result;
  const lines = [
    `${error.message}`,
    `  rolled back to revision ${outcome.to.number}${outcome.to.commit ? ` (commit ${outcome.to.commit.slice(0, 12)})` : ""}: ${r.created} created, ${r.updated} updated, ${r.pruned} pruned`,
    ...undone.length ? ["  could not be undone:", ...undone.map((u) => `    - ${u}`)] : []
  ];
  return new ApplyError(lines.join("\n"), { where: error.where, hint: `fix the cause and apply again; the cluster is back at revision ${outcome.to.number}${error.hint ? ` (${error.hint})` : ""}` });
}

export {
  stageOf,
  emptyResult,
  applyTarget,
  bundleDigest,
  RevisionStore,
  rollbackTarget,
  rolledBackError
};
