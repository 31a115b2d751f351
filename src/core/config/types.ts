/** The validated, resolved form of kubeplan.yaml that the rest of the core consumes. */
import type { AnalysisLimits } from '../canary/analysis.js';
import type { CanaryStep } from '../canary/machine.js';
import type { MetricCheck, PrometheusSettings } from '../canary/prometheus.js';
import type { TrafficSpec } from '../canary/traffic.js';
import type { ImageRules } from '../images/policy.js';
import type { FileWhere } from '../errors.js';

/** A path from kubeplan.yaml, resolved and checked to stay inside the repository. */
export interface RepoPath {
  /** Absolute path on disk. */
  abs: string;
  /** Path relative to the repository root, with forward slashes: what messages and reports show. */
  rel: string;
}

export type ChartRef =
  | { kind: 'local'; path: RepoPath }
  | { kind: 'oci'; ref: string; version: string | undefined }
  | { kind: 'repo'; repo: string; name: string; version: string | undefined };

export interface HelmSource {
  type: 'helm';
  chart: ChartRef;
  releaseName: string;
  values: RepoPath[];
  set: Record<string, unknown>;
  kubeVersion: string | undefined;
  apiVersions: string[];
  includeCRDs: boolean;
  /** A Kustomize Component applied to the chart's output. */
  postRender: RepoPath | undefined;
}

export interface KustomizeSource {
  type: 'kustomize';
  dir: RepoPath;
}

export interface ManifestsSource {
  type: 'manifests';
  dir: RepoPath;
}

export type TargetSource = HelmSource | KustomizeSource | ManifestsSource;

/** A difference the plan does not report (kubeplan.yaml `ignore`). */
export interface IgnoreRule {
  group?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  /** JSON pointers. */
  paths: string[];
  /** Field managers whose fields are ignored. */
  managers: string[];
}

/** kubeplan.yaml `policy`: what a target may touch (undefined lists: no restriction). */
export interface TargetPolicy {
  namespaces: string[] | undefined;
  clusterScoped: string[] | undefined;
}

/** kubeplan.yaml `apply`: per-target apply policy. */
export interface ApplyPolicy {
  forceConflicts: boolean;
  /** Kinds that may be deleted and created again on an immutable change. */
  recreate: string[];
  allowEmpty: boolean;
  /** Store revisions and re-apply the last good one when an apply fails (kubeplan.yaml `apply.rollback`). */
  rollback: boolean;
  /**
   * How the apply on merge holds to the plan reviewers approved (kubeplan.yaml `apply.binding`): off, warn (apply,
   * with a warning when it is not the reviewed plan) or strict (write nothing for this target then).
   */
  binding: BindingMode;
}

export type BindingMode = 'off' | 'warn' | 'strict';

/** The environment of a target's deployments: its name (default the target's) and whether it is production. */
export interface DeploymentTarget {
  environment: string;
  production: boolean;
}

export interface Target {
  name: string;
  namespace: string | undefined;
  source: TargetSource;
  ignore: IgnoreRule[];
  apply: ApplyPolicy;
  policy: TargetPolicy;
  /** Where apply records the target's deployment (kubeplan.yaml `environment`, `production`). */
  deployment: DeploymentTarget;
  /** `kubeplan.yaml:LINE` of the target's entry, for messages. */
  where: FileWhere;
  /** kubeplan.yaml `clusters`: the named clusters this target runs on (one instance per cluster). */
  clusters?: string[] | undefined;
  /** kubeplan.yaml `dependsOn`: targets applied (and healthy) before this one on the same cluster. */
  dependsOn?: string[] | undefined;
  /** kubeplan.yaml `rollout.waves`: the order of this target's clusters, wave after wave. */
  rollout?: { waves: string[][] } | undefined;
  /** kubeplan.yaml `promote`: the upstream target whose versions `kubeplan promote` brings here, after `soakMs`. */
  promote?: { from: string; soakMs: number } | undefined;
  /** kubeplan.yaml `canary`: a new pod template of the workload goes out as a metric-gated canary (#19). */
  canary?: CanaryConfig | undefined;
}

