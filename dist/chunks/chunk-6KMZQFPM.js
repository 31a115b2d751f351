import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  formatPlanJson,
  formatPlanMarkdown,
  formatPlanText
} from "./chunk-OFIMP4AG.js";
import {
  SecretMasker,
  canI,
  changedPaths,
  countChanges,
  digest,
  hasChanges,
  labelSecretPair,
  missingAccess,
  openCluster,
  planTargets,
  secretKeyChanges,
  stripNoise,
  unifiedDiff
} from "./chunk-FC6XUUJ6.js";
import {
  renderTargets
} from "./chunk-PN44SHZJ.js";
import {
  isSecret,
  objectIdentity
} from "./chunk-TZ2ZTMWF.js";
import {
  execa
} from "./chunk-4NJ2LQN2.js";
import {
  loadConfig
} from "./chunk-Z65K4BBT.js";
import {
  ConfigError,
  EXIT_ERROR,
  UsageError
} from "./chunk-4PR4VSOE.js";

// src/core/diff/intent.ts
function planIntent(baseSets, headSets, masker = new SecretMasker()) {
  const names = [.../* @__PURE__ */ new Set([...headSets.map((s) => s.target), ...baseSets.map((s) => s.target)])];
  return names.map((name) => {
    const head = headSets.find((s) => s.target === name);
    const base = baseSets.find((s) => s.target === name);
    const hidden = {};
    const before = new Map((base?.manifests ?? []).map((m) => [objectIdentity(m.object), m]));
    const after = new Map((head?.manifests ?? []).map((m) => [objectIdentity(m.object), m]));
    const changes = [];
    for (const [k, m] of after) changes.push(compare(before.get(k), m, masker, hidden));
    for (const [k, m] of before) if (!after.has(k)) changes.push(compare(m, void 0, masker, hidden));
    return { target: name, namespace: head?.namespace ?? base?.namespace, changes, summary: countChanges(changes), hidden };
  });
}
function compare(base, head, masker, hidden) {
  const m = head ?? base;
  const o = m.object;
  const before = base ? masker.mask(stripNoise(base.object, hidden)) : void 0;
  const after = head ? masker.mask(stripNoise(head.object, hidden)) : void 0;
  const paths = before && after ? changedPaths(before, after) : [];
  const action = !before ? "create" : !after ? "delete" : paths.length ? "update" : "unchanged";
  const secrets = isSecret(o) && action !== "unchanged" ? secretKeyChanges(before, after) : void 0;
  return {
    action,
    apiVersion: o.apiVersion,
    kind: o.kind,
    ...o.metadata.namespace ? { namespace: o.metadata.namespace } : {},
    name: o.metadata.name,
    source: m.source,
    ...m.hook ? { hook: m.hook } : {},
    paths,
    digest: action === "update" ? digest(before, after, secrets) : [],
    diff: action === "unchanged" ? "" : unifiedDiff(`${o.kind.toLowerCase()}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`, ...labelSecretPair(before, after), ["base", "head"]),
    ...secrets ? { secrets } : {},
    via: "intent"
  };
}

// src/core/git/worktree.ts
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
async function withWorktree(repoRoot, ref, env, fn) {
  const git = (args, cwd = repoRoot) => execa("git", args, { cwd, env, extendEnv: false, reject: false, stdin: "ignore" });
  const inside = await git(["rev-parse", "--show-toplevel"]);
  if (inside.exitCode !== 0) {
    throw new UsageError(`--base needs a git repository, and ${repoRoot} is not one`, { hint: "run kubeplan inside the clone of the config repository" });
  }
  const resolved = await git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  if (resolved.exitCode !== 0) {
    throw new UsageError(`--base ${ref}: no such commit, branch or tag in ${repoRoot}`, {
      hint: "fetch it first (actions/checkout with fetch-depth: 0, or git fetch origin <branch>)"
    });
  }
  const commit = String(resolved.stdout).trim();
  const parent = await mkdtemp(path.join(os.tmpdir(), "kubeplan-base-"));
  const dir = path.join(parent, "worktree");
  const added = await git(["worktree", "add", "--detach", "--quiet", dir, commit]);
  if (added.exitCode !== 0) {
    await rm(parent, { recursive: true, force: true });
    throw new UsageError(`cannot check out ${ref} into a temporary worktree: ${String(added.stderr).trim()}`, { hint: "check the repository is not corrupt and the disk has space" });
  }
  try {
    return await fn(dir);
  } finally {
    await git(["worktree", "remove", "--force", dir]);
    await rm(parent, { recursive: true, force: true });
  }
}

