/** A Kubernetes object exactly as rendered: plain JSON, never passed through a typed model that could drop fields. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** Where an object came from, for messages and reports. */
export interface SourceRef {
  /** File relative to the repository root (forward slashes); for remote charts the chart reference. */
  file: string;
  /** 1-based line of the document in `file`, where known (plain manifests). */
  line?: number;
  /** Helm's `# Source:` value (chart/templates/x.yaml), for Helm targets. */
  template?: string;
  /**
   * Kustomize: the overlays that changed the object after its base file, each as `overlays/prod/kustomization.yaml
   * (patches: replicas.yaml, images)`, outermost last.
   */
  changedBy?: string[];
}

/** A Helm hook, kept in the manifest set and marked so the apply stage can run it at the right time. */
export interface HelmHook {
  events: string[];
  weight: number;
  deletePolicies: string[];
}

export interface Manifest {
  object: KubeObject;
  source: SourceRef;
  hook?: HelmHook;
}

/** Everything one target renders to, in a deterministic order. */
export interface ManifestSet {
  target: string;
  namespace: string | undefined;
  manifests: Manifest[];
}
