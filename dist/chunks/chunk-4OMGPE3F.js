import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  RevisionStore,
  rollbackTarget
} from "./chunk-L333WWOV.js";
import {
  objectName,
  openCluster
} from "./chunk-FC6XUUJ6.js";
import {
  loadConfig
} from "./chunk-Z65K4BBT.js";
import {
  UsageError
} from "./chunk-4PR4VSOE.js";

// src/core/commands/rollback.ts
async function rollbackCommand(options) {
  const config = loadConfig(options.config, options.cwd);
  const target = config.targets.find((t) => t.name === options.target);
  if (!target) {
    throw new UsageError(`no target "${options.target}" in ${config.file}`, { where: "kubeplan rollback --target", hint: `targets: ${config.targets.map((t) => t.name).join(", ")}` });
  }
  const { client, resources, ignore, policy } = await openCluster(config, options);
  const store = new RevisionStore(client, target.name, target.namespace);
  if (options.list) {
    const revisions2 = await store.list();
    return { revisions: revisions2, report: options.output === "json" ? `${JSON.stringify({ version: 1, target: target.name, revisions: revisions2 }, null, 2)}
` : listText(target.name, revisions2, target.apply.rollback) };
  }
  const outcome = await rollbackTarget(target.name, target.namespace, client, resources, {
    to: options.toRevision ?? "previous",
    record: true,
    ignore,
    policy,
    forceConflicts: options.forceConflicts || target.apply.forceConflicts,
    allowEmpty: true,
    recreate: target.apply.recreate,
    tooling: options.tooling,
    crdTimeoutSeconds: 60,
    waitTimeoutMs: options.waitTimeoutMs,
    ...options.onProgress ? { onProgress: options.onProgress } : {}
  });
  const r = outcome.result;
  const revisions = await store.list();
  if (options.output === "json") return { revisions, result: r, report: `${JSON.stringify({ version: 1, target: target.name, to: outcome.to, stored: outcome.stored ?? null, result: r }, null, 2)}
` };
  const lines = [
    `\u2500\u2500 target ${target.name}: rolled back to revision ${outcome.to.number}${outcome.to.commit ? ` (commit ${outcome.to.commit.slice(0, 12)})` : ""}: ${r.created} created, ${r.updated} updated, ${r.pruned} pruned, ${r.unchanged} unchanged`,
    ...r.objects.filter((o) => o.action !== "unchanged").map((o) => `  ${o.action.padEnd(9)} ${o.apiVersion} ${objectName(o)}`),
    ...r.notes.map((n) => `  note: ${n}`),
    ...outcome.stored !== void 0 ? [`  recorded as revision ${outcome.stored}`] : []
  ];
  return { revisions, result: r, report: `${lines.join("\n")}
` };
}
function listText(target, revisions, enabled) {
  if (revisions.length === 0) return `target ${target}: no stored revisions${enabled ? " yet" : " (set apply: {rollback: true} on the target in kubeplan.yaml to keep them)"}
`;
  const rows = revisions.map((r, i) => [String(r.number), r.commit ? r.commit.slice(0, 12) : "-", r.appliedAt, String(r.objects), `${Math.max(1, Math.round(r.bytes / 1024))} KiB`, `${r.rollbackOf !== void 0 ? `rollback to ${r.rollbackOf}` : ""}${i === revisions.length - 1 ? `${r.rollbackOf !== void 0 ? ", " : ""}current` : ""}`]);
  const head = ["REVISION", "COMMIT", "APPLIED", "OBJECTS", "SIZE", ""];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return `${[head, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()).join("\n")}
`;
}

export {
  rollbackCommand
};
