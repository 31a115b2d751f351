import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  createTwoFilesPatch
} from "./chunk-TYIG3YVF.js";
import {
  checkKustomizationTree
} from "./chunk-4NJ2LQN2.js";
import {
  DEFAULT_POLICY,
  RegistryClient,
  chooseTag,
  dockerConfig,
  loadConfig,
  newestTag,
  parseImageRef,
  require_dist
} from "./chunk-Z65K4BBT.js";
import {
  EXIT_ERROR,
  KubeplanError
} from "./chunk-4PR4VSOE.js";
import {
  __toESM
} from "./chunk-67KDASP7.js";

// src/core/commands/bump.ts
import { writeFileSync } from "node:fs";
import path4 from "node:path";

// src/core/images/bump.ts
import { createHash } from "node:crypto";
import { readFileSync as readFileSync2 } from "node:fs";
import path3 from "node:path";

// src/core/images/edit.ts
var import_yaml = __toESM(require_dist(), 1);
import { isDeepStrictEqual } from "node:util";
var EditError = class extends KubeplanError {
};
function splicesFor(ref, next, text) {
  const withDigest = next.digest !== void 0 && (next.pin || ref.digest !== void 0);
  const digest = withDigest ? next.digest : void 0;
  const out = [];
  const set = (slot, value) => {
    if (slot.value !== value) out.push({ start: slot.start, end: slot.end, text: scalarText(value, slot, text), path: slot.path, value });
  };
  const { ref: whole, tag, digest: digestSlot } = ref.slots;
  if (whole) {
    set(whole, `${ref.name}:${next.tag}${digest ? `@${digest}` : ""}`);
    return out;
  }
  if (tag) {
    const inTag = digest !== void 0 && !digestSlot && !ref.digestKeyAfter;
    set(tag, inTag ? `${next.tag}@${digest}` : next.tag);
  }
  if (digest !== void 0 && digestSlot) set(digestSlot, digest);
  if (digest !== void 0 && !digestSlot && ref.digestKeyAfter) {
    const after = ref.digestKeyAfter;
    if (after.flow) {
      out.push({ start: after.end, end: after.end, text: `, digest: ${digest}`, path: [...after.path.slice(0, -1), "digest"], value: digest });
    } else {
      const lineEnd = text.indexOf("\n", after.end);
      const at = lineEnd === -1 ? text.length : lineEnd;
      const newline = text[at - 1] === "\r" ? "\r\n" : "\n";
      const start = text[at - 1] === "\r" ? at - 1 : at;
      out.push({ start, end: start, text: `${newline}${after.indent}digest: ${digest}`, path: [...after.path.slice(0, -1), "digest"], value: digest });
    }
  }
  return out;
}
function scalarText(value, slot, text) {
  const original = text.slice(slot.start, slot.end);
  if (slot.style === "single") return `'${value.replaceAll("'", "''")}'`;
  if (slot.style === "double" || original.startsWith('"')) return JSON.stringify(value);
  let readBack;
  try {
    readBack = (0, import_yaml.parse)(`k: ${value}`)?.k;
  } catch {
    readBack = void 0;
  }
  return readBack === value ? value : JSON.stringify(value);
}
function applySplices(file, text, splices) {
  const ordered = dedupeSplices(splices).sort((a, b) => b.start - a.start);
  let out = text;
  for (const s of ordered) out = out.slice(0, s.start) + s.text + out.slice(s.end);
  const afterDocs = (0, import_yaml.parseAllDocuments)(out);
  const broken = afterDocs.find((d) => d.errors.length > 0);
  if (broken) throw new EditError(`the edit would break the YAML: ${broken.errors[0].message.split("\n")[0]}`, { where: file, hint: "report this as a kubeplan bug with the file attached; nothing was written" });
  const after = afterDocs.map((d) => d.toJS({ maxAliasCount: 100 }));
  const original = originalOf(text);
  let expected;
  if (original.aliases) {
    const model = (0, import_yaml.parseAllDocuments)(text);
    for (const s of ordered) setAt(model, s.path, s.value);
    expected = model.map((d) => d.toJS({ maxAliasCount: 100 }));
  } else {
    expected = structuredClone(original.values);
    for (const s of ordered) setPlain(expected, s.path, s.value);
  }
  const normalize = (docs) => JSON.parse(JSON.stringify(docs, (_k, v) => typeof v === "number" || typeof v === "boolean" ? String(v) : v));
  if (!isDeepStrictEqual(normalize(after), normalize(expected))) {
    throw new EditError("the edit would change more than the image version (an anchor or alias shares the value?)", {
      where: file,
      hint: "edit this file by hand, or give the shared value its own key; nothing was written"
    });
  }
  return out;
}
function dedupeSplices(splices) {
  const seen = /* @__PURE__ */ new Map();
  for (const s of splices) {
    const key = `${s.start}:${s.end}`;
    const prior = seen.get(key);
    if (prior && prior.text !== s.text) throw new EditError("two references want different values in the same place", { where: String(s.path), hint: "report this as a kubeplan bug" });
    seen.set(key, s);
  }
  return [...seen.values()];
}
var originals = /* @__PURE__ */ new Map();
function originalOf(text) {
  let o = originals.get(text);
  if (!o) {
    const docs = (0, import_yaml.parseAllDocuments)(text);
    let aliases = false;
    for (const d of docs) {
      (0, import_yaml.visit)(d, {
        Alias() {
          aliases = true;
          return import_yaml.visit.BREAK;
        }
      });
    }
    o = { values: docs.map((d) => d.toJS({ maxAliasCount: 100 })), aliases };
    if (originals.size > 1e3) originals.clear();
    originals.set(text, o);
  }
  return o;
}
function setPlain(docs, at, value) {
  const [index, ...keys] = at;
  if (keys.length === 0) {
    docs[Number(index)] = value;
    return;
  }
  let node = docs[Number(index)];
  for (const k of keys.slice(0, -1)) node = node[k];
  node[keys.at(-1)] = value;
}
function setAt(docs, at, value) {
  const [index, ...keys] = at;
  const doc = docs[Number(index)];
  const node = keys.length === 0 ? doc.contents : doc.getIn(keys, true);
  if ((0, import_yaml.isScalar)(node)) {
    node.value = value;
    return;
  }
  const parent = doc.getIn(keys.slice(0, -1), true);
  if ((0, import_yaml.isMap)(parent)) parent.set(keys.at(-1), value);
  else throw new EditError(`cannot find the value at ${keys.join(".")}`, { hint: "report this as a kubeplan bug" });
}

