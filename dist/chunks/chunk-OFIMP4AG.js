import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  PRIORITY,
  SYMBOL,
  describeNeed,
  objectName,
  sourceOf,
  summaryLine
} from "./chunk-FC6XUUJ6.js";

// src/core/report/markdown.ts
function formatPlanMarkdown(plan) {
  return `${[...planHeader(plan), ...planSections(plan).flat(), planFooter(plan)].join("\n")}
`;
}
function planHeader(plan) {
  const out = [`### kubeplan: ${summaryLine(plan.summary)}`, ""];
  if (plan.targets.length === 0) out.splice(0, 2, `### kubeplan: No changes: ${plan.modeReason}.`, "");
  else if (!hasAnyChange(plan)) out.splice(0, 2, `### kubeplan: No changes. ${plan.summary.unchanged} objects match ${plan.mode === "intent" ? "the base" : "the cluster"}.`, "");
  const destroys = plan.targets.flatMap((t) => t.changes).filter((c) => c.action === "delete" || c.action === "replace");
  if (destroys.length) {
    out.push(`> [!WARNING]`, `> This plan deletes or replaces ${destroys.length} object${destroys.length === 1 ? "" : "s"}: ${destroys.slice(0, 5).map((c) => `\`${objectName(c)}\``).join(", ")}${destroys.length > 5 ? ", \u2026" : ""}`, "");
  }
  const errors = plan.summary.error + (plan.drift?.summary.error ?? 0);
  if (errors) out.push(`> [!CAUTION]`, `> ${errors} object${errors === 1 ? "" : "s"} could not be planned; see below.`, "");
  if (plan.base) out.push(`What this change does, \`${plan.base}\` \u2192 head:`, "");
  out.push(...tables(plan.targets));
  out.push(...missingRights(plan.targets));
  if (plan.drift) {
    const n = plan.drift.targets.reduce((k, t) => k + t.changes.filter((c) => c.action !== "unchanged").length, 0);
    out.push(`**Drift:** ${n} object${n === 1 ? "" : "s"} in the cluster already differ from \`${plan.base ?? ""}\`.`, "");
  }
  return out;
}
function missingRights(targets) {
  const out = [];
  for (const t of targets) {
    const access = t.missingAccess;
    if (!access) continue;
    const n = access.missing.length;
    out.push(
      "> [!CAUTION]",
      `> Applying target \`${t.target}\` needs ${n} right${n === 1 ? "" : "s"} these credentials${access.user ? ` (\`${escapeHtml(access.user)}\`)` : ""} lack, so apply would refuse to start:`,
      ...access.missing.map((m) => `> - ${describeNeed(m)}`),
      "",
      `<details><summary>Role and binding that grant exactly ${n === 1 ? "it" : "them"}</summary>`,
      "",
      "```yaml",
      access.grant.trimEnd(),
      "```",
      "",
      "</details>",
      ""
    );
  }
  return out;
}
function hasAnyChange(plan) {
  const s = plan.summary;
  return s.create + s.update + s.replace + s.delete + s.error > 0 || plan.drift !== void 0 && plan.drift.targets.some((t) => t.changes.some((c) => c.action !== "unchanged"));
}
function planSections(plan) {
  const ordered = (targets) => targets.flatMap((t) => t.changes.filter((c) => c.action !== "unchanged").map((c) => ({ c, t: t.target }))).sort((a, b) => PRIORITY[a.c.action] - PRIORITY[b.c.action]);
  const sections = ordered(plan.targets).map(({ c, t }) => section(c, plan.targets.length > 1 ? t : void 0));
  if (plan.drift) {
    const drift = ordered(plan.drift.targets);
    if (drift.length) sections.push([`#### Drift from \`${plan.base ?? ""}\``, "", ...section(drift[0].c, drift[0].t)], ...drift.slice(1).map(({ c, t }) => section(c, t)));
  }
  return sections;
}
function planFooter(plan) {
  return `<sub>mode: ${plan.drift ? `intent + ${plan.drift.mode} drift` : plan.mode} (${escapeHtml(plan.modeReason)})</sub>`;
}
var TABLE_ROWS = 100;
function tables(targets) {
  const out = [];
  for (const target of targets) {
    const changed = target.changes.filter((c) => c.action !== "unchanged").sort((a, b) => PRIORITY[a.action] - PRIORITY[b.action]);
    out.push(`#### ${target.target} \u2014 ${changed.length ? `${changed.length} change${changed.length === 1 ? "" : "s"}` : "no changes"}, ${target.summary.unchanged} unchanged`, "");
    if (changed.length === 0) continue;
    out.push("| | object | what |", "| --- | --- | --- |");
    for (const c of changed.slice(0, TABLE_ROWS)) out.push(`| ${SYMBOL[c.action]} ${c.action} | \`${escapeCell(objectName(c))}\` | ${escapeCell(c.error ? c.error.message : c.digest.join("; ") || " ")} |`);
    if (changed.length > TABLE_ROWS) out.push(`| | \u2026 and ${changed.length - TABLE_ROWS} more | |`);
    out.push("");
  }
  return out;
}
function section(c, target) {
  const head = `${SYMBOL[c.action]} ${c.action} <code>${escapeHtml(objectName(c))}</code>${target ? ` (${escapeHtml(target)})` : ""}${c.digest.length ? ` \u2014 ${escapeHtml(c.digest[0])}` : ""}`;
  const body = [];
  if (sourceOf(c)) body.push(`Source: \`${sourceOf(c)}\``, "");
  if (c.digest.length > 1) body.push(...c.digest.map((d) => `- ${escapeHtml(d)}`), "");
  for (const n of c.notes ?? []) body.push(`> ${escapeHtml(n)}`, "");
  if (c.error) body.push(`**Error:** ${escapeHtml(c.error.message)}${c.error.hint ? `<br>_${escapeHtml(c.error.hint)}_` : ""}`, "");
  if (c.diff) body.push(fence(c.diff, "diff"), "");
  return ["<details>", `<summary>${head}</summary>`, "", ...body, "</details>", ""];
}
function fence(text, lang) {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = "`".repeat(longest + 1);
  return `${ticks}${lang}
${text}
${ticks}`;
}
function escapeCell(text) {
  return escapeHtml(text).replace(/\|/g, "\\|").replace(/\n/g, " ");
}
function escapeHtml(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

// src/core/report/json.ts
var REPORT_VERSION = 1;
function formatPlanJson(plan) {
  return `${JSON.stringify(
    {
      version: REPORT_VERSION,
      mode: plan.mode,
      modeReason: plan.modeReason,
      base: plan.base ?? null,
      summary: plan.summary,
      stats: plan.stats,
      targets: targetsJson(plan.targets),
      drift: plan.drift ? { mode: plan.drift.mode, summary: plan.drift.summary, targets: targetsJson(plan.drift.targets) } : null
    },
    null,
    2
  )}
`;
}
function targetsJson(targets) {
  return targets.map((t) => ({
    name: t.target,
    namespace: t.namespace ?? null,
    summary: t.summary,
    hidden: t.hidden,
    missingAccess: t.missingAccess ? { rights: t.missingAccess.missing.map((m) => ({ ...m, namespace: m.namespace ?? null })), user: t.missingAccess.user ?? null, grant: t.missingAccess.grant } : null,
    changes: t.changes.filter((c) => c.action !== "unchanged").map((c) => ({
      action: c.action,
      apiVersion: c.apiVersion,
      kind: c.kind,
      namespace: c.namespace ?? null,
      name: c.name,
      source: c.source ?? null,
      hook: c.hook ?? null,
      paths: c.paths,
      digest: c.digest,
      diff: c.diff,
      secrets: c.secrets ?? null,
      replaceFields: c.replaceFields ?? null,
      destructive: c.destructive ?? false,
      notes: c.notes ?? [],
      error: c.error ?? null,
      via: c.via
    }))
  }));
}

// src/core/report/text.ts
var COLOR = { red: "\x1B[31m", green: "\x1B[32m", yellow: "\x1B[33m", cyan: "\x1B[36m", bold: "\x1B[1m", dim: "\x1B[2m", reset: "\x1B[0m" };
function formatPlanText(plan, options) {
  const c = (code, text) => options.color ? `${COLOR[code]}${text}${COLOR.reset}` : text;
  const out = [];
  if (plan.base) out.push(c("bold", `What this change does (${plan.base} \u2192 working tree):`), "");
  out.push(...formatTargets(plan.targets, c));
  out.push(c("bold", summaryLine(plan.summary)));
  if (plan.drift) {
    out.push("", c("bold", `Drift: where the cluster already differs from ${plan.base} (${plan.drift.mode} mode):`), "");
    out.push(...formatTargets(plan.drift.targets, c));
    out.push(c("bold", `Drift: ${summaryLine(plan.drift.summary)}`));
  }
  out.push(
    c(
      "dim",
      plan.mode === "intent" && !plan.drift ? `mode: intent (${plan.modeReason}); no cluster was read` : `mode: ${plan.drift ? `intent + ${plan.drift.mode} drift` : plan.mode} (${plan.modeReason}); ${plan.stats.objects} objects, ${plan.stats.fastPath} unchanged without a request, ${plan.stats.dryRuns} dry-runs, ${plan.stats.requests} requests`
    )
  );
  return `${out.join("\n")}
`;
}
function formatTargets(targets, c) {
  const out = [];
  for (const target of targets) {
    const changed = target.changes.filter((ch) => ch.action !== "unchanged");
    out.push(c("bold", `\u2500\u2500 target ${target.target}${target.namespace ? ` (namespace ${target.namespace})` : ""}: ${changed.length} change${changed.length === 1 ? "" : "s"}, ${target.summary.unchanged} unchanged`));
    for (const ch of changed) out.push(...formatChange(ch, c));
    const hidden = Object.entries(target.hidden);
    if (hidden.length) out.push(c("dim", `  hidden from diffs: ${hidden.map(([rule, n]) => `${rule} (${n})`).join(", ")}`));
    const access = target.missingAccess;
    if (access) {
      out.push(c("red", `  ! apply would refuse to start: the credentials${access.user ? ` (${access.user})` : ""} lack ${access.missing.map(describeNeed).join("; ")}`));
      out.push(c("dim", "    this grants exactly them:"), ...access.grant.trimEnd().split("\n").map((l) => c("dim", `    ${l}`)));
    }
    out.push("");
  }
  return out;
}
function formatChange(ch, c) {
  const color = ch.action === "create" ? "green" : ch.action === "update" ? "yellow" : "red";
  const lines = [`${c(color, `${SYMBOL[ch.action]} ${ch.action}`)} ${ch.apiVersion} ${objectName(ch)}${sourceOf(ch) ? c("dim", `  \u2190 ${sourceOf(ch)}`) : ""}`];
  if (ch.hook) lines.push(c("dim", `    helm hook: ${ch.hook.events.join(", ")}`));
  if (ch.destructive) lines.push(c("red", "    destructive: data or dependent objects are lost"));
  for (const d of ch.digest) lines.push(`    ${d}`);
  for (const n of ch.notes ?? []) lines.push(c("cyan", `    note: ${n}`));
  if (ch.error) {
    lines.push(c("red", `    error: ${ch.error.message}`));
    if (ch.error.hint) lines.push(`    hint: ${ch.error.hint}`);
  }
  if (ch.diff) {
    for (const line of ch.diff.split("\n")) {
      const colored = line.startsWith("+") && !line.startsWith("+++") ? c("green", line) : line.startsWith("-") && !line.startsWith("---") ? c("red", line) : line.startsWith("@@") ? c("cyan", line) : line;
      lines.push(`    ${colored}`);
    }
  }
  return lines;
}

export {
  formatPlanMarkdown,
  planHeader,
  planSections,
  planFooter,
  section,
  escapeHtml,
  formatPlanJson,
  formatPlanText
};
