/** Help texts. README's CLI reference embeds these verbatim (a test keeps them equal). */

export const MAIN_HELP = `kubeplan: push-based GitOps as one CI step

Usage: kubeplan <command> [options]

Commands:
  render    Render Helm charts, Kustomize overlays and manifest folders to the
            exact objects kubeplan diffs and applies

Options:
  -h, --help       Show help (kubeplan <command> --help for a command's options)
  -v, --version    Print kubeplan's version

Exit codes: 0 success, 2 bad input or any other error (nothing is written).
`;

export const RENDER_HELP = `Usage: kubeplan render [options]

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
