import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  renderTargets
} from "./chunk-PN44SHZJ.js";
import {
  formatSource,
  redactObject
} from "./chunk-TZ2ZTMWF.js";
import {
  loadConfig
} from "./chunk-Z65K4BBT.js";
import {
  dump
} from "./chunk-SGIW2ZLB.js";

// src/core/commands/render.ts
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

// src/core/manifests/serialize.ts
function serializeManifestSet(set, options) {
  let redacted = 0;
  const prepare = (m) => {
    if (!options.redactSecrets) return m.object;
    const r = redactObject(m.object);
    redacted += r.redacted;
    return r.object;
  };
  if (options.format === "json") {
    const objects = set.manifests.map((m) => ({ source: m.source, ...m.hook ? { hook: m.hook } : {}, object: prepare(m) }));
    return { text: `${JSON.stringify({ target: set.target, namespace: set.namespace ?? null, objects }, null, 2)}
`, redacted };
  }
  const parts = [`# kubeplan target: ${set.target} (${set.manifests.length} object${set.manifests.length === 1 ? "" : "s"})
`];
  for (const m of set.manifests) {
    const hook = m.hook ? `# Hook: ${m.hook.events.join(",")} (weight ${m.hook.weight})
` : "";
    parts.push(`---
# Source: ${formatSource(m.source)}
${hook}${dump(prepare(m), { lineWidth: -1, noRefs: true })}`);
  }
  return { text: parts.join(""), redacted };
}
function serializeManifestSets(sets, options) {
  const each = sets.map((s) => serializeManifestSet(s, options));
  const redacted = each.reduce((n, s) => n + s.redacted, 0);
  if (options.format === "json") {
    const targets = each.map((s) => JSON.parse(s.text));
    return { text: `${JSON.stringify({ targets }, null, 2)}
`, redacted };
  }
  return { text: each.map((s) => s.text).join(""), redacted };
}

// src/core/commands/render.ts
async function renderCommand(options) {
  const config = loadConfig(options.config, options.cwd);
  const sets = await renderTargets(config, { targets: options.targets, tools: options.tools, env: options.env, cwd: options.cwd });
  if (options.outDir === void 0) {
    const out = serializeManifestSets(sets, { format: options.format, redactSecrets: !options.showSecrets });
    return { sets, files: [], stdout: out.text, redacted: out.redacted };
  }
  const dir = path.resolve(options.cwd, options.outDir);
  await mkdir(dir, { recursive: true });
  const files = [];
  for (const set of sets) {
    const file = path.join(dir, `${set.target}.${options.format}`);
    await writeFile(file, serializeManifestSet(set, { format: options.format, redactSecrets: false }).text);
    files.push(file);
  }
  return { sets, files, stdout: void 0, redacted: 0 };
}

export {
  renderCommand
};
