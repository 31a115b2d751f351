import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  ClusterError,
  ConfigError,
  EXIT_ERROR,
  KubeplanError,
  Limiter,
  RenderError,
  ToolError,
  UsageError,
  buildKustomizeArgs,
  checkKustomizationTree,
  createTwoFilesPatch,
  execa,
  loadConfig,
  parseDocument,
  readOrigins,
  renderKustomize,
  runTool,
  splitYamlStream,
  toObjects
} from "./chunk-Q2KPVAWC.js";
import {
  dump
} from "./chunk-SGIW2ZLB.js";

// src/core/commands/render.ts
import { mkdir, writeFile as writeFile2 } from "node:fs/promises";
import path4 from "node:path";

// src/core/manifests/scope.ts
var CLUSTER_SCOPED = {
  "": ["Namespace", "Node", "PersistentVolume", "ComponentStatus"],
  "admissionregistration.k8s.io": [
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding"
  ],
  "apiextensions.k8s.io": ["CustomResourceDefinition"],
  "apiregistration.k8s.io": ["APIService"],
  "authentication.k8s.io": ["TokenReview", "SelfSubjectReview"],
  "authorization.k8s.io": ["SubjectAccessReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview"],
  "certificates.k8s.io": ["CertificateSigningRequest", "ClusterTrustBundle"],
  "flowcontrol.apiserver.k8s.io": ["FlowSchema", "PriorityLevelConfiguration"],
  "internal.apiserver.k8s.io": ["StorageVersion"],
  "networking.k8s.io": ["IngressClass", "IPAddress", "ServiceCIDR"],
  "node.k8s.io": ["RuntimeClass"],
  "policy": ["PodSecurityPolicy"],
  "rbac.authorization.k8s.io": ["ClusterRole", "ClusterRoleBinding"],
  "resource.k8s.io": ["DeviceClass", "ResourceSlice", "DeviceTaintRule"],
  "scheduling.k8s.io": ["PriorityClass"],
  "storage.k8s.io": ["StorageClass", "CSIDriver", "CSINode", "VolumeAttachment", "VolumeAttributesClass"],
  "storagemigration.k8s.io": ["StorageVersionMigration"]
};
function apiGroup(apiVersion) {
  const slash = apiVersion.indexOf("/");
  return slash === -1 ? "" : apiVersion.slice(0, slash);
}
function groupKind(object) {
  const group = apiGroup(object.apiVersion);
  return group === "" ? object.kind : `${object.kind}.${group}`;
}
function objectIdentity(object) {
  return `${groupKind(object)}|${object.metadata.namespace ?? ""}|${object.metadata.name}`;
}
var ScopeTable = class {
  cluster = /* @__PURE__ */ new Set();
  namespaced = /* @__PURE__ */ new Set();
  constructor(objects = []) {
    for (const [group, kinds] of Object.entries(CLUSTER_SCOPED)) {
      for (const kind of kinds) this.cluster.add(group === "" ? kind : `${kind}.${group}`);
    }
    for (const o of objects) this.learnFromCRD(o);
  }
  learnFromCRD(object) {
    if (object.kind !== "CustomResourceDefinition" || apiGroup(object.apiVersion) !== "apiextensions.k8s.io") return;
    const spec = object.spec;
    if (typeof spec?.group !== "string" || typeof spec.names?.kind !== "string") return;
    const key2 = `${spec.names.kind}.${spec.group}`;
    if (spec.scope === "Cluster") this.cluster.add(key2);
    else this.namespaced.add(key2);
  }
  isClusterScoped(object) {
    const key2 = groupKind(object);
    return this.cluster.has(key2) && !this.namespaced.has(key2);
  }
};

// src/core/manifests/manifest-set.ts
function buildManifestSet(target, namespace, manifests) {
  const scopes = new ScopeTable(manifests.map((m) => m.object));
  if (namespace !== void 0) {
    for (const m of manifests) {
      const meta = m.object.metadata;
      if ((meta.namespace === void 0 || meta.namespace === "") && !scopes.isClusterScoped(m.object)) {
        meta.namespace = namespace;
      }
    }
  }
  const seen = /* @__PURE__ */ new Map();
  for (const m of manifests) {
    const key2 = objectIdentity(m.object);
    const first = seen.get(key2);
    if (first) {
      throw new RenderError(`${describeObject(m)} is rendered twice: by ${formatSource(first.source)} and by ${formatSource(m.source)}`, {
        where: `target ${target}`,
        hint: "remove one of them, or give them different names (an object can only be applied once)"
      });
    }
    seen.set(key2, m);
  }
  return { target, namespace, manifests: [...manifests].sort(compareManifests) };
}
function rank(m) {
  if (m.object.kind === "Namespace" && m.object.apiVersion === "v1") return 0;
  if (m.object.kind === "CustomResourceDefinition") return 1;
  return 2;
}
function compareManifests(a, b) {
  return rank(a) - rank(b) || compare(a.object.kind, b.object.kind) || compare(a.object.metadata.namespace ?? "", b.object.metadata.namespace ?? "") || compare(a.object.metadata.name, b.object.metadata.name) || compare(a.object.apiVersion, b.object.apiVersion);
}
function compare(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}
function describeObject(m) {
  const { apiVersion, kind, metadata } = m.object;
  return `${apiVersion} ${kind} ${metadata.namespace ? `${metadata.namespace}/` : ""}${metadata.name}`;
}
function formatSource(source) {
  const file = source.line ? `${source.file}:${source.line}` : source.file;
  return source.template && source.template !== source.file ? `${file} (${source.template})` : file;
}

