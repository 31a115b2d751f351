import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  buildManifestSet
} from "./chunk-TZ2ZTMWF.js";
import {
  buildKustomizeArgs,
  checkKustomizationTree,
  parseDocument,
  readOrigins,
  renderKustomize,
  runTool,
  splitYamlStream,
  toObjects
} from "./chunk-4NJ2LQN2.js";
import {
  RenderError,
  ToolError,
  UsageError
} from "./chunk-4PR4VSOE.js";

// src/core/render/render-targets.ts
import os2 from "node:os";

// src/core/render/helm.ts
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
function helmTemplateArgs(target, source) {
  const args = ["template", source.releaseName];
  switch (source.chart.kind) {
    case "local":
      args.push(source.chart.path.abs);
      break;
    case "oci":
      args.push(source.chart.ref);
      if (source.chart.version) args.push("--version", source.chart.version);
      break;
    case "repo":
      args.push(source.chart.name, "--repo", source.chart.repo);
      if (source.chart.version) args.push("--version", source.chart.version);
      break;
  }
  args.push("--namespace", target.namespace ?? "default");
  if (source.includeCRDs) args.push("--include-crds");
  for (const values of source.values) args.push("--values", values.abs);
  for (const [key, value] of Object.entries(source.set)) args.push("--set-json", `${key}=${JSON.stringify(value)}`);
  if (source.kubeVersion) args.push("--kube-version", source.kubeVersion);
  for (const apiVersion of source.apiVersions) args.push("--api-versions", apiVersion);
  return args;
}
async function renderHelm(target, source, ctx) {
  if (!ctx.helm) throw new Error("renderHelm called without a helm binary");
  const args = helmTemplateArgs(target, source);
  const result = await runTool(ctx.helm, args, { cwd: ctx.repoRoot, env: ctx.env });
  if (result.exitCode !== 0) throw helmFailure(target, source, result.stderr || result.stdout, formatCommand("helm", args));
  const docs = splitYamlStream(result.stdout);
  const sourceOf = (doc) => templateSource(source, doc.helmSource);
  if (source.postRender) return postRender(target, source, docs, sourceOf, ctx);
  return docs.flatMap((doc) => {
    const src = sourceOf(doc);
    const where = `target ${target.name}: ${src.file}`;
    return toObjects(parseDocument(doc, () => where), src, where).map((object) => withHook({ object, source: src }));
  });
}
function templateSource(source, template) {
  if (template === void 0) return { file: chartLabel(source) };
  if (source.chart.kind !== "local") return { file: chartLabel(source), template };
  const withinChart = template.split("/").slice(1).join("/");
  const file = source.chart.path.rel === "." ? withinChart : `${source.chart.path.rel}/${withinChart}`;
  return { file, template };
}
function chartLabel(source) {
  switch (source.chart.kind) {
    case "local":
      return source.chart.path.rel;
    case "oci":
      return source.chart.version ? `${source.chart.ref}@${source.chart.version}` : source.chart.ref;
    case "repo":
      return `${source.chart.repo} ${source.chart.name}${source.chart.version ? `@${source.chart.version}` : ""}`;
  }
}
function helmFailure(target, source, output, command) {
  const message = output.trim().replace(/^(?:Error|error):\s*/gm, "");
  const template = /template: ([^\s:()]+\.(?:ya?ml|tpl|txt|json)):(\d+)/.exec(message) ?? /error at \(([^\s:()]+\.(?:ya?ml|tpl|txt|json)):(\d+)/.exec(message) ?? /YAML parse error on ([^\s:]+\.(?:ya?ml|tpl)):/.exec(message);
  let where = `target ${target.name}`;
  if (template) {
    const src = templateSource(source, template[1]);
    where += `: ${src.file}${template[2] ? `:${template[2]}` : ""}`;
  }
  let hint = `fix the chart or its values; reproduce with: ${command}`;
  if (/missing in charts\/ directory|found in Chart\.yaml, but missing/.test(message)) {
    hint = "vendor the chart dependencies: run `helm dependency build` in the chart folder and commit charts/";
  } else if (/repo .* not found|no cached repo|failed to fetch|could not find protocol handler|dial tcp|lookup .* on/.test(message)) {
    hint = "the chart could not be downloaded: check the chart reference, version and network access to the repository";
  }
  return new RenderError(`helm template failed:
${indent(message)}`, { where, hint });
}
async function postRender(target, source, docs, sourceOf, ctx) {
  const component = source.postRender;
  const kind = checkKustomizationTree(target, component.abs, ctx.repoRoot, ctx.policy).kind;
  if (kind !== "Component") {
    throw new RenderError(`${component.rel} is a ${kind}, but post-rendering a chart needs a Kustomize Component`, {
      where: `target ${target.name}`,
      hint: "set `apiVersion: kustomize.config.k8s.io/v1alpha1` and `kind: Component` in its kustomization.yaml"
    });
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "kubeplan-post-render-"));
  try {
    const byFile = /* @__PURE__ */ new Map();
    const resources = [];
    for (const [i, doc] of docs.entries()) {
      const src = sourceOf(doc);
      const where = `target ${target.name}: ${src.file}`;
      if (toObjects(parseDocument(doc, () => where), src, where).length === 0) continue;
      const name = `helm-${String(i).padStart(4, "0")}.yaml`;
      await writeFile(path.join(dir, name), doc.text);
      byFile.set(name, src);
      resources.push(name);
    }
    const kustomization = {
      apiVersion: "kustomize.config.k8s.io/v1beta1",
      kind: "Kustomization",
      resources,
      components: [path.relative(dir, component.abs)],
      buildMetadata: ["originAnnotations"]
    };
    await writeFile(path.join(dir, "kustomization.yaml"), JSON.stringify(kustomization, null, 2));
    const output = await runKustomizeBuild(target, dir, ctx, `post-render with ${component.rel}`);
    return readOrigins(output, target, (origin) => {
      const file = origin.path ? path.basename(origin.path) : void 0;
      return (file ? byFile.get(file) : void 0) ?? { file: component.rel };
    }).map(withHook);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
async function runKustomizeBuild(target, dir, ctx, what) {
  if (!ctx.kustomize) throw new Error("kustomize requested without a binary");
  const result = await runTool(ctx.kustomize.path, buildKustomizeArgs(ctx.kustomize.kind, dir, ctx.policy, ctx.helm), {
    cwd: ctx.repoRoot,
    env: ctx.env
  });
  if (result.exitCode !== 0) {
    throw new RenderError(`kustomize ${what} failed:
${indent((result.stderr || result.stdout).trim().replace(/^(?:Error|error):\s*/gm, ""))}`, {
      where: `target ${target.name}`,
      hint: "check the Component: it must be `kind: Component` and its patches must match objects the chart renders"
    });
  }
  return result.stdout;
}
function withHook(manifest) {
  const annotations = manifest.object.metadata.annotations;
  const events = annotations?.["helm.sh/hook"];
  if (typeof events !== "string" || events.trim() === "") return manifest;
  const hook = {
    events: splitList(events),
    weight: Number.parseInt(annotations?.["helm.sh/hook-weight"] ?? "0", 10) || 0,
    deletePolicies: splitList(annotations?.["helm.sh/hook-delete-policy"] ?? "")
  };
  return { ...manifest, hook };
}
function splitList(value) {
  return value.split(",").map((s) => s.trim()).filter((s) => s !== "");
}
function indent(text) {
  return text.split("\n").map((l) => `    ${l}`).join("\n");
}
function formatCommand(bin, args) {
  return [bin, ...args].map((a) => /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
}

// src/core/render/plain.ts
import { readdir, readFile } from "node:fs/promises";
import path2 from "node:path";
var EXTENSIONS = /* @__PURE__ */ new Set([".yaml", ".yml", ".json"]);
async function renderPlain(_target, source, repoRoot) {
  const files = await listManifestFiles(source.dir.abs);
  const manifests = [];
  for (const file of files) {
    const rel = path2.relative(repoRoot, file).split(path2.sep).join("/");
    const text = await readFile(file, "utf8");
    if (file.endsWith(".json")) {
      const where = `${rel}:1`;
      let value;
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw new RenderError(`invalid JSON: ${error.message}`, {
          where: `${rel}:${jsonErrorLine(text, error)}`,
          hint: "fix the JSON, or rename the file to .yaml if it is YAML"
        });
      }
      for (const object of toObjects(value, { file: rel, line: 1 }, where)) manifests.push({ object, source: { file: rel, line: 1 } });
      continue;
    }
    for (const doc of splitYamlStream(text)) {
      const where = `${rel}:${doc.contentLine}`;
      const value = parseDocument(doc, (line) => `${rel}:${line}`);
      const src = { file: rel, line: doc.contentLine };
      for (const object of toObjects(value, src, where)) manifests.push({ object, source: src });
    }
  }
  return manifests;
}
async function listManifestFiles(dir) {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && EXTENSIONS.has(path2.extname(e.name).toLowerCase())).map((e) => path2.join(e.parentPath, e.name)).filter((file) => !path2.relative(dir, file).split(path2.sep).some((part) => part.startsWith("."))).sort((a, b) => a < b ? -1 : a > b ? 1 : 0);
}
function jsonErrorLine(text, error) {
  const line = /line (\d+)/.exec(error.message);
  if (line) return Number(line[1]);
  const position = /position (\d+)/.exec(error.message);
  if (position) return text.slice(0, Number(position[1])).split("\n").length;
  return 1;
}

// src/core/render/tools.ts
import { accessSync, constants, statSync } from "node:fs";
import path3 from "node:path";
var ENV_VAR = {
  helm: "KUBEPLAN_HELM",
  kubectl: "KUBEPLAN_KUBECTL",
  kustomize: "KUBEPLAN_KUSTOMIZE"
};
var INSTALL_HINT = {
  helm: "install Helm 4 (https://helm.sh/docs/intro/install/; GitHub runners have it) or pass --helm PATH / set KUBEPLAN_HELM",
  kubectl: "install kubectl 1.35 (https://kubernetes.io/docs/tasks/tools/; GitHub runners have it) or pass --kubectl PATH / set KUBEPLAN_KUBECTL",
  kustomize: "install kustomize 5 or remove --kustomize / KUBEPLAN_KUSTOMIZE to use `kubectl kustomize`"
};
function findTool(name, overrides, env, options = { required: true }) {
  const explicit = overrides[name];
  if (explicit) return { path: checkExecutable(name, path3.resolve(options.cwd ?? process.cwd(), explicit), `--${name}`), via: "flag" };
  const fromEnv = env[ENV_VAR[name]];
  if (fromEnv) return { path: checkExecutable(name, path3.resolve(options.cwd ?? process.cwd(), fromEnv), ENV_VAR[name]), via: "env" };
  for (const dir of (env.PATH ?? "").split(path3.delimiter)) {
    if (!dir) continue;
    const candidate = path3.join(dir, name);
    if (isExecutableFile(candidate)) return { path: candidate, via: "PATH" };
  }
  if (!options.required) return void 0;
  throw new ToolError(`${name} not found on PATH`, { hint: INSTALL_HINT[name] });
}
function checkExecutable(name, file, origin) {
  if (!isExecutableFile(file)) {
    throw new ToolError(`${name} at ${file} (from ${origin}) is not an executable file`, { hint: INSTALL_HINT[name] });
  }
  return file;
}
function isExecutableFile(file) {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// src/core/render/render-targets.ts
function selectTargets(config, names) {
  if (names.length === 0) return config.targets;
  const known = new Map(config.targets.map((t) => [t.name, t]));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new UsageError(`unknown target${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}`, {
      hint: `targets in ${config.file}: ${config.targets.map((t) => t.name).join(", ")}`
    });
  }
  return [...new Set(names)].map((n) => known.get(n));
}
function prepareRenderContext(config, targets, options) {
  const needsHelm = targets.some((t) => t.source.type === "helm") || config.kustomize.allowHelmCharts;
  const needsKustomize = targets.some((t) => t.source.type === "kustomize" || t.source.type === "helm" && t.source.postRender);
  const helm = needsHelm ? findTool("helm", options.tools, options.env, { required: true, cwd: options.cwd }).path : void 0;
  let kustomize;
  if (needsKustomize) {
    const standalone = findTool("kustomize", options.tools, options.env, { required: false, cwd: options.cwd });
    if (standalone && standalone.via !== "PATH") kustomize = { kind: "kustomize", path: standalone.path };
    else kustomize = { kind: "kubectl", path: findTool("kubectl", options.tools, options.env, { required: true, cwd: options.cwd }).path };
  }
  return { repoRoot: config.repoRoot, env: options.env, helm, kustomize, policy: config.kustomize };
}
async function renderTarget(target, ctx) {
  const source = target.source;
  const manifests = source.type === "helm" ? await renderHelm(target, source, ctx) : source.type === "kustomize" ? await renderKustomize(target, source, ctx) : await renderPlain(target, source, ctx.repoRoot);
  return buildManifestSet(target.name, target.namespace, manifests);
}
async function renderTargets(config, options) {
  const targets = selectTargets(config, options.targets);
  const ctx = prepareRenderContext(config, targets, options);
  const limit = Math.max(1, options.concurrency ?? os2.availableParallelism());
  return mapConcurrent(targets, limit, (t) => renderTarget(t, ctx));
}
async function mapConcurrent(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export {
  renderTargets
};
