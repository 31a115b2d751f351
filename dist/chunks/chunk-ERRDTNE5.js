import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  RevisionStore,
  applyTarget,
  bundleDigest,
  emptyResult,
  rollbackTarget,
  rolledBackError,
  stageOf
} from "./chunk-L333WWOV.js";
import {
  ApplyError,
  objectName,
  openCluster,
  planTargets,
  summaryLine
} from "./chunk-FC6XUUJ6.js";
import {
  renderTargets
} from "./chunk-PN44SHZJ.js";
import {
  execa
} from "./chunk-4NJ2LQN2.js";
import {
  loadConfig
} from "./chunk-Z65K4BBT.js";
import {
  KubeplanError
} from "./chunk-4PR4VSOE.js";

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
  const { client, resources, ignore, policy: policyMap } = await openCluster(config, options);
  const plan = await planTargets(sets, client, resources, { mode: "server", modeReason: "apply plans with server-side dry-runs", ignore, policy: policyMap });
  const results = [];
  const sha = await headCommit(config.repoRoot, options.env);
  const commit = sha ? { sha, isAncestor: (older, newer) => isAncestor(config.repoRoot, older, newer, options.env) } : void 0;
  if (!options.dryRun) {
    const policies = new Map(config.targets.map((t) => [t.name, t.apply]));
    for (const target of plan.targets) {
      const policy = policies.get(target.target);
      await options.around?.before(target.target);
      let result;
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
        ...commit ? { commit } : {},
        ...options.onProgress ? { onProgress: options.onProgress } : {}
      };
      const partial = emptyResult(target.target);
      try {
        result = await applyTarget(target, client, resources, applyOptions, partial);
        if (rollback) {
          const objects = target.changes.filter((c) => c.action !== "delete" && !c.hook && c.object).map((c) => c.object);
          const saved = await new RevisionStore(client, target.target, target.namespace).save(objects, { commit: sha, digest: bundleDigest(objects) });
          if (saved.number !== void 0) result.notes.push(`stored as revision ${saved.number}`);
          if (saved.note) result.notes.push(saved.note);
        }
      } catch (error) {
        let failure = error;
        const wrote = partial.created + partial.updated + partial.recreated + partial.pruned > 0 || partial.stages.length > 0;
        if (rollback && wrote && error instanceof KubeplanError) {
          try {
            const outcome = await rollbackTarget(target.target, target.namespace, client, resources, { ...applyOptions, to: "newest", ignore, policy: policyMap, record: false });
            failure = outcome ? rolledBackError(error, outcome, partial) : new ApplyError(`${error.message}
  no earlier revision to roll back to (the first apply with rollback: true stores the first one): nothing was undone`, { where: error.where, hint: error.hint });
          } catch (rollbackError) {
            failure = new ApplyError(`${error.message}
  the rollback failed too: ${rollbackError instanceof KubeplanError ? rollbackError.message : String(rollbackError)}`, {
              where: error.where,
              hint: `the cluster is between revisions; fix the cause and apply again, or run kubeplan rollback --target ${target.target}`
            });
          }
        }
        await options.around?.after(target.target, void 0, failure);
        throw failure;
      }
      await options.around?.after(target.target, result, void 0);
      results.push(result);
    }
  }
  return { plan, results, report: options.output === "json" ? applyJson(plan, results, options.dryRun) : applyText(plan, results, options.dryRun) };
}
function applyText(plan, results, dryRun) {
  if (dryRun) {
    const out2 = [];
    const stages = ["crds, namespaces, cluster rbac", "everything else", "webhooks and api services"];
    for (const t of plan.targets) {
      out2.push(`\u2500\u2500 target ${t.target}`);
      for (const [n, name] of stages.entries()) {
        const changes = t.changes.filter((c) => (c.action === "create" || c.action === "update" || c.action === "replace") && stageOf(c.kind) === n);
        if (changes.length) out2.push(`  stage ${name}:`, ...changes.map((c) => `    ${c.action.padEnd(7)} ${c.apiVersion} ${objectName(c)}`));
      }
      const prunes = t.changes.filter((c) => c.action === "delete");
      if (prunes.length) out2.push("  prune:", ...prunes.map((c) => `    delete  ${c.apiVersion} ${objectName(c)}`));
      for (const e of t.changes.filter((c) => c.action === "error")) out2.push(`  error: ${describeError(e)}`);
    }
    out2.push("", `Dry run, nothing written. ${summaryLine(plan.summary)}`);
    return `${out2.join("\n")}
`;
  }
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
function describeError(c) {
  return `${c.apiVersion} ${objectName(c)}: ${c.error?.message ?? ""}`;
}
function applyJson(plan, results, dryRun) {
  return `${JSON.stringify({ version: 1, dryRun, plan: plan.summary, targets: results }, null, 2)}
`;
}

export {
  applyCommand
};