// src/core/manifests/redact.ts
var REDACTED = "(redacted)";
var LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
function isSecret(object) {
  return object.apiVersion === "v1" && object.kind === "Secret";
}
function redactObject(object) {
  let redacted = 0;
  const copy = structuredClone(object);
  if (isSecret(copy)) {
    for (const field of ["data", "stringData"]) {
      const values = copy[field];
      if (values && typeof values === "object" && !Array.isArray(values)) {
        for (const key2 of Object.keys(values)) {
          values[key2] = REDACTED;
          redacted++;
        }
      }
    }
  }
  const annotations = copy.metadata.annotations;
  if (annotations && typeof annotations[LAST_APPLIED] === "string") {
    annotations[LAST_APPLIED] = REDACTED;
    redacted++;
  }
  return { object: copy, redacted };
}

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
  for (const [key2, value] of Object.entries(source.set)) args.push("--set-json", `${key2}=${JSON.stringify(value)}`);
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
  const sourceOf2 = (doc) => templateSource(source, doc.helmSource);
  if (source.postRender) return postRender(target, source, docs, sourceOf2, ctx);
  return docs.flatMap((doc) => {
    const src = sourceOf2(doc);
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
async function postRender(target, source, docs, sourceOf2, ctx) {
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
      const src = sourceOf2(doc);
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

// src/core/commands/render.ts
async function renderCommand(options) {
  const config = loadConfig(options.config, options.cwd);
  const sets = await renderTargets(config, { targets: options.targets, tools: options.tools, env: options.env, cwd: options.cwd });
  if (options.outDir === void 0) {
    const out = serializeManifestSets(sets, { format: options.format, redactSecrets: !options.showSecrets });
    return { sets, files: [], stdout: out.text, redacted: out.redacted };
  }
  const dir = path4.resolve(options.cwd, options.outDir);
  await mkdir(dir, { recursive: true });
  const files = [];
  for (const set of sets) {
    const file = path4.join(dir, `${set.target}.${options.format}`);
    await writeFile2(file, serializeManifestSet(set, { format: options.format, redactSecrets: false }).text);
    files.push(file);
  }
  return { sets, files, stdout: void 0, redacted: 0 };
}

// src/core/apply/apply.ts
import { createHash as createHash2 } from "node:crypto";

// src/core/cluster/applyset.ts
import { createHash } from "node:crypto";

// src/core/cluster/discovery.ts
var AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;q=0.9";
var ResourceMap = class _ResourceMap {
  byGVK = /* @__PURE__ */ new Map();
  /** The first version discovery lists for a group/kind is the server's preferred one. */
  preferredByGK = /* @__PURE__ */ new Map();
  static async discover(client) {
    const map = new _ResourceMap();
    const [core, groups] = await Promise.all([
      client.request("GET", "/api", { accept: AGGREGATED }),
      client.request("GET", "/apis", { accept: AGGREGATED })
    ]);
    for (const list of [core.body, groups.body]) {
      for (const group of list.items ?? []) {
        const groupName = group.metadata?.name ?? "";
        for (const version of group.versions ?? []) {
          for (const r of version.resources ?? []) {
            const kind = r.responseKind?.kind;
            if (!kind || r.resource.includes("/")) continue;
            const info = {
              group: groupName,
              version: version.version,
              kind,
              resource: r.resource,
              namespaced: r.scope === "Namespaced",
              verbs: r.verbs ?? []
            };
            map.byGVK.set(`${groupName}/${version.version}/${kind}`, info);
            if (!map.preferredByGK.has(`${groupName}/${kind}`)) map.preferredByGK.set(`${groupName}/${kind}`, info);
          }
        }
      }
    }
    return map;
  }
  lookup(object) {
    const group = apiGroup(object.apiVersion);
    const version = object.apiVersion.slice(object.apiVersion.indexOf("/") + 1);
    return this.byGVK.get(`${group}/${version}/${object.kind}`);
  }
  preferred(group, kind) {
    return this.preferredByGK.get(`${group}/${kind}`);
  }
  /** Whether the group/kind exists at any version (for "wrong apiVersion" messages). */
  versionsOf(group, kind) {
    return [...this.byGVK.values()].filter((r) => r.group === group && r.kind === kind).map((r) => r.version);
  }
};
function resourcePath(info, namespace, name) {
  const base = info.group === "" ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  return `${base}${ns}/${info.resource}${name === void 0 ? "" : `/${encodeURIComponent(name)}`}`;
}

// src/core/diff/managed-fields.ts
import { isDeepStrictEqual } from "node:util";
var FIELD_MANAGER = "kubeplan";
function appliedFields(managedFields, manager = FIELD_MANAGER) {
  if (!Array.isArray(managedFields)) return void 0;
  const entry = managedFields.find(
    (e) => e.manager === manager && e.operation === "Apply" && (e.subresource === void 0 || e.subresource === "")
  );
  return entry?.fieldsV1;
}
function ownedButNotRendered(fields, rendered, path8 = []) {
  const missing = [];
  for (const [key2, child] of Object.entries(fields)) {
    if (key2 === ".") continue;
    const kind = key2.slice(0, 2);
    const body = key2.slice(2);
    if (kind === "f:") {
      const value = isObject(rendered) ? rendered[body] : void 0;
      if (value === void 0) missing.push(join([...path8, body]));
      else missing.push(...ownedButNotRendered(child, value, [...path8, body]));
    } else if (kind === "k:") {
      const keyFields = safeParse(body);
      const item = Array.isArray(rendered) && isObject(keyFields) ? rendered.find((el) => matchesKey(el, keyFields)) : void 0;
      const label2 = `[${Object.entries(isObject(keyFields) ? keyFields : {}).map(([k, v]) => `${k}=${String(v)}`).join(",")}]`;
      if (item === void 0) missing.push(join(path8) + label2);
      else missing.push(...ownedButNotRendered(child, item, [...path8.slice(0, -1), `${path8.at(-1) ?? ""}${label2}`]));
    } else if (kind === "v:") {
      const value = safeParse(body);
      if (!Array.isArray(rendered) || !rendered.some((el) => isDeepStrictEqual(el, value))) missing.push(`${join(path8)}[${body}]`);
    } else if (kind === "i:") {
      const index = Number(body);
      if (!Array.isArray(rendered) || index >= rendered.length) missing.push(`${join(path8)}[${index}]`);
      else missing.push(...ownedButNotRendered(child, rendered[index], [...path8.slice(0, -1), `${path8.at(-1) ?? ""}[${index}]`]));
    }
  }
  return missing;
}
function removeOwnedUnrendered(live, fields, rendered) {
  for (const [key2, child] of Object.entries(fields)) {
    if (key2 === ".") continue;
    const kind = key2.slice(0, 2);
    const body = key2.slice(2);
    if (kind === "f:") {
      if (!isObject(live) || !(body in live)) continue;
      const value = isObject(rendered) ? rendered[body] : void 0;
      if (value === void 0) delete live[body];
      else removeOwnedUnrendered(live[body], child, value);
    } else if (kind === "k:") {
      const keyFields = safeParse(body);
      if (!Array.isArray(live) || !isObject(keyFields)) continue;
      const index = live.findIndex((el) => matchesKey(el, keyFields));
      if (index === -1) continue;
      const item = Array.isArray(rendered) ? rendered.find((el) => matchesKey(el, keyFields)) : void 0;
      if (item === void 0) live.splice(index, 1);
      else removeOwnedUnrendered(live[index], child, item);
    } else if (kind === "v:") {
      const value = safeParse(body);
      if (!Array.isArray(live) || Array.isArray(rendered) && rendered.some((el) => isDeepStrictEqual(el, value))) continue;
      const index = live.findIndex((el) => isDeepStrictEqual(el, value));
      if (index !== -1) live.splice(index, 1);
    }
  }
}
var KEY_DEFAULTS = { protocol: "TCP" };
function matchesKey(element, keyFields) {
  return isObject(element) && Object.entries(keyFields).every(([k, v]) => element[k] === void 0 && k in KEY_DEFAULTS ? KEY_DEFAULTS[k] === v : isDeepStrictEqual(element[k], v));
}
function safeParse(text) {
  try {
    return JSON.parse(text);
  } catch {
    return void 0;
  }
}
function join(path8) {
  return path8.join(".");
}
function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// src/core/cluster/objects.ts
async function listLiveObjects(client, info, namespace, labelSelector) {
  const objects = [];
  let token;
  const apiVersion = info.group === "" ? info.version : `${info.group}/${info.version}`;
  do {
    const res = await client.request("GET", resourcePath(info, namespace), {
      list: true,
      query: { limit: 500, continue: token, labelSelector }
    });
    for (const item of res.body.items ?? []) objects.push({ ...item, apiVersion, kind: info.kind });
    token = res.body.metadata?.continue || void 0;
  } while (token);
  return objects;
}
async function serverSideApply(client, info, object, options) {
  const res = await client.request("PATCH", resourcePath(info, object.metadata.namespace, object.metadata.name), {
    query: { fieldManager: FIELD_MANAGER, force: options.force, dryRun: options.dryRun ? "All" : void 0 },
    body: object,
    contentType: "application/apply-patch+yaml"
  });
  return res.body;
}
async function canI(client, verb, info, namespace) {
  const res = await client.request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
    body: {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SelfSubjectAccessReview",
      spec: { resourceAttributes: { verb, group: info.group, resource: info.resource, ...info.namespaced && namespace ? { namespace } : {} } }
    }
  });
  return res.body.status?.allowed === true;
}

// src/core/cluster/applyset.ts
var PART_OF = "applyset.kubernetes.io/part-of";
var APPLYSET_ID = "applyset.kubernetes.io/id";
var CONTAINS_GROUP_KINDS = "applyset.kubernetes.io/contains-group-kinds";
var ADDITIONAL_NAMESPACES = "applyset.kubernetes.io/additional-namespaces";
var TOOLING = "applyset.kubernetes.io/tooling";
function applySetParent(target, namespace) {
  return { name: `kubeplan-${target}`, namespace: namespace ?? "default" };
}
function applySetId(parent) {
  const hashed = createHash("sha256").update([parent.name, parent.namespace, "ConfigMap", ""].join(".")).digest("base64url");
  return `applyset-${hashed}-v1`;
}
async function readInventory(client, resources, parent) {
  const id = applySetId(parent);
  let parentObject;
  try {
    parentObject = (await client.request("GET", `/api/v1/namespaces/${encodeURIComponent(parent.namespace)}/configmaps/${encodeURIComponent(parent.name)}`)).body;
  } catch (error) {
    if (error instanceof ClusterError && error.status === 404) return { id, parent, exists: false, members: [] };
    throw error;
  }
  const annotations = parentObject.metadata.annotations ?? {};
  const groupKinds = splitList2(annotations[CONTAINS_GROUP_KINDS]);
  const namespaces = [parent.namespace, ...splitList2(annotations[ADDITIONAL_NAMESPACES])];
  const lists = [];
  for (const gk of groupKinds) {
    const dot = gk.indexOf(".");
    const kind = dot === -1 ? gk : gk.slice(0, dot);
    const group = dot === -1 ? "" : gk.slice(dot + 1);
    const info = resources.preferred(group, kind);
    if (!info) continue;
    const scopes = info.namespaced ? [...new Set(namespaces)] : [void 0];
    for (const ns of scopes) lists.push(listLiveObjects(client, info, ns, `${PART_OF}=${id}`).then((os5) => os5.map((object) => ({ object, info }))));
  }
  const members = (await Promise.all(lists)).flat();
  return { id, parent, exists: true, members, parentObject };
}
function splitList2(value) {
  return (value ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
}

// src/core/apply/apply-error.ts
var ApplyError = class extends KubeplanError {
};

// src/core/report/common.ts
var SYMBOL = { create: "+", update: "~", replace: "\xB1", delete: "-", unchanged: "=", error: "!" };
function summaryLine(counts) {
  const parts = [`+${counts.create} to create`, `~${counts.update} to update`, `\xB1${counts.replace} to replace`, `-${counts.delete} to delete`];
  let line = `Plan: ${parts.join(", ")}, ${counts.unchanged} unchanged`;
  if (counts.error) line += `, ${counts.error} error${counts.error === 1 ? "" : "s"}`;
  return `${line}.`;
}
function objectName(c) {
  return `${c.kind} ${c.namespace ? `${c.namespace}/` : ""}${c.name}`;
}
function sourceOf(c) {
  return c.source && c.source.file ? formatSource(c.source) : void 0;
}
var PRIORITY = { error: 0, delete: 1, replace: 2, update: 3, create: 4, unchanged: 5 };

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

// src/core/apply/preflight.ts
var CONFIGMAPS = { group: "", resource: "configmaps", namespaced: true };
var SECRETS = { group: "", resource: "secrets", namespaced: true };
function requiredAccess(plan, waits, revisions = false) {
  const needs = /* @__PURE__ */ new Map();
  const add = (verb, info, namespace) => {
    const n = { verb, group: info.group, resource: info.resource, namespace: info.namespaced ? namespace : void 0 };
    needs.set(`${n.verb}|${n.group}|${n.resource}|${n.namespace ?? ""}`, n);
  };
  for (const c of plan.changes) {
    if (!c.resource) continue;
    if (c.action === "create" || c.action === "error") ["create", "patch"].forEach((v) => add(v, c.resource, c.namespace));
    if (c.action === "update") add("patch", c.resource, c.namespace);
    if (c.action === "replace") ["delete", "create", "patch"].forEach((v) => add(v, c.resource, c.namespace));
    if (c.action === "delete") add("delete", c.resource, c.namespace);
    if (waits && ["create", "update", "replace", "error"].includes(c.action)) add("get", c.resource, c.namespace);
  }
  const parent = applySetParent(plan.target, plan.namespace);
  for (const verb of ["get", "create", "patch"]) add(verb, CONFIGMAPS, parent.namespace);
  if (revisions) for (const verb of ["list", "get", "create", "delete"]) add(verb, SECRETS, parent.namespace);
  return [...needs.values()];
}
async function preflightAccess(client, plan, waits, revisions = false) {
  const access = await missingAccess(client, plan, waits, revisions);
  if (!access) return;
  const { missing, user } = access;
  const lines = missing.map(describeNeed);
  throw new ApplyError(`the credentials${user ? ` (${user})` : ""} lack ${missing.length} right${missing.length === 1 ? "" : "s"} this apply needs, so nothing was written:
${lines.map((l) => `    - ${l}`).join("\n")}
  this grants exactly them:
${indent2(access.grant)}`, {
    where: `target ${plan.target}`,
    hint: "have a cluster admin apply the YAML above (or grant the rights another way), then run again"
  });
}
async function missingAccess(client, plan, waits, revisions = false) {
  const needs = requiredAccess(plan, waits, revisions);
  const results = await Promise.all(
    needs.map(async (n) => {
      const res = await client.request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
        body: {
          apiVersion: "authorization.k8s.io/v1",
          kind: "SelfSubjectAccessReview",
          spec: { resourceAttributes: { verb: n.verb, group: n.group, resource: n.resource, ...n.namespace ? { namespace: n.namespace } : {} } }
        }
      });
      return { need: n, allowed: res.body.status?.allowed === true };
    })
  );
  const missing = results.filter((r) => !r.allowed).map((r) => r.need);
  if (missing.length === 0) return void 0;
  const user = await whoAmI(client);
  return { missing, user, grant: grantYaml(plan.target, missing, user) };
}
function describeNeed(n) {
  return `${n.verb} ${n.group ? `${n.resource}.${n.group}` : n.resource}${n.namespace ? ` in namespace ${n.namespace}` : " (cluster-wide)"}`;
}
async function whoAmI(client) {
  try {
    const res = await client.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
      body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" }
    });
    return res.body.status?.userInfo?.username;
  } catch {
    return void 0;
  }
}
function grantYaml(target, missing, user) {
  const rules = (needs) => {
    const byResource = /* @__PURE__ */ new Map();
    for (const n of needs) {
      const key2 = `${n.group}|${n.resource}`;
      const rule = byResource.get(key2) ?? { apiGroups: [n.group], resources: [n.resource], verbs: [] };
      if (!rule.verbs.includes(n.verb)) rule.verbs.push(n.verb);
      byResource.set(key2, rule);
    }
    return [...byResource.values()].map((r) => ({ ...r, verbs: r.verbs.sort() }));
  };
  const name = `kubeplan-${target}`;
  const subject = { kind: "User", name: user ?? "REPLACE-WITH-THE-CI-USER", apiGroup: "rbac.authorization.k8s.io" };
  const docs = [];
  const namespaces = [...new Set(missing.map((n) => n.namespace).filter((n) => n !== void 0))].sort();
  for (const ns of namespaces) {
    docs.push({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name, namespace: ns }, rules: rules(missing.filter((n) => n.namespace === ns)) });
    docs.push({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name, namespace: ns }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name }, subjects: [subject] });
  }
  const cluster = missing.filter((n) => n.namespace === void 0);
  if (cluster.length) {
    docs.push({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name }, rules: rules(cluster) });
    docs.push({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name }, subjects: [subject] });
  }
  return docs.map((d) => `---
${dump(d, { lineWidth: -1 })}`).join("");
}
function indent2(text) {
  return text.trimEnd().split("\n").map((l) => `    ${l}`).join("\n");
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
  const hash = createHash2("sha256");
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

// src/core/diff/quantity.ts
var BINARY = { Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n };
var DECIMAL = {
  n: [1n, 1000000000n],
  u: [1n, 1000000n],
  m: [1n, 1000n],
  "": [1n, 1n],
  k: [1000n, 1n],
  M: [1000000n, 1n],
  G: [1000000000n, 1n],
  T: [1000000000000n, 1n],
  P: [1000000000000000n, 1n],
  E: [1000000000000000000n, 1n]
};
var PATTERN = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;
function parseQuantity(value) {
  const text = typeof value === "number" ? Number.isFinite(value) ? String(value) : "" : typeof value === "string" ? value.trim() : "";
  const m = PATTERN.exec(text);
  if (!m) return void 0;
  const [, sign, digits, suffix, exponent] = m;
  const [whole = "", fraction = ""] = digits.split(".");
  let num = BigInt(`${whole || "0"}${fraction}`);
  let den = 10n ** BigInt(fraction.length);
  if (suffix !== void 0 && suffix in BINARY) num *= BINARY[suffix];
  else if (suffix !== void 0) {
    const [mul, div] = DECIMAL[suffix];
    num *= mul;
    den *= div;
  } else if (exponent !== void 0) {
    const e = BigInt(exponent);
    if (e >= 0n) num *= 10n ** e;
    else den *= 10n ** -e;
  }
  if (sign === "-") num = -num;
  return [num, den];
}
function quantitiesEqual(a, b) {
  const x = parseQuantity(a);
  const y = parseQuantity(b);
  return x !== void 0 && y !== void 0 && x[0] * y[1] === y[0] * x[1];
}
var QUANTITY_PARENTS = /* @__PURE__ */ new Set(["requests", "limits", "hard", "used", "capacity", "allocatable", "default", "defaultRequest", "max", "min", "maxLimitRequestRatio", "overhead"]);
var QUANTITY_FIELDS = /* @__PURE__ */ new Set(["sizeLimit", "storage"]);
function isQuantityPath(path8) {
  const last = path8.at(-1);
  const parent = path8.at(-2);
  return typeof last === "string" && QUANTITY_FIELDS.has(last) || typeof parent === "string" && QUANTITY_PARENTS.has(parent);
}

// src/core/diff/compare.ts
function renderedMatchesLive(rendered, live) {
  const secret = isSecret(rendered);
  for (const [key2, value] of Object.entries(rendered)) {
    if (secret && key2 === "stringData") {
      if (!stringDataMatches(value, live.data)) return false;
      continue;
    }
    if (!matches(value, live[key2], [key2])) return false;
  }
  return true;
}
function matches(rendered, live, path8) {
  if (rendered === live) return true;
  if (rendered === null || live === null || rendered === void 0 || live === void 0) return false;
  if (Array.isArray(rendered)) {
    if (!Array.isArray(live) || live.length !== rendered.length) return false;
    return rendered.every((item, i) => matches(item, live[i], [...path8, i]));
  }
  if (typeof rendered === "object") {
    if (typeof live !== "object" || Array.isArray(live)) return false;
    const liveObject = live;
    return Object.entries(rendered).every(([k, v]) => matches(v, liveObject[k], [...path8, k]));
  }
  if (isQuantityPath(path8)) return quantitiesEqual(rendered, live);
  return false;
}
function stringDataMatches(stringData, liveData) {
  if (typeof stringData !== "object" || stringData === null || Array.isArray(stringData)) return false;
  if (typeof liveData !== "object" || liveData === null) return Object.keys(stringData).length === 0;
  const data = liveData;
  return Object.entries(stringData).every(
    ([k, v]) => typeof v === "string" && typeof data[k] === "string" && Buffer.from(data[k], "base64").toString("utf8") === v
  );
}

// src/core/diff/field-diff.ts
import { isDeepStrictEqual as isDeepStrictEqual2 } from "node:util";
function changedPaths(before, after, prefix = "") {
  if (isDeepStrictEqual2(before, after)) return [];
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [.../* @__PURE__ */ new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((k) => changedPaths(before[k], after[k], prefix ? `${prefix}.${k}` : k));
  }
  if (Array.isArray(before) && Array.isArray(after) && isNamedList(before) && isNamedList(after)) {
    const names = [...new Set([...before, ...after].map((i) => i.name))];
    return names.flatMap(
      (n) => changedPaths(
        before.find((i) => i.name === n),
        after.find((i) => i.name === n),
        `${prefix}[name=${n}]`
      )
    );
  }
  return [prefix || "."];
}
function isNamedList(list) {
  return list.every((i) => isPlainObject(i) && typeof i.name === "string");
}
function isPlainObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
function toDiffYaml(object) {
  if (object === void 0) return "";
  return dump(object, { lineWidth: -1, noRefs: true, sortKeys: true });
}
function unifiedDiff(name, before, after, labels = ["live", "planned"], context = 3) {
  const patch = createTwoFilesPatch(`${labels[0]}/${name}`, `${labels[1]}/${name}`, toDiffYaml(before), toDiffYaml(after), void 0, void 0, { context });
  return patch.split("\n").filter((line, i) => !(i < 2 && (line.startsWith("Index:") || line.startsWith("===")))).join("\n").trimEnd();
}

// src/core/diff/digest.ts
function digest(before, after, secretKeys = []) {
  const lines = [];
  if (!before || !after) return lines;
  const podA = podSpec(before);
  const podB = podSpec(after);
  if (podA && podB) {
    for (const field of ["initContainers", "containers"]) {
      const a = containers(podA[field]);
      const b = containers(podB[field]);
      for (const [name, cb] of b) {
        const ca = a.get(name);
        if (!ca) {
          lines.push(`${field === "containers" ? "container" : "init container"} +${name}${typeof cb.image === "string" ? ` (${cb.image})` : ""}`);
          continue;
        }
        if (ca.image !== cb.image) lines.push(`image ${name}: ${imageChange(String(ca.image), String(cb.image))}`);
        const env = keyedChanges(namedValues(ca.env), namedValues(cb.env));
        if (env) lines.push(`env ${name}: ${env}`);
        if (JSON.stringify(ca.resources ?? {}) !== JSON.stringify(cb.resources ?? {})) lines.push(`resources ${name} changed`);
      }
      for (const name of a.keys()) if (!b.has(name)) lines.push(`${field === "containers" ? "container" : "init container"} -${name}`);
    }
  }
  const replicasA = before.spec?.replicas;
  const replicasB = after.spec?.replicas;
  if (replicasA !== replicasB && (replicasA !== void 0 || replicasB !== void 0)) lines.push(`replicas ${String(replicasA ?? "-")} \u2192 ${String(replicasB ?? "-")}`);
  if (isSecret(after)) {
    const order = { added: 0, changed: 1, removed: 2, unchanged: 3 };
    const changed = secretKeys.filter((k) => k.change !== "unchanged").sort((a, b) => order[a.change] - order[b.change]);
    if (changed.length) lines.push(`data: ${changed.map((k) => `${symbol(k.change)}${k.key}`).join(" ")}`);
  } else if (after.kind === "ConfigMap" && after.apiVersion === "v1") {
    const data = keyedChanges(asStrings(before.data), asStrings(after.data));
    if (data) lines.push(`data: ${data}`);
  }
  const labels = keyedChanges(asStrings(before.metadata.labels), asStrings(after.metadata.labels));
  if (labels) lines.push(`labels: ${labels}`);
  if (lines.length === 0) {
    const paths = changedPaths(before, after);
    lines.push(...paths.slice(0, 5).map((p) => `${p} changed`));
    if (paths.length > 5) lines.push(`\u2026 and ${paths.length - 5} more fields`);
  }
  return lines;
}
function podSpec(object) {
  const spec = object.spec;
  if (!spec) return void 0;
  if (object.kind === "Pod") return spec;
  if (object.kind === "CronJob") {
    const job = spec.jobTemplate?.spec?.template?.spec;
    return isPlainObject(job) ? job : void 0;
  }
  const template = spec.template?.spec;
  return isPlainObject(template) ? template : void 0;
}
function containers(list) {
  const map = /* @__PURE__ */ new Map();
  if (Array.isArray(list)) {
    for (const c of list) if (isPlainObject(c) && typeof c.name === "string") map.set(c.name, c);
  }
  return map;
}
function namedValues(list) {
  const out = {};
  if (Array.isArray(list)) {
    for (const e of list) if (isPlainObject(e) && typeof e.name === "string") out[e.name] = JSON.stringify({ ...e, name: void 0 });
  }
  return out;
}
function asStrings(value) {
  const out = {};
  if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) out[k] = JSON.stringify(v);
  return out;
}
function keyedChanges(a, b) {
  const parts = [];
  for (const k of Object.keys(b)) if (!(k in a)) parts.push(`+${k}`);
  for (const k of Object.keys(b)) if (k in a && a[k] !== b[k]) parts.push(`~${k}`);
  for (const k of Object.keys(a)) if (!(k in b)) parts.push(`-${k}`);
  return parts.join(" ");
}
function symbol(change) {
  return change === "added" ? "+" : change === "removed" ? "-" : "~";
}
function imageChange(a, b) {
  const split = (ref) => {
    const at = ref.indexOf("@");
    const colon = ref.lastIndexOf(":");
    const slash = ref.lastIndexOf("/");
    if (at !== -1) return [ref.slice(0, at), ref.slice(at)];
    if (colon > slash) return [ref.slice(0, colon), ref.slice(colon + 1)];
    return [ref, "latest"];
  };
  const [repoA, tagA] = split(a);
  const [repoB, tagB] = split(b);
  return repoA === repoB ? `${repoA.split("/").pop()}:${tagA} \u2192 ${tagB}` : `${a} \u2192 ${b}`;
}

