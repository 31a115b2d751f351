import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  GitHubApi,
  GitHubError,
  endGroup,
  error,
  getIDToken,
  getInput,
  info,
  runBump,
  setFailed,
  setOutput,
  setSecret,
  startGroup,
  summary,
  warning
} from "./chunks/chunk-FDDIUGUZ.js";
import {
  rollbackCommand
} from "./chunks/chunk-4OMGPE3F.js";
import {
  driftCommand,
  formatDriftMarkdown
} from "./chunks/chunk-MRZMDYDM.js";
import {
  diffCommand
} from "./chunks/chunk-6KMZQFPM.js";
import {
  formatPlanJson,
  planFooter,
  planHeader,
  planSections
} from "./chunks/chunk-OFIMP4AG.js";
import {
  renderCommand
} from "./chunks/chunk-SUXQHBOJ.js";
import {
  applyCommand
} from "./chunks/chunk-ERRDTNE5.js";
import "./chunks/chunk-L333WWOV.js";
import {
  emptyCounts,
  objectName,
  summaryLine
} from "./chunks/chunk-FC6XUUJ6.js";
import "./chunks/chunk-PN44SHZJ.js";
import {
  formatSource
} from "./chunks/chunk-TZ2ZTMWF.js";
import {
  affectedTargets
} from "./chunks/chunk-2TODC6UY.js";
import "./chunks/chunk-TYIG3YVF.js";
import {
  execa
} from "./chunks/chunk-4NJ2LQN2.js";
import {
  loadConfig
} from "./chunks/chunk-Z65K4BBT.js";
import {
  ErrorList,
  KubeplanError,
  UsageError,
  formatError
} from "./chunks/chunk-4PR4VSOE.js";
import {
  CORE_SCHEMA,
  load
} from "./chunks/chunk-SGIW2ZLB.js";
import "./chunks/chunk-67KDASP7.js";

// src/platform/github/run.ts
import path4 from "node:path";
import { existsSync, rmSync } from "node:fs";

