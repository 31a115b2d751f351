import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  apiGroup,
  formatSource,
  isSecret,
  objectIdentity
} from "./chunk-TZ2ZTMWF.js";
import {
  createTwoFilesPatch
} from "./chunk-TYIG3YVF.js";
import {
  Limiter
} from "./chunk-Z65K4BBT.js";
import {
  ClusterError,
  KubeplanError,
  UsageError
} from "./chunk-4PR4VSOE.js";
import {
  dump
} from "./chunk-SGIW2ZLB.js";

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
function ownedButNotRendered(fields, rendered, path2 = []) {
  const missing = [];
  for (const [key2, child] of Object.entries(fields)) {
    if (key2 === ".") continue;
    const kind = key2.slice(0, 2);
    const body = key2.slice(2);
    if (kind === "f:") {
      const value = isObject(rendered) ? rendered[body] : void 0;
      if (value === void 0) missing.push(join([...path2, body]));
      else missing.push(...ownedButNotRendered(child, value, [...path2, body]));
    } else if (kind === "k:") {
      const keyFields = safeParse(body);
      const item = Array.isArray(rendered) && isObject(keyFields) ? rendered.find((el) => matchesKey(el, keyFields)) : void 0;
      const label2 = `[${Object.entries(isObject(keyFields) ? keyFields : {}).map(([k, v]) => `${k}=${String(v)}`).join(",")}]`;
      if (item === void 0) missing.push(join(path2) + label2);
      else missing.push(...ownedButNotRendered(child, item, [...path2.slice(0, -1), `${path2.at(-1) ?? ""}${label2}`]));
    } else if (kind === "v:") {
      const value = safeParse(body);
      if (!Array.isArray(rendered) || !rendered.some((el) => isDeepStrictEqual(el, value))) missing.push(`${join(path2)}[${body}]`);
    } else if (kind === "i:") {
      const index = Number(body);
      if (!Array.isArray(rendered) || index >= rendered.length) missing.push(`${join(path2)}[${index}]`);
      else missing.push(...ownedButNotRendered(child, rendered[index], [...path2.slice(0, -1), `${path2.at(-1) ?? ""}[${index}]`]));
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
function join(path2) {
  return path2.join(".");
}
function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

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

// src/core/cluster/applyset.ts
import { createHash } from "node:crypto";
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
  const groupKinds = splitList(annotations[CONTAINS_GROUP_KINDS]);
  const namespaces = [parent.namespace, ...splitList(annotations[ADDITIONAL_NAMESPACES])];
  const lists = [];
  for (const gk of groupKinds) {
    const dot = gk.indexOf(".");
    const kind = dot === -1 ? gk : gk.slice(0, dot);
    const group = dot === -1 ? "" : gk.slice(dot + 1);
    const info = resources.preferred(group, kind);
    if (!info) continue;
    const scopes = info.namespaced ? [...new Set(namespaces)] : [void 0];
    for (const ns of scopes) lists.push(listLiveObjects(client, info, ns, `${PART_OF}=${id}`).then((os2) => os2.map((object) => ({ object, info }))));
  }
  const members = (await Promise.all(lists)).flat();
  return { id, parent, exists: true, members, parentObject };
}
function splitList(value) {
  return (value ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
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
${indent(access.grant)}`, {
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
function indent(text) {
  return text.trimEnd().split("\n").map((l) => `    ${l}`).join("\n");
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
function isQuantityPath(path2) {
  const last = path2.at(-1);
  const parent = path2.at(-2);
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
function matches(rendered, live, path2) {
  if (rendered === live) return true;
  if (rendered === null || live === null || rendered === void 0 || live === void 0) return false;
  if (Array.isArray(rendered)) {
    if (!Array.isArray(live) || live.length !== rendered.length) return false;
    return rendered.every((item, i) => matches(item, live[i], [...path2, i]));
  }
  if (typeof rendered === "object") {
    if (typeof live !== "object" || Array.isArray(live)) return false;
    const liveObject = live;
    return Object.entries(rendered).every(([k, v]) => matches(v, liveObject[k], [...path2, k]));
  }
  if (isQuantityPath(path2)) return quantitiesEqual(rendered, live);
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
      const record = node;
      if (!(body in record)) continue;
      if (isLeaf(child)) {
        delete record[body];
        removed = true;
      } else removed = removeFields(record[body], child) || removed;
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
function get(object, path2) {
  return path2.split(".").reduce((o, k) => o && typeof o === "object" ? o[k] : void 0, object);
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
    const record = secret[field];
    if (!record || typeof record !== "object") continue;
    for (const v of Object.values(record)) {
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

// src/core/cluster/client.ts
import { createHash as createHash2 } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
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
  /** Where a token given without a kubeconfig came from (`a GitHub OIDC token (audience …)`): a 401 names it. */
  credentialSource;
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
    client.credentialSource = options.direct?.source;
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
      if (status === 401 && this.credentialSource) throw refusedCredentials(this.server, this.credentialSource);
      throw statusError(status, text, method, url);
    }
  }
};
function caFingerprint(pem) {
  const body = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem)?.[1];
  if (!body) return void 0;
  return createHash2("sha256").update(Buffer.from(body.replace(/\s+/g, ""), "base64")).digest("hex");
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
  const files = explicit ? [path.resolve(options.cwd, explicit)] : (options.env.KUBECONFIG ?? "").split(path.delimiter).filter((f) => f !== "");
  if (files.length === 0) {
    const home = options.env.HOME ?? os.homedir();
    const fallback = path.join(home, ".kube", "config");
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
  return files.join(path.delimiter);
}
function isOptimisticConflict(text) {
  try {
    const parsed = JSON.parse(text);
    return !(parsed.details?.causes ?? []).some((c) => c.reason === "FieldManagerConflict");
  } catch {
    return false;
  }
}
function refusedCredentials(server, source) {
  return new ClusterError(`${server} refused ${source} (401 Unauthorized)`, {
    status: 401,
    where: server,
    hint: source.includes("OIDC") ? "check the apiserver's AuthenticationConfiguration: its jwt issuer must be the token's issuer, its audiences must include the audience kubeplan asked for, and its claim rules must accept this repository and ref" : "check that the token is current and that the apiserver trusts its issuer"
  });
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
  const resources = await ResourceMap.discover(client);
  const ignore = new Map(config.targets.map((t) => [t.name, t.ignore]));
  const policy = new Map(config.targets.map((t) => [t.name, t.policy]));
  return { client, resources, ignore, policy };
}

export {
  ResourceMap,
  resourcePath,
  FIELD_MANAGER,
  serverSideApply,
  canI,
  APPLYSET_ID,
  CONTAINS_GROUP_KINDS,
  ADDITIONAL_NAMESPACES,
  TOOLING,
  applySetParent,
  applySetId,
  ApplyError,
  SYMBOL,
  summaryLine,
  objectName,
  sourceOf,
  PRIORITY,
  preflightAccess,
  missingAccess,
  describeNeed,
  changedPaths,
  unifiedDiff,
  digest,
  stripNoise,
  SecretMasker,
  secretKeyChanges,
  labelSecretPair,
  emptyCounts,
  countChanges,
  hasChanges,
  planTargets,
  openCluster
};
