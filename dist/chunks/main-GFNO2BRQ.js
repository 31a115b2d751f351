import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  EXIT_ERROR,
  ErrorList,
  UsageError,
  formatError
} from "./chunk-4PR4VSOE.js";
import "./chunk-67KDASP7.js";

// src/cli/main.ts
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

// src/cli/help.ts
var CLUSTER_HELP = `      --kubeconfig FILE    Kubeconfig (default: $KUBECONFIG, then ~/.kube/config)
      --context NAME       Kubeconfig context (default: its current context)
      --expect-server URL  Refuse a kubeconfig whose server is not this one
      --expect-ca-sha256 H Refuse a cluster CA with another sha256 fingerprint
      --server URL         No kubeconfig: this apiserver, with a bearer token from
      --token-env NAME     this environment variable (an OIDC ID token, such as
                           GitLab id_tokens; never put the token in argv)
      --certificate-authority FILE
                           The CA of --server (default: the system's CAs)
`;
var TOOLS_HELP = `      --helm PATH          helm binary (default: $KUBEPLAN_HELM, then PATH)
      --kubectl PATH       kubectl binary (default: $KUBEPLAN_KUBECTL, then PATH)
      --kustomize PATH     Use a standalone kustomize (default: $KUBEPLAN_KUSTOMIZE)
`;
var MAIN_HELP = `kubeplan: push-based GitOps as one CI step

Usage: kubeplan <command> [options]

Commands:
  render    Render Helm charts, Kustomize overlays and manifest folders to the
            exact objects kubeplan diffs and applies
  diff      Plan: what applying the rendered targets would change in the cluster
  apply     Make the cluster match git: staged server-side apply, then prune
  drift     Where the live cluster differs from git (read-only), for schedules
  bump      Move image references to the newest tags their policy allows, as
            pull requests (or local edits)
  rollback  Re-apply a stored revision of a target (apply: {rollback: true})

Options:
  -h, --help       Show help (kubeplan <command> --help for a command's options)
  -v, --version    Print kubeplan's version

Exit codes: 0 success, 2 bad input or any other error (nothing is written);
kubeplan diff --exit-code and drift --exit-code also exit 1 when there are
changes or drift.
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
appear: the report says per key whether it was added, removed or changed.

Options:
  -c, --config FILE        Config file (default: kubeplan.yaml)
  -t, --target NAME        Plan only this target; repeat for several
${CLUSTER_HELP}      --mode MODE          server, client or auto (default: auto: server when the
                           credentials may patch every object, else client)
      --base REF           Also render the targets at git REF: the report shows
                           what this change does (base \u2192 working tree) and where
                           the cluster already differs from REF (drift)
      --offline            No cluster: with --base, only the intent diff
  -o, --output FORMAT      text (default), markdown or json
      --exit-code          Exit 1 when there are changes (0 none, 2 error)
      --concurrency N      Requests in flight at once (default: 16)
${TOOLS_HELP}  -h, --help               Show this help

Examples:
  kubeplan diff
  kubeplan diff --target shop-prod -o markdown > plan.md
  kubeplan diff --mode client --exit-code
  kubeplan diff --base origin/main --offline
`;
var APPLY_HELP = `Usage: kubeplan apply [options]

Plans every target (as kubeplan diff --mode server) and writes only what changed,
with server-side apply as field manager kubeplan, in stages: CRDs, Namespaces and
cluster-wide RBAC; then, once the CRDs are Established, everything else; webhooks
and APIServices last; Helm pre-/post- hooks around them. Objects applied before
and no longer rendered are pruned (the target's ApplySet, a ConfigMap
kubeplan-<target>, records them). Nothing is written when the plan has errors or
replaces an object.

Options:
  -c, --config FILE        Config file (default: kubeplan.yaml)
  -t, --target NAME        Apply only this target; repeat for several
${CLUSTER_HELP}      --dry-run            Plan only; write nothing
      --wait, --no-wait    Wait until what was written is healthy before pruning
                           (default: wait)
      --timeout D          How long to wait, e.g. 90s, 5m (default: 5m; a
                           Deployment's progressDeadlineSeconds wins if shorter)
      --force-conflicts    Take over fields other field managers own
      --allow-empty        Let a target that renders nothing prune everything
      --no-hooks           Do not run Helm hooks (pre-/post-install and -upgrade
                           hooks run by weight around the stages; tests never)
  -o, --output FORMAT      text (default) or json
      --concurrency N      Requests in flight at once (default: 16)
${TOOLS_HELP}  -h, --help               Show this help

Examples:
  kubeplan apply
  kubeplan apply --target shop-prod --dry-run
`;
var DRIFT_HELP = `Usage: kubeplan drift [options]

Compares the checked-out commit with the live cluster, read-only (client mode:
get and list rights are enough), and reports objects edited by hand (the fields
named), objects missing from the cluster, and objects the target applied that git
no longer has. Meant for a schedule; Secret values never appear.

Options:
  -c, --config FILE        Config file (default: kubeplan.yaml)
  -t, --target NAME        Check only this target; repeat for several
${CLUSTER_HELP}  -o, --output FORMAT      text (default), markdown, json or openmetrics
                           (kubeplan_drift_objects, _first_seen_timestamp_seconds
                           and _check_success per target)
      --exit-code          Exit 1 when there is drift (0 none, 2 error)
      --concurrency N      Requests in flight at once (default: 16)
${TOOLS_HELP}  -h, --help               Show this help

Examples:
  kubeplan drift --exit-code
  kubeplan drift -o openmetrics > /var/lib/node_exporter/kubeplan.prom
`;
var BUMP_HELP = `Usage: kubeplan bump [options]

Finds every image reference in the targets' source files (values files, Kustomize
images, manifests, Flux and Renovate markers), asks the registries for their tags,
picks the newest each image's policy allows and edits the files byte for byte
(comments, quotes and layout kept). By default it opens or updates one pull request
per image (or group) on a stable branch; that needs GITHUB_TOKEN and
GITHUB_REPOSITORY. Registry credentials come from Docker's config.json.

Options:
  -c, --config FILE        Config file (default: kubeplan.yaml)
      --image NAME         Only this image (as written, without tag); repeat
      --tag TAG            With one --image: move it to this tag, as app CI
                           announces it (one HEAD request, no tag listing)
      --digest DIGEST      With --tag: the sha256 digest the tag must have
      --local              Edit the working tree only: no git, no pull requests
      --dry-run            Write nothing; print the edits as unified diffs
      --explain            List every tag and why it was not chosen
  -o, --output FORMAT      text (default) or json (schema in the README)
      --registry-endpoint HOST=URL
                           Reach HOST's registry at URL (a mirror); repeat
  -h, --help               Show this help

Exit codes: 0 done (with or without bumps), 2 bad input or an image whose
registry failed (the other images still move).

Examples:
  kubeplan bump --dry-run --explain
  kubeplan bump --local --image ghcr.io/acme/shop
  kubeplan bump --image ghcr.io/acme/shop --tag 2.5.0 --digest sha256:...
`;
var ROLLBACK_HELP = `Usage: kubeplan rollback --target NAME [options]

Re-applies a stored revision of a target: by default the one before the newest,
through the same plan and staged server-side apply as kubeplan apply (objects
added since are pruned), and records it as a new revision. Revisions are kept for
targets with apply: {rollback: true} in kubeplan.yaml, which also makes a failed
apply roll back to the last good one by itself. Hooks do not run.

Options:
  -c, --config FILE        Config file (default: kubeplan.yaml)
  -t, --target NAME        The target (exactly one)
      --list               List the stored revisions instead
      --to-revision N      Roll back to revision N (default: the previous one)
${CLUSTER_HELP}      --force-conflicts    Take over fields other field managers own
      --no-wait            Do not wait until the restored objects are healthy
      --timeout DURATION   How long to wait (default: 5m)
  -o, --output FORMAT      text (default) or json
      --concurrency N      Requests in flight at once (default: 16)
  -h, --help               Show this help

Examples:
  kubeplan rollback --target shop-prod --list
  kubeplan rollback --target shop-prod
  kubeplan rollback --target shop-prod --to-revision 7
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
      const topic = command === "help" ? rest[0] : void 0;
      io.stdout(topic === "render" ? RENDER_HELP : topic === "diff" ? DIFF_HELP : topic === "apply" ? APPLY_HELP : topic === "drift" ? DRIFT_HELP : topic === "bump" ? BUMP_HELP : topic === "rollback" ? ROLLBACK_HELP : MAIN_HELP);
      return 0;
    }
    if (command === "-v" || command === "--version" || command === "version") {
      io.stdout(`${version}