// src/platform/github/context.ts
import { readFileSync } from "node:fs";
function readGitHubContext(env) {
  const [owner, name] = (env.GITHUB_REPOSITORY ?? "/").split("/");
  let payload = {};
  if (env.GITHUB_EVENT_PATH) {
    try {
      payload = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, "utf8"));
    } catch (error2) {
      throw new UsageError(`cannot read the event payload ${env.GITHUB_EVENT_PATH}: ${error2.message}`, { hint: "run kubeplan as a step of a GitHub Actions workflow" });
    }
  }
  const pr = payload.pull_request;
  return {
    event: env.GITHUB_EVENT_NAME ?? "",
    repository: { owner: owner ?? "", name: name ?? "" },
    sha: env.GITHUB_SHA ?? "",
    ref: env.GITHUB_REF ?? "",
    pullRequest: pr ? {
      number: pr.number,
      baseSha: pr.base.sha,
      headSha: pr.head.sha,
      baseRef: pr.base.ref,
      // A head repository other than the base one (or a deleted one) means a fork: its token cannot write here.
      fromFork: pr.head.repo === null || pr.head.repo.full_name !== pr.base.repo.full_name
    } : void 0,
    push: env.GITHUB_EVENT_NAME === "push" && payload.after ? {
      before: payload.before ?? "",
      after: payload.after,
      toDefaultBranch: payload.repository?.default_branch !== void 0 && env.GITHUB_REF === `refs/heads/${payload.repository.default_branch}`
    } : void 0,
    runUrl: env.GITHUB_SERVER_URL && env.GITHUB_RUN_ID ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` : void 0
  };
}

// src/platform/github/inputs.ts
import path from "node:path";
var IMPLEMENTED = { render: "render", plan: "plan", apply: "apply", drift: "drift", bump: "bump", rollback: "rollback" };
function readInputs(env) {
  const requested = getInput("command") || "auto";
  const event = env.GITHUB_EVENT_NAME ?? "";
  let command;
  if (requested === "auto") {
    if (event === "pull_request" || event === "pull_request_target") command = "plan";
    else if (event === "push" && booleanInput("apply", false)) command = "apply";
    else if (event === "repository_dispatch") command = "bump";
    else if (event === "schedule" || event === "workflow_dispatch") {
      const scheduled = getInput("schedule-command") || "drift";
      if (scheduled !== "drift" && scheduled !== "bump") throw new UsageError(`input schedule-command must be drift or bump, not "${scheduled}"`, { where: "action input schedule-command" });
      command = scheduled;
    } else {
      throw new UsageError(`command auto plans pull requests, and applies pushes when apply is true; this run is a "${event || "unknown"}" event`, {
        where: "action input command",
        hint: event === "push" ? "set apply: true to apply pushes to the default branch" : "set command: plan, apply, drift, bump or render explicitly"
      });
    }
  } else if (IMPLEMENTED[requested]) {
    command = IMPLEMENTED[requested];
  } else {
    throw new UsageError(`input command must be auto, plan, apply, drift, bump, rollback or render, not "${requested}"`, { where: "action input command" });
  }
  const format = getInput("output-format") || "yaml";
  if (format !== "yaml" && format !== "json") {
    throw new UsageError(`input output-format must be yaml or json, not "${format}"`, { where: "action input output-format" });
  }
  const diffMode = getInput("diff-mode") || "auto";
  if (diffMode !== "auto" && diffMode !== "server" && diffMode !== "client") {
    throw new UsageError(`input diff-mode must be auto, server or client, not "${diffMode}"`, { where: "action input diff-mode" });
  }
  const failOn = getInput("fail-on") || "never";
  if (!["never", "changes", "destroy", "replace"].includes(failOn)) {
    throw new UsageError(`input fail-on must be never, changes, destroy or replace, not "${failOn}"`, { where: "action input fail-on" });
  }
  const concurrency = Number(getInput("concurrency") || "16");
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    throw new UsageError(`input concurrency must be a whole number from 1 to 256`, { where: "action input concurrency" });
  }
  const commentInput = (getInput("comment") || "true").toLowerCase();
  if (commentInput !== "true" && commentInput !== "false") {
    throw new UsageError(`input comment must be true or false, not "${commentInput}"`, { where: "action input comment" });
  }
  const token = optional("github-token");
  if (token) setSecret(token);
  const kubeconfig = optional("kubeconfig");
  const clusterToken = optional("cluster-token");
  if (clusterToken) setSecret(clusterToken);
  const workspace = env.GITHUB_WORKSPACE ?? process.cwd();
  const workingDirectory = path.resolve(workspace, optional("working-directory") ?? ".");
  const runnerTemp = env.RUNNER_TEMP ?? path.join(workingDirectory, ".kubeplan");
  return {
    command,
    config: optional("config") ?? "kubeplan.yaml",
    targets: (getInput("targets") || "").split(/[\n,]/).map((s) => s.trim()).filter((s) => s !== ""),
    workingDirectory,
    tools: { helm: optional("helm"), kubectl: optional("kubectl"), kustomize: optional("kustomize") },
    outDir: path.resolve(workingDirectory, optional("out-dir") ?? path.join(runnerTemp, "kubeplan-render")),
    format,
    kubeconfig,
    diffMode,
    githubToken: token,
    comment: commentInput === "true",
    onlyAffected: booleanInput("only-affected", true),
    pin: { server: optional("cluster-server"), caSha256: optional("cluster-ca-sha256") },
    cluster: { server: optional("cluster-server"), ca: optional("cluster-ca"), token: clusterToken, oidcAudience: optional("oidc-audience") },
    forceConflicts: booleanInput("force-conflicts", false),
    wait: booleanInput("wait", true),
    timeoutMs: parseTimeout(getInput("timeout") || "5m"),
    failOn,
    concurrency,
    reportFormat: "json",
    rollback: { toRevision: optional("to-revision") },
    bump: { image: optional("image"), tag: optional("tag"), digest: optional("digest"), registryAuth: registryAuth(getInput("registry-auth")) }
  };
}
function registryAuth(text) {
  const out = /* @__PURE__ */ new Map();
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const m = /^([A-Za-z0-9.-]+(?::\d+)?)=([^:]+):(.+)$/.exec(line);
    if (m) setSecret(m[3]);
    else {
      const colon = line.lastIndexOf(":");
      if (colon !== -1) setSecret(line.slice(colon + 1));
      throw new UsageError(`input registry-auth line ${i + 1} must be host=username:password`, { where: "action input registry-auth", hint: "for example ghcr.io=bot:${{ secrets.GHCR_TOKEN }}" });
    }
    const host = m[1] === "docker.io" || m[1] === "index.docker.io" ? "registry-1.docker.io" : m[1];
    out.set(host, { username: m[2], password: m[3] });
  });
  return out;
}
function runnerTempOf(inputs, env) {
  return env.RUNNER_TEMP ?? path.join(inputs.workingDirectory, ".kubeplan");
}
function parseTimeout(text) {
  const m = /^(\d+)(s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`input timeout must be a duration like 90s, 5m or 1h, not "${text}"`, { where: "action input timeout" });
  return Number(m[1]) * { s: 1e3, m: 6e4, h: 36e5 }[m[2] ?? "s"];
}
function booleanInput(name, fallback) {
  const value = (getInput(name) || String(fallback)).toLowerCase();
  if (value !== "true" && value !== "false") throw new UsageError(`input ${name} must be true or false, not "${value}"`, { where: `action input ${name}` });
  return value === "true";
}
function optional(name) {
  const value = getInput(name);
  return value === "" ? void 0 : value;
}

// src/platform/github/apply.ts
import { createHash } from "node:crypto";

// src/core/git/changed-files.ts
async function changedFilesSince(repoRoot, base, env) {
  const result = await execa("git", ["diff", "--name-only", "--no-renames", `${base}`, "HEAD", "--"], { cwd: repoRoot, env, extendEnv: false, reject: false, stdin: "ignore" });
  if (result.exitCode !== 0) return void 0;
  const dirty = await execa("git", ["diff", "--name-only", "--no-renames", "HEAD", "--"], { cwd: repoRoot, env, extendEnv: false, reject: false, stdin: "ignore" });
  const untracked = await execa("git", ["ls-files", "--others", "--exclude-standard"], { cwd: repoRoot, env, extendEnv: false, reject: false, stdin: "ignore" });
  return [...new Set([result.stdout, dirty.stdout, untracked.stdout].flatMap((o) => String(o).split("\n")).filter((l) => l !== ""))];
}

// src/platform/sticky-comments.ts
function marker(kind, key, part) {
  return `<!-- kubeplan:${kind}:${key}${part ? ` part:${part.index}/${part.total}` : ""} -->`;
}
function parse(body) {
  const m = /^<!-- kubeplan:(plan|error):([\w-]+)(?: part:(\d+)\/\d+)? -->/.exec(body);
  return m ? { kind: m[1], key: m[2], index: Number(m[3] ?? 1) } : void 0;
}
async function syncPlanComments(platform, pr, key, parts) {
  const all = await platform.listComments(pr);
  const mine = all.map((c) => ({ c, m: parse(c.body) })).filter((x) => x.m?.key === key);
  const existing = mine.filter((x) => x.m.kind === "plan").sort((a, b) => a.m.index - b.m.index || a.c.id - b.c.id).map((x) => x.c);
  const result = { urls: [], created: 0, updated: 0, deleted: 0, minimized: 0 };
  for (const [i, body] of parts.entries()) {
    const current = existing[i];
    if (current && current.body === body) result.urls.push(current.url);
    else if (current) {
      result.urls.push((await platform.updateComment(current.id, body)).url);
      result.updated++;
    } else {
      result.urls.push((await platform.createComment(pr, body)).url);
      result.created++;
    }
  }
  for (const extra of existing.slice(parts.length)) {
    await platform.deleteComment(extra.id);
    result.deleted++;
  }
  for (const { c } of mine.filter((x) => x.m.kind === "error" && !x.c.minimized)) {
    const outdated = await platform.updateComment(c.id, c.body.replace(/^<!-- kubeplan:error:/, "<!-- kubeplan:outdated-error:"));
    await platform.minimizeComment(outdated);
    result.minimized++;
  }
  return result;
}
async function upsertErrorComment(platform, pr, key, body) {
  const all = await platform.listComments(pr);
  const current = all.find((c) => {
    const m = parse(c.body);
    return m?.kind === "error" && m.key === key;
  });
  if (current?.body === body) return current;
  return current ? platform.updateComment(current.id, body) : platform.createComment(pr, body);
}

// src/platform/github/cluster.ts
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import path2 from "node:path";
async function clusterOptions(inputs, env) {
  const direct = await directCredentials(inputs, env);
  let kubeconfig;
  if (!direct && inputs.kubeconfig) {
    const dir = runnerTempOf(inputs, env);
    mkdirSync(dir, { recursive: true });
    kubeconfig = writeKubeconfig(inputs.kubeconfig, dir);
  }
  if (!direct && !kubeconfig && !env.KUBECONFIG) return void 0;
  return { kubeconfig, context: void 0, pin: inputs.pin, direct, concurrency: inputs.concurrency, cwd: inputs.workingDirectory, env };
}
var CLUSTER_INPUTS = "kubeconfig, or cluster-server with oidc-audience (GitHub OIDC) or cluster-token";
async function directCredentials(inputs, env) {
  const { server, ca, token, oidcAudience } = inputs.cluster;
  const where = oidcAudience ? "action input oidc-audience" : token ? "action input cluster-token" : "action input cluster-ca";
  if (!oidcAudience && !token) return void 0;
  if (!server) throw new UsageError(`${oidcAudience ? "oidc-audience" : "cluster-token"} needs cluster-server, the apiserver URL`, { where, hint: "set cluster-server (and cluster-ca unless the server has a publicly trusted certificate)" });
  if (oidcAudience) {
    if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
      throw new UsageError("GitHub OIDC needs the id-token permission, and this job does not have it", {
        where,
        hint: "add `permissions: id-token: write` to the job (a pull request from a fork never gets it)"
      });
    }
    let idToken;
    try {
      idToken = await getIDToken(oidcAudience);
    } catch (error2) {
      throw new UsageError(`cannot get a GitHub OIDC token for audience ${oidcAudience}: ${error2.message}`, { where, hint: "retry; check the job has `permissions: id-token: write`" });
    }
    setSecret(idToken);
    return { server, token: idToken, caPem: ca, source: `a GitHub OIDC token (audience ${oidcAudience})` };
  }
  return { server, token, caPem: ca, source: "the cluster-token input" };
}
function kubeconfigPath(dir) {
  return path2.join(dir, "kubeplan-kubeconfig");
}
function writeKubeconfig(contents, dir) {
  try {
    const parsed = load(contents, { schema: CORE_SCHEMA });
    for (const u of parsed?.users ?? []) {
      for (const field of ["token", "password", "client-key-data", "client-certificate-data"]) {
        const value = u.user?.[field];
        if (typeof value === "string" && value !== "") setSecret(value);
      }
    }
  } catch {
    setSecret(contents);
  }
  const file = kubeconfigPath(dir);
  writeFileSync(file, contents, { mode: 384 });
  chmodSync(file, 384);
  return file;
}

// src/platform/github/apply.ts
async function runApply(inputs, ctx, env, version2) {
  if (ctx.pullRequest || ctx.event.startsWith("pull_request")) {
    throw new UsageError("kubeplan never applies from a pull request event", { where: "action input command", hint: "apply on push to the default branch; plan on pull requests" });
  }
  const cluster = await clusterOptions(inputs, env);
  if (!cluster) throw new UsageError("apply needs a cluster", { where: "action input kubeconfig", hint: `pass ${CLUSTER_INPUTS}` });
  const sha = ctx.push?.after ?? ctx.sha;
  const api = inputs.githubToken ? GitHubApi.forRun(inputs.githubToken, ctx.repository, env) : void 0;
  let targets = inputs.targets;
  if (targets.length === 0 && ctx.push && !/^0+$/.test(ctx.push.before) && inputs.onlyAffected) {
    const config = loadConfig(inputs.config, inputs.workingDirectory);
    const changed = await changedFilesSince(config.repoRoot, ctx.push.before, env);
    if (changed) {
      targets = affectedTargets(config, changed);
      info(`${targets.length} of ${config.targets.length} targets affected by ${ctx.push.before.slice(0, 7)}..${sha.slice(0, 7)}`);
      if (targets.length === 0) {
        setOutput("applied", "{}");
        setOutput("failed-target", "");
        await summary.addRaw("### kubeplan apply: nothing to do\n\nNo target's files changed in this push.\n").write();
        return;
      }
    }
  }
  const deployments = /* @__PURE__ */ new Map();
  const results = [];
  let failedTarget = "";
  let failure;
  const write = async (fn) => {
    try {
      await fn();
    } catch (error2) {
      warning(`cannot report to GitHub: ${error2.message}`);
    }
  };
  try {
    await applyCommand({
      config: inputs.config,
      targets,
      tools: inputs.tools,
      ...cluster,
      dryRun: false,
      forceConflicts: inputs.forceConflicts,
      allowEmpty: false,
      noHooks: false,
      waitTimeoutMs: inputs.wait ? inputs.timeoutMs : void 0,
      onProgress: (m) => info(m),
      output: "json",
      tooling: `kubeplan/v${version2}`,
      around: {
        before: async (target) => {
          startGroup(`apply ${target}`);
          if (api) await write(async () => {
            const id = await api.createDeployment(target, sha, `kubeplan apply ${sha.slice(0, 7)} to ${target}`);
            deployments.set(target, id);
            await api.setDeploymentStatus(id, "in_progress", `applying ${sha.slice(0, 7)}`, ctx.runUrl);
          });
        },
        after: async (target, result, error2) => {
          if (result) {
            results.push(result);
            for (const o of result.objects.filter((x) => x.action !== "unchanged")) info(`${o.action.padEnd(9)} ${o.apiVersion} ${objectName(o)}`);
            for (const n of result.notes) info(`note: ${n}`);
          }
          endGroup();
          const id = deployments.get(target);
          if (api && id !== void 0) {
            const description = result ? `${result.created} created, ${result.updated} updated, ${result.pruned} pruned` : error2 instanceof KubeplanError ? error2.format() : String(error2);
            await write(() => api.setDeploymentStatus(id, result ? "success" : "failure", description, ctx.runUrl));
          }
          if (error2) failedTarget = target;
        }
      }
    });
  } catch (error2) {
    failure = error2;
  }
  const applied = Object.fromEntries(results.map((r) => [r.target, { created: r.created, updated: r.updated, recreated: r.recreated, pruned: r.pruned, unchanged: r.unchanged }]));
  setOutput("applied", JSON.stringify(applied));
  setOutput("failed-target", failedTarget);
  const summary2 = applySummary(sha, results, failedTarget, failure);
  await summary.addRaw(summary2).write();
  if (api) {
    await write(async () => {
      const pr = await api.mergedPullRequest(sha);
      if (pr === void 0) return;
      const key = createHash("sha256").update(`${inputs.config}|${sha}`).digest("hex").slice(0, 12);
      const body = `${marker("plan", `apply-${key}`)}
${summary2}${ctx.runUrl ? `
[Run log](${ctx.runUrl})
` : ""}`;
      const existing = (await api.listComments(pr)).find((c) => c.body.startsWith(marker("plan", `apply-${key}`)));
      if (existing?.body === body) return;
      if (existing) await api.updateComment(existing.id, body);
      else await api.createComment(pr, body);
    });
  }
  if (failure) throw failure;
}
function applySummary(sha, results, failedTarget, failure) {
  const out = [failure ? `### kubeplan apply of \`${sha.slice(0, 7)}\` failed in target ${failedTarget}` : `### kubeplan applied \`${sha.slice(0, 7)}\``, ""];
  if (failure) out.push("```", failure instanceof KubeplanError ? failure.format() : formatError(failure), "```", "");
  if (results.length) {
    out.push("| target | created | updated | recreated | pruned | unchanged |", "| --- | --- | --- | --- | --- | --- |");
    for (const r of results) out.push(`| ${r.target} | ${r.created} | ${r.updated} | ${r.recreated} | ${r.pruned} | ${r.unchanged} |`);
    out.push("");
    for (const r of results) {
      const changed = r.objects.filter((o) => o.action !== "unchanged");
      if (!changed.length && !r.stages.some((s) => s.objects)) continue;
      out.push(`<details><summary>${r.target}: ${changed.length} object${changed.length === 1 ? "" : "s"} written</summary>`, "");
      for (const o of changed) out.push(`- ${o.action} \`${o.apiVersion} ${objectName(o)}\``);
      out.push("", ...r.stages.filter((s) => s.objects || s.ms > 50).map((s) => `- stage ${s.name}: ${s.objects} objects, ${s.ms} ms`), "", "</details>", "");
    }
  }
  return `${out.join("\n")}
`;
}