// src/core/commands/diff.ts
import { existsSync } from "node:fs";
import path2 from "node:path";
async function diffCommand(options) {
  if (options.offline && !options.base) {
    throw new UsageError("--offline needs --base: without a cluster there is only the intent diff against a git ref", {
      hint: "pass --base REF (for example --base origin/main), or drop --offline"
    });
  }
  const config = loadConfig(options.config, options.cwd);
  const render = { targets: options.targets, tools: options.tools, env: options.env, cwd: options.cwd };
  const sets = await renderTargets(config, render);
  const baseSets = options.base ? await renderAtRef(config, options.base, options) : void 0;
  let plan;
  if (options.offline && baseSets) {
    plan = intentPlan(baseSets, sets, options.base);
  } else {
    const { client, resources, ignore, policy } = await openCluster(config, options);
    if (baseSets) {
      const { mode, reason } = await chooseMode(options.mode, client, resources, baseSets);
      const drift = await planTargets(baseSets, client, resources, { mode, modeReason: reason, ignore, policy });
      plan = { ...intentPlan(baseSets, sets, options.base), drift: { mode, targets: drift.targets, summary: drift.summary }, stats: drift.stats };
    } else {
      const { mode, reason } = await chooseMode(options.mode, client, resources, sets);
      plan = await planTargets(sets, client, resources, { mode, modeReason: reason, ignore, policy });
      if (mode === "server") {
        for (const t of plan.targets) {
          if (!t.changes.some((c) => c.action !== "unchanged")) continue;
          const access = await missingAccess(client, t, true, config.targets.find((x) => x.name === t.target)?.apply.rollback ?? false);
          if (access) t.missingAccess = access;
        }
      }
    }
  }
  const report = options.output === "json" ? formatPlanJson(plan) : options.output === "markdown" ? formatPlanMarkdown(plan) : formatPlanText(plan, { color: options.color });
  const errors = plan.summary.error + (plan.drift?.summary.error ?? 0);
  const exitCode = errors > 0 ? EXIT_ERROR : options.exitCode && hasChanges(plan.summary) ? 1 : 0;
  return { plan, report, exitCode };
}
function intentPlan(baseSets, sets, base) {
  const targets = planIntent(baseSets, sets);
  const changes = targets.flatMap((t) => t.changes);
  return {
    mode: "intent",
    modeReason: `git: ${base} \u2192 working tree`,
    base,
    targets,
    summary: countChanges(changes),
    stats: { objects: changes.length, fastPath: 0, dryRuns: 0, lists: 0, requests: 0 }
  };
}
async function renderAtRef(config, ref, options) {
  return withWorktree(config.repoRoot, ref, options.env, async (dir) => {
    const relConfig = path2.relative(config.repoRoot, config.file);
    const cwd = path2.join(dir, path2.relative(config.repoRoot, path2.resolve(options.cwd)));
    let baseConfig;
    try {
      baseConfig = loadConfig(path2.join(dir, relConfig), cwd);
    } catch (error) {
      if (error instanceof ConfigError && !existsSync(path2.join(dir, relConfig))) return [];
      throw error;
    }
    const known = new Set(baseConfig.targets.map((t) => t.name));
    const targets = options.targets.filter((t) => known.has(t));
    if (options.targets.length > 0 && targets.length === 0) return [];
    return renderTargets(baseConfig, { targets, tools: options.tools, env: options.env, cwd });
  });
}
async function chooseMode(requested, client, resources, sets) {
  if (requested !== "auto") return { mode: requested, reason: `--mode ${requested}` };
  const checks = /* @__PURE__ */ new Map();
  for (const m of sets.flatMap((s) => s.manifests)) {
    const info = resources.lookup(m.object);
    if (!info) continue;
    const ns = info.namespaced ? m.object.metadata.namespace ?? client.namespace : void 0;
    const key = `${info.group}/${info.resource}/${ns ?? ""}`;
    if (!checks.has(key)) checks.set(key, canI(client, "patch", info, ns).catch(() => false));
  }
  const denied = (await Promise.all([...checks].map(async ([key, allowed]) => await allowed ? void 0 : key))).filter((k) => k !== void 0);
  if (denied.length === 0) return { mode: "server", reason: "auto: the credentials may patch every object" };
  return { mode: "client", reason: `auto: no patch permission for ${denied.slice(0, 3).join(", ")}${denied.length > 3 ? ", \u2026" : ""}, so read-only comparison` };
}

export {
  diffCommand
};