`);
      return 0;
    }
    if (command === "render") return await render(rest, env, cwd, io);
    if (command === "diff") return await diff(rest, env, cwd, io);
    if (command === "apply") return await apply(rest, env, cwd, io);
    if (command === "drift") return await drift(rest, env, cwd, io);
    if (command === "bump") return await bump(rest, env, cwd, io);
    if (command === "rollback") return await rollback(rest, env, cwd, io);
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
  const result = await (await import("./render-472KPS5O.js")).renderCommand({
    config: values.config ?? "kubeplan.yaml",
    targets: values.target ?? [],
    outDir: emptyToUndefined(values["out-dir"]),
    format,
    showSecrets: values["show-secrets"] ?? false,
    tools: toolsFrom(values),
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
var CLUSTER_OPTIONS = {
  config: { type: "string", short: "c" },
  target: { type: "string", short: "t", multiple: true },
  kubeconfig: { type: "string" },
  context: { type: "string" },
  concurrency: { type: "string" },
  "expect-server": { type: "string" },
  "expect-ca-sha256": { type: "string" },
  server: { type: "string" },
  "token-env": { type: "string" },
  "certificate-authority": { type: "string" },
  helm: { type: "string" },
  kubectl: { type: "string" },
  kustomize: { type: "string" },
  help: { type: "boolean", short: "h" }
};
function clusterArgs(values, cwd, env) {
  return {
    config: values.config ?? "kubeplan.yaml",
    targets: values.target ?? [],
    tools: toolsFrom(values),
    kubeconfig: emptyToUndefined(values.kubeconfig),
    context: emptyToUndefined(values.context),
    pin: { server: emptyToUndefined(values["expect-server"]), caSha256: emptyToUndefined(values["expect-ca-sha256"]) },
    direct: directCredentials(values, cwd, env),
    concurrency: parseConcurrency(values.concurrency),
    cwd,
    env
  };
}
var DIFF_OPTIONS = {
  ...CLUSTER_OPTIONS,
  mode: { type: "string" },
  base: { type: "string" },
  offline: { type: "boolean" },
  output: { type: "string", short: "o" },
  "exit-code": { type: "boolean" }
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
  const result = await (await import("./diff-NO75RM3Y.js")).diffCommand({
    ...clusterArgs(values, cwd, env),
    mode,
    base: emptyToUndefined(values.base),
    offline: values.offline ?? false,
    output,
    exitCode: values["exit-code"] ?? false,
    color: io.isTTY === true && env.NO_COLOR === void 0
  });
  io.stdout(result.report);
  const errors = result.plan.summary.error + (result.plan.drift?.summary.error ?? 0);
  if (errors > 0) io.stderr(`error: ${errors} object${errors === 1 ? "" : "s"} could not be planned (see the report)