// src/platform/github/rollback.ts
async function runRollback(inputs, ctx, env, version2) {
  if (ctx.pullRequest || ctx.event.startsWith("pull_request")) {
    throw new UsageError("kubeplan never rolls back from a pull request event", { where: "action input command", hint: "run rollback from workflow_dispatch" });
  }
  if (inputs.targets.length !== 1) throw new UsageError("rollback needs exactly one target", { where: "action input targets", hint: "set targets to the one target to roll back" });
  const cluster = await clusterOptions(inputs, env);
  if (!cluster) throw new UsageError("rollback needs a cluster", { where: "action input kubeconfig", hint: `pass ${CLUSTER_INPUTS}` });
  const to = inputs.rollback.toRevision;
  if (to !== void 0 && to !== "list" && !/^[1-9]\d*$/.test(to)) {
    throw new UsageError(`input to-revision must be a revision number or list, not "${to}"`, { where: "action input to-revision" });
  }
  const list = to === "list";
  const result = await rollbackCommand({
    ...cluster,
    config: inputs.config,
    target: inputs.targets[0],
    toRevision: to === void 0 || list ? void 0 : Number(to),
    list,
    forceConflicts: inputs.forceConflicts,
    waitTimeoutMs: inputs.wait ? inputs.timeoutMs : void 0,
    output: "text",
    tooling: `kubeplan/v${version2}`,
    onProgress: (message) => info(message)
  });
  info(result.report);
  const newest = result.revisions.at(-1);
  setOutput("rolled-back", list ? "" : JSON.stringify({ target: inputs.targets[0], revision: newest?.rollbackOf ?? null, recordedAs: newest?.number ?? null, created: result.result?.created ?? 0, updated: result.result?.updated ?? 0, pruned: result.result?.pruned ?? 0 }));
  await summary.addRaw(`### kubeplan rollback: ${inputs.targets[0]}

\`\`\`text
${result.report}\`\`\`
`).write();
}