/** kubeplan.yaml `targets[].canary`, checked and with durations in milliseconds. */
export interface CanaryConfig {
  workload: { kind: 'Deployment'; name: string };
  /** The Service in git that selects the workload's pods; `<service>-stable` / `-canary` are derived from it. */
  service: string;
  traffic: TrafficSpec;
  /** At least one step; a step has a weight (1–100, with an optional pause) or is an approval gate. */
  steps: CanaryStep[];
  analysis: {
    /** Time between two measurement rounds of a step. */
    intervalMs: number;
    /** The same interval as a PromQL duration, for `{{ interval }}` in queries (`1m`). */
    interval: string;
    limits: AnalysisLimits;
    prometheus: PrometheusSettings;
    metrics: MetricCheck[];
  };
  /** The whole canary, from its start: past it, it rolls back. */
  timeoutMs: number;
  /** No run looked after it for longer than this: the next run rolls back. */
  maxUnattendedMs: number;
  /** `kubeplan.yaml:LINE` of the `canary` entry. */
  where: FileWhere;
}

/** How kubeplan authenticates to a named cluster; the config names where a credential is, never its value. */
export type ClusterAuth =
  | { kind: 'oidc'; audience: string }
  | { kind: 'token'; env: string }
  | { kind: 'kubeconfig'; env: string; context: string };

/** kubeplan.yaml `clusters.NAME`: one named cluster. */
export interface ClusterConfig {
  name: string;
  /** The apiserver URL, without a trailing slash. */
  server: string;
  /** The CA certificate (PEM) from `ca` or `caFile`; undefined: the system's CAs (or the kubeconfig's). */
  caPem: string | undefined;
  /** The pinned CA sha256 (lower-case hex, no colons). */
  caSha256: string | undefined;
  auth: ClusterAuth;
  /** `kubeplan.yaml:LINE` of the cluster's entry. */
  where: FileWhere;
}

export interface KustomizePolicy {
  allowExecPlugins: boolean;
  allowRemoteResources: boolean;
  allowHelmCharts: boolean;
}

/** kubeplan.yaml `helm`: where remote charts may come from. */
export interface HelmPolicy {
  /** Chart repository URLs and oci:// locations; a chart is allowed when its reference is one of them or below one. */
  allowRepositories: string[];
}

/** kubeplan.yaml `images[]`: how one image's bumps are chosen. */
export interface ImageConfig {
  name: string;
  /** `registry/repository`, the way references are matched. */
  key: string;
  /** Only references in files matching these (repository-relative regular expressions made from the globs). */
  files: { globs: string[]; match: RegExp[] } | undefined;
  rules: ImageRules | undefined;
  pin: boolean;
  group: string | undefined;
  skip: boolean;
  /** `kubeplan.yaml:LINE` of the image's entry. */
  where: FileWhere;
}

/** kubeplan.yaml `registries[]`. */
export interface RegistryConfig {
  host: string;
  insecure: boolean;
  endpoint: string | undefined;
  /** A token service on another host that may receive the registry's credentials. */
  tokenRealm: string | undefined;
}

export interface Config {
  /** Absolute path of the config file. */
  file: string;
  /** Repository root: the nearest folder above the config file holding .git, else the config file's folder. */
  repoRoot: string;
  targets: Target[];
  kustomize: KustomizePolicy;
  helm: HelmPolicy;
  images: ImageConfig[];
  registries: RegistryConfig[];
  bump: {
    labels: string[];
    branchPrefix: string;
    /** GitHub logins or `org/team`; GitLab usernames. */
    reviewers: string[];
    assignees: string[];
    /** Before the commit message and the title (`chore(deps): `); empty for none. */
    commitMessagePrefix: string;
    /** Keep the "kubeplan dashboard" issue up to date. */
    dashboard: boolean;
  };
  /** kubeplan.yaml `clusters`, in the file's order; undefined without it (one cluster from the command line). */
  clusters?: ClusterConfig[] | undefined;
  /** kubeplan.yaml `repository`: this repository's identity, overriding the CI context and the git remote. */
  repository?: string | undefined;
}