`);
  return result.exitCode;
}
var APPLY_OPTIONS = {
  ...CLUSTER_OPTIONS,
  "dry-run": { type: "boolean" },
  "force-conflicts": { type: "boolean" },
  "allow-empty": { type: "boolean" },
  "no-hooks": { type: "boolean" },
  wait: { type: "boolean" },
  "no-wait": { type: "boolean" },
  timeout: { type: "string" },
  output: { type: "string", short: "o" }
};
async function apply(args, env, cwd, io) {
  const { values } = parse(args, APPLY_OPTIONS, "apply");
  if (values.help) {
    io.stdout(APPLY_HELP);
    return 0;
  }
  const output = values.output ?? "text";
  if (output !== "text" && output !== "json") throw new UsageError(`--output must be text or json, not "${output}"`, { hint: "use -o text or -o json" });
  if (values.wait && values["no-wait"]) throw new UsageError("--wait and --no-wait exclude each other", { hint: "pass one of them (waiting is the default)" });
  const timeoutMs = parseDuration(values.timeout ?? "5m");
  const result = await (await import("./apply-MGQRPZ4V.js")).applyCommand({
    ...clusterArgs(values, cwd, env),
    dryRun: values["dry-run"] ?? false,
    forceConflicts: values["force-conflicts"] ?? false,
    allowEmpty: values["allow-empty"] ?? false,
    noHooks: values["no-hooks"] ?? false,
    waitTimeoutMs: values["no-wait"] ? void 0 : timeoutMs,
    onProgress: (message) => io.stderr(`${message}