// src/platform/github/drift.ts
var DRIFT_LABEL = "kubeplan:drift";
var MARKER = /^<!-- kubeplan:drift:([\w-]+) first-seen:(\S+) -->/;
async function runDrift(inputs, ctx, env, now = /* @__PURE__ */ new Date()) {
  const cluster = await clusterOptions(inputs, env);
  if (!cluster) throw new UsageError("drift needs a cluster (read-only rights are enough)", { where: "action input kubeconfig", hint: `pass ${CLUSTER_INPUTS}` });
  const result = await driftCommand({
    config: inputs.config,
    targets: inputs.targets,
    tools: inputs.tools,
    ...cluster,
    output: "json",
    exitCode: false,
    color: false
  });
  const drifted = result.targets.filter((t) => t.drifted.length > 0);
  setOutput("drifted-targets", JSON.stringify(drifted.map((t) => t.target)));
  await summary.addRaw(result.targets.map((t) => formatDriftMarkdown(t)).join("\n")).write();
  for (const t of result.targets) info(`${t.target}: ${t.errors.length ? `${t.errors.length} objects could not be checked` : t.drifted.length ? `${t.drifted.length} objects drifted` : "matches git"}`);
  if (inputs.githubToken && inputs.comment) {
    const api = GitHubApi.forRun(inputs.githubToken, ctx.repository, env);
    const open = await api.listOpenIssues(DRIFT_LABEL);
    for (const t of result.targets) await trackTarget(api, open, t, ctx, now);
  }
  const failed = result.targets.filter((t) => t.errors.length > 0);
  if (failed.length) setFailed(`drift could not be checked completely for ${failed.map((t) => t.target).join(", ")}; see the job summary`);
}
async function trackTarget(api, open, t, ctx, now) {
  const issue = open.find((i) => MARKER.exec(i.body)?.[1] === t.target);
  if (t.errors.length > 0) return;
  if (t.drifted.length === 0) {
    if (!issue) return;
    await api.createComment(issue.number, `The cluster matches git again for target ${t.target} (checked at ${ctx.sha.slice(0, 7)}${ctx.runUrl ? `, [run](${ctx.runUrl})` : ""}). Closing.`);
    await api.updateIssue(issue.number, { state: "closed", state_reason: "completed" });
    info(`${t.target}: closed drift issue #${issue.number}`);
    return;
  }
  const recorded = issue ? MARKER.exec(issue.body)?.[2] : void 0;
  const firstSeen = recorded ?? (t.firstSeen ?? now).toISOString();
  const days = Math.max(0, Math.floor((now.getTime() - new Date(firstSeen).getTime()) / 864e5));
  const title = `kubeplan drift: ${t.target} differs from git since ${firstSeen.slice(0, 10)}`;
  const body = [
    `<!-- kubeplan:drift:${t.target} first-seen:${firstSeen} -->`,
    `Drifting for ${days === 0 ? "less than a day" : `${days} day${days === 1 ? "" : "s"}`} (first seen ${firstSeen}). Fix the cluster, or change git to match it; this issue closes itself when they agree.`,
    "",
    formatDriftMarkdown(t)
  ].join("\n");
  if (!issue) {
    const number = await api.createIssue(title, body, [DRIFT_LABEL]);
    info(`${t.target}: opened drift issue #${number}`);
  } else if (issue.body !== body || issue.title !== title) {
    await api.updateIssue(issue.number, { title, body });
    info(`${t.target}: updated drift issue #${issue.number}`);
  }
}

