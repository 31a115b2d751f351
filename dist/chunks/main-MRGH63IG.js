import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  EXIT_ERROR,
  ErrorList,
  UsageError,
  formatError,
  renderCommand
} from "./chunk-IBRCOZPG.js";

// src/cli/main.ts
import { parseArgs } from "node:util";

// src/cli/help.ts
var MAIN_HELP = `kubeplan: push-based GitOps as one CI step

Usage: kubeplan <command> [options]

Commands:
  render    Render Helm charts, Kustomize overlays and manifest folders to the
            exact objects kubeplan diffs and applies

Options:
  -h, --help       Show help (kubeplan <command> --help for a command's options)
  -v, --version    Print kubeplan's version

Exit codes: 0 success, 2 bad input or any other error (nothing is written).
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
      if (command === "help" && rest[0] === "render") io.stdout(RENDER_HELP);
      else io.stdout(MAIN_HELP);
      return 0;
    }
    if (command === "-v" || command === "--version" || command === "version") {
      io.stdout(`${version}
`);
      return 0;
    }
    if (command === "render") return await render(rest, env, cwd, io);
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
