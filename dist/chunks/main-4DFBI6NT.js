import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  ClusterError,
  ConfigError,
  EXIT_ERROR,
  ErrorList,
  UsageError,
  apiGroup,
  execa,
  formatError,
  formatSource,
  loadConfig,
  renderCommand,
  renderTargets
} from "./chunk-LFENO3FG.js";
import {
  dump
} from "./chunk-GY6BXHYW.js";
import "./chunk-67KDASP7.js";

// src/cli/main.ts
import { parseArgs } from "node:util";

// src/core/cluster/client.ts
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";

// src/core/cluster/limiter.ts
var Limiter = class {
  constructor(limit) {
    this.limit = limit;
  }
  limit;
  active = 0;
  waiting = [];
  async run(task) {
    if (this.active >= this.limit) await new Promise((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
};

// src/core/cluster/client.ts
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
      import("./config-BY7PVPB3.js"),
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
      if (method === "GET" && attempt === 1 && !/\/api(s)?$/.test(url.pathname)) this.stats.lists++;
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
        if (attempt < 3) {
          this.stats.retries++;
          await sleep(200 * attempt);
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
      if ((status === 429 || status >= 500) && status !== 501 && attempt < MAX_ATTEMPTS) {
        this.stats.retries++;
        await sleep(retryDelay(retryAfter, attempt));
        continue;
      }
      throw statusError(status, text, method, url);
    }
  }
};
function loadKubeConfig(kc, options) {
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
        for (const version2 of group.versions ?? []) {
          for (const r of version2.resources ?? []) {
            const kind = r.responseKind?.kind;
            if (!kind || r.resource.includes("/")) continue;
            const info = {
              group: groupName,
              version: version2.version,
              kind,
              resource: r.resource,
              namespaced: r.scope === "Namespaced",
              verbs: r.verbs ?? []
            };
            map.byGVK.set(`${groupName}/${version2.version}/${kind}`, info);
            if (!map.preferredByGK.has(`${groupName}/${kind}`)) map.preferredByGK.set(`${groupName}/${kind}`, info);
          }
        }
      }
    }
    return map;
  }
  lookup(object) {
    const group = apiGroup(object.apiVersion);
    const version2 = object.apiVersion.slice(object.apiVersion.indexOf("/") + 1);
    return this.byGVK.get(`${group}/${version2}/${object.kind}`);
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
function ownedButNotRendered(fields, rendered, path4 = []) {
  const missing = [];
  for (const [key3, child] of Object.entries(fields)) {
    if (key3 === ".") continue;
    const kind = key3.slice(0, 2);
    const body = key3.slice(2);
    if (kind === "f:") {
      const value = isObject(rendered) ? rendered[body] : void 0;
      if (value === void 0) missing.push(join([...path4, body]));
      else missing.push(...ownedButNotRendered(child, value, [...path4, body]));
    } else if (kind === "k:") {
      const keyFields = safeParse(body);
      const item = Array.isArray(rendered) && isObject(keyFields) ? rendered.find((el) => matchesKey(el, keyFields)) : void 0;
      const label2 = `[${Object.entries(isObject(keyFields) ? keyFields : {}).map(([k, v]) => `${k}=${String(v)}`).join(",")}]`;
      if (item === void 0) missing.push(join(path4) + label2);
      else missing.push(...ownedButNotRendered(child, item, [...path4.slice(0, -1), `${path4.at(-1) ?? ""}${label2}`]));
    } else if (kind === "v:") {
      const value = safeParse(body);
      if (!Array.isArray(rendered) || !rendered.some((el) => isDeepStrictEqual(el, value))) missing.push(`${join(path4)}[${body}]`);
    } else if (kind === "i:") {
      const index = Number(body);
      if (!Array.isArray(rendered) || index >= rendered.length) missing.push(`${join(path4)}[${index}]`);
      else missing.push(...ownedButNotRendered(child, rendered[index], [...path4.slice(0, -1), `${path4.at(-1) ?? ""}[${index}]`]));
    }
  }
  return missing;
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
function join(path4) {
  return path4.join(".");
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
function isQuantityPath(path4) {
  const last = path4.at(-1);
  const parent = path4.at(-2);
  return typeof last === "string" && QUANTITY_FIELDS.has(last) || typeof parent === "string" && QUANTITY_PARENTS.has(parent);
}

// src/core/diff/compare.ts
function renderedMatchesLive(rendered, live) {
  const isSecret2 = rendered.apiVersion === "v1" && rendered.kind === "Secret";
  for (const [key3, value] of Object.entries(rendered)) {
    if (isSecret2 && key3 === "stringData") {
      if (!stringDataMatches(value, live.data)) return false;
      continue;
    }
    if (!matches(value, live[key3], [key3])) return false;
  }
  return true;
}
function matches(rendered, live, path4) {
  if (rendered === live) return true;
  if (rendered === null || live === null || rendered === void 0 || live === void 0) return false;
  if (Array.isArray(rendered)) {
    if (!Array.isArray(live) || live.length !== rendered.length) return false;
    return rendered.every((item, i) => matches(item, live[i], [...path4, i]));
  }
  if (typeof rendered === "object") {
    if (typeof live !== "object" || Array.isArray(live)) return false;
    const liveObject = live;
    return Object.entries(rendered).every(([k, v]) => matches(v, liveObject[k], [...path4, k]));
  }
  if (isQuantityPath(path4)) return quantitiesEqual(rendered, live);
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

// node_modules/diff/libesm/diff/base.js
var Diff = class {
  diff(oldStr, newStr, options = {}) {
    let callback;
    if (typeof options === "function") {
      callback = options;
      options = {};
    } else if ("callback" in options) {
      callback = options.callback;
    }
    const oldString = this.castInput(oldStr, options);
    const newString = this.castInput(newStr, options);
    const oldTokens = this.removeEmpty(this.tokenize(oldString, options));
    const newTokens = this.removeEmpty(this.tokenize(newString, options));
    return this.diffWithOptionsObj(oldTokens, newTokens, options, callback);
  }
  diffWithOptionsObj(oldTokens, newTokens, options, callback) {
    var _a;
    const done = (value) => {
      value = this.postProcess(value, options);
      if (callback) {
        setTimeout(function() {
          callback(value);
        }, 0);
        return void 0;
      } else {
        return value;
      }
    };
    const newLen = newTokens.length, oldLen = oldTokens.length;
    let editLength = 1;
    let maxEditLength = newLen + oldLen;
    if (options.maxEditLength != null) {
      maxEditLength = Math.min(maxEditLength, options.maxEditLength);
    }
    const maxExecutionTime = (_a = options.timeout) !== null && _a !== void 0 ? _a : Infinity;
    const abortAfterTimestamp = Date.now() + maxExecutionTime;
    const bestPath = [{ oldPos: -1, lastComponent: void 0 }];
    let newPos = this.extractCommon(bestPath[0], newTokens, oldTokens, 0, options);
    if (bestPath[0].oldPos + 1 >= oldLen && newPos + 1 >= newLen) {
      return done(this.buildValues(bestPath[0].lastComponent, newTokens, oldTokens));
    }
    let minDiagonalToConsider = -Infinity, maxDiagonalToConsider = Infinity;
    const execEditLength = () => {
      for (let diagonalPath = Math.max(minDiagonalToConsider, -editLength); diagonalPath <= Math.min(maxDiagonalToConsider, editLength); diagonalPath += 2) {
        let basePath;
        const removePath = bestPath[diagonalPath - 1], addPath = bestPath[diagonalPath + 1];
        if (removePath) {
          bestPath[diagonalPath - 1] = void 0;
        }
        let canAdd = false;
        if (addPath) {
          const addPathNewPos = addPath.oldPos - diagonalPath;
          canAdd = addPath && 0 <= addPathNewPos && addPathNewPos < newLen;
        }
        const canRemove = removePath && removePath.oldPos + 1 < oldLen;
        if (!canAdd && !canRemove) {
          bestPath[diagonalPath] = void 0;
          continue;
        }
        if (!canRemove || canAdd && removePath.oldPos < addPath.oldPos) {
          basePath = this.addToPath(addPath, true, false, 0, options);
        } else {
          basePath = this.addToPath(removePath, false, true, 1, options);
        }
        newPos = this.extractCommon(basePath, newTokens, oldTokens, diagonalPath, options);
        if (basePath.oldPos + 1 >= oldLen && newPos + 1 >= newLen) {
          return done(this.buildValues(basePath.lastComponent, newTokens, oldTokens)) || true;
        } else {
          bestPath[diagonalPath] = basePath;
          if (basePath.oldPos + 1 >= oldLen) {
            maxDiagonalToConsider = Math.min(maxDiagonalToConsider, diagonalPath - 1);
          }
          if (newPos + 1 >= newLen) {
            minDiagonalToConsider = Math.max(minDiagonalToConsider, diagonalPath + 1);
          }
        }
      }
      editLength++;
    };
    if (callback) {
      (function exec() {
        setTimeout(function() {
          if (editLength > maxEditLength || Date.now() > abortAfterTimestamp) {
            return callback(void 0);
          }
          if (!execEditLength()) {
            exec();
          }
        }, 0);
      })();
    } else {
      while (editLength <= maxEditLength && Date.now() <= abortAfterTimestamp) {
        const ret = execEditLength();
        if (ret) {
          return ret;
        }
      }
    }
  }
  addToPath(path4, added, removed, oldPosInc, options) {
    const last = path4.lastComponent;
    if (last && !options.oneChangePerToken && last.added === added && last.removed === removed) {
      return {
        oldPos: path4.oldPos + oldPosInc,
        lastComponent: { count: last.count + 1, added, removed, previousComponent: last.previousComponent }
      };
    } else {
      return {
        oldPos: path4.oldPos + oldPosInc,
        lastComponent: { count: 1, added, removed, previousComponent: last }
      };
    }
  }
  extractCommon(basePath, newTokens, oldTokens, diagonalPath, options) {
    const newLen = newTokens.length, oldLen = oldTokens.length;
    let oldPos = basePath.oldPos, newPos = oldPos - diagonalPath, commonCount = 0;
    while (newPos + 1 < newLen && oldPos + 1 < oldLen && this.equals(oldTokens[oldPos + 1], newTokens[newPos + 1], options)) {
      newPos++;
      oldPos++;
      commonCount++;
      if (options.oneChangePerToken) {
        basePath.lastComponent = { count: 1, previousComponent: basePath.lastComponent, added: false, removed: false };
      }
    }
    if (commonCount && !options.oneChangePerToken) {
      basePath.lastComponent = { count: commonCount, previousComponent: basePath.lastComponent, added: false, removed: false };
    }
    basePath.oldPos = oldPos;
    return newPos;
  }
  equals(left, right, options) {
    if (options.comparator) {
      return options.comparator(left, right);
    } else {
      return left === right || !!options.ignoreCase && left.toLowerCase() === right.toLowerCase();
    }
  }
  removeEmpty(array) {
    const ret = [];
    for (let i = 0; i < array.length; i++) {
      if (array[i]) {
        ret.push(array[i]);
      }
    }
    return ret;
  }
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  castInput(value, options) {
    return value;
  }
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  tokenize(value, options) {
    return Array.from(value);
  }
  join(chars) {
    return chars.join("");
  }
  postProcess(changeObjects, options) {
    return changeObjects;
  }
  get useLongestToken() {
    return false;
  }
  buildValues(lastComponent, newTokens, oldTokens) {
    const components = [];
    let nextComponent;
    while (lastComponent) {
      components.push(lastComponent);
      nextComponent = lastComponent.previousComponent;
      delete lastComponent.previousComponent;
      lastComponent = nextComponent;
    }
    components.reverse();
    const componentLen = components.length;
    let componentPos = 0, newPos = 0, oldPos = 0;
    for (; componentPos < componentLen; componentPos++) {
      const component = components[componentPos];
      if (!component.removed) {
        if (!component.added && this.useLongestToken) {
          let value = newTokens.slice(newPos, newPos + component.count);
          value = value.map(function(value2, i) {
            const oldValue = oldTokens[oldPos + i];
            return oldValue.length > value2.length ? oldValue : value2;
          });
          component.value = this.join(value);
        } else {
          component.value = this.join(newTokens.slice(newPos, newPos + component.count));
        }
        newPos += component.count;
        if (!component.added) {
          oldPos += component.count;
        }
      } else {
        component.value = this.join(oldTokens.slice(oldPos, oldPos + component.count));
        oldPos += component.count;
      }
    }
    return components;
  }
};

// node_modules/diff/libesm/diff/line.js
var LineDiff = class extends Diff {
  constructor() {
    super(...arguments);
    this.tokenize = tokenize;
  }
  equals(left, right, options) {
    if (options.ignoreWhitespace) {
      if (!options.newlineIsToken || !left.includes("\n")) {
        left = left.trim();
      }
      if (!options.newlineIsToken || !right.includes("\n")) {
        right = right.trim();
      }
    } else if (options.ignoreNewlineAtEof && !options.newlineIsToken) {
      if (left.endsWith("\n")) {
        left = left.slice(0, -1);
      }
      if (right.endsWith("\n")) {
        right = right.slice(0, -1);
      }
    }
    return super.equals(left, right, options);
  }
};
var lineDiff = new LineDiff();
function diffLines(oldStr, newStr, options) {
  return lineDiff.diff(oldStr, newStr, options);
}
function tokenize(value, options) {
  if (options.stripTrailingCr) {
    value = value.replace(/\r\n/g, "\n");
  }
  const retLines = [], linesAndNewlines = value.split(/(\n|\r\n)/);
  if (!linesAndNewlines[linesAndNewlines.length - 1]) {
    linesAndNewlines.pop();
  }
  for (let i = 0; i < linesAndNewlines.length; i++) {
    const line = linesAndNewlines[i];
    if (i % 2 && !options.newlineIsToken) {
      retLines[retLines.length - 1] += line;
    } else {
      retLines.push(line);
    }
  }
  return retLines;
}

// node_modules/diff/libesm/patch/create.js
function needsQuoting(s) {
  for (let i = 0; i < s.length; i++) {
    if (s[i] < " " || s[i] > "~" || s[i] === '"' || s[i] === "\\") {
      return true;
    }
  }
  return false;
}
function quoteFileNameIfNeeded(s) {
  if (!needsQuoting(s)) {
    return s;
  }
  let result = '"';
  const bytes = new TextEncoder().encode(s);
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b === 7) {
      result += "\\a";
    } else if (b === 8) {
      result += "\\b";
    } else if (b === 9) {
      result += "\\t";
    } else if (b === 10) {
      result += "\\n";
    } else if (b === 11) {
      result += "\\v";
    } else if (b === 12) {
      result += "\\f";
    } else if (b === 13) {
      result += "\\r";
    } else if (b === 34) {
      result += '\\"';
    } else if (b === 92) {
      result += "\\\\";
    } else if (b >= 32 && b <= 126) {
      result += String.fromCharCode(b);
    } else {
      result += "\\" + b.toString(8).padStart(3, "0");
    }
    i++;
  }
  result += '"';
  return result;
}
var INCLUDE_HEADERS = {
  includeIndex: true,
  includeUnderline: true,
  includeFileHeaders: true
};
function structuredPatch(oldFileName, newFileName, oldStr, newStr, oldHeader, newHeader, options) {
  let optionsObj;
  if (!options) {
    optionsObj = {};
  } else if (typeof options === "function") {
    optionsObj = { callback: options };
  } else {
    optionsObj = options;
  }
  if (typeof optionsObj.context === "undefined") {
    optionsObj.context = 4;
  }
  const context = optionsObj.context;
  if (optionsObj.newlineIsToken) {
    throw new Error("newlineIsToken may not be used with patch-generation functions, only with diffing functions");
  }
  if (!optionsObj.callback) {
    return diffLinesResultToPatch(diffLines(oldStr, newStr, optionsObj));
  } else {
    const { callback } = optionsObj;
    diffLines(oldStr, newStr, Object.assign(Object.assign({}, optionsObj), { callback: (diff2) => {
      const patch = diffLinesResultToPatch(diff2);
      callback(patch);
    } }));
  }
  function diffLinesResultToPatch(diff2) {
    if (!diff2) {
      return;
    }
    diff2.push({ value: "", lines: [] });
    function contextLines(lines) {
      return lines.map(function(entry) {
        return " " + entry;
      });
    }
    const hunks = [];
    let oldRangeStart = 0, newRangeStart = 0, curRange = [], oldLine = 1, newLine = 1;
    for (let i = 0; i < diff2.length; i++) {
      const current = diff2[i], lines = current.lines || splitLines(current.value);
      current.lines = lines;
      if (current.added || current.removed) {
        if (!oldRangeStart) {
          const prev = diff2[i - 1];
          oldRangeStart = oldLine;
          newRangeStart = newLine;
          if (prev) {
            curRange = context > 0 ? contextLines(prev.lines.slice(-context)) : [];
            oldRangeStart -= curRange.length;
            newRangeStart -= curRange.length;
          }
        }
        for (const line of lines) {
          curRange.push((current.added ? "+" : "-") + line);
        }
        if (current.added) {
          newLine += lines.length;
        } else {
          oldLine += lines.length;
        }
      } else {
        if (oldRangeStart) {
          if (lines.length <= context * 2 && i < diff2.length - 2) {
            for (const line of contextLines(lines)) {
              curRange.push(line);
            }
          } else {
            const contextSize = Math.min(lines.length, context);
            for (const line of contextLines(lines.slice(0, contextSize))) {
              curRange.push(line);
            }
            const hunk = {
              oldStart: oldRangeStart,
              oldLines: oldLine - oldRangeStart + contextSize,
              newStart: newRangeStart,
              newLines: newLine - newRangeStart + contextSize,
              lines: curRange
            };
            hunks.push(hunk);
            oldRangeStart = 0;
            newRangeStart = 0;
            curRange = [];
          }
        }
        oldLine += lines.length;
        newLine += lines.length;
      }
    }
    for (const hunk of hunks) {
      for (let i = 0; i < hunk.lines.length; i++) {
        if (hunk.lines[i].endsWith("\n")) {
          hunk.lines[i] = hunk.lines[i].slice(0, -1);
        } else {
          hunk.lines.splice(i + 1, 0, "\\ No newline at end of file");
          i++;
        }
      }
    }
    return {
      oldFileName,
      newFileName,
      oldHeader,
      newHeader,
      hunks
    };
  }
}
function formatPatch(patch, headerOptions) {
  var _a, _b, _c, _d, _e, _f;
  if (!headerOptions) {
    headerOptions = INCLUDE_HEADERS;
  }
  if (Array.isArray(patch)) {
    if (patch.length > 1 && !headerOptions.includeFileHeaders && !patch.every((p) => p.isGit)) {
      throw new Error("Cannot omit file headers on a multi-file patch. (The result would be unparseable; how would a tool trying to apply the patch know which changes are to which file?)");
    }
    return patch.map((p) => formatPatch(p, headerOptions)).join("\n");
  }
  const ret = [];
  if (patch.isGit) {
    headerOptions = INCLUDE_HEADERS;
    if (!patch.oldFileName) {
      throw new Error("oldFileName must be specified for Git patches");
    }
    if (!patch.newFileName) {
      throw new Error("newFileName must be specified for Git patches");
    }
    let gitOldName = patch.oldFileName;
    let gitNewName = patch.newFileName;
    if (patch.isCreate && gitOldName === "/dev/null") {
      gitOldName = gitNewName.replace(/^b\//, "a/");
    } else if (patch.isDelete && gitNewName === "/dev/null") {
      gitNewName = gitOldName.replace(/^a\//, "b/");
    }
    ret.push("diff --git " + quoteFileNameIfNeeded(gitOldName) + " " + quoteFileNameIfNeeded(gitNewName));
    if (patch.isDelete) {
      ret.push("deleted file mode " + ((_a = patch.oldMode) !== null && _a !== void 0 ? _a : "100644"));
    }
    if (patch.isCreate) {
      ret.push("new file mode " + ((_b = patch.newMode) !== null && _b !== void 0 ? _b : "100644"));
    }
    if (patch.oldMode && patch.newMode && !patch.isDelete && !patch.isCreate) {
      ret.push("old mode " + patch.oldMode);
      ret.push("new mode " + patch.newMode);
    }
    if (patch.isRename) {
      ret.push("rename from " + quoteFileNameIfNeeded(((_c = patch.oldFileName) !== null && _c !== void 0 ? _c : "").replace(/^a\//, "")));
      ret.push("rename to " + quoteFileNameIfNeeded(((_d = patch.newFileName) !== null && _d !== void 0 ? _d : "").replace(/^b\//, "")));
    }
    if (patch.isCopy) {
      ret.push("copy from " + quoteFileNameIfNeeded(((_e = patch.oldFileName) !== null && _e !== void 0 ? _e : "").replace(/^a\//, "")));
      ret.push("copy to " + quoteFileNameIfNeeded(((_f = patch.newFileName) !== null && _f !== void 0 ? _f : "").replace(/^b\//, "")));
    }
  } else {
    if (headerOptions.includeIndex && patch.oldFileName == patch.newFileName && patch.oldFileName !== void 0) {
      ret.push("Index: " + patch.oldFileName);
    }
    if (headerOptions.includeUnderline) {
      ret.push("===================================================================");
    }
  }
  const hasHunks = patch.hunks.length > 0;
  if (headerOptions.includeFileHeaders && patch.oldFileName !== void 0 && patch.newFileName !== void 0 && (!patch.isGit || hasHunks)) {
    ret.push("--- " + quoteFileNameIfNeeded(patch.oldFileName) + (patch.oldHeader ? "	" + patch.oldHeader : ""));
    ret.push("+++ " + quoteFileNameIfNeeded(patch.newFileName) + (patch.newHeader ? "	" + patch.newHeader : ""));
  }
  for (let i = 0; i < patch.hunks.length; i++) {
    const hunk = patch.hunks[i];
    const oldStart = hunk.oldLines === 0 ? hunk.oldStart - 1 : hunk.oldStart;
    const newStart = hunk.newLines === 0 ? hunk.newStart - 1 : hunk.newStart;
    ret.push("@@ -" + oldStart + "," + hunk.oldLines + " +" + newStart + "," + hunk.newLines + " @@");
    for (const line of hunk.lines) {
      ret.push(line);
    }
  }
  return ret.join("\n") + "\n";
}
function createTwoFilesPatch(oldFileName, newFileName, oldStr, newStr, oldHeader, newHeader, options) {
  if (typeof options === "function") {
    options = { callback: options };
  }
  if (!(options === null || options === void 0 ? void 0 : options.callback)) {
    const patchObj = structuredPatch(oldFileName, newFileName, oldStr, newStr, oldHeader, newHeader, options);
    if (!patchObj) {
      return;
    }
    return formatPatch(patchObj, options === null || options === void 0 ? void 0 : options.headerOptions);
  } else {
    const { callback } = options;
    structuredPatch(oldFileName, newFileName, oldStr, newStr, oldHeader, newHeader, Object.assign(Object.assign({}, options), { callback: (patchObj) => {
      if (!patchObj) {
        callback(void 0);
      } else {
        callback(formatPatch(patchObj, options.headerOptions));
      }
    } }));
  }
}
function splitLines(text) {
  const hasTrailingNl = text.endsWith("\n");
  const result = text.split("\n").map((line) => line + "\n");
  if (hasTrailingNl) {
    result.pop();
  } else {
    result.push(result.pop().slice(0, -1));
  }
  return result;
}

// src/core/diff/field-diff.ts
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
  if (after.kind === "Secret" && after.apiVersion === "v1") {
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
  for (const [key3, child] of Object.entries(fields)) {
    if (key3 === ".") continue;
    const body = key3.slice(2);
    if (key3.startsWith("f:") && node && typeof node === "object" && !Array.isArray(node)) {
      const record = node;
      if (!(body in record)) continue;
      if (isLeaf(child)) {
        delete record[body];
        removed = true;
      } else removed = removeFields(record[body], child) || removed;
    } else if ((key3.startsWith("k:") || key3.startsWith("v:")) && Array.isArray(node)) {
      const match = JSON.parse(body);
      const index = node.findIndex(
        (el) => key3.startsWith("v:") ? isDeepStrictEqual3(el, match) : el && typeof el === "object" && Object.entries(match).every(([k, v]) => isDeepStrictEqual3(el[k], v))
      );
      if (index === -1) continue;
      if (isLeaf(child) || key3.startsWith("v:")) {
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
function get(object, path4) {
  return path4.split(".").reduce((o, k) => o && typeof o === "object" ? o[k] : void 0, object);
}

// src/core/cluster/applyset.ts
import { createHash } from "node:crypto";
var PART_OF = "applyset.kubernetes.io/part-of";
var CONTAINS_GROUP_KINDS = "applyset.kubernetes.io/contains-group-kinds";
var ADDITIONAL_NAMESPACES = "applyset.kubernetes.io/additional-namespaces";
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
    for (const ns of scopes) lists.push(listLiveObjects(client, info, ns, `${PART_OF}=${id}`));
  }
  const members = (await Promise.all(lists)).flat();
  return { id, parent, exists: true, members };
}
function splitList(value) {
  return (value ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
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
    if (object.apiVersion !== "v1" || object.kind !== "Secret") return object;
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
  return keys.map((key3) => ({
    key: key3,
    change: !(key3 in a) ? "added" : !(key3 in b) ? "removed" : a[key3] === b[key3] ? "unchanged" : "changed"
  }));
}
function decode(value) {
  return typeof value === "string" ? Buffer.from(value, "base64").toString("utf8") : "";
}
function asRecord(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? value : {};
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
    return set.manifests.filter((m) => !isTestHook(m)).map((m) => resolveManifest(withInventoryLabel(m, id), resources, pendingKinds, client.namespace));
  });
  const live = await listLive(client, resolved.flat());
  const newNamespaces = new Set(
    resolved.flat().filter((r) => r.object.kind === "Namespace" && r.object.apiVersion === "v1" && !live.objects.has(objectKey(r.object))).map((r) => r.object.metadata.name)
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
    targets.push({ target: set.target, namespace: set.namespace, changes: changes2, summary: countChanges(changes2), hidden });
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
  const rendered = new Set(resolved.map((r) => objectKey(r.object)));
  return inventory.members.filter((m) => !rendered.has(objectKey(m))).sort((a, b) => objectKey(a).localeCompare(objectKey(b))).map((m) => {
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
      diff: unifiedDiff(label(m), before, void 0),
      ...secrets ? { secrets } : {},
      destructive: isDestructiveDelete(m),
      via: "intent"
    };
  });
}
function isTestHook(m) {
  return m.hook !== void 0 && m.hook.events.every((e) => e.startsWith("test"));
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
function objectKey(o) {
  return `${apiGroup(o.apiVersion)}/${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
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
    [...lists].map(async ([key3, { info, namespace }]) => {
      try {
        for (const o of await listLiveObjects(client, info, namespace)) state.objects.set(objectKey(o), o);
      } catch (error) {
        state.errors.set(key3, toObjectError(error));
      }
    })
  );
  return state;
}
async function planObject(r, ctx) {
  const change = await planObjectChange(r, ctx);
  if (change.error && isSecret(r.object)) change.error = scrubSecretValues(change.error, r.object);
  if (r.manifest.hook && change.action !== "unchanged" && change.action !== "error") {
    change.notes = [...change.notes ?? [], `Helm hook (${r.manifest.hook.events.join(", ")}): runs during apply`];
  }
  return change;
}
async function planObjectChange(r, ctx) {
  const base = describe(r);
  if (r.error) return { ...base, action: "error", error: r.error, via: "intent" };
  const liveObject = r.info ? ctx.live.objects.get(objectKey(r.object)) : void 0;
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
    diff: ""
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
    diff: unifiedDiff(label(r.object), void 0, after),
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
    action: "update",
    paths,
    digest: digest(before, after, secrets),
    diff: unifiedDiff(label(r.object), before, after),
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
    action: "replace",
    replaceFields: fields,
    destructive: ["PersistentVolumeClaim", "PersistentVolume", "Namespace", "CustomResourceDefinition"].includes(r.object.kind),
    paths: changedPaths(before, after).filter((p) => !p.startsWith("metadata.")),
    digest: [`replace: ${fields.join(", ")} cannot change in place; the object is deleted and created again`],
    diff: unifiedDiff(label(r.object), before, after),
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
  if (owned) removeUnrendered(merged, owned, rendered);
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
      return source.map((item) => {
        const existing = target.find((t) => t.name === item.name);
        return existing === void 0 ? item : overlay(structuredClone(existing), item);
      });
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
function removeUnrendered(merged, owned, rendered) {
  for (const path4 of ownedButNotRendered(owned, rendered)) {
    if (/\[/.test(path4)) continue;
    const parts = path4.split(".");
    let node = merged;
    for (const p of parts.slice(0, -1)) node = node && typeof node === "object" ? node[p] : void 0;
    if (node && typeof node === "object") delete node[parts.at(-1)];
  }
}
function isNamed(value) {
  return value !== null && typeof value === "object" && typeof value.name === "string";
}
function digestForCreate(after) {
  const images = JSON.stringify(after).match(/"image":"([^"]+)"/g)?.map((m) => m.slice(9, -1)) ?? [];
  return images.length ? [`image ${[...new Set(images)].join(", ")}`] : [];
}
function isSecret(o) {
  return o.apiVersion === "v1" && o.kind === "Secret";
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

// src/core/diff/intent.ts
function planIntent(baseSets, headSets, masker = new SecretMasker()) {
  const names = [.../* @__PURE__ */ new Set([...headSets.map((s) => s.target), ...baseSets.map((s) => s.target)])];
  return names.map((name) => {
    const head = headSets.find((s) => s.target === name);
    const base = baseSets.find((s) => s.target === name);
    const hidden = {};
    const before = new Map((base?.manifests ?? []).map((m) => [key2(m.object), m]));
    const after = new Map((head?.manifests ?? []).map((m) => [key2(m.object), m]));
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
  const isSecret2 = o.apiVersion === "v1" && o.kind === "Secret";
  const secrets = isSecret2 && action !== "unchanged" ? secretKeyChanges(before, after) : void 0;
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
    diff: action === "unchanged" ? "" : unifiedDiff(`${o.kind.toLowerCase()}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`, before, after, ["base", "head"]),
    ...secrets ? { secrets } : {},
    via: "intent"
  };
}
function key2(o) {
  return `${apiGroup(o.apiVersion)}/${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
}

// src/core/git/worktree.ts
import { mkdtemp, rm } from "node:fs/promises";
import os2 from "node:os";
import path2 from "node:path";
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
  const parent = await mkdtemp(path2.join(os2.tmpdir(), "kubeplan-base-"));
  const dir = path2.join(parent, "worktree");
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
import { existsSync as existsSync2 } from "node:fs";
import path3 from "node:path";

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

// src/core/report/markdown.ts
function formatPlanMarkdown(plan) {
  const out = [`### kubeplan: ${summaryLine(plan.summary)}`, ""];
  const destroys = plan.targets.flatMap((t) => t.changes).filter((c) => c.action === "delete" || c.action === "replace");
  if (destroys.length) {
    out.push(`> [!WARNING]`, `> This plan deletes or replaces ${destroys.length} object${destroys.length === 1 ? "" : "s"}: ${destroys.slice(0, 5).map((c) => `\`${objectName(c)}\``).join(", ")}${destroys.length > 5 ? ", \u2026" : ""}`, "");
  }
  const errors = plan.summary.error + (plan.drift?.summary.error ?? 0);
  if (errors) out.push(`> [!CAUTION]`, `> ${errors} object${errors === 1 ? "" : "s"} could not be planned; see below.`, "");
  if (plan.base) out.push(`What this change does, \`${plan.base}\` \u2192 head:`, "");
  out.push(...formatTargets(plan.targets));
  if (plan.drift) {
    const n = plan.drift.targets.reduce((k, t) => k + t.changes.filter((c) => c.action !== "unchanged").length, 0);
    out.push("<details>", `<summary><b>Drift:</b> ${n} object${n === 1 ? "" : "s"} in the cluster already differ from <code>${escapeHtml(plan.base ?? "")}</code></summary>`, "");
    out.push(...formatTargets(plan.drift.targets), "</details>", "");
  }
  out.push(`<sub>mode: ${plan.drift ? `intent + ${plan.drift.mode} drift` : plan.mode} (${escapeHtml(plan.modeReason)})</sub>`);
  return `${out.join("\n")}
`;
}
function formatTargets(targets) {
  const out = [];
  for (const target of targets) {
    const changed = target.changes.filter((c) => c.action !== "unchanged").sort((a, b) => PRIORITY[a.action] - PRIORITY[b.action]);
    out.push(`#### ${target.target} \u2014 ${changed.length ? `${changed.length} change${changed.length === 1 ? "" : "s"}` : "no changes"}, ${target.summary.unchanged} unchanged`, "");
    if (changed.length === 0) continue;
    out.push("| | object | what |", "| --- | --- | --- |");
    for (const c of changed) out.push(`| ${SYMBOL[c.action]} ${c.action} | \`${escapeCell(objectName(c))}\` | ${escapeCell(c.error ? c.error.message : c.digest.join("; ") || " ")} |`);
    out.push("");
    for (const c of changed) out.push(...section(c));
  }
  return out;
}
function section(c) {
  const head = `${SYMBOL[c.action]} ${c.action} <code>${escapeHtml(objectName(c))}</code>${c.digest.length ? ` \u2014 ${escapeHtml(c.digest[0])}` : ""}`;
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

// src/core/report/text.ts
var COLOR = { red: "\x1B[31m", green: "\x1B[32m", yellow: "\x1B[33m", cyan: "\x1B[36m", bold: "\x1B[1m", dim: "\x1B[2m", reset: "\x1B[0m" };
function formatPlanText(plan, options) {
  const c = (code, text) => options.color ? `${COLOR[code]}${text}${COLOR.reset}` : text;
  const out = [];
  if (plan.base) out.push(c("bold", `What this change does (${plan.base} \u2192 working tree):`), "");
  out.push(...formatTargets2(plan.targets, c));
  out.push(c("bold", summaryLine(plan.summary)));
  if (plan.drift) {
    out.push("", c("bold", `Drift: where the cluster already differs from ${plan.base} (${plan.drift.mode} mode):`), "");
    out.push(...formatTargets2(plan.drift.targets, c));
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
function formatTargets2(targets, c) {
  const out = [];
  for (const target of targets) {
    const changed = target.changes.filter((ch) => ch.action !== "unchanged");
    out.push(c("bold", `\u2500\u2500 target ${target.target}${target.namespace ? ` (namespace ${target.namespace})` : ""}: ${changed.length} change${changed.length === 1 ? "" : "s"}, ${target.summary.unchanged} unchanged`));
    for (const ch of changed) out.push(...formatChange(ch, c));
    const hidden = Object.entries(target.hidden);
    if (hidden.length) out.push(c("dim", `  hidden from diffs: ${hidden.map(([rule, n]) => `${rule} (${n})`).join(", ")}`));
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

// src/core/commands/diff.ts
async function diffCommand(options) {
  if (options.offline && !options.base) {
    throw new UsageError("--offline needs --base: without a cluster there is only the intent diff against a git ref", {
      hint: "pass --base REF (for example --base origin/main), or drop --offline"
    });
  }
  const config = loadConfig(options.config, options.cwd);
  const render2 = { targets: options.targets, tools: options.tools, env: options.env, cwd: options.cwd };
  const sets = await renderTargets(config, render2);
  const baseSets = options.base ? await renderAtRef(config, options.base, options) : void 0;
  let plan;
  if (options.offline && baseSets) {
    plan = intentPlan(baseSets, sets, options.base);
  } else {
    const client = await ClusterClient.connect({
      kubeconfig: options.kubeconfig,
      context: options.context,
      concurrency: options.concurrency,
      env: options.env,
      cwd: options.cwd
    });
    const resources = await ResourceMap.discover(client);
    const ignore = new Map(config.targets.map((t) => [t.name, t.ignore]));
    if (baseSets) {
      const { mode, reason } = await chooseMode(options.mode, client, resources, baseSets);
      const drift = await planTargets(baseSets, client, resources, { mode, modeReason: reason, ignore });
      plan = { ...intentPlan(baseSets, sets, options.base), drift: { mode, targets: drift.targets, summary: drift.summary }, stats: drift.stats };
    } else {
      const { mode, reason } = await chooseMode(options.mode, client, resources, sets);
      plan = await planTargets(sets, client, resources, { mode, modeReason: reason, ignore });
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
    const relConfig = path3.relative(config.repoRoot, config.file);
    const cwd = path3.join(dir, path3.relative(config.repoRoot, path3.resolve(options.cwd)));
    let baseConfig;
    try {
      baseConfig = loadConfig(path3.join(dir, relConfig), cwd);
    } catch (error) {
      if (error instanceof ConfigError && !existsSync2(path3.join(dir, relConfig))) return [];
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
    const key3 = `${info.group}/${info.resource}/${ns ?? ""}`;
    if (!checks.has(key3)) checks.set(key3, canI(client, "patch", info, ns).catch(() => false));
  }
  const denied = (await Promise.all([...checks].map(async ([key3, allowed]) => await allowed ? void 0 : key3))).filter((k) => k !== void 0);
  if (denied.length === 0) return { mode: "server", reason: "auto: the credentials may patch every object" };
  return { mode: "client", reason: `auto: no patch permission for ${denied.slice(0, 3).join(", ")}${denied.length > 3 ? ", \u2026" : ""}, so read-only comparison` };
}

// src/cli/help.ts
var MAIN_HELP = `kubeplan: push-based GitOps as one CI step

Usage: kubeplan <command> [options]

Commands:
  render    Render Helm charts, Kustomize overlays and manifest folders to the
            exact objects kubeplan diffs and applies
  diff      Plan: what applying the rendered targets would change in the cluster

Options:
  -h, --help       Show help (kubeplan <command> --help for a command's options)
  -v, --version    Print kubeplan's version

Exit codes: 0 success, 2 bad input or any other error (nothing is written);
kubeplan diff --exit-code also exits 1 when there are changes.
`;
var RENDER_HELP = `Usage: kubeplan render [options]

Renders the targets of kubeplan.yaml: Helm charts with \`helm template\`, Kustomize
overlays with \`kubectl kustomize\`, folders of YAML/JSON files as they are. Namespaced
objects without a namespace get the target's; output is sorted (Namespaces, CRDs,
then kind, namespace, name) and every object is preceded by its source.

Options:
  -c, --config FILE      Config file (default: kubeplan.yaml)
  -t, --target NAME      Render only this target; repeat for several
      --out-dir DIR      Write DIR/<target>.yaml (or .json) per target instead of
                         printing one stream
  -o, --output FORMAT    yaml (default) or json
      --show-secrets     Print Secret values on stdout (redacted by default; files
                         in --out-dir always hold the real values)
      --helm PATH        helm binary (default: $KUBEPLAN_HELM, then PATH)
      --kubectl PATH     kubectl binary for \`kubectl kustomize\` (default:
                         $KUBEPLAN_KUBECTL, then PATH)
      --kustomize PATH   Use a standalone kustomize instead of \`kubectl kustomize\`
                         (default: $KUBEPLAN_KUSTOMIZE)
  -h, --help             Show this help

Examples:
  kubeplan render
  kubeplan render --target shop-prod -o json
  kubeplan render --out-dir rendered/
`;
var DIFF_HELP = `Usage: kubeplan diff [options]

Renders the targets and compares them with the live cluster. In server mode each
object that may have changed gets a server-side apply dry-run (field manager
kubeplan); objects whose rendered fields already match the cluster need no
request. Client mode compares without write permission. Secret values never
appear: changed keys are shown with salted fingerprints.

Options:
  -c, --config FILE        Config file (default: kubeplan.yaml)
  -t, --target NAME        Plan only this target; repeat for several
      --kubeconfig FILE    Kubeconfig (default: $KUBECONFIG, then ~/.kube/config)
      --context NAME       Kubeconfig context (default: its current context)
      --mode MODE          server, client or auto (default: auto: server when the
                           credentials may patch every object, else client)
      --base REF           Also render the targets at git REF: the report shows
                           what this change does (base \u2192 working tree) and where
                           the cluster already differs from REF (drift)
      --offline            No cluster: with --base, only the intent diff
  -o, --output FORMAT      text (default), markdown or json
      --exit-code          Exit 1 when there are changes (0 none, 2 error)
      --concurrency N      Requests in flight at once (default: 16)
      --helm PATH          helm binary (default: $KUBEPLAN_HELM, then PATH)
      --kubectl PATH       kubectl binary (default: $KUBEPLAN_KUBECTL, then PATH)
      --kustomize PATH     Use a standalone kustomize (default: $KUBEPLAN_KUSTOMIZE)
  -h, --help               Show this help

Examples:
  kubeplan diff
  kubeplan diff --target shop-prod -o markdown > plan.md
  kubeplan diff --mode client --exit-code
  kubeplan diff --base origin/main --offline
`;

// src/cli/main.ts
var version = true ? "0.1.0" : "0.0.0-dev";
var RENDER_OPTIONS = {
  config: { type: "string", short: "c" },
  target: { type: "string", short: "t", multiple: true },
  "out-dir": { type: "string" },
  output: { type: "string", short: "o" },
  "show-secrets": { type: "boolean" },
  helm: { type: "string" },
  kubectl: { type: "string" },
  kustomize: { type: "string" },
  help: { type: "boolean", short: "h" }
};
async function main(argv, env, cwd, io) {
  try {
    const [command, ...rest] = argv;
    if (command === void 0) {
      io.stderr(MAIN_HELP);
      return EXIT_ERROR;
    }
    if (command === "-h" || command === "--help" || command === "help") {
      io.stdout(command === "help" && rest[0] === "render" ? RENDER_HELP : command === "help" && rest[0] === "diff" ? DIFF_HELP : MAIN_HELP);
      return 0;
    }
    if (command === "-v" || command === "--version" || command === "version") {
      io.stdout(`${version}
`);
      return 0;
    }
    if (command === "render") return await render(rest, env, cwd, io);
    if (command === "diff") return await diff(rest, env, cwd, io);
    throw new UsageError(`unknown command "${command}"`, { hint: "run `kubeplan --help` to see the commands" });
  } catch (error) {
    const errors = error instanceof ErrorList ? error.errors : [error];
    for (const e of errors) io.stderr(`error: ${formatError(e)}
`);
    return EXIT_ERROR;
  }
}
async function render(args, env, cwd, io) {
  const { values } = parse(args, RENDER_OPTIONS, "render");
  if (values.help) {
    io.stdout(RENDER_HELP);
    return 0;
  }
  const format = values.output ?? "yaml";
  if (format !== "yaml" && format !== "json") {
    throw new UsageError(`--output must be yaml or json, not "${format}"`, { hint: "use -o yaml or -o json" });
  }
  const result = await renderCommand({
    config: values.config ?? "kubeplan.yaml",
    targets: values.target ?? [],
    outDir: emptyToUndefined(values["out-dir"]),
    format,
    showSecrets: values["show-secrets"] ?? false,
    tools: { helm: emptyToUndefined(values.helm), kubectl: emptyToUndefined(values.kubectl), kustomize: emptyToUndefined(values.kustomize) },
    cwd,
    env
  });
  if (result.stdout !== void 0) io.stdout(result.stdout);
  const summary = result.sets.map((s) => {
    const hooks = s.manifests.filter((m) => m.hook).length;
    return `${s.target}: ${s.manifests.length} object${s.manifests.length === 1 ? "" : "s"}${hooks ? ` (${hooks} hook${hooks === 1 ? "" : "s"})` : ""}`;
  });
  io.stderr(`rendered ${summary.join(", ")}
`);
  for (const file of result.files) io.stderr(`wrote ${file}
`);
  if (result.redacted > 0) {
    io.stderr(`redacted ${result.redacted} Secret value${result.redacted === 1 ? "" : "s"} on stdout; pass --show-secrets to print them
`);
  }
  return 0;
}
var DIFF_OPTIONS = {
  config: { type: "string", short: "c" },
  target: { type: "string", short: "t", multiple: true },
  kubeconfig: { type: "string" },
  context: { type: "string" },
  mode: { type: "string" },
  base: { type: "string" },
  offline: { type: "boolean" },
  output: { type: "string", short: "o" },
  "exit-code": { type: "boolean" },
  concurrency: { type: "string" },
  helm: { type: "string" },
  kubectl: { type: "string" },
  kustomize: { type: "string" },
  help: { type: "boolean", short: "h" }
};
async function diff(args, env, cwd, io) {
  const { values } = parse(args, DIFF_OPTIONS, "diff");
  if (values.help) {
    io.stdout(DIFF_HELP);
    return 0;
  }
  const output = values.output ?? "text";
  if (output !== "text" && output !== "markdown" && output !== "json") {
    throw new UsageError(`--output must be text, markdown or json, not "${output}"`, { hint: "use -o text, -o markdown or -o json" });
  }
  const mode = values.mode ?? "auto";
  if (mode !== "server" && mode !== "client" && mode !== "auto") {
    throw new UsageError(`--mode must be server, client or auto, not "${mode}"`, { hint: "use --mode server (needs patch permission) or --mode client (read-only)" });
  }
  const concurrency = values.concurrency === void 0 ? 16 : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    throw new UsageError(`--concurrency must be a whole number from 1 to 256, not "${values.concurrency}"`, { hint: "the default, 16, suits most clusters" });
  }
  const result = await diffCommand({
    config: values.config ?? "kubeplan.yaml",
    targets: values.target ?? [],
    tools: { helm: emptyToUndefined(values.helm), kubectl: emptyToUndefined(values.kubectl), kustomize: emptyToUndefined(values.kustomize) },
    kubeconfig: emptyToUndefined(values.kubeconfig),
    context: emptyToUndefined(values.context),
    mode,
    base: emptyToUndefined(values.base),
    offline: values.offline ?? false,
    output,
    exitCode: values["exit-code"] ?? false,
    concurrency,
    color: io.isTTY === true && env.NO_COLOR === void 0,
    cwd,
    env
  });
  io.stdout(result.report);
  const errors = result.plan.summary.error + (result.plan.drift?.summary.error ?? 0);
  if (errors > 0) io.stderr(`error: ${errors} object${errors === 1 ? "" : "s"} could not be planned (see the report)
`);
  return result.exitCode;
}
function parse(args, options, command) {
  try {
    return parseArgs({ args, options, allowPositionals: false, strict: true });
  } catch (error) {
    const message = error.message.replace(/\. To specify a positional argument.*$/s, "");
    throw new UsageError(message, { where: `kubeplan ${command}`, hint: `run \`kubeplan ${command} --help\` to see the options` });
  }
}
function emptyToUndefined(value) {
  return value === void 0 || value.trim() === "" ? void 0 : value;
}
export {
  main
};