`),
    output,
    tooling: `kubeplan/v${version}`
  });
  io.stdout(result.report);
  return 0;
}
var ROLLBACK_OPTIONS = {
  ...CLUSTER_OPTIONS,
  "to-revision": { type: "string" },
  list: { type: "boolean" },
  "force-conflicts": { type: "boolean" },
  "no-wait": { type: "boolean" },
  timeout: { type: "string" },
  output: { type: "string", short: "o" }
};
async function rollback(args, env, cwd, io) {
  const { values } = parse(args, ROLLBACK_OPTIONS, "rollback");
  if (values.help) {
    io.stdout(ROLLBACK_HELP);
    return 0;
  }
  const output = values.output ?? "text";
  if (output !== "text" && output !== "json") throw new UsageError(`--output must be text or json, not "${output}"`, { hint: "use -o text or -o json" });
  const targets = values.target ?? [];
  if (targets.length !== 1) throw new UsageError("rollback needs exactly one --target", { where: "kubeplan rollback", hint: "kubeplan rollback --target NAME [--to-revision N], or --list to see the revisions" });
  const to = values["to-revision"];
  if (to !== void 0 && !/^[1-9]\d*$/.test(to)) throw new UsageError(`--to-revision must be a revision number, not "${to}"`, { hint: "see them with --list" });
  if (to !== void 0 && values.list) throw new UsageError("--list and --to-revision exclude each other", { hint: "list first, then roll back" });
  const result = await (await import("./rollback-Q2EDN3MM.js")).rollbackCommand({
    ...clusterArgs(values, cwd, env),
    target: targets[0],
    toRevision: to === void 0 ? void 0 : Number(to),
    list: values.list ?? false,
    forceConflicts: values["force-conflicts"] ?? false,
    waitTimeoutMs: values["no-wait"] ? void 0 : parseDuration(values.timeout ?? "5m"),
    output,
    tooling: `kubeplan/v${version}`,
    onProgress: (message) => io.stderr(`${message}
