import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  escapeHtml,
  formatPlanJson,
  formatPlanText,
  section
} from "./chunk-OFIMP4AG.js";
import {
  FIELD_MANAGER,
  objectName,
  openCluster,
  planTargets
} from "./chunk-FC6XUUJ6.js";
import {
  renderTargets
} from "./chunk-PN44SHZJ.js";
import {
  loadConfig
} from "./chunk-Z65K4BBT.js";
import {
  EXIT_ERROR
} from "./chunk-4PR4VSOE.js";

// src/core/commands/drift.ts
async function driftCommand(options) {
  const config = loadConfig(options.config, options.cwd);
  const sets = await renderTargets(config, { targets: options.targets, tools: options.tools, env: options.env, cwd: options.cwd });
  const { client, resources, ignore, policy } = await openCluster(config, options);
  const plan = await planTargets(sets, client, resources, { mode: "client", modeReason: "drift is read-only", ignore, policy });
  const targets = plan.targets.map(driftOf);
  const now = (options.now ?? (() => /* @__PURE__ */ new Date()))();
  const report = options.output === "openmetrics" ? formatOpenMetrics(targets, now) : options.output === "json" ? formatPlanJson(plan) : options.output === "markdown" ? targets.map((t) => formatDriftMarkdown(t)).join("\n") : formatPlanText(plan, { color: options.color });
  const errors = targets.some((t) => t.errors.length > 0);
  const drifted = targets.some((t) => t.drifted.length > 0);
  return { plan, targets, report, exitCode: errors ? EXIT_ERROR : options.exitCode && drifted ? 1 : 0 };
}
function driftOf(t) {
  const drifted = t.changes.filter((c) => c.action === "update" || c.action === "create" || c.action === "delete" || c.action === "replace");
  let firstSeen;
  for (const c of drifted) {
    const live = c.action === "delete" ? c.object : c.live;
    const entries = live?.metadata.managedFields ?? [];
    let edited;
    for (const e of entries) {
      if (e.manager === FIELD_MANAGER || !e.time || (e.subresource ?? "") !== "") continue;
      const time = new Date(e.time);
      if (!edited || time > edited) edited = time;
    }
    if (edited && (!firstSeen || edited < firstSeen)) firstSeen = edited;
  }
  return { target: t.target, drifted, firstSeen, errors: t.changes.filter((c) => c.action === "error") };
}
function describeDrift(c) {
  switch (c.action) {
    case "create":
      return "missing from the cluster";
    case "delete":
      return "in the cluster, no longer in git";
    default:
      return c.paths.length ? `differs: ${c.paths.slice(0, 5).join(", ")}${c.paths.length > 5 ? ", \u2026" : ""}` : "differs";
  }
}
function formatDriftMarkdown(t) {
  if (t.drifted.length === 0 && t.errors.length === 0) return `### kubeplan drift: target ${t.target} matches git.
`;
  const out = [`### kubeplan drift: target ${t.target}: ${t.drifted.length} object${t.drifted.length === 1 ? "" : "s"} differ from git`, ""];
  for (const c of [...t.errors, ...t.drifted]) out.push(`- \`${escapeHtml(`${c.apiVersion} ${objectName(c)}`)}\`: ${escapeHtml(c.error ? `could not be checked: ${c.error.message}` : describeDrift(c))}`);
  out.push("");
  for (const c of t.drifted) out.push(...section(c));
  return `${out.join("\n")}
`;
}
function formatOpenMetrics(targets, now) {
  const label = (t) => `target="${t.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  const out = [
    "# TYPE kubeplan_drift_objects gauge",
    "# HELP kubeplan_drift_objects Objects that differ from git, are missing, or are no longer in git.",
    ...targets.map((t) => `kubeplan_drift_objects{${label(t.target)}} ${t.drifted.length}`),
    "# TYPE kubeplan_drift_first_seen_timestamp_seconds gauge",
    "# HELP kubeplan_drift_first_seen_timestamp_seconds When the oldest drift of the target was made (now when unknown).",
    ...targets.filter((t) => t.drifted.length > 0).map((t) => `kubeplan_drift_first_seen_timestamp_seconds{${label(t.target)}} ${Math.floor((t.firstSeen ?? now).getTime() / 1e3)}`),
    "# TYPE kubeplan_drift_check_success gauge",
    "# HELP kubeplan_drift_check_success 1 when every object of the target could be checked.",
    ...targets.map((t) => `kubeplan_drift_check_success{${label(t.target)}} ${t.errors.length === 0 ? 1 : 0}`),
    "# EOF"
  ];
  return `${out.join("\n")}
`;
}

export {
  driftCommand,
  describeDrift,
  formatDriftMarkdown,
  formatOpenMetrics
};