// src/core/diff/ignore.ts
import { isDeepStrictEqual as isDeepStrictEqual3 } from "node:util";
function ruleMatches(rule, object) {
  return (rule.group === void 0 || rule.group === apiGroup(object.apiVersion)) && (rule.kind === void 0 || rule.kind === object.kind) && (rule.name === void 0 || rule.name === object.metadata.name) && (rule.namespace === void 0 || rule.namespace === object.metadata.namespace);
}
function applyIgnoreRules(rules, live, sides, hidden) {
  for (const rule of rules) {
    if (!ruleMatches(rule, live)) continue;
    for (const pointer of rule.paths) {
      let removed = false;
      for (const side of sides) removed = removePointer(side, pointer) || removed;
      if (removed) hidden[`ignore ${pointer}`] = (hidden[`ignore ${pointer}`] ?? 0) + 1;
    }
    const entries = Array.isArray(live.metadata.managedFields) ? live.metadata.managedFields : [];
    for (const entry of entries) {
      if (!entry.manager || !rule.managers.includes(entry.manager) || !entry.fieldsV1) continue;
      let removed = false;
      for (const side of sides) removed = removeFields(side, entry.fieldsV1) || removed;
      if (removed) hidden[`ignore fields of ${entry.manager}`] = (hidden[`ignore fields of ${entry.manager}`] ?? 0) + 1;
    }
  }
}
function removePointer(object, pointer) {
  const parts = pointer.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (parts.length === 0) return false;
  let node = object;
  for (const part of parts.slice(0, -1)) {
    if (Array.isArray(node)) node = node[Number(part)];
    else if (node && typeof node === "object") node = node[part];
    else return false;
  }
  const last = parts.at(-1);
  if (Array.isArray(node)) {
    const index = Number(last);
    if (!Number.isInteger(index) || index >= node.length) return false;
    node.splice(index, 1);
    return true;
  }
  if (node && typeof node === "object" && last in node) {
    delete node[last];
    return true;
  }
  return false;
}
function isLeaf(fields) {
  return Object.keys(fields).every((k) => k === ".");
}
function removeFields(node, fields) {
  let removed = false;
  for (const [key2, child] of Object.entries(fields)) {
    if (key2 === ".") continue;
    const body = key2.slice(2);
    if (key2.startsWith("f:") && node && typeof node === "object" && !Array.isArray(node)) {
      const record2 = node;
      if (!(body in record2)) continue;
      if (isLeaf(child)) {
        delete record2[body];
        removed = true;
      } else removed = removeFields(record2[body], child) || removed;
    } else if ((key2.startsWith("k:") || key2.startsWith("v:")) && Array.isArray(node)) {
      const match = JSON.parse(body);
      const index = node.findIndex(
        (el) => key2.startsWith("v:") ? isDeepStrictEqual3(el, match) : el && typeof el === "object" && Object.entries(match).every(([k, v]) => isDeepStrictEqual3(el[k], v))
      );
      if (index === -1) continue;
      if (isLeaf(child) || key2.startsWith("v:")) {
        node.splice(index, 1);
        removed = true;
      } else removed = removeFields(node[index], child) || removed;
    }
  }
  return removed;
}