// src/platform/github/plan.ts
import { createHash as createHash2 } from "node:crypto";
import { writeFileSync as writeFileSync2 } from "node:fs";
import path3 from "node:path";

// src/core/report/comment-parts.ts
var RESERVE = 300;
function packCommentParts(plan, options) {
  const budget = options.limit - RESERVE;
  const header = planHeader(plan).join("\n");
  const footer = planFooter(plan);
  const bodies = [];
  let current = header.length + footer.length + 2 > budget ? truncateText(header, budget - footer.length - 2, options.fullReportHint) : header;
  for (const lines of planSections(plan)) {
    let text = lines.join("\n");
    if (text.length + 1 > budget) text = shrinkSection(lines, budget - 1, options.fullReportHint);
    if (current.length + text.length + footer.length + 2 > budget) {
      bodies.push(current);
      current = "";
    }
    current = current ? `${current}
${text}` : text;
  }
  bodies.push(current);
  const total = bodies.length;
  return bodies.map((body, i) => {
    const part = total > 1 ? `<sub>part ${i + 1}/${total}${i > 0 ? " (continued)" : ""}</sub>

` : "";
    return `${options.marker(i + 1, total)}
${part}${body}

${footer}
`;
  });
}
function shrinkSection(sectionLines, budget, hint) {
  const lines = sectionLines.join("\n").split("\n");
  const fenceStart = lines.findIndex((l) => /^`{3,}diff$/.test(l));
  const fenceEnd = fenceStart === -1 ? -1 : lines.findIndex((l, i) => i > fenceStart && /^`{3,}$/.test(l));
  if (fenceStart === -1 || fenceEnd === -1) return truncateText(lines.join("\n"), budget, hint);
  const before = lines.slice(0, fenceStart + 1);
  const after = lines.slice(fenceEnd);
  const diff = lines.slice(fenceStart + 1, fenceEnd);
  const note = (n) => `\u2026 ${n} more diff lines cut to fit the comment; ${hint}`;
  let kept = diff.length;
  const size = (k) => [...before, ...diff.slice(0, k), note(diff.length - k), ...after].join("\n").length;
  while (kept > 0 && size(kept) > budget) kept = Math.floor(kept * 0.8);
  return [...before, ...diff.slice(0, kept), note(diff.length - kept), ...after].join("\n");
}
function truncateText(text, budget, hint) {
  const note = `

\u2026 cut to fit; ${hint}`;
  return text.length <= budget ? text : text.slice(0, Math.max(0, budget - note.length)) + note;
}