`)
  });
  io.stdout(result.report);
  return 0;
}
var DRIFT_OPTIONS = {
  ...CLUSTER_OPTIONS,
  output: { type: "string", short: "o" },
  "exit-code": { type: "boolean" }
};
async function drift(args, env, cwd, io) {
  const { values } = parse(args, DRIFT_OPTIONS, "drift");
  if (values.help) {
    io.stdout(DRIFT_HELP);
    return 0;
  }
  const output = values.output ?? "text";
  if (output !== "text" && output !== "markdown" && output !== "json" && output !== "openmetrics") {
    throw new UsageError(`--output must be text, markdown, json or openmetrics, not "${output}"`, { hint: "use -o openmetrics for a textfile collector or a Pushgateway" });
  }
  const result = await (await import("./drift-S2BKLGOT.js")).driftCommand({
    ...clusterArgs(values, cwd, env),
    output,
    exitCode: values["exit-code"] ?? false,
    color: io.isTTY === true && env.NO_COLOR === void 0
  });
  io.stdout(result.report);
  return result.exitCode;
}
var BUMP_OPTIONS = {
  config: { type: "string", short: "c" },
  image: { type: "string", multiple: true },
  tag: { type: "string" },
  digest: { type: "string" },
  local: { type: "boolean" },
  "dry-run": { type: "boolean" },
  explain: { type: "boolean" },
  output: { type: "string", short: "o" },
  "registry-endpoint": { type: "string", multiple: true },
  help: { type: "boolean", short: "h" }
};
async function bump(args, env, cwd, io) {
  const { values } = parse(args, BUMP_OPTIONS, "bump");
  if (values.help) {
    io.stdout(BUMP_HELP);
    return 0;
  }
  const output = values.output ?? "text";
  if (output !== "text" && output !== "json") throw new UsageError(`--output must be text or json, not "${output}"`, { hint: "use -o json for the documented schema" });
  if (values.local && values["dry-run"]) throw new UsageError("--local and --dry-run cannot be combined", { hint: "--dry-run writes nothing; --local edits the working tree" });
  const images = values.image ?? [];
  const tag = emptyToUndefined(values.tag);
  const digest = emptyToUndefined(values.digest);
  if ((tag || digest) && images.length !== 1) {
    throw new UsageError("--tag and --digest need exactly one --image", { hint: "kubeplan bump --image ghcr.io/acme/shop --tag 2.5.0" });
  }
  if (digest && !tag) throw new UsageError("--digest needs --tag", { hint: "name the tag the digest belongs to" });
  if (digest && !/^sha256:[a-f0-9]{64}$/.test(digest)) throw new UsageError(`--digest must be sha256: and 64 hex digits, not "${digest}"`, { hint: "copy the digest docker push printed" });
  const endpoints = (values["registry-endpoint"] ?? []).map((e) => {
    const m = /^([A-Za-z0-9.-]+(?::\d+)?)=(https?:\/\/[^/]+)\/?$/.exec(e);
    if (!m) throw new UsageError(`--registry-endpoint must be HOST=URL, not "${e}"`, { hint: "for example ghcr.io=http://127.0.0.1:5000" });
    return { host: m[1], endpoint: m[2] };
  });
  const mode = values.local ? "local" : values["dry-run"] ? "dry-run" : "pull-requests";
  const publisher = mode === "pull-requests" ? await cliPublisher(env, cwd) : void 0;
  const result = await (await import("./bump-FOPYELUL.js")).bumpCommand({
    config: values.config ?? "kubeplan.yaml",
    cwd,
    env,
    request: { only: tag ? [] : images, dispatch: tag ? { image: images[0], tag, digest } : void 0, explain: values.explain ?? false },
    mode,
    output,
    endpoints,
    ...publisher ? { publisher } : {}
  });
  io.stdout(result.output);
  return result.exitCode;
}
async function cliPublisher(env, cwd) {
  const token = env.GITHUB_TOKEN ?? env.GH_TOKEN;
  const repository = env.GITHUB_REPOSITORY;
  if (!token || !repository) {
    throw new UsageError("opening pull requests needs GITHUB_TOKEN and GITHUB_REPOSITORY (owner/name)", {
      where: "kubeplan bump",
      hint: "set them, or pass --local to edit the working tree or --dry-run to only print the edits"
    });
  }
  const { githubBumpPublisher } = await import("./bump-CQSDF55U.js");
  return githubBumpPublisher({ token, repository, env, cwd });
}
function directCredentials(values, cwd, env) {
  const server = emptyToUndefined(values.server);
  const tokenEnv = emptyToUndefined(values["token-env"]);
  const caFile = emptyToUndefined(values["certificate-authority"]);
  if (!server) {
    if (tokenEnv || caFile) throw new UsageError(`--${tokenEnv ? "token-env" : "certificate-authority"} needs --server`, { hint: "pass --server URL with --token-env NAME, or use a kubeconfig" });
    return void 0;
  }
  if (values.kubeconfig || values.context) throw new UsageError("--server cannot be combined with --kubeconfig or --context", { hint: "use either a kubeconfig, or --server with --token-env" });
  if (!tokenEnv) throw new UsageError("--server needs --token-env NAME, the environment variable that holds the bearer token", { hint: "in GitLab CI: id_tokens: {KUBEPLAN_ID_TOKEN: {aud: ...}} and --token-env KUBEPLAN_ID_TOKEN" });
  const token = env[tokenEnv]?.trim();
  if (!token) {
    throw new UsageError(`the variable ${tokenEnv} (--token-env) is empty or not set`, {
      hint: "in GitLab CI declare it under id_tokens with the audience the cluster expects; elsewhere export it before running kubeplan"
    });
  }
  let caPem;
  if (caFile) {
    try {
      caPem = readFileSync(path.resolve(cwd, caFile), "utf8");
    } catch (error) {
      throw new UsageError(`cannot read --certificate-authority ${caFile} (${error.code})`, { hint: "pass the path of the CA certificate (PEM)" });
    }
  }
  return { server, token, caPem, source: `the token in $${tokenEnv}` };
}
function parse(args, options, command) {
  try {
    return parseArgs({ args, options, allowPositionals: false, strict: true });
  } catch (error) {
    const message = error.message.replace(/\. To specify a positional argument.*$/s, "");
    throw new UsageError(message, { where: `kubeplan ${command}`, hint: `run \`kubeplan ${command} --help\` to see the options` });
  }
}
function parseConcurrency(value) {
  const concurrency = value === void 0 ? 16 : Number(value);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    throw new UsageError(`--concurrency must be a whole number from 1 to 256, not "${value}"`, { hint: "the default, 16, suits most clusters" });
  }
  return concurrency;
}
function toolsFrom(values) {
  return { helm: emptyToUndefined(values.helm), kubectl: emptyToUndefined(values.kubectl), kustomize: emptyToUndefined(values.kustomize) };
}
function parseDuration(text) {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`--timeout must be a duration like 90s, 5m or 1h, not "${text}"`, { hint: "use a number with s, m or h" });
  const n = Number(m[1]);
  return n * ({ ms: 1, s: 1e3, m: 6e4, h: 36e5 }[m[2] ?? "s"] ?? 1e3);
}
function emptyToUndefined(value) {
  return value === void 0 || value.trim() === "" ? void 0 : value;
}
export {
  main
};