// src/core/diff/immutable.ts
var IMMUTABLE = {
  "apps/Deployment": ["spec.selector"],
  "apps/ReplicaSet": ["spec.selector"],
  "apps/DaemonSet": ["spec.selector"],
  "apps/StatefulSet": ["spec.selector", "spec.serviceName", "spec.volumeClaimTemplates", "spec.podManagementPolicy"],
  "batch/Job": ["spec.selector", "spec.template", "spec.completions", "spec.completionMode"],
  "/Service": ["spec.clusterIP", "spec.clusterIPs", "spec.ipFamilies"],
  "/PersistentVolumeClaim": ["spec.storageClassName", "spec.accessModes", "spec.volumeName", "spec.volumeMode", "spec.selector", "spec.dataSource"],
  "/ConfigMap": [],
  "storage.k8s.io/StorageClass": ["provisioner", "parameters", "reclaimPolicy", "volumeBindingMode"],
  "rbac.authorization.k8s.io/RoleBinding": ["roleRef"],
  "rbac.authorization.k8s.io/ClusterRoleBinding": ["roleRef"],
  "policy/PodDisruptionBudget": []
};
function key(object) {
  const slash = object.apiVersion.indexOf("/");
  return `${slash === -1 ? "" : object.apiVersion.slice(0, slash)}/${object.kind}`;
}
function immutableChanges(live, planned) {
  const fields = IMMUTABLE[key(planned)] ?? [];
  const paths = changedPaths(live, planned);
  return fields.filter((f) => {
    const value = get(planned, f);
    return value !== void 0 && paths.some((p) => p === f || p.startsWith(`${f}.`) || p.startsWith(`${f}[`));
  });
}
function isDestructiveDelete(object) {
  return ["/Namespace", "apiextensions.k8s.io/CustomResourceDefinition", "/PersistentVolumeClaim", "/PersistentVolume"].includes(key(object));
}
function get(object, path8) {
  return path8.split(".").reduce((o, k) => o && typeof o === "object" ? o[k] : void 0, object);
}