// src/platform/github/plan.ts
var COMMENT_LIMIT = 65536;
var SUMMARY_LIMIT = 1024 * 1024;
async function runPlan(inputs, ctx, env) {
  const runnerTemp = runnerTempOf(inputs, env);
  const key = createHash2("sha256").update(`${inputs.config}|${[...inputs.targets].sort().join(",")}`).digest("hex").slice(0, 12);
  const pr = ctx.pullRequest;
  const canComment = inputs.comment && pr !== void 0 && !pr.fromFork && inputs.githubToken !== void 0;
  const api = inputs.githubToken ? GitHubApi.forRun(inputs.githubToken, ctx.repository, env) : void 0;
  if (pr?.fromFork) info("pull request from a fork: its token is read-only, so the plan goes to the job summary only");
  const cluster = await clusterOptions(inputs, env);
  const offline = cluster === void 0;
  if (offline && !pr) {
    throw new UsageError("no cluster for the plan", { where: "action input kubeconfig", hint: `pass ${CLUSTER_INPUTS} (outside pull requests a plan needs a cluster)` });
  }
  let plan;
  let unaffected = false;
  try {
    let targets = inputs.targets;
    if (inputs.onlyAffected && pr && targets.length === 0) {
      const config = loadConfig(inputs.config, inputs.workingDirectory);
      const changed = await changedFilesSince(config.repoRoot, pr.baseSha, env);
      if (changed === void 0) {
        info(`cannot tell which files changed since ${pr.baseSha.slice(0, 12)} (fetch it with actions/checkout fetch-depth: 0): planning every target`);
      } else {
        targets = affectedTargets(config, changed);
        const skipped = config.targets.length - targets.length;
        info(`${targets.length} of ${config.targets.length} targets affected by this pull request${skipped ? ` (${skipped} skipped: none of their files changed)` : ""}`);
        if (targets.length === 0) {
          unaffected = true;
        }
      }
    }
    if (unaffected) {
      await finish(inputs, ctx, runnerTemp, key, canComment ? api : void 0, unaffectedPlan());
      return;
    }
    const result = await diffCommand({
      config: inputs.config,
      targets,
      tools: inputs.tools,
      // Offline (a pull request without cluster credentials): the intent diff against the base commit, no cluster.
      ...cluster ?? { kubeconfig: void 0, context: void 0, concurrency: inputs.concurrency, cwd: inputs.workingDirectory, env },
      mode: inputs.diffMode,
      base: offline ? pr.baseSha : void 0,
      offline,
      output: "json",
      exitCode: false,
      color: false
    });
    plan = result.plan;
  } catch (error2) {
    const message = formatError(error2);
    if (canComment && api) {
      await postOrWarn(() => upsertErrorComment(api, pr.number, key, `${marker("error", key)}
### kubeplan: the plan failed

\`\`\`
${message}
\`\`\`
${ctx.runUrl ? `
[Run log](${ctx.runUrl})
` : ""}`));
    }
    throw error2;
  }
  if (offline) info(`no kubeconfig: intent diff against the pull request's base ${pr.baseSha.slice(0, 12)} (render only, no cluster)`);
  await finish(inputs, ctx, runnerTemp, key, canComment ? api : void 0, plan);
}
function unaffectedPlan() {
  return {
    mode: "intent",
    modeReason: "no target's files changed in this pull request",
    targets: [],
    summary: emptyCounts(),
    stats: { objects: 0, fastPath: 0, dryRuns: 0, lists: 0, requests: 0 }
  };
}
async function finish(inputs, ctx, runnerTemp, key, api, plan) {
  const pr = ctx.pullRequest;
  const reportPath = path3.join(runnerTemp, "kubeplan-report.json");
  writeFileSync2(reportPath, formatPlanJson(plan));
  for (const target of plan.targets) {
    const changed2 = target.changes.filter((c) => c.action !== "unchanged");
    startGroup(`${target.target}: ${changed2.length} change${changed2.length === 1 ? "" : "s"}, ${target.summary.unchanged} unchanged`);
    for (const c of changed2) info(`${c.action.padEnd(7)} ${c.apiVersion} ${objectName(c)}${c.digest.length ? `  ${c.digest.join("; ")}` : ""}${c.error ? `  error: ${c.error.message}` : ""}`);
    endGroup();
  }
  info(summaryLine(plan.summary));
  const hint = ctx.runUrl ? `the full plan is in the [job summary](${ctx.runUrl})` : "the full plan is in the job summary";
  const summaryParts = packCommentParts(plan, { limit: SUMMARY_LIMIT, marker: () => "", fullReportHint: `the full report is ${path3.basename(reportPath)} (report-path output)` });
  await summary.addRaw(summaryParts[0]).write();
  let commentUrl = "";
  if (api && pr) {
    const parts = packCommentParts(plan, { limit: COMMENT_LIMIT, marker: (i, n) => marker("plan", key, { index: i, total: n }), fullReportHint: hint });
    const synced = await postOrWarn(() => syncPlanComments(api, pr.number, key, parts));
    if (synced) {
      commentUrl = synced.urls[0] ?? "";
      info(`plan comment: ${synced.created} created, ${synced.updated} updated, ${synced.deleted} deleted${synced.minimized ? `, ${synced.minimized} outdated error comment minimized` : ""} (${parts.length} part${parts.length === 1 ? "" : "s"})`);
    }
  }
  const changed = (p) => p.summary.create + p.summary.update + p.summary.replace + p.summary.delete > 0;
  setOutput("has-changes", String(changed(plan)));
  setOutput("summary", JSON.stringify(plan.summary));
  setOutput("report-path", reportPath);
  setOutput("comment-url", commentUrl);
  setOutput("matrix", JSON.stringify(plan.targets.filter((t) => t.changes.some((c) => c.action !== "unchanged")).map((t) => t.target)));
  if (plan.summary.error > 0) {
    setFailed(`${plan.summary.error} object${plan.summary.error === 1 ? "" : "s"} could not be planned; see the job summary`);
    return;
  }
  const fail2 = inputs.failOn === "changes" && changed(plan) || inputs.failOn === "destroy" && plan.summary.delete + plan.summary.replace > 0 || inputs.failOn === "replace" && plan.summary.replace > 0;
  if (fail2) setFailed(`fail-on: ${inputs.failOn}: ${summaryLine(plan.summary)}`);
}
async function postOrWarn(fn) {
  try {
    return await fn();
  } catch (error2) {
    if (error2 instanceof GitHubError && (error2.status === 403 || error2.status === 404)) {
      warning(`cannot write the plan comment (${error2.message}); the plan is in the job summary. Give the workflow \`permissions: pull-requests: write\`.`);
      return void 0;
    }
    throw error2;
  }
}

