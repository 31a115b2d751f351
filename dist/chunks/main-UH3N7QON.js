import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  ADDITIONAL_NAMESPACES,
  APPLYSET_ID,
  CONTAINS_GROUP_KINDS,
  ClusterClient,
  ClusterError,
  EXIT_ERROR,
  ErrorList,
  KubeplanError,
  ResourceMap,
  TOOLING,
  UsageError,
  applySetId,
  applySetParent,
  diffCommand,
  execa,
  formatError,
  loadConfig,
  objectName,
  planTargets,
  renderCommand,
  renderTargets,
  resourcePath,
  serverSideApply,
  summaryLine
} from "./chunk-ALLAVMNG.js";
import "./chunk-GY6BXHYW.js";
import "./chunk-67KDASP7.js";

// src/cli/main.ts
import { parseArgs } from "node:util";

// src/core/apply/apply.ts
import { createHash } from "node:crypto";

// src/core/apply/apply-error.ts
var ApplyError = class extends KubeplanError {
};

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
async function applyTarget(plan, client, resources, options) {
  refuseUnsafe(plan, options);
  const previous = await refuseForeignInventory(client, plan);
  const result = { target: plan.target, created: 0, updated: 0, recreated: 0, pruned: 0, unchanged: 0, objects: [], stages: [], notes: [] };
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

// src/core/git/ancestry.ts
async function headCommit(repoRoot, env) {
  const r = await execa("git", ["rev-parse", "--verify", "--quiet", "HEAD"], { cwd: repoRoot, env, extendEnv: false, reject: false, stdin: "ignore" });
  return r.exitCode === 0 ? String(r.stdout).trim() : void 0;
}
async function isAncestor(repoRoot, older, newer, env) {
  const r = await execa("git", ["merge-base", "--is-ancestor", older, newer], { cwd: repoRoot, env, extendEnv: false, reject: false, stdin: "ignore" });
  return r.exitCode === 0 ? true : r.exitCode === 1 ? false : void 0;
}

// src/core/commands/apply.ts
async function applyCommand(options) {
  const config = loadConfig(options.config, options.cwd);
  const sets = await renderTargets(config, { targets: options.targets, tools: options.tools, env: options.env, cwd: options.cwd });
  const client = await ClusterClient.connect({ kubeconfig: options.kubeconfig, context: options.context, concurrency: options.concurrency, env: options.env, cwd: options.cwd });
  const resources = await ResourceMap.discover(client);
  const ignore = new Map(config.targets.map((t) => [t.name, t.ignore]));
  const plan = await planTargets(sets, client, resources, { mode: "server", modeReason: "apply plans with server-side dry-runs", ignore });
  const results = [];
  const sha = await headCommit(config.repoRoot, options.env);
  const commit = sha ? { sha, isAncestor: (older, newer) => isAncestor(config.repoRoot, older, newer, options.env) } : void 0;
  if (!options.dryRun) {
    const policies = new Map(config.targets.map((t) => [t.name, t.apply]));
    for (const target of plan.targets) {
      const policy = policies.get(target.target);
      results.push(
        await applyTarget(target, client, resources, {
          forceConflicts: options.forceConflicts || (policy?.forceConflicts ?? false),
          allowEmpty: options.allowEmpty || (policy?.allowEmpty ?? false),
          recreate: policy?.recreate ?? [],
          tooling: options.tooling,
          crdTimeoutSeconds: 60,
          waitTimeoutMs: options.waitTimeoutMs,
          noHooks: options.noHooks,
          ...commit ? { commit } : {},
          ...options.onProgress ? { onProgress: options.onProgress } : {}
        })
      );
    }
  }
  return { plan, results, report: options.output === "json" ? applyJson(plan, results, options.dryRun) : applyText(plan, results, options.dryRun) };
}
function applyText(plan, results, dryRun) {
  if (dryRun) return `Dry run, nothing written. ${summaryLine(plan.summary)}
`;
  const out = [];
  for (const r of results) {
    const changed = r.objects.filter((o) => o.action !== "unchanged");
    out.push(`\u2500\u2500 target ${r.target}: ${changed.length ? `${r.created} created, ${r.updated} updated, ${r.recreated ? `${r.recreated} recreated, ` : ""}${r.pruned} pruned` : "no changes"}, ${r.unchanged} unchanged`);
    for (const o of changed) out.push(`  ${o.action.padEnd(9)} ${o.apiVersion} ${objectName(o)}`);
    for (const s of r.stages.filter((x) => x.objects > 0)) out.push(`  stage ${s.name}: ${s.objects} object${s.objects === 1 ? "" : "s"} in ${s.ms} ms`);
    for (const n of r.notes) out.push(`  note: ${n}`);
  }
  const total = results.reduce((t, r) => t + r.created + r.updated + r.recreated + r.pruned, 0);
  out.push("", total === 0 ? "No changes: the cluster already matches git." : `Applied: ${results.reduce((t, r) => t + r.created, 0)} created, ${results.reduce((t, r) => t + r.updated, 0)} updated, ${results.reduce((t, r) => t + r.pruned, 0)} pruned.`);
  return `${out.join("\n")}
`;
}
function applyJson(plan, results, dryRun) {
  return `${JSON.stringify({ version: 1, dryRun, plan: plan.summary, targets: results }, null, 2)}
`;
}

// src/cli/help.ts
var MAIN_HELP = `kubeplan: push-based GitOps as one CI step

Usage: kubeplan <command> [options]

Commands:
  render    Render Helm charts, Kustomize overlays and manifest folders to the
            exact objects kubeplan diffs and applies
  diff      Plan: what applying the rendered targets would change in the cluster
  apply     Make the cluster match git: staged server-side apply, then prune

Options:
  -h, --help       Show help (kubeplan <command> --help for a command's options)
  -v, --version    Print kubeplan's version

Exit codes: 0 success, 2 bad input or any other error (nothing is written);
kubeplan diff --exit-code also exits 1 when there are changes.
`;
var RENDER_HELP = `Usage: kubeplan render [options]

Renders the targets of kubeplan.yaml: Helm charts with \`helm template\`, Kustomize
overlays with \`kubectl kustomize\`, folders of YAML/JSON files as they are. Namespaced
objects without a namespace get the target's; output is sorted (Namespaces, CRDs,
then kind, namespace, name) and every object is preceded by its source.

Options:
  -c, --config FILE      Config file (default: kubeplan.yaml)
  -t, --target NAME      Render only this target; repeat for several
      --out-dir DIR      Write DIR/<target>.yaml (or .json) per target instead of
                         printing one stream
  -o, --output FORMAT    yaml (default) or json
      --show-secrets     Print Secret values on stdout (redacted by default; files
                         in --out-dir always hold the real values)
      --helm PATH        helm binary (default: $KUBEPLAN_HELM, then PATH)
      --kubectl PATH     kubectl binary for \`kubectl kustomize\` (default:
                         $KUBEPLAN_KUBECTL, then PATH)
      --kustomize PATH   Use a standalone kustomize instead of \`kubectl kustomize\`
                         (default: $KUBEPLAN_KUSTOMIZE)
  -h, --help             Show this help

Examples:
  kubeplan render
  kubeplan render --target shop-prod -o json
  kubeplan render --out-dir rendered/
`;
var DIFF_HELP = `Usage: kubeplan diff [options]

Renders the targets and compares them with the live cluster. In server mode each
object that may have changed gets a server-side apply dry-run (field manager
kubeplan); objects whose rendered fields already match the cluster need no
request. Client mode compares without write permission. Secret values never
appear: the report says per key whether it was added, removed or changed.

Options:
  -c, --config FILE        Config file (default: kubeplan.yaml)
  -t, --target NAME        Plan only this target; repeat for several
      --kubeconfig FILE    Kubeconfig (default: $KUBECONFIG, then ~/.kube/config)
      --context NAME       Kubeconfig context (default: its current context)
      --mode MODE          server, client or auto (default: auto: server when the
                           credentials may patch every object, else client)
      --base REF           Also render the targets at git REF: the report shows
                           what this change does (base \u2192 working tree) and where
                           the cluster already differs from REF (drift)
      --offline            No cluster: with --base, only the intent diff
  -o, --output FORMAT      text (default), markdown or json
      --exit-code          Exit 1 when there are changes (0 none, 2 error)
      --concurrency N      Requests in flight at once (default: 16)
      --helm PATH          helm binary (default: $KUBEPLAN_HELM, then PATH)
      --kubectl PATH       kubectl binary (default: $KUBEPLAN_KUBECTL, then PATH)
      --kustomize PATH     Use a standalone kustomize (default: $KUBEPLAN_KUSTOMIZE)
  -h, --help               Show this help

Examples:
  kubeplan diff
  kubeplan diff --target shop-prod -o markdown > plan.md
  kubeplan diff --mode client --exit-code
  kubeplan diff --base origin/main --offline
`;
var APPLY_HELP = `Usage: kubeplan apply [options]

Plans every target (as kubeplan diff --mode server) and writes only what changed,
with server-side apply as field manager kubeplan, in stages: CRDs, Namespaces and
cluster-wide RBAC; then, once the CRDs are Established, everything else; webhooks
and APIServices last; Helm pre-/post- hooks around them. Objects applied before
and no longer rendered are pruned (the target's ApplySet, a ConfigMap
kubeplan-<target>, records them). Nothing is written when the plan has errors or
replaces an object.

Options:
  -c, --config FILE        Config file (default: kubeplan.yaml)
  -t, --target NAME        Apply only this target; repeat for several
      --kubeconfig FILE    Kubeconfig (default: $KUBECONFIG, then ~/.kube/config)
      --context NAME       Kubeconfig context (default: its current context)
      --dry-run            Plan only; write nothing
      --wait, --no-wait    Wait until what was written is healthy before pruning
                           (default: wait)
      --timeout D          How long to wait, e.g. 90s, 5m (default: 5m; a
                           Deployment's progressDeadlineSeconds wins if shorter)
      --force-conflicts    Take over fields other field managers own
      --allow-empty        Let a target that renders nothing prune everything
      --no-hooks           Do not run Helm hooks (pre-/post-install and -upgrade
                           hooks run by weight around the stages; tests never)
  -o, --output FORMAT      text (default) or json
      --concurrency N      Requests in flight at once (default: 16)
      --helm PATH          helm binary (default: $KUBEPLAN_HELM, then PATH)
      --kubectl PATH       kubectl binary (default: $KUBEPLAN_KUBECTL, then PATH)
      --kustomize PATH     Use a standalone kustomize (default: $KUBEPLAN_KUSTOMIZE)
  -h, --help               Show this help

Examples:
  kubeplan apply
  kubeplan apply --target shop-prod --dry-run
`;

// src/cli/main.ts
var version = true ? "0.1.0" : "0.0.0-dev";
var RENDER_OPTIONS = {
  config: { type: "string", short: "c" },
  target: { type: "string", short: "t", multiple: true },
  "out-dir": { type: "string" },
  output: { type: "string", short: "o" },
  "show-secrets": { type: "boolean" },
  helm: { type: "string" },
  kubectl: { type: "string" },
  kustomize: { type: "string" },
  help: { type: "boolean", short: "h" }
};
async function main(argv, env, cwd, io) {
  try {
    const [command, ...rest] = argv;
    if (command === void 0) {
      io.stderr(MAIN_HELP);
      return EXIT_ERROR;
    }
    if (command === "-h" || command === "--help" || command === "help") {
      const topic = command === "help" ? rest[0] : void 0;
      io.stdout(topic === "render" ? RENDER_HELP : topic === "diff" ? DIFF_HELP : topic === "apply" ? APPLY_HELP : MAIN_HELP);
      return 0;
    }
    if (command === "-v" || command === "--version" || command === "version") {
      io.stdout(`${version}
`);
      return 0;
    }
    if (command === "render") return await render(rest, env, cwd, io);
    if (command === "diff") return await diff(rest, env, cwd, io);
    if (command === "apply") return await apply(rest, env, cwd, io);
    throw new UsageError(`unknown command "${command}"`, { hint: "run `kubeplan --help` to see the commands" });
  } catch (error) {
    const errors = error instanceof ErrorList ? error.errors : [error];
    for (const e of errors) io.stderr(`error: ${formatError(e)}
`);
    return EXIT_ERROR;
  }
}
async function render(args, env, cwd, io) {
  const { values } = parse(args, RENDER_OPTIONS, "render");
  if (values.help) {
    io.stdout(RENDER_HELP);
    return 0;
  }
  const format = values.output ?? "yaml";
  if (format !== "yaml" && format !== "json") {
    throw new UsageError(`--output must be yaml or json, not "${format}"`, { hint: "use -o yaml or -o json" });
  }
  const result = await renderCommand({
    config: values.config ?? "kubeplan.yaml",
    targets: values.target ?? [],
    outDir: emptyToUndefined(values["out-dir"]),
    format,
    showSecrets: values["show-secrets"] ?? false,
    tools: toolsFrom(values),
    cwd,
    env
  });
  if (result.stdout !== void 0) io.stdout(result.stdout);
  const summary = result.sets.map((s) => {
    const hooks = s.manifests.filter((m) => m.hook).length;
    return `${s.target}: ${s.manifests.length} object${s.manifests.length === 1 ? "" : "s"}${hooks ? ` (${hooks} hook${hooks === 1 ? "" : "s"})` : ""}`;
  });
  io.stderr(`rendered ${summary.join(", ")}
`);
  for (const file of result.files) io.stderr(`wrote ${file}
`);
  if (result.redacted > 0) {
    io.stderr(`redacted ${result.redacted} Secret value${result.redacted === 1 ? "" : "s"} on stdout; pass --show-secrets to print them
`);
  }
  return 0;
}
var CLUSTER_OPTIONS = {
  config: { type: "string", short: "c" },
  target: { type: "string", short: "t", multiple: true },
  kubeconfig: { type: "string" },
  context: { type: "string" },
  concurrency: { type: "string" },
  helm: { type: "string" },
  kubectl: { type: "string" },
  kustomize: { type: "string" },
  help: { type: "boolean", short: "h" }
};
var DIFF_OPTIONS = {
  ...CLUSTER_OPTIONS,
  mode: { type: "string" },
  base: { type: "string" },
  offline: { type: "boolean" },
  output: { type: "string", short: "o" },
  "exit-code": { type: "boolean" }
};
async function diff(args, env, cwd, io) {
  const { values } = parse(args, DIFF_OPTIONS, "diff");
  if (values.help) {
    io.stdout(DIFF_HELP);
    return 0;
  }
  const output = values.output ?? "text";
  if (output !== "text" && output !== "markdown" && output !== "json") {
    throw new UsageError(`--output must be text, markdown or json, not "${output}"`, { hint: "use -o text, -o markdown or -o json" });
  }
  const mode = values.mode ?? "auto";
  if (mode !== "server" && mode !== "client" && mode !== "auto") {
    throw new UsageError(`--mode must be server, client or auto, not "${mode}"`, { hint: "use --mode server (needs patch permission) or --mode client (read-only)" });
  }
  const concurrency = parseConcurrency(values.concurrency);
  const result = await diffCommand({
    config: values.config ?? "kubeplan.yaml",
    targets: values.target ?? [],
    tools: toolsFrom(values),
    kubeconfig: emptyToUndefined(values.kubeconfig),
    context: emptyToUndefined(values.context),
    mode,
    base: emptyToUndefined(values.base),
    offline: values.offline ?? false,
    output,
    exitCode: values["exit-code"] ?? false,
    concurrency,
    color: io.isTTY === true && env.NO_COLOR === void 0,
    cwd,
    env
  });
  io.stdout(result.report);
  const errors = result.plan.summary.error + (result.plan.drift?.summary.error ?? 0);
  if (errors > 0) io.stderr(`error: ${errors} object${errors === 1 ? "" : "s"} could not be planned (see the report)
`);
  return result.exitCode;
}
var APPLY_OPTIONS = {
  ...CLUSTER_OPTIONS,
  "dry-run": { type: "boolean" },
  "force-conflicts": { type: "boolean" },
  "allow-empty": { type: "boolean" },
  "no-hooks": { type: "boolean" },
  wait: { type: "boolean" },
  "no-wait": { type: "boolean" },
  timeout: { type: "string" },
  output: { type: "string", short: "o" }
};
async function apply(args, env, cwd, io) {
  const { values } = parse(args, APPLY_OPTIONS, "apply");
  if (values.help) {
    io.stdout(APPLY_HELP);
    return 0;
  }
  const output = values.output ?? "text";
  if (output !== "text" && output !== "json") throw new UsageError(`--output must be text or json, not "${output}"`, { hint: "use -o text or -o json" });
  const concurrency = parseConcurrency(values.concurrency);
  if (values.wait && values["no-wait"]) throw new UsageError("--wait and --no-wait exclude each other", { hint: "pass one of them (waiting is the default)" });
  const timeoutMs = parseDuration(values.timeout ?? "5m");
  const result = await applyCommand({
    config: values.config ?? "kubeplan.yaml",
    targets: values.target ?? [],
    tools: toolsFrom(values),
    kubeconfig: emptyToUndefined(values.kubeconfig),
    context: emptyToUndefined(values.context),
    dryRun: values["dry-run"] ?? false,
    forceConflicts: values["force-conflicts"] ?? false,
    allowEmpty: values["allow-empty"] ?? false,
    noHooks: values["no-hooks"] ?? false,
    waitTimeoutMs: values["no-wait"] ? void 0 : timeoutMs,
    onProgress: (message) => io.stderr(`${message}
`),
    output,
    concurrency,
    tooling: `kubeplan/v${version}`,
    cwd,
    env
  });
  io.stdout(result.report);
  return 0;
}
function parse(args, options, command) {
  try {
    return parseArgs({ args, options, allowPositionals: false, strict: true });
  } catch (error) {
    const message = error.message.replace(/\. To specify a positional argument.*$/s, "");
    throw new UsageError(message, { where: `kubeplan ${command}`, hint: `run \`kubeplan ${command} --help\` to see the options` });
  }
}
function parseConcurrency(value) {
  const concurrency = value === void 0 ? 16 : Number(value);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    throw new UsageError(`--concurrency must be a whole number from 1 to 256, not "${value}"`, { hint: "the default, 16, suits most clusters" });
  }
  return concurrency;
}
function toolsFrom(values) {
  return { helm: emptyToUndefined(values.helm), kubectl: emptyToUndefined(values.kubectl), kustomize: emptyToUndefined(values.kustomize) };
}
function parseDuration(text) {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`--timeout must be a duration like 90s, 5m or 1h, not "${text}"`, { hint: "use a number with s, m or h" });
  const n = Number(m[1]);
  return n * ({ ms: 1, s: 1e3, m: 6e4, h: 36e5 }[m[2] ?? "s"] ?? 1e3);
}
function emptyToUndefined(value) {
  return value === void 0 || value.trim() === "" ? void 0 : value;
}
export {
  main
};