// src/core/images/references.ts
var import_yaml2 = __toESM(require_dist(), 1);
import { readdirSync, readFileSync, statSync } from "node:fs";
import path2 from "node:path";

// src/core/config/affected.ts
import path from "node:path";
function targetInputs(target, config) {
  const rel = (abs) => path.relative(config.repoRoot, abs).split(path.sep).join("/");
  const source = target.source;
  const kustomizeFolders = (dir) => {
    try {
      return checkKustomizationTree(target, dir, config.repoRoot, { allowExecPlugins: true, allowHelmCharts: true, allowRemoteResources: true }).folders.map(rel);
    } catch {
      return void 0;
    }
  };
  switch (source.type) {
    case "manifests":
      return [source.dir.rel];
    case "kustomize":
      return kustomizeFolders(source.dir.abs);
    case "helm": {
      const inputs = source.values.map((v) => v.rel);
      if (source.chart.kind === "local") inputs.push(source.chart.path.rel);
      if (source.postRender) {
        const folders = kustomizeFolders(source.postRender.abs);
        if (!folders) return void 0;
        inputs.push(...folders);
      }
      return inputs;
    }
  }
}
function affectedTargets(config, changedFiles) {
  const configFile = path.relative(config.repoRoot, config.file).split(path.sep).join("/");
  if (changedFiles.includes(configFile)) return config.targets.map((t) => t.name);
  return config.targets.filter((t) => {
    const inputs = targetInputs(t, config);
    if (!inputs) return true;
    return changedFiles.some((f) => inputs.some((i) => i === "." || f === i || f.startsWith(`${i}/`)));
  }).map((t) => t.name);
}