// src/core/diff/normalize.ts
var METADATA_NOISE = ["managedFields", "resourceVersion", "uid", "generation", "creationTimestamp", "selfLink"];
var ANNOTATION_NOISE = ["kubectl.kubernetes.io/last-applied-configuration", "deployment.kubernetes.io/revision"];
function stripNoise(object, hidden = {}) {
  const copy = structuredClone(object);
  const count = (rule) => hidden[rule] = (hidden[rule] ?? 0) + 1;
  if ("status" in copy) {
    delete copy.status;
    count("status");
  }
  const metadata = copy.metadata;
  if (metadata && typeof metadata === "object") {
    for (const field of METADATA_NOISE) {
      if (field in metadata) {
        delete metadata[field];
        count(`metadata.${field}`);
      }
    }
    const annotations = metadata.annotations;
    if (annotations && typeof annotations === "object") {
      for (const a of ANNOTATION_NOISE) {
        if (a in annotations) {
          delete annotations[a];
          count(`annotation ${a}`);
        }
      }
      if (Object.keys(annotations).length === 0) delete metadata.annotations;
    }
  }
  return copy;
}

// src/core/diff/secrets.ts
import { createHmac, randomBytes } from "node:crypto";
var SecretMasker = class {
  salt = randomBytes(32);
  fingerprint(value) {
    return `(secret ${createHmac("sha256", this.salt).update(value).digest("hex").slice(0, 8)})`;
  }
  /**
   * A copy of a Secret with `stringData` folded into `data` (as the apiserver does) and every value replaced by its
   * fingerprint; any other object is returned as is.
   */
  mask(object) {
    if (!isSecret(object)) return object;
    const copy = structuredClone(object);
    const data = {};
    for (const [k, v] of Object.entries(asRecord(copy.data))) data[k] = this.fingerprint(decode(v));
    for (const [k, v] of Object.entries(asRecord(copy.stringData))) data[k] = this.fingerprint(String(v));
    delete copy.stringData;
    if (Object.keys(data).length > 0 || copy.data !== void 0) copy.data = data;
    return copy;
  }
};
function secretKeyChanges(before, after) {
  const a = asRecord(before?.data);
  const b = asRecord(after?.data);
  const keys = [.../* @__PURE__ */ new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.map((key2) => ({
    key: key2,
    change: !(key2 in a) ? "added" : !(key2 in b) ? "removed" : a[key2] === b[key2] ? "unchanged" : "changed"
  }));
}
function decode(value) {
  return typeof value === "string" ? Buffer.from(value, "base64").toString("utf8") : "";
}
function asRecord(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? value : {};
}
function labelSecretPair(before, after) {
  if (!(before && isSecret(before)) && !(after && isSecret(after))) return [before, after];
  const a = asRecord(before?.data);
  const b = asRecord(after?.data);
  const relabel = (o, own, other, side) => {
    if (!o) return o;
    const copy = structuredClone(o);
    if (copy.data) {
      copy.data = Object.fromEntries(Object.keys(own).map((k) => [k, k in other && other[k] !== own[k] ? `(secret: ${side} value)` : "(secret)"]));
    }
    return copy;
  };
  return [relabel(before, a, b, "old"), relabel(after, b, a, "new")];
}

// src/core/diff/types.ts
function emptyCounts() {
  return { create: 0, update: 0, replace: 0, delete: 0, unchanged: 0, error: 0 };
}
function countChanges(changes) {
  const counts = emptyCounts();
  for (const c of changes) counts[c.action]++;
  return counts;
}
function hasChanges(counts) {
  return counts.create + counts.update + counts.replace + counts.delete > 0;
}

// src/core/diff/plan.ts
async function planTargets(sets, client, resources, options) {
  const before = { ...client.stats };
  const masker = new SecretMasker();
  const all = sets.flatMap((s) => s.manifests.map((m) => m.object));
  const pendingKinds = crdKindsIn(all, resources);
  const resolved = sets.map((set) => {
    const id = applySetId(applySetParent(set.target, set.namespace));
    const policy = options.policy?.get(set.target);
    return set.manifests.filter((m) => !m.hook).map((m) => enforcePolicy(resolveManifest(withInventoryLabel(m, id), resources, pendingKinds, client.namespace), policy));
  });
  rejectSharedObjects(resolved, sets);
  const live = await listLive(client, resolved.flat());
  const newNamespaces = new Set(
    resolved.flat().filter((r) => r.object.kind === "Namespace" && r.object.apiVersion === "v1" && !live.objects.has(objectIdentity(r.object))).map((r) => r.object.metadata.name)
  );
  const targets = [];
  for (const [i, set] of sets.entries()) {
    const hidden = {};
    const changes2 = await Promise.all(
      resolved[i].map(async (r) => {
        const own = {};
        const change = await planObject(r, { client, live, newNamespaces, masker, hidden: own, mode: options.mode, ignore: options.ignore?.get(set.target) ?? [] });
        for (const [rule, n] of Object.entries(own)) {
          if (change.action !== "unchanged" || rule.startsWith("ignore")) hidden[rule] = (hidden[rule] ?? 0) + n;
        }
        return change;
      })
    );
    changes2.push(...await planDeletions(set, resolved[i], client, resources, masker, hidden));
    const hooks = set.manifests.filter((m) => m.hook).map((m) => {
      const r = resolveManifest(m, resources, pendingKinds, client.namespace);
      return { object: r.object, resource: r.info, hook: m.hook };
    });
    if (hooks.length) hidden["Helm hooks (run by apply around its stages, not diffed)"] = hooks.length;
    targets.push({ target: set.target, namespace: set.namespace, changes: changes2, summary: countChanges(changes2), hidden, hooks });
  }
  const changes = targets.flatMap((t) => t.changes);
  return {
    mode: options.mode,
    modeReason: options.modeReason,
    targets,
    summary: countChanges(changes),
    stats: {
      objects: changes.length,
      fastPath: changes.filter((c) => c.via === "fast-path").length,
      dryRuns: client.stats.dryRuns - before.dryRuns,
      lists: client.stats.lists - before.lists,
      requests: client.stats.requests - before.requests
    }
  };
}
async function planDeletions(set, resolved, client, resources, masker, hidden) {
  const parent = applySetParent(set.target, set.namespace);
  let inventory;
  try {
    inventory = await readInventory(client, resources, parent);
  } catch (error) {
    return [
      {
        action: "error",
        apiVersion: "v1",
        kind: "ConfigMap",
        namespace: parent.namespace,
        name: parent.name,
        paths: [],
        digest: ["the inventory of applied objects could not be read, so deletions are unknown"],
        diff: "",
        error: toObjectError(error),
        via: "intent"
      }
    ];
  }
  const rendered = new Set(resolved.map((r) => objectIdentity(r.object)));
  return inventory.members.filter(({ object }) => !rendered.has(objectIdentity(object))).sort((a, b) => objectIdentity(a.object).localeCompare(objectIdentity(b.object))).map(({ object: m, info }) => {
    const before = masker.mask(stripNoise(m, hidden));
    const secrets = isSecret(before) ? secretKeyChanges(before, void 0) : void 0;
    return {
      action: "delete",
      apiVersion: m.apiVersion,
      kind: m.kind,
      ...m.metadata.namespace ? { namespace: m.metadata.namespace } : {},
      name: m.metadata.name,
      paths: [],
      digest: [isDestructiveDelete(m) ? `delete: ${m.kind} ${m.metadata.name} and everything in it is lost` : "no longer rendered"],
      diff: unifiedDiff(label(m), labelSecretPair(before, void 0)[0], void 0),
      ...secrets ? { secrets } : {},
      destructive: isDestructiveDelete(m),
      via: "intent",
      object: m,
      resource: info
    };
  });
}
function rejectSharedObjects(resolved, sets) {
  const owner = /* @__PURE__ */ new Map();
  resolved.forEach((list, i) => {
    list.forEach((r, j) => {
      const key2 = objectIdentity(r.object);
      const first = owner.get(key2);
      if (first === void 0) owner.set(key2, sets[i].target);
      else if (first !== sets[i].target && !r.error) {
        list[j] = { ...r, error: { message: `is also rendered by target ${first}; an object can belong to one target only`, hint: `render it in one of ${first} and ${sets[i].target} (for chart CRDs: includeCRDs: false on the other)` } };
      }
    });
  });
}
function enforcePolicy(r, policy) {
  if (!policy || r.error) return r;
  const namespaced = r.info ? r.info.namespaced : r.object.metadata.namespace !== void 0;
  if (namespaced && policy.namespaces && !policy.namespaces.some((p) => globMatch(p, r.object.metadata.namespace ?? ""))) {
    return { ...r, error: { message: `namespace ${r.object.metadata.namespace} is outside the target's policy (allowed: ${policy.namespaces.join(", ")})`, hint: "move the object, or widen policy.namespaces in kubeplan.yaml" } };
  }
  if (!namespaced && policy.clusterScoped && !policy.clusterScoped.includes(r.object.kind)) {
    return {
      ...r,
      error: { message: `cluster-scoped ${r.object.kind} is outside the target's policy (allowed: ${policy.clusterScoped.join(", ") || "none"})`, hint: "remove the object, or add its kind to policy.clusterScoped in kubeplan.yaml" }
    };
  }
  return r;
}
function globMatch(pattern, value) {
  const re = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
  return re.test(value);
}
function withInventoryLabel(manifest, id) {
  const object = manifest.object;
  return {
    ...manifest,
    object: { ...object, metadata: { ...object.metadata, labels: { ...object.metadata.labels, [PART_OF]: id } } }
  };
}
function crdKindsIn(objects, resources) {
  const kinds = /* @__PURE__ */ new Set();
  for (const o of objects) {
    if (o.kind !== "CustomResourceDefinition" || apiGroup(o.apiVersion) !== "apiextensions.k8s.io") continue;
    const spec = o.spec;
    for (const v of spec?.versions ?? []) {
      const apiVersion = `${spec?.group}/${v.name}`;
      const kind = spec?.names?.kind ?? "";
      if (!resources.lookup({ apiVersion, kind })) kinds.add(`${apiVersion}/${kind}`);
    }
  }
  return kinds;
}
function resolveManifest(manifest, resources, pendingKinds, defaultNamespace) {
  const object = manifest.object;
  const info = resources.lookup(object);
  if (!info) {
    if (pendingKinds.has(`${object.apiVersion}/${object.kind}`)) return { manifest, object, info, pendingCRD: true };
    const group = apiGroup(object.apiVersion);
    const versions = resources.versionsOf(group, object.kind);
    return {
      manifest,
      object,
      info,
      pendingCRD: false,
      error: {
        message: versions.length ? `the cluster does not serve ${object.apiVersion} ${object.kind} (it serves ${versions.map((v) => group ? `${group}/${v}` : v).join(", ")})` : `the cluster has no kind ${object.kind} in ${object.apiVersion}`,
        hint: versions.length ? `change apiVersion to one the cluster serves` : "install the CRD that defines it first, or add the CRD to this target"
      }
    };
  }
  let fixed = object;
  if (!info.namespaced && object.metadata.namespace !== void 0) {
    fixed = { ...object, metadata: { ...object.metadata } };
    delete fixed.metadata.namespace;
  } else if (info.namespaced && !object.metadata.namespace) {
    fixed = { ...object, metadata: { ...object.metadata, namespace: defaultNamespace } };
  }
  return { manifest, object: fixed, info, pendingCRD: false };
}
function listKey(info, namespace) {
  return `${info.group}/${info.version}/${info.resource}/${info.namespaced ? namespace ?? "" : ""}`;
}
async function listLive(client, resolved) {
  const lists = /* @__PURE__ */ new Map();
  for (const r of resolved) {
    if (r.info) lists.set(listKey(r.info, r.object.metadata.namespace), { info: r.info, namespace: r.info.namespaced ? r.object.metadata.namespace : void 0 });
  }
  const state = { objects: /* @__PURE__ */ new Map(), errors: /* @__PURE__ */ new Map() };
  await Promise.all(
    [...lists].map(async ([key2, { info, namespace }]) => {
      try {
        for (const o of await listLiveObjects(client, info, namespace)) state.objects.set(objectIdentity(o), o);
      } catch (error) {
        state.errors.set(key2, toObjectError(error));
      }
    })
  );
  return state;
}
async function planObject(r, ctx) {
  const change = await planObjectChange(r, ctx);
  if (change.error && isSecret(r.object)) change.error = scrubSecretValues(change.error, r.object);
  return change;
}
async function planObjectChange(r, ctx) {
  const base = describe(r);
  if (r.error) return { ...base, action: "error", error: r.error, via: "intent" };
  const liveObject = r.info ? ctx.live.objects.get(objectIdentity(r.object)) : void 0;
  const listError = r.info ? ctx.live.errors.get(listKey(r.info, r.object.metadata.namespace)) : void 0;
  if (listError) return { ...base, action: "error", error: listError, via: "intent" };
  if (!liveObject) return planCreate(r, ctx);
  if (renderedMatchesLive(r.object, liveObject) && ownedButNotRendered(appliedFields(liveObject.metadata.managedFields) ?? {}, r.object).length === 0) {
    return { ...base, action: "unchanged", via: "fast-path" };
  }
  return planUpdate(r, liveObject, ctx);
}
function describe(r) {
  const o = r.object;
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    ...o.metadata.namespace ? { namespace: o.metadata.namespace } : {},
    name: o.metadata.name,
    source: r.manifest.source,
    ...r.manifest.hook ? { hook: r.manifest.hook } : {},
    paths: [],
    digest: [],
    diff: "",
    object: o,
    ...r.info ? { resource: r.info } : {}
  };
}
async function planCreate(r, ctx) {
  const base = describe(r);
  const notes = [];
  const namespace = r.object.metadata.namespace;
  if (r.pendingCRD) {
    notes.push("its CustomResourceDefinition is created by this plan, so the server validates it only at apply");
  } else if (namespace && r.info?.namespaced && ctx.newNamespaces.has(namespace)) {
    notes.push(`namespace ${namespace} is created by this plan, so the server validates this object only at apply`);
  } else if (ctx.mode === "server" && r.info) {
    try {
      await serverSideApply(ctx.client, r.info, r.object, { dryRun: true, force: false });
    } catch (error) {
      return { ...base, action: "error", error: toObjectError(error), via: "dry-run" };
    }
  }
  const after = ctx.masker.mask(stripNoise(r.object, ctx.hidden));
  const secrets = isSecret(after) ? secretKeyChanges(void 0, after) : void 0;
  return {
    ...base,
    action: "create",
    paths: [],
    digest: digestForCreate(after),
    diff: unifiedDiff(label(r.object), void 0, labelSecretPair(void 0, after)[1]),
    ...secrets ? { secrets } : {},
    ...notes.length ? { notes } : {},
    via: ctx.mode === "server" && notes.length === 0 ? "dry-run" : "client"
  };
}
async function planUpdate(r, liveObject, ctx) {
  const base = describe(r);
  const notes = [];
  let planned;
  if (ctx.mode === "server") {
    try {
      planned = await dryRunWithConflicts(ctx.client, r.info, r.object, notes);
    } catch (error) {
      const replace = immutableFieldsFromError(error);
      if (replace) return planReplace(r, liveObject, ctx, replace);
      return { ...base, action: "error", error: toObjectError(error), via: "dry-run" };
    }
  } else {
    planned = mergeForClientMode(liveObject, r.object);
    const immutable = immutableChanges(liveObject, planned);
    if (immutable.length > 0) return planReplace(r, liveObject, ctx, immutable);
  }
  const before = ctx.masker.mask(stripNoise(liveObject, ctx.hidden));
  const after = ctx.masker.mask(stripNoise(planned, ctx.hidden));
  applyIgnoreRules(ctx.ignore, liveObject, [before, after], ctx.hidden);
  const paths = changedPaths(before, after);
  const via = ctx.mode === "server" ? "dry-run" : "client";
  if (paths.length === 0) return { ...base, action: "unchanged", ...notes.length ? { notes } : {}, via };
  const secrets = isSecret(after) ? secretKeyChanges(before, after) : void 0;
  return {
    ...base,
    live: liveObject,
    action: "update",
    paths,
    digest: digest(before, after, secrets),
    diff: unifiedDiff(label(r.object), ...labelSecretPair(before, after)),
    ...secrets ? { secrets } : {},
    ...notes.length ? { notes } : {},
    via
  };
}
function planReplace(r, liveObject, ctx, fields) {
  const before = ctx.masker.mask(stripNoise(liveObject, ctx.hidden));
  const after = ctx.masker.mask(stripNoise(r.object, ctx.hidden));
  const secrets = isSecret(after) ? secretKeyChanges(before, after) : void 0;
  return {
    ...describe(r),
    live: liveObject,
    action: "replace",
    replaceFields: fields,
    destructive: ["PersistentVolumeClaim", "PersistentVolume", "Namespace", "CustomResourceDefinition"].includes(r.object.kind),
    paths: changedPaths(before, after).filter((p) => !p.startsWith("metadata.")),
    digest: [`replace: ${fields.join(", ")} cannot change in place; the object is deleted and created again`],
    diff: unifiedDiff(label(r.object), ...labelSecretPair(before, after)),
    ...secrets ? { secrets } : {},
    via: ctx.mode === "server" ? "dry-run" : "client"
  };
}
async function dryRunWithConflicts(client, info, object, notes) {
  try {
    return await serverSideApply(client, info, object, { dryRun: true, force: false });
  } catch (error) {
    if (!(error instanceof ClusterError) || error.status !== 409) throw error;
    const fields = error.causes.map((c) => `${c.field ?? ""}${c.message ? ` (${c.message.replace(/^conflict with /, "")})` : ""}`).filter(Boolean);
    notes.push(`conflicts with other field managers: ${fields.join("; ") || error.message}; apply takes these fields over`);
    return serverSideApply(client, info, object, { dryRun: true, force: true });
  }
}
function immutableFieldsFromError(error) {
  if (!(error instanceof ClusterError) || error.status !== 422) return void 0;
  const immutable = /immutable|may not change once set|cannot be changed|field is not mutable/i;
  const fields = error.causes.filter((c) => immutable.test(c.message ?? "")).map((c) => c.field ?? "");
  if (fields.length > 0) return [...new Set(fields.filter(Boolean))];
  return immutable.test(error.message) ? ["(immutable field)"] : void 0;
}
function mergeForClientMode(live, rendered) {
  const merged = overlay(structuredClone(live), rendered);
  const owned = appliedFields(live.metadata.managedFields);
  if (owned) removeOwnedUnrendered(merged, owned, rendered);
  if (isSecret(rendered) && rendered.stringData) {
    const data = { ...merged.data ?? {} };
    for (const [k, v] of Object.entries(rendered.stringData)) data[k] = Buffer.from(String(v)).toString("base64");
    merged.data = data;
    delete merged.stringData;
  }
  return merged;
}
function overlay(target, source) {
  if (Array.isArray(source)) {
    if (Array.isArray(target) && source.every(isNamed) && target.every(isNamed)) {
      const named = (x) => x.name;
      return [
        ...source.map((item) => {
          const existing = target.find((t) => named(t) === named(item));
          return existing === void 0 ? item : overlay(structuredClone(existing), item);
        }),
        ...target.filter((t) => !source.some((item) => named(item) === named(t)))
      ];
    }
    return structuredClone(source);
  }
  if (source !== null && typeof source === "object") {
    const out = target !== null && typeof target === "object" && !Array.isArray(target) ? target : {};
    for (const [k, v] of Object.entries(source)) out[k] = overlay(out[k], v);
    return out;
  }
  return source;
}
function isNamed(value) {
  return value !== null && typeof value === "object" && typeof value.name === "string";
}
function digestForCreate(after) {
  const images = JSON.stringify(after).match(/"image":"([^"]+)"/g)?.map((m) => m.slice(9, -1)) ?? [];
  return images.length ? [`image ${[...new Set(images)].join(", ")}`] : [];
}
function label(o) {
  return `${o.kind.toLowerCase()}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;
}
function scrubSecretValues(error, secret) {
  const values = /* @__PURE__ */ new Set();
  for (const [field, encoded] of [["data", true], ["stringData", false]]) {
    const record2 = secret[field];
    if (!record2 || typeof record2 !== "object") continue;
    for (const v of Object.values(record2)) {
      if (typeof v !== "string" || v.length < 3) continue;
      values.add(v);
      values.add(encoded ? Buffer.from(v, "base64").toString("utf8") : Buffer.from(v).toString("base64"));
    }
  }
  let message = error.message;
  for (const v of [...values].filter((x) => x.length >= 3).sort((a, b) => b.length - a.length)) message = message.split(v).join("(redacted)");
  return { ...error, message };
}
function toObjectError(error) {
  if (error instanceof ClusterError) {
    return { message: error.message, status: error.status, ...error.reason ? { reason: error.reason } : {}, ...error.hint ? { hint: error.hint } : {} };
  }
  return { message: error.message ?? String(error) };
}

// src/core/apply/rollback.ts
async function rollbackTarget(target, namespace, client, resources, options) {
  const store = new RevisionStore(client, target, namespace);
  const revisions = await store.list();
  const to = typeof options.to === "number" ? revisions.find((r) => r.number === options.to) : options.to === "newest" ? revisions.at(-1) : revisions.at(-2);
  if (!to) {
    const known = revisions.map((r) => r.number).join(", ") || "none";
    throw new ApplyError(
      typeof options.to === "number" ? `target ${target} has no revision ${options.to}` : options.to === "newest" ? `target ${target} has no stored revision to roll back to` : `target ${target} has no revision before the current one`,
      { where: `target ${target}`, hint: `stored revisions: ${known} (kubeplan rollback --target ${target} --list); revisions are kept only with apply: {rollback: true}` }
    );
  }
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

// src/core/cluster/client.ts
import { createHash as createHash3 } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import os3 from "node:os";
import path5 from "node:path";
var MAX_ATTEMPTS = 5;
var ClusterClient = class _ClusterClient {
  constructor(server, contextName, namespace, kc, dispatcher, undiciRequest, concurrency) {
    this.server = server;
    this.contextName = contextName;
    this.namespace = namespace;
    this.kc = kc;
    this.dispatcher = dispatcher;
    this.undiciRequest = undiciRequest;
    this.limiter = new Limiter(concurrency);
  }
  server;
  contextName;
  namespace;
  kc;
  dispatcher;
  undiciRequest;
  headers = {};
  limiter;
  /** Counts requests by verb, for tests and benchmarks. */
  stats = { requests: 0, retries: 0, lists: 0, dryRuns: 0 };
  static async connect(options) {
    const [{ KubeConfig }, undici, { RequestContext, HttpMethod }] = await Promise.all([
      import("./config-NWHLZ4SX.js"),
      import("./undici-7Y7QUXAO.js"),
      import("./http-RUOM3PFJ.js")
    ]);
    const kc = new KubeConfig();
    const source = loadKubeConfig(kc, options);
    if (options.context) {
      if (!kc.getContextObject(options.context)) {
        throw new UsageError(`context "${options.context}" is not in ${source}`, {
          hint: `contexts there: ${kc.getContexts().map((c) => c.name).join(", ") || "none"}`
        });
      }
      kc.setCurrentContext(options.context);
    }
    const cluster = kc.getCurrentCluster();
    if (!cluster) {
      throw new UsageError(`no cluster selected in ${source}`, { hint: "set current-context in the kubeconfig or pass --context" });
    }
    checkPin(cluster, options.pin, kc.getCurrentContext());
    const context = kc.getContextObject(kc.getCurrentContext());
    const client = new _ClusterClient(
      cluster.server.replace(/\/+$/, ""),
      kc.getCurrentContext(),
      context?.namespace ?? "default",
      kc,
      void 0,
      // undici is CommonJS: bundled, its exports may sit on `default`.
      undici.request ?? undici.default.request,
      Math.max(1, options.concurrency)
    );
    await client.authenticate(RequestContext, HttpMethod.GET);
    return client;
  }
  async authenticate(RequestContextClass, method) {
    const ctx = new RequestContextClass(this.server, method);
    try {
      await this.kc.applySecurityAuthentication(ctx);
    } catch (error) {
      throw new ClusterError(`cannot authenticate to ${this.server}: ${error.message}`, {
        status: 0,
        where: `context ${this.contextName}`,
        hint: "check the kubeconfig user (token, client certificate or exec plugin)"
      });
    }
    this.headers = Object.fromEntries(Object.entries(ctx.getHeaders()).map(([k, v]) => [k.toLowerCase(), String(v)]));
    this.dispatcher = ctx.getDispatcher();
  }
  /** Sends one request; throws ClusterError for any status that is not 2xx after retries. */
  async request(method, urlPath, options = {}) {
    return this.limiter.run(() => this.send(method, urlPath, options));
  }
  async send(method, urlPath, options) {
    const url = new URL(this.server + urlPath);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== void 0) url.searchParams.set(k, String(v));
    const headers = { ...this.headers, accept: options.accept ?? "application/json" };
    let body;
    if (options.body !== void 0) {
      body = JSON.stringify(options.body);
      headers["content-type"] = options.contentType ?? "application/json";
    }
    for (let attempt = 1; ; attempt++) {
      this.stats.requests++;
      if (method === "GET" && attempt === 1 && options.list) this.stats.lists++;
      if (url.searchParams.get("dryRun") === "All" && attempt === 1) this.stats.dryRuns++;
      let status;
      let text;
      let retryAfter;
      try {
        const res = await this.undiciRequest(url, {
          method,
          headers,
          body,
          ...this.dispatcher ? { dispatcher: this.dispatcher } : {}
        });
        status = res.statusCode;
        text = await res.body.text();
        const ra = res.headers["retry-after"];
        retryAfter = Array.isArray(ra) ? ra[0] : ra;
      } catch (error) {
        if (attempt < MAX_ATTEMPTS) {
          this.stats.retries++;
          await sleep(retryDelay(void 0, attempt));
          continue;
        }
        const code = error.code ?? error.message;
        throw new ClusterError(`cannot reach the apiserver at ${this.server} (${code})`, {
          status: 0,
          where: `context ${this.contextName}`,
          hint: "check that the cluster is running and the kubeconfig server URL and certificate are right"
        });
      }
      if (status >= 200 && status < 300) return { status, body: text === "" ? void 0 : JSON.parse(text) };
      if ((status === 429 || status >= 500 && status !== 501 || status === 409 && isOptimisticConflict(text)) && attempt < MAX_ATTEMPTS) {
        this.stats.retries++;
        await sleep(retryDelay(retryAfter, attempt));
        continue;
      }
      throw statusError(status, text, method, url);
    }
  }
};
function caFingerprint(pem) {
  const body = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem)?.[1];
  if (!body) return void 0;
  return createHash3("sha256").update(Buffer.from(body.replace(/\s+/g, ""), "base64")).digest("hex");
}
function checkPin(cluster, pin, context) {
  if (!pin) return;
  const normalize = (u) => u.replace(/\/+$/, "").toLowerCase();
  if (pin.server && normalize(pin.server) !== normalize(cluster.server)) {
    throw new UsageError(`the kubeconfig points at ${cluster.server}, not the pinned cluster ${pin.server}; nothing was sent`, {
      where: `context ${context}`,
      hint: "check which kubeconfig or secret this job uses, or update the pinned server"
    });
  }
  if (pin.caSha256) {
    const pem = cluster.caData ? Buffer.from(cluster.caData, "base64").toString("utf8") : cluster.caFile && existsSync(cluster.caFile) ? readFileSync(cluster.caFile, "utf8") : "";
    const actual = caFingerprint(pem);
    const wanted = pin.caSha256.replace(/[:\s]/g, "").toLowerCase();
    if (actual !== wanted) {
      throw new UsageError(`the cluster CA ${actual ? `has sha256 ${actual}` : "is missing from the kubeconfig"}, not the pinned ${wanted}; nothing was sent`, {
        where: `context ${context}`,
        hint: "a different cluster (or a man in the middle) answers at this address: check the kubeconfig before trusting it"
      });
    }
  }
}
function loadKubeConfig(kc, options) {
  if (options.direct) {
    const d = options.direct;
    if (!/^https:\/\//.test(d.server)) {
      throw new UsageError(`the cluster server must be an https:// URL, not "${d.server}"`, { hint: "write the apiserver URL as kubectl cluster-info prints it" });
    }
    if (d.caPem !== void 0 && !d.caPem.includes("-----BEGIN CERTIFICATE-----")) {
      throw new UsageError("the cluster CA is not a PEM certificate", { hint: "pass the CA certificate (-----BEGIN CERTIFICATE-----), not a file name or a fingerprint" });
    }
    kc.loadFromOptions({
      clusters: [{ name: "kubeplan", server: d.server, skipTLSVerify: false, ...d.caPem ? { caData: Buffer.from(d.caPem).toString("base64") } : {} }],
      users: [{ name: "kubeplan", token: d.token }],
      contexts: [{ name: "kubeplan", cluster: "kubeplan", user: "kubeplan" }],
      currentContext: "kubeplan"
    });
    return `the server ${d.server} with ${d.source}`;
  }
  const explicit = options.kubeconfig ?? void 0;
  const files = explicit ? [path5.resolve(options.cwd, explicit)] : (options.env.KUBECONFIG ?? "").split(path5.delimiter).filter((f) => f !== "");
  if (files.length === 0) {
    const home = options.env.HOME ?? os3.homedir();
    const fallback = path5.join(home, ".kube", "config");
    if (existsSync(fallback)) files.push(fallback);
  }
  if (files.length === 0) {
    if (options.env.KUBERNETES_SERVICE_HOST) {
      kc.loadFromCluster();
      return "the in-cluster service account";
    }
    throw new UsageError("no kubeconfig found", {
      hint: "pass --kubeconfig FILE, set KUBECONFIG, or create ~/.kube/config"
    });
  }
  for (const [i, file] of files.entries()) {
    if (!existsSync(file)) {
      throw new UsageError(`kubeconfig ${file} does not exist`, { hint: explicit ? "check --kubeconfig" : "check KUBECONFIG" });
    }
    try {
      if (i === 0) kc.loadFromFile(file);
      else {
        const more = new kc.constructor();
        more.loadFromFile(file);
        kc.mergeConfig(more, true);
      }
    } catch (error) {
      throw new UsageError(`cannot read kubeconfig ${file}: ${error.message}`, { hint: "check the file is a valid kubeconfig" });
    }
  }
  return files.join(path5.delimiter);
}
function isOptimisticConflict(text) {
  try {
    const parsed = JSON.parse(text);
    return !(parsed.details?.causes ?? []).some((c) => c.reason === "FieldManagerConflict");
  } catch {
    return false;
  }
}
function statusError(status, text, method, url) {
  let message = text.trim() || `HTTP ${status}`;
  let reason;
  let causes = [];
  try {
    const parsed = JSON.parse(text);
    if (parsed.kind === "Status") {
      message = parsed.message ?? message;
      reason = parsed.reason;
      causes = parsed.details?.causes ?? [];
    }
  } catch {
  }
  return new ClusterError(message, {
    status,
    reason,
    causes,
    where: `${method} ${url.pathname}`,
    hint: hintFor(status)
  });
}
function hintFor(status) {
  switch (status) {
    case 401:
      return "the credentials were rejected: check the kubeconfig user or token";
    case 403:
      return "the credentials lack this permission: grant it with a Role/ClusterRole, or use read-only --mode client";
    case 404:
      return "the resource or its kind does not exist in this cluster (a missing CRD or API?)";
    case 409:
      return "another field manager owns these fields, or the object changed meanwhile";
    case 422:
      return "the object is invalid: fix the manifest";
    case 429:
      return "the apiserver is throttling: lower --concurrency";
    default:
      return status >= 500 ? "the apiserver failed: check its health and retry" : "see the server message above";
  }
}
function retryDelay(retryAfter, attempt) {
  const seconds = retryAfter === void 0 ? Number.NaN : Number(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds, 30) * 1e3;
  const base = 200 * 2 ** (attempt - 1);
  return base + Math.floor(Math.random() * base);
}
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// src/core/commands/cluster-run.ts
async function openCluster(config, options) {
  const client = await ClusterClient.connect({
    kubeconfig: options.kubeconfig,
    context: options.context,
    ...options.pin ? { pin: options.pin } : {},
    direct: options.direct,
    concurrency: options.concurrency,
    env: options.env,
    cwd: options.cwd
  });
  let resources;
  try {
    resources = await ResourceMap.discover(client);
  } catch (error) {
    if (error instanceof ClusterError && error.status === 401 && options.direct) {
      throw new ClusterError(`${options.direct.server} refused ${options.direct.source} (401 Unauthorized)`, {
        status: 401,
        where: options.direct.server,
        hint: options.direct.source.includes("OIDC") ? "check the apiserver's AuthenticationConfiguration: its jwt issuer must be the token's issuer, its audiences must include the audience kubeplan asked for, and its claim rules must accept this repository and ref" : "check that the token is current and that the apiserver trusts its issuer"
      });
    }
    throw error;
  }
  const ignore = new Map(config.targets.map((t) => [t.name, t.ignore]));
  const policy = new Map(config.targets.map((t) => [t.name, t.policy]));
  return { client, resources, ignore, policy };
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
        const stored = rollback && wrote && error instanceof KubeplanError ? await new RevisionStore(client, target.target, target.namespace).list().catch(() => []) : [];
        if (rollback && wrote && error instanceof KubeplanError && stored.length === 0) {
          failure = new ApplyError(`${error.message}
  no earlier revision to roll back to (the first apply with rollback: true stores the first one): nothing was undone`, { where: error.where, hint: error.hint });
        } else if (rollback && wrote && error instanceof KubeplanError) {
          options.onProgress?.(`target ${target.target}: apply failed; rolling back to the last successful revision`);
          try {
            const outcome = await rollbackTarget(target.target, target.namespace, client, resources, { ...applyOptions, to: "newest", ignore, policy: policyMap, record: false });
            failure = rolledBackError(error, outcome, partial);
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
  const label2 = (t) => `target="${t.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  const out = [
    "# TYPE kubeplan_drift_objects gauge",
    "# HELP kubeplan_drift_objects Objects that differ from git, are missing, or are no longer in git.",
    ...targets.map((t) => `kubeplan_drift_objects{${label2(t.target)}} ${t.drifted.length}`),
    "# TYPE kubeplan_drift_first_seen_timestamp_seconds gauge",
    "# HELP kubeplan_drift_first_seen_timestamp_seconds When the oldest drift of the target was made (now when unknown).",
    ...targets.filter((t) => t.drifted.length > 0).map((t) => `kubeplan_drift_first_seen_timestamp_seconds{${label2(t.target)}} ${Math.floor((t.firstSeen ?? now).getTime() / 1e3)}`),
    "# TYPE kubeplan_drift_check_success gauge",
    "# HELP kubeplan_drift_check_success 1 when every object of the target could be checked.",
    ...targets.map((t) => `kubeplan_drift_check_success{${label2(t.target)}} ${t.errors.length === 0 ? 1 : 0}`),
    "# EOF"
  ];
  return `${out.join("\n")}
`;
}

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
    for (const [k, m] of after) changes.push(compare2(before.get(k), m, masker, hidden));
    for (const [k, m] of before) if (!after.has(k)) changes.push(compare2(m, void 0, masker, hidden));
    return { target: name, namespace: head?.namespace ?? base?.namespace, changes, summary: countChanges(changes), hidden };
  });
}
function compare2(base, head, masker, hidden) {
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
import { mkdtemp as mkdtemp2, rm as rm2 } from "node:fs/promises";
import os4 from "node:os";
import path6 from "node:path";
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
  const parent = await mkdtemp2(path6.join(os4.tmpdir(), "kubeplan-base-"));
  const dir = path6.join(parent, "worktree");
  const added = await git(["worktree", "add", "--detach", "--quiet", dir, commit]);
  if (added.exitCode !== 0) {
    await rm2(parent, { recursive: true, force: true });
    throw new UsageError(`cannot check out ${ref} into a temporary worktree: ${String(added.stderr).trim()}`, { hint: "check the repository is not corrupt and the disk has space" });
  }
  try {
    return await fn(dir);
  } finally {
    await git(["worktree", "remove", "--force", dir]);
    await rm2(parent, { recursive: true, force: true });
  }
}

// src/core/commands/diff.ts
import { existsSync as existsSync2 } from "node:fs";
import path7 from "node:path";
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
    const relConfig = path7.relative(config.repoRoot, config.file);
    const cwd = path7.join(dir, path7.relative(config.repoRoot, path7.resolve(options.cwd)));
    let baseConfig;
    try {
      baseConfig = loadConfig(path7.join(dir, relConfig), cwd);
    } catch (error) {
      if (error instanceof ConfigError && !existsSync2(path7.join(dir, relConfig))) return [];
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
    const key2 = `${info.group}/${info.resource}/${ns ?? ""}`;
    if (!checks.has(key2)) checks.set(key2, canI(client, "patch", info, ns).catch(() => false));
  }
  const denied = (await Promise.all([...checks].map(async ([key2, allowed]) => await allowed ? void 0 : key2))).filter((k) => k !== void 0);
  if (denied.length === 0) return { mode: "server", reason: "auto: the credentials may patch every object" };
  return { mode: "client", reason: `auto: no patch permission for ${denied.slice(0, 3).join(", ")}${denied.length > 3 ? ", \u2026" : ""}, so read-only comparison` };
}

export {
  formatSource,
  renderCommand,
  summaryLine,
  objectName,
  emptyCounts,
  applyCommand,
  rollbackCommand,
  planHeader,
  planSections,
  planFooter,
  formatPlanJson,
  driftCommand,
  formatDriftMarkdown,
  diffCommand
};
