import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  RenderError
} from "./chunk-4PR4VSOE.js";

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
    const key = `${spec.names.kind}.${spec.group}`;
    if (spec.scope === "Cluster") this.cluster.add(key);
    else this.namespaced.add(key);
  }
  isClusterScoped(object) {
    const key = groupKind(object);
    return this.cluster.has(key) && !this.namespaced.has(key);
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
    const key = objectIdentity(m.object);
    const first = seen.get(key);
    if (first) {
      throw new RenderError(`${describeObject(m)} is rendered twice: by ${formatSource(first.source)} and by ${formatSource(m.source)}`, {
        where: `target ${target}`,
        hint: "remove one of them, or give them different names (an object can only be applied once)"
      });
    }
    seen.set(key, m);
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
        for (const key of Object.keys(values)) {
          values[key] = REDACTED;
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

export {
  apiGroup,
  objectIdentity,
  buildManifestSet,
  formatSource,
  isSecret,
  redactObject
};