// src/platform/github/run.ts
var version = true ? "0.1.0" : "0.0.0-dev";
async function run(env) {
  let kubeconfigFile;
  try {
    const inputs = readInputs(env);
    kubeconfigFile = kubeconfigPath(runnerTempOf(inputs, env));
    if (inputs.command === "plan") {
      await runPlan(inputs, readGitHubContext(env), env);
      return;
    }
    if (inputs.command === "rollback") {
      await runRollback(inputs, readGitHubContext(env), env, version);
      return;
    }
    if (inputs.command === "bump") {
      await runBump(inputs, env);
      return;
    }
    if (inputs.command === "drift") {
      await runDrift(inputs, readGitHubContext(env), env);
      return;
    }
    if (inputs.command === "apply") {
      await runApply(inputs, readGitHubContext(env), env, version);
      return;
    }
    const result = await renderCommand({
      config: inputs.config,
      targets: inputs.targets,
      outDir: inputs.outDir,
      format: inputs.format,
      showSecrets: false,
      tools: inputs.tools,
      cwd: inputs.workingDirectory,
      env
    });
    const rows = result.sets.map((set, i) => ({
      name: set.target,
      objects: set.manifests.length,
      hooks: set.manifests.filter((m) => m.hook).length,
      file: result.files[i]
    }));
    for (const set of result.sets) {
      startGroup(`${set.target}: ${set.manifests.length} objects`);
      for (const m of set.manifests) {
        const o = m.object;
        info(`${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}  \u2190 ${formatSource(m.source)}${m.hook ? "  [hook]" : ""}`);
      }
      endGroup();
    }
    setOutput("out-dir", inputs.outDir);
    setOutput("objects", String(rows.reduce((n, r) => n + r.objects, 0)));
    setOutput("targets", JSON.stringify(rows));
    await summary.addHeading("kubeplan render", 3).addTable([
      [
        { data: "Target", header: true },
        { data: "Objects", header: true },
        { data: "Hooks", header: true },
        { data: "File", header: true }
      ],
      ...rows.map((r) => [r.name, String(r.objects), String(r.hooks), path4.relative(inputs.workingDirectory, r.file)])
    ]).write();
  } catch (error2) {
    fail(error2, env);
  } finally {
    if (kubeconfigFile) rmSync(kubeconfigFile, { force: true });
  }
}
var MAX_ANNOTATIONS = 10;
function fail(error2, env) {
  const errors = error2 instanceof ErrorList ? error2.errors : [error2];
  const workspace = env.GITHUB_WORKSPACE ?? process.cwd();
  const workingDirectory = path4.resolve(workspace, getInput("working-directory") || ".");
  let annotated = 0;
  for (const e of errors) {
    const location = e instanceof KubeplanError ? locate(e.where, workspace, workingDirectory) : void 0;
    if (location && annotated < MAX_ANNOTATIONS) {
      error(formatError(e), { file: location.file, startLine: location.line, title: "kubeplan" });
      annotated++;
    } else error(formatError(e));
  }
  setFailed(errors.length === 1 ? "kubeplan failed: see the error above" : `kubeplan failed with ${errors.length} errors: see above`);
}
function locate(where, workspace, workingDirectory) {
  const m = /(?:^|: )([^\s:]+\.(?:ya?ml|json|tpl)):(\d+)$/.exec(where ?? "");
  if (!m) return void 0;
  const fromWorkingDirectory = path4.resolve(workingDirectory, m[1]);
  const abs = existsSync(fromWorkingDirectory) ? fromWorkingDirectory : path4.resolve(workspace, m[1]);
  return { file: path4.relative(workspace, abs).split(path4.sep).join("/"), line: Number(m[2]) };
}

// src/index.ts
await run(process.env);