// src/core/images/references.ts
var KUSTOMIZATION = /^(kustomization\.ya?ml|Kustomization)$/;
var YAML_FILE = /\.ya?ml$/;
var IMAGE_NAME = /^(?:[a-z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*$/i;
var TAG = /^[\w][\w.-]{0,127}$/;
var DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-f0-9]{32,}$/;
var FLUX_MARKER = /\{\s*"\$imagepolicy"\s*:\s*"([^"]+)"\s*\}/;
var RENOVATE_MARKER = /#\s*renovate:\s*(.*)$/;
function sourceFiles(config) {
  const files = /* @__PURE__ */ new Set();
  const add = (rel) => {
    const abs = path2.join(config.repoRoot, rel);
    let stat;
    try {
      stat = statSync(abs);
    } catch {
      return;
    }
    if (stat.isFile()) {
      if (YAML_FILE.test(rel)) files.add(rel);
      return;
    }
    for (const entry of readdirSync(abs, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !YAML_FILE.test(entry.name)) continue;
      const file = path2.relative(config.repoRoot, path2.join(entry.parentPath, entry.name)).split(path2.sep).join("/");
      if (/(^|\/)(templates|crds)\//.test(file.slice(rel.length)) || /(^|\/)Chart\.(ya?ml|lock)$/.test(file)) continue;
      files.add(file);
    }
  };
  for (const target of config.targets) {
    const source = target.source;
    if (source.type === "helm" && source.chart.kind === "local") add(source.chart.path.rel);
    for (const input of targetInputs(target, config) ?? []) add(input);
  }
  return [...files].sort();
}
function findReferences(config) {
  const files = sourceFiles(config);
  const parsed = /* @__PURE__ */ new Map();
  const skipped = [];
  for (const file of files) {
    const result = parseFile(path2.join(config.repoRoot, file));
    if (typeof result === "string") skipped.push({ file, reason: result });
    else parsed.set(file, result);
  }
  const fluxPolicies = readFluxPolicies(parsed);
  const chartDefaults = /* @__PURE__ */ new Map();
  for (const target of config.targets) {
    const s = target.source;
    if (s.type !== "helm") continue;
    const layers = [];
    if (s.chart.kind === "local") {
      const chartValues = parsed.get(`${s.chart.path.rel === "." ? "" : `${s.chart.path.rel}/`}values.yaml`);
      if (chartValues) layers.push(chartValues);
    }
    for (const v of s.values) {
      const prior = chartDefaults.get(v.rel) ?? [];
      chartDefaults.set(v.rel, [...prior, ...layers.filter((l) => !prior.includes(l))]);
      const own = parsed.get(v.rel);
      if (own) layers.push(own);
    }
  }
  const references = [];
  for (const [file, p] of parsed) {
    references.push(...scanFile(file, p, chartDefaults.get(file) ?? [], fluxPolicies));
  }
  return { references, skipped, files };
}
function parseFile(abs) {
  let text;
  try {
    text = readFileSync(abs, "utf8");
  } catch (error) {
    return `cannot read (${error.code})`;
  }
  const lines = new import_yaml2.LineCounter();
  const docs = (0, import_yaml2.parseAllDocuments)(text, { lineCounter: lines, keepSourceTokens: false });
  if (!Array.isArray(docs)) return "empty";
  const broken = docs.find((d) => d.errors.length > 0);
  if (broken) return `not YAML: ${broken.errors[0].message.split("\n")[0]}`;
  return { text, docs, values: docs.map((d) => d.toJS({ maxAliasCount: 100 })), lines };
}
function slotOf(node, p, at) {
  if (!node.range || node.type === "BLOCK_LITERAL" || node.type === "BLOCK_FOLDED") return void 0;
  const [start, end] = node.range;
  const style = node.type === "QUOTE_DOUBLE" ? "double" : node.type === "QUOTE_SINGLE" ? "single" : "plain";
  if (node.value === null || typeof node.value === "object") return void 0;
  return { start, end, style, path: at, value: String(node.value), line: p.lines.linePos(start).line };
}
function scalarAt(map, key) {
  const pair = map.items.find((i) => (0, import_yaml2.isScalar)(i.key) && i.key.value === key);
  return pair && (0, import_yaml2.isScalar)(pair.value) ? pair.value : void 0;
}
function splitReference(value) {
  if (value.includes("{{") || /\s/.test(value)) return void 0;
  let rest = value;
  let digest;
  const at = rest.indexOf("@");
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return void 0;
  }
  let tag;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return void 0;
  }
  if (!IMAGE_NAME.test(rest)) return void 0;
  return { name: rest, tag, digest };
}
function keyOf(name) {
  const ref = parseImageRef(name);
  return `${ref.registry}/${ref.repository}`;
}
function splitTag(value) {
  const at = value.indexOf("@");
  return at === -1 ? { tag: value, digest: void 0 } : { tag: value.slice(0, at) || void 0, digest: value.slice(at + 1) };
}
function currentOf(tag, digest) {
  return `${tag ?? ""}${digest ? `@${digest}` : ""}`;
}
function readFluxPolicies(parsed) {
  const repos = /* @__PURE__ */ new Map();
  const policies = [];
  for (const p of parsed.values()) {
    for (const value of p.values) {
      const o = value;
      if (!o || typeof o !== "object" || !String(o.apiVersion ?? "").startsWith("image.toolkit.fluxcd.io/")) continue;
      const namespace = o.metadata?.namespace ?? "flux-system";
      if (o.kind === "ImageRepository" && typeof o.spec?.image === "string") repos.set(`${namespace}:${o.metadata?.name}`, o.spec.image);
      if (o.kind === "ImagePolicy") {
        const ref = o.spec?.imageRepositoryRef ?? {};
        policies.push({ id: `${namespace}:${o.metadata?.name}`, namespace, repo: `${ref.namespace ?? namespace}:${ref.name}`, spec: o.spec ?? {} });
      }
    }
  }
  const out = /* @__PURE__ */ new Map();
  for (const p of policies) {
    const rules = p.spec.policy ?? {};
    const filter = p.spec.filterTags ?? {};
    let policy;
    if (rules.semver?.range) policy = { semver: String(rules.semver.range) };
    else if (rules.numerical || rules.alphabetical) {
      const order = rules.numerical ? "numerical" : "alphabetical";
      const descending = (rules.numerical ?? rules.alphabetical).order === "desc";
      policy = descending ? void 0 : { pattern: filter.pattern ?? ".*", extract: filter.extract, order };
    }
    out.set(p.id, { image: repos.get(p.repo), policy });
  }
  return out;
}
function scanFile(file, p, defaults, flux) {
  const found = [];
  const kustomization = KUSTOMIZATION.test(path2.basename(file));
  const scalarsByLine = /* @__PURE__ */ new Map();
  const walk = (node, at, parent) => {
    if (!node || (0, import_yaml2.isAlias)(node)) return;
    if ((0, import_yaml2.isScalar)(node)) {
      if (node.range) {
        const line = p.lines.linePos(node.range[0]).line;
        const list = scalarsByLine.get(line) ?? [];
        list.push({ node, at, parent });
        scalarsByLine.set(line, list);
      }
      return;
    }
    if ((0, import_yaml2.isSeq)(node)) {
      node.items.forEach((item, i) => walk(item, [...at, i], void 0));
      return;
    }
    if (!(0, import_yaml2.isMap)(node)) return;
    const map = node;
    visitMap(map, at);
    for (const item of map.items) {
      if (!(0, import_yaml2.isPair)(item) || !(0, import_yaml2.isScalar)(item.key)) continue;
      walk(item.value, [...at, String(item.key.value)], map);
    }
  };
  const visitMap = (map, at) => {
    const image = scalarAt(map, "image");
    if (image && typeof image.value === "string") {
      const parts = splitReference(image.value);
      const slot = slotOf(image, p, [...at, "image"]);
      if (parts && slot && (parts.tag || parts.digest)) {
        found.push({ file, line: slot.line, kind: "image", name: parts.name, key: keyOf(parts.name), current: currentOf(parts.tag, parts.digest), tag: parts.tag, digest: parts.digest, slots: { ref: slot } });
      }
    }
    const repository = scalarAt(map, "repository");
    const tag = scalarAt(map, "tag");
    const digest = scalarAt(map, "digest");
    if (!kustomization && (repository || tag || digest) && (tag || digest)) {
      const fallback = (key) => repository ? void 0 : lookup(defaults, at, key);
      const repoValue = repository?.value ?? fallback("repository");
      const registryValue = scalarAt(map, "registry")?.value ?? (repository ? void 0 : lookup(defaults, at, "registry"));
      if (typeof repoValue === "string" && IMAGE_NAME.test(repoValue) && (registryValue === void 0 || registryValue === null || typeof registryValue === "string")) {
        const name = registryValue ? `${registryValue}/${repoValue}` : repoValue;
        const tagSlot = tag && slotOf(tag, p, [...at, "tag"]);
        const digestSlot = digest && slotOf(digest, p, [...at, "digest"]);
        const t = tagSlot ? splitTag(tagSlot.value) : { tag: void 0, digest: void 0 };
        const d = digestSlot?.value || t.digest;
        if ((tagSlot || digestSlot) && (t.tag === void 0 || TAG.test(t.tag))) {
          found.push({
            file,
            line: (tagSlot || digestSlot).line,
            kind: "values map",
            name,
            key: keyOf(name),
            current: currentOf(t.tag, d),
            tag: t.tag,
            digest: d || void 0,
            slots: { ...tagSlot ? { tag: tagSlot } : {}, ...digestSlot ? { digest: digestSlot } : {} }
          });
        }
      }
    }
  };
  p.docs.forEach((doc, i) => walk(doc.contents, [i], void 0));
  if (kustomization) {
    p.docs.forEach((doc, i) => {
      const images = (0, import_yaml2.isMap)(doc.contents) ? doc.contents.get("images", true) : void 0;
      if (!(0, import_yaml2.isSeq)(images)) return;
      images.items.forEach((entry, j) => {
        if (!(0, import_yaml2.isMap)(entry)) return;
        const at = [i, "images", j];
        const name = scalarAt(entry, "newName")?.value ?? scalarAt(entry, "name")?.value;
        const newTag = scalarAt(entry, "newTag");
        const digest = scalarAt(entry, "digest");
        if (typeof name !== "string" || !IMAGE_NAME.test(name) || !newTag && !digest) return;
        const tagSlot = newTag && slotOf(newTag, p, [...at, "newTag"]);
        const digestSlot = digest && slotOf(digest, p, [...at, "digest"]);
        if (!tagSlot && !digestSlot) return;
        const reference = {
          file,
          line: (tagSlot || digestSlot).line,
          kind: "kustomize images",
          name,
          key: keyOf(name),
          current: currentOf(tagSlot?.value, digestSlot?.value),
          tag: tagSlot?.value,
          digest: digestSlot?.value,
          slots: { ...tagSlot ? { tag: tagSlot } : {}, ...digestSlot ? { digest: digestSlot } : {} }
        };
        if (tagSlot && !digestSlot) {
          const lineStart = p.text.lastIndexOf("\n", tagSlot.start - 1) + 1;
          const keyStart = p.text.slice(lineStart, tagSlot.start).search(/newTag\s*:/);
          const indent = p.text.slice(lineStart, lineStart + keyStart).replace(/[^ ]/g, " ");
          reference.digestKeyAfter = { ...tagSlot, indent, flow: entry.flow === true };
        }
        found.push(reference);
      });
    });
  }
  const lines = p.text.split("\n");
  lines.forEach((lineText, index) => {
    const line = index + 1;
    const flux2 = FLUX_MARKER.exec(lineText);
    if (flux2 && lineText.indexOf("#") !== -1 && lineText.indexOf("#") < flux2.index) {
      const [id, field] = splitFluxPolicy(flux2[1]);
      const scalar = scalarsByLine.get(line)?.at(-1);
      if (scalar) found.push(...fluxReference(file, p, scalar, id, field, flux2, scalarsByLine));
    }
    const renovate = RENOVATE_MARKER.exec(lineText);
    if (renovate && lineText.trim().startsWith("#")) {
      const params = Object.fromEntries([...renovate[1].matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
      if ((params.datasource ?? "docker") !== "docker" || !params.depName) return;
      let next = line + 1;
      while (next <= lines.length && (lines[next - 1].trim() === "" || lines[next - 1].trim().startsWith("#"))) next++;
      const scalar = scalarsByLine.get(next)?.at(-1);
      const slot = scalar && slotOf(scalar.node, p, scalar.at);
      if (!slot) return;
      const parts = splitReference(slot.value);
      const whole = parts && keyOf(parts.name) === keyOf(params.depName);
      const t = whole ? { tag: parts.tag, digest: parts.digest } : splitTag(slot.value);
      if (t.tag !== void 0 && !TAG.test(t.tag)) return;
      found.push({
        file,
        line: slot.line,
        kind: "renovate marker",
        name: params.depName,
        key: keyOf(params.depName),
        current: currentOf(t.tag, t.digest),
        tag: t.tag,
        digest: t.digest,
        slots: whole ? { ref: slot } : { tag: slot }
      });
    }
  });
  function fluxReference(file2, p2, scalar, id, field, marker, byLine) {
    const slot = slotOf(scalar.node, p2, scalar.at);
    if (!slot || field === "name") return [];
    const known = flux.get(id);
    const base = { file: file2, line: slot.line, kind: "flux marker", fluxPolicy: id, ...known?.policy ? { policy: known.policy } : {} };
    if (field === void 0) {
      const parts = splitReference(slot.value);
      if (!parts) return [];
      return [{ ...base, name: parts.name, key: keyOf(parts.name), current: currentOf(parts.tag, parts.digest), tag: parts.tag, digest: parts.digest, slots: { ref: slot } }];
    }
    let name = known?.image;
    for (const [line, entries] of byLine) {
      const text = lines[line - 1] ?? "";
      const m = FLUX_MARKER.exec(text);
      if (m && m[0] !== marker[0] && splitFluxPolicy(m[1])[0] === id && splitFluxPolicy(m[1])[1] === "name") name = String(entries.at(-1).node.value);
    }
    const sibling = scalar.parent && scalarAt(scalar.parent, "repository")?.value;
    if (!name && typeof sibling === "string") name = sibling;
    if (!name || !IMAGE_NAME.test(name)) return [];
    const t = field === "digest" ? { tag: void 0, digest: slot.value } : splitTag(slot.value);
    return [{ ...base, name, key: keyOf(name), current: currentOf(t.tag, t.digest), tag: t.tag, digest: t.digest, slots: field === "digest" ? { digest: slot } : { tag: slot } }];
  }
  return dedupe(found);
}
function splitFluxPolicy(value) {
  const parts = value.split(":");
  return parts.length >= 3 ? [`${parts[0]}:${parts[1]}`, parts[2]] : [value, void 0];
}
function dedupe(found) {
  const bySlot = /* @__PURE__ */ new Map();
  const out = [];
  const rank = (r) => r.kind === "flux marker" ? 2 : r.kind === "renovate marker" ? 1 : 0;
  for (const r of found) {
    const starts = Object.values(r.slots).map((s) => s.start);
    const clash = starts.map((s) => bySlot.get(s)).find((x) => x !== void 0);
    if (clash) {
      if (rank(r) > rank(clash)) {
        out[out.indexOf(clash)] = r;
        for (const s of starts) bySlot.set(s, r);
      }
      continue;
    }
    out.push(r);
    for (const s of starts) bySlot.set(s, r);
  }
  return out.sort((a, b) => a.line - b.line);
}
function lookup(layers, at, key) {
  for (const layer of [...layers].reverse()) {
    let value = layer.values[0];
    for (const k of [...at.slice(1), key]) value = value && typeof value === "object" ? value[k] : void 0;
    if (value !== void 0) return value;
  }
  return void 0;
}

// src/core/images/bump.ts
async function planBumps(config, request, registry) {
  const scan = findReferences(config);
  const units = /* @__PURE__ */ new Map();
  for (const ref of scan.references) {
    const entries = config.images.filter((i) => i.key === ref.key);
    const entry = entries.find((e) => e.files?.match.some((re) => re.test(ref.file))) ?? entries.find((e) => !e.files);
    const id = entry?.files ? `${ref.key}#${createHash("sha256").update(entry.files.globs.join("\n")).digest("hex").slice(0, 8)}` : ref.key;
    const unit = units.get(id) ?? { key: ref.key, entry, refs: [] };
    unit.refs.push(ref);
    units.set(id, unit);
  }
  const keyOf2 = (name) => {
    const r = parseImageRef(name);
    return `${r.registry}/${r.repository}`;
  };
  const known = new Set(scan.references.map((r) => r.key));
  let ids = [...units.keys()];
  const wanted = request.dispatch ? [request.dispatch.image] : request.only;
  if (wanted.length > 0) {
    const missing = wanted.filter((w) => !known.has(keyOf2(w)));
    if (missing.length > 0) {
      throw new KubeplanError(`no reference to ${missing.join(", ")} in the files of ${path3.relative(process.cwd(), config.file) || config.file}'s targets`, {
        where: missing.join(", "),
        hint: `check the image name (the repository finds: ${[...new Set(scan.references.map((r) => r.name))].sort().join(", ") || "no images"})`
      });
    }
    const keys = new Set(wanted.map(keyOf2));
    ids = ids.filter((id) => keys.has(units.get(id).key));
  }
  const texts = /* @__PURE__ */ new Map();
  const textOf = (file) => {
    let text = texts.get(file);
    if (text === void 0) texts.set(file, text = readFileSync2(path3.join(config.repoRoot, file), "utf8"));
    return text;
  };
  const images = await Promise.all(ids.sort().map((id) => planImage(id, units.get(id).key, units.get(id).refs, units.get(id).entry, request, registry, textOf)));
  return { images, skippedFiles: scan.skipped, filesScanned: scan.files.length, textOf };
}
async function planImage(id, key, refs, configured, request, registry, textOf) {
  const flux = refs.find((r) => r.policy)?.policy;
  const policy = configured?.rules ? { source: "kubeplan.yaml", rules: configured.rules } : flux ? { source: "flux", rules: { policy: flux, exclude: [] } } : { source: "default", rules: { policy: DEFAULT_POLICY, exclude: [] } };
  const ref = parseImageRef(key);
  const tags = refs.map((r) => r.tag).filter((t) => t !== void 0);
  const from = newestTag(tags, policy.rules.policy);
  const pin = configured?.pin ?? false;
  const bump = {
    image: configured?.name ?? refs[0].name,
    key,
    id,
    files: configured?.files?.globs,
    group: configured?.group,
    policy,
    pin,
    references: refs.map((r) => ({ file: r.file, line: r.line, kind: r.kind, current: r.current, to: void 0 })),
    status: "current",
    reason: void 0,
    from,
    to: void 0,
    edits: [],
    requests: 0,
    candidates: void 0,
    splices: /* @__PURE__ */ new Map()
  };
  const finish = (status, reason) => {
    bump.status = status;
    bump.reason = reason;
    bump.requests = registry.requestsFor(ref);
    return bump;
  };
  if (configured?.skip) return finish("skipped", `skip: true in kubeplan.yaml (${configured.where})`);
  if (from === void 0) return finish("skipped", "only digest references: kubeplan cannot tell their version (write the tag next to the digest, tag@sha256:\u2026)");
  try {
    const dispatch = request.dispatch;
    let target;
    let digest;
    if (dispatch) {
      digest = await registry.digestOf(ref, dispatch.tag);
      if (!digest) throw new KubeplanError(`tag ${dispatch.tag} does not exist`, { where: key, hint: "push the image before announcing it, or check the tag" });
      if (dispatch.digest && dispatch.digest !== digest) {
        throw new KubeplanError(`tag ${dispatch.tag} points at ${digest}, not the announced ${dispatch.digest}`, { where: key, hint: "the tag moved since it was announced; announce the digest it has now, or push again" });
      }
      const choice = chooseTag(from, [from, dispatch.tag], policy.rules);
      if (request.explain) bump.candidates = choice.candidates;
      const rejected = choice.candidates.find((c) => c.tag === dispatch.tag)?.rejected;
      if (dispatch.tag === from || rejected === "same version") return finish("current");
      if (!choice.tag) return finish("skipped", `${dispatch.tag} is not allowed by the policy (${rejected}); the references stay at ${from}`);
      target = choice.tag;
    } else {
      const listed = await registry.listTags(ref);
      const choice = chooseTag(from, listed, policy.rules);
      if (request.explain) bump.candidates = choice.candidates;
      target = choice.tag;
      if (!target) return finish("current");
      if (pin || refs.some((r) => r.digest !== void 0)) {
        digest = await registry.digestOf(ref, target);
        if (!digest) throw new KubeplanError(`tag ${target} was listed but its manifest is gone`, { where: key, hint: "retry; the tag was deleted while kubeplan ran" });
      }
    }
    bump.to = { tag: target, digest };
    const next = { tag: target, digest, pin };
    for (const [i, r] of refs.entries()) {
      const splices = splicesFor(r, next, textOf(r.file));
      if (splices.length === 0) continue;
      bump.references[i].to = `${target}${digest && (pin || r.digest) ? `@${digest}` : ""}`;
      bump.splices.set(r.file, [...bump.splices.get(r.file) ?? [], ...splices]);
    }
    bump.edits = editsOf([bump], textOf);
    return finish(bump.edits.length > 0 ? "bump" : "current");
  } catch (error) {
    if (!(error instanceof KubeplanError)) throw error;
    return finish("error", `${error.message}${error.hint ? ` (${error.hint})` : ""}`);
  }
}
function editsOf(bumps, textOf) {
  const byFile = /* @__PURE__ */ new Map();
  for (const b of bumps) for (const [file, splices] of b.splices) byFile.set(file, [...byFile.get(file) ?? [], ...splices]);
  return [...byFile.keys()].sort().map((file) => {
    const before = textOf(file);
    const after = applySplices(file, before, byFile.get(file));
    return { file, before, after, diff: createTwoFilesPatch(`a/${file}`, `b/${file}`, before, after, void 0, void 0, { context: 2 }) };
  });
}

// src/core/report/bump.ts
function bumpSummary(plan) {
  const count = (s) => plan.images.filter((i) => i.status === s).length;
  return { bump: count("bump"), current: count("current"), skipped: count("skipped"), error: count("error") };
}
function describePolicy(policy) {
  if ("semver" in policy) return `semver ${policy.semver}`;
  return `pattern ${policy.pattern}${policy.extract ? ` extract ${policy.extract}` : ""} (${policy.order ?? "numerical"})`;
}
function formatBumpJson(report) {
  const { plan } = report;
  return `${JSON.stringify(
    {
      version: 1,
      mode: report.mode,
      summary: bumpSummary(plan),
      images: plan.images.map((i) => ({
        image: i.image,
        key: i.key,
        files: i.files ?? null,
        group: i.group ?? null,
        status: i.status,
        reason: i.reason ?? null,
        from: i.from ?? null,
        to: i.to ? { tag: i.to.tag, digest: i.to.digest ?? null } : null,
        policy: { source: i.policy.source, ...i.policy.rules.policy, exclude: i.policy.rules.exclude, pin: i.pin ? "digest" : null },
        requests: i.requests,
        references: i.references.map((r) => ({ file: r.file, line: r.line, kind: r.kind, current: r.current, to: r.to ?? null })),
        edits: i.edits.map((e) => ({ file: e.file, diff: e.diff })),
        ...i.candidates ? { candidates: i.candidates.map((c) => ({ tag: c.tag, rejected: c.rejected ?? null })) } : {}
      })),
      ...plan.skippedFiles.length > 0 ? { skippedFiles: plan.skippedFiles } : {},
      written: report.written,
      pullRequests: report.pullRequests
    },
    null,
    2
  )}
`;
}
function formatBumpText(report, options) {
  const { plan } = report;
  const out = [];
  const width = Math.max(0, ...plan.images.flatMap((i) => i.references.map((r) => `${r.file}:${r.line}`.length)));
  for (const i of plan.images) {
    const requests = `${i.requests} registry request${i.requests === 1 ? "" : "s"}`;
    const policy = `${describePolicy(i.policy.rules.policy)}${i.policy.source === "default" ? ", the default" : i.policy.source === "flux" ? ", from a Flux ImagePolicy" : ""}`;
    const head = i.status === "bump" ? `${i.from} \u2192 ${i.to.tag}${i.to.digest ? `@${i.to.digest}` : ""}` : i.status === "current" ? `current (${i.from})` : i.status === "skipped" ? `skipped: ${i.reason}` : `error: ${i.reason}`;
    out.push(`${i.image}${i.files ? ` (in ${i.files.join(", ")})` : ""}: ${head}  [${policy}; ${requests}]`);
    for (const r of i.references) {
      out.push(`  ${`${r.file}:${r.line}`.padEnd(width)}  ${r.kind.padEnd(16)} ${r.current}${r.to ? ` \u2192 ${r.to}` : ""}`);
    }
    if (options.explain && i.candidates) {
      out.push("  candidates:");
      for (const c of i.candidates) out.push(`    ${c.tag.padEnd(24)} ${c.rejected ?? (c.tag === i.to?.tag ? "chosen" : "current")}`);
    }
  }
  if (options.explain && plan.skippedFiles.length > 0) {
    out.push("files not read:");
    for (const f of plan.skippedFiles) out.push(`  ${f.file}: ${f.reason}`);
  }
  if (report.edits.length > 0 && report.mode !== "pull-requests") {
    out.push("");
    for (const e of report.edits) out.push(e.diff.replace(/^=+\n/, "").replace(/\n$/, ""));
  }
  for (const pr of report.pullRequests) {
    out.push(`${pr.branch}: ${pr.action}${pr.url ? ` ${pr.url}` : ""}${pr.reason ? ` (${pr.reason})` : ""}`);
  }
  for (const f of report.written) out.push(`wrote ${f}`);
  const s = bumpSummary(plan);
  out.push(`${s.bump} to bump, ${s.current} current, ${s.skipped} skipped, ${s.error} failed${report.mode === "dry-run" ? " (dry run: nothing written)" : ""}`);
  return `${out.join("\n")}
`;
}

// src/core/images/publish.ts
var MARKER = /<!-- kubeplan:bump (\{.*?\}) -->/;
function readState(body) {
  const m = MARKER.exec(body);
  if (!m) return void 0;
  try {
    const state = JSON.parse(m[1]);
    return Array.isArray(state.images) ? state : void 0;
  } catch {
    return void 0;
  }
}
var sameState = (a, b) => a !== void 0 && JSON.stringify([...a.images].sort((x, y) => x.key.localeCompare(y.key))) === JSON.stringify([...b.images].sort((x, y) => x.key.localeCompare(y.key)));
function branchSlug(name) {
  return name.toLowerCase().replace(/[^a-z0-9.]+/g, "-").replace(/^[-.]+|[-.]+$/g, "");
}
function bumpChanges(plan, config) {
  const groups = /* @__PURE__ */ new Map();
  for (const image of plan.images.filter((i) => i.status === "bump")) {
    const name = image.group ?? (image.id === image.key ? branchSlug(image.image) : `${branchSlug(image.image)}-${image.id.split("#")[1]}`);
    groups.set(name, [...groups.get(name) ?? [], image]);
  }
  return [...groups].map(([name, images]) => {
    const files = editsOf(images, plan.textOf);
    const state = { images: images.map((i) => ({ key: i.id, to: versionText(i) })) };
    const title = images.length === 1 ? `Bump ${images[0].image} from ${images[0].from} to ${images[0].to.tag}` : `Bump ${name}: ${images.map((i) => `${shortName(i.image)} ${i.to.tag}`).join(", ")}`;
    return { branch: `${config.bump.branchPrefix}${name}`, title, body: pullBody(images, files, state), commitMessage: `${title}

Opened by kubeplan bump.`, files, labels: config.bump.labels, state };
  });
}
function versionText(i) {
  return `${i.to.tag}${i.to.digest ? `@${i.to.digest}` : ""}`;
}
function shortName(name) {
  return name.split("/").at(-1);
}
function registryLink(key) {
  const ref = parseImageRef(key);
  if (ref.registry === "registry-1.docker.io") {
    return ref.repository.startsWith("library/") ? `https://hub.docker.com/_/${ref.repository.slice(8)}` : `https://hub.docker.com/r/${ref.repository}`;
  }
  const loopback = /^(localhost|127\.|\[::1\])/.test(ref.registry);
  return `${loopback ? "http" : "https"}://${ref.registry}/${ref.repository}`;
}
function pullBody(images, files, state) {
  const rows = images.map((i) => {
    const where = i.references.filter((r) => r.to).map((r) => `\`${r.file}:${r.line}\``);
    return `| [${i.image}](${registryLink(i.key)}) | \`${i.from}\` | \`${i.to.tag}\` | ${where.join("<br>")} | ${i.to.digest ? `\`${i.to.digest}\`` : "\u2013"} |`;
  });
  const policies = images.map((i) => `\`${i.image}\`: ${describePolicy(i.policy.rules.policy)}${i.policy.source === "default" ? " (the default)" : i.policy.source === "flux" ? " (Flux ImagePolicy)" : ""}`);
  const diff = files.map((f) => f.diff.replace(/^=+\n/, "")).join("");
  const fence = "`".repeat(Math.max(3, ...[...diff.matchAll(/`+/g)].map((m) => m[0].length + 1)));
  return [
    `kubeplan found newer image versions:`,
    "",
    "| Image | From | To | Where | Digest |",
    "|---|---|---|---|---|",
    ...rows,
    "",
    `Policy: ${policies.join("; ")}. A newer version updates this pull request in place; closing it without merging skips this version.`,
    "",
    `<details><summary>Edits (${files.length} file${files.length === 1 ? "" : "s"})</summary>`,
    "",
    `${fence}diff`,
    diff.replace(/\n$/, ""),
    fence,
    "",
    "</details>",
    "",
    `<!-- kubeplan:bump ${JSON.stringify(state)} -->`,
    ""
  ].join("\n");
}
async function publishBumps(plan, config, publisher, options) {
  const changes = bumpChanges(plan, config);
  const pulls = await publisher.findPulls(config.bump.branchPrefix, changes.map((c) => c.branch));
  const outcomes = [];
  for (const change of changes) {
    const images = change.state.images.map((i) => i.key);
    try {
      const mine = pulls.filter((p) => p.branch === change.branch);
      const open = mine.find((p) => p.state === "open");
      const declined = mine.find((p) => p.state === "closed" && !p.merged && sameState(readState(p.body), change.state));
      if (!open && declined) {
        outcomes.push({ branch: change.branch, images, action: "skipped", number: declined.number, url: declined.url, reason: `#${declined.number} for these versions was closed without merging` });
        continue;
      }
      const pushed = await publisher.pushBranch(change.branch, change.files, change.commitMessage);
      if (open) {
        const same = open.title === change.title && open.body === change.body;
        if (!same) await publisher.updatePull(open.number, change);
        outcomes.push({ branch: change.branch, images, action: same && pushed === "unchanged" ? "unchanged" : "updated", number: open.number, url: open.url });
      } else {
        const created = await publisher.createPull(change);
        outcomes.push({ branch: change.branch, images, action: "created", ...created });
      }
    } catch (error) {
      if (!(error instanceof KubeplanError)) throw error;
      outcomes.push({ branch: change.branch, images, action: "error", reason: `${error.message}${error.hint ? ` (${error.hint})` : ""}` });
    }
  }
  const looked = new Map(plan.images.map((i) => [i.id, i]));
  for (const pull of pulls.filter((p) => options.closeStale && p.state === "open" && !changes.some((c) => c.branch === p.branch))) {
    const state = readState(pull.body);
    if (!state || state.images.length === 0) continue;
    const images = state.images.map((i) => looked.get(i.key));
    const elsewhere = changes.find((c) => state.images.some((s) => c.state.images.some((x) => x.key === s.key)));
    const settled = images.every((i) => i !== void 0 && (i.status === "current" || i.status === "bump" && elsewhere !== void 0));
    if (!settled) continue;
    const successor = elsewhere && outcomes.find((o) => o.branch === elsewhere.branch && o.number !== void 0);
    const why = successor ? `Superseded by #${successor.number} (${elsewhere.title}).` : `No longer needed: ${images.map((i) => `${i.image} is at ${i.from}, the newest version its policy allows`).join("; ")}.`;
    try {
      await publisher.closePull(pull.number, `${why} Closed by kubeplan bump.`);
      outcomes.push({ branch: pull.branch, images: state.images.map((i) => i.key), action: "closed", number: pull.number, url: pull.url, reason: why });
    } catch (error) {
      if (!(error instanceof KubeplanError)) throw error;
      outcomes.push({ branch: pull.branch, images: state.images.map((i) => i.key), action: "error", number: pull.number, reason: error.message });
    }
  }
  return outcomes;
}

// src/core/commands/bump.ts
async function bumpCommand(options) {
  const config = loadConfig(options.config, options.cwd);
  const registries = [
    ...options.endpoints.map((e) => ({ host: e.host, insecure: false, endpoint: e.endpoint })),
    ...config.registries.filter((r) => !options.endpoints.some((e) => e.host === r.host))
  ];
  const docker = dockerConfig(options.env);
  const registry = new RegistryClient({ credentials: new Map([...docker.credentials, ...options.credentials ?? []]), registries, helpers: docker.helpers });
  const plan = await planBumps(config, options.request, registry);
  const moving = plan.images.filter((i) => i.status === "bump");
  const edits = options.mode === "pull-requests" ? [] : editsOf(moving, plan.textOf);
  const written = [];
  let pullRequests = [];
  if (options.mode === "local") {
    for (const e of edits) {
      writeFileSync(path4.join(config.repoRoot, e.file), e.after);
      written.push(e.file);
    }
  } else if (options.mode === "pull-requests") {
    if (!options.publisher) throw new Error("pull-requests mode needs a publisher");
    pullRequests = await publishBumps(plan, config, options.publisher, { closeStale: options.request.dispatch === void 0 });
  }
  const report = { mode: options.mode, plan, edits, written, pullRequests };
  const output = options.output === "json" ? formatBumpJson(report) : formatBumpText(report, { explain: options.request.explain });
  const failed = plan.images.some((i) => i.status === "error") || pullRequests.some((p) => p.action === "error");
  return { report, output, exitCode: failed ? EXIT_ERROR : 0 };
}

export {
  affectedTargets,
  bumpCommand
};
