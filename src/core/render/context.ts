import type { HelmPolicy, KustomizePolicy } from '../config/types.js';

/** Everything a renderer needs besides the target itself; passed in, never read from globals. */
export interface RenderContext {
  repoRoot: string;
  env: NodeJS.ProcessEnv;
  helm: string | undefined;
  /** How to run Kustomize: `kubectl kustomize` or a standalone `kustomize build`. */
  kustomize: { kind: 'kubectl' | 'kustomize'; path: string } | undefined;
  policy: KustomizePolicy;
  /** Where remote charts may come from (helm targets and kustomize helmCharts). */
  allowRepositories: HelmPolicy['allowRepositories'];
}
