import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  GitHubApi,
  GitHubError
} from "./chunk-DXM7VX3L.js";
import {
  KubeplanError,
  UsageError,
  execa
} from "./chunk-XH3CUVPE.js";
import "./chunk-67KDASP7.js";

// src/core/git/branch.ts
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
var BranchWriter = class {
  constructor(repoRoot, remote, author, env) {
    this.repoRoot = repoRoot;
    this.remote = remote;
    this.author = author;
    this.env = env;
  }
  repoRoot;
  remote;
  author;
  env;
  git(args, options = {}) {
    const auth = this.remote.authHeader ? {
      // An empty value first resets headers a checkout persisted (actions/checkout writes its own).
      GIT_CONFIG_COUNT: "2",
      GIT_CONFIG_KEY_0: "http.extraheader",
      GIT_CONFIG_VALUE_0: "",
      GIT_CONFIG_KEY_1: "http.extraheader",
      GIT_CONFIG_VALUE_1: this.remote.authHeader
    } : {};
    return execa("git", args, {
      cwd: this.repoRoot,
      env: { ...this.env, GIT_TERMINAL_PROMPT: "0", ...auth, ...options.env },
      extendEnv: false,
      reject: false,
      ...options.input === void 0 ? { stdin: "ignore" } : { input: options.input }
    });
  }
  async must(args, what, options = {}) {
    const r = await this.git(args, options);
    if (r.exitCode !== 0) {
      throw new KubeplanError(`git ${what} failed: ${redactUrl(String(r.stderr).trim().split("\n").slice(-3).join(" "))}`, {
        where: this.repoRoot,
        hint: "check that the working directory is a clone of the config repository and the token may push branches"
      });
    }
    return String(r.stdout).trim();
  }
  /** The commit the working tree is on. */
  head() {
    return this.must(["rev-parse", "HEAD"], "rev-parse HEAD");
  }
  /** One commit on `base` holding these files (repository-relative paths, new contents). */
  async commit(base, files, message) {
    const dir = await mkdtemp(path.join(os.tmpdir(), "kubeplan-index-"));
    const env = { GIT_INDEX_FILE: path.join(dir, "index") };
    try {
      await this.must(["read-tree", base], "read-tree", { env });
      for (const f of files) {
        const listed = await this.must(["ls-tree", base, "--", f.file], "ls-tree");
        const mode = listed.split(" ")[0] || "100644";
        const blob = await this.must(["hash-object", "-w", "--stdin"], "hash-object", { input: f.after });
        await this.must(["update-index", "--add", "--cacheinfo", `${mode},${blob},${f.file}`], "update-index", { env });
      }
      const tree = await this.must(["write-tree"], "write-tree", { env });
      const identity = { GIT_AUTHOR_NAME: this.author.name, GIT_AUTHOR_EMAIL: this.author.email, GIT_COMMITTER_NAME: this.author.name, GIT_COMMITTER_EMAIL: this.author.email };
      const commit = await this.must(["commit-tree", tree, "-p", base, "-F", "-"], "commit-tree", { input: message, env: identity });
      return { commit, tree };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  /** The tree and first parent of the remote branch's commit, or undefined when the branch does not exist. */
  async remoteBranch(branch) {
    const listed = await this.must(["ls-remote", "--heads", this.remote.url, `refs/heads/${branch}`], "ls-remote");
    const commit = listed.split(/\s/)[0];
    if (!commit) return void 0;
    if ((await this.git(["cat-file", "-e", `${commit}^{commit}`])).exitCode !== 0) {
      await this.must(["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", this.remote.url, `refs/heads/${branch}`], "fetch");
    }
    const [tree, parent] = (await this.must(["show", "-s", "--format=%T %P", commit], "show")).split(" ");
    return { commit, tree, parent: parent || void 0 };
  }
  /** Points the remote branch at `commit` (force: the branch belongs to kubeplan). */
  async push(branch, commit) {
    await this.must(["push", "--quiet", "--force", this.remote.url, `${commit}:refs/heads/${branch}`], `push ${branch}`);
  }
};
function redactUrl(text) {
  return text.replace(/(https?:\/\/)[^/@\s]+@/g, "$1***@");
}

// src/platform/github/bump.ts
var BOT = { name: "github-actions[bot]", email: "41898282+github-actions[bot]@users.noreply.github.com" };
async function githubBumpPublisher(options) {
  const [owner, name] = options.repository.split("/");
  if (!owner || !name) throw new UsageError(`GITHUB_REPOSITORY must be owner/name, not "${options.repository}"`, { hint: "set it to the config repository" });
  const api = GitHubApi.forRun(options.token, { owner, name }, options.env);
  const top = await execa("git", ["rev-parse", "--show-toplevel"], { cwd: options.cwd, reject: false, stdin: "ignore" });
  if (top.exitCode !== 0) {
    throw new UsageError(`${options.cwd} is not a git clone; bump pull requests are made from one`, { hint: "check out the config repository first (actions/checkout), or pass --local / --dry-run" });
  }
  const repoRoot = String(top.stdout).trim();
  const server = (options.env.GITHUB_SERVER_URL ?? "https://github.com").replace(/\/$/, "");
  const remote = { url: `${server}/${owner}/${name}.git`, authHeader: `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${options.token}`).toString("base64")}` };
  const git = new BranchWriter(repoRoot, remote, BOT, options.env);
  const base = await baseBranch(options.env, repoRoot);
  const toPull = (p) => ({
    number: p.number,
    url: p.html_url,
    state: p.state,
    merged: p.merged_at !== null,
    branch: p.head.ref,
    title: p.title,
    body: p.body ?? ""
  });
  const guard = async (what, fn) => {
    try {
      return await fn();
    } catch (error) {
      if (!(error instanceof GitHubError)) throw error;
      throw new KubeplanError(`${what}: ${error.message}`, {
        where: options.repository,
        hint: error.status === 403 || error.status === 401 ? "give the token contents: write and pull-requests: write" : "retry; GitHub failed"
      });
    }
  };
  return {
    findPulls: (prefix, branches) => guard("listing pull requests", async () => {
      const open = (await api.listPulls("state=open")).filter((p) => p.head.ref.startsWith(prefix) && p.head.repo?.full_name === `${owner}/${name}`);
      const byBranch = await Promise.all(branches.map((b) => api.listPulls(`state=all&head=${encodeURIComponent(`${owner}:${b}`)}`)));
      const all = /* @__PURE__ */ new Map();
      for (const p of [...open, ...byBranch.flat()]) all.set(p.number, p);
      return [...all.values()].sort((a, b) => b.number - a.number).map(toPull);
    }),
    pushBranch: async (branch, files, message) => {
      const head = await git.head();
      const { commit, tree } = await git.commit(head, files, message);
      const existing = await git.remoteBranch(branch);
      if (existing && existing.tree === tree && existing.parent === head) return "unchanged";
      await git.push(branch, commit);
      return "pushed";
    },
    createPull: (change) => guard(`opening a pull request for ${change.branch}`, async () => {
      const pull = await api.createPull({ title: change.title, head: change.branch, base, body: change.body });
      if (change.labels.length > 0) await api.addLabels(pull.number, change.labels);
      return { number: pull.number, url: pull.html_url };
    }),
    updatePull: (number, change) => guard(`updating pull request #${number}`, () => api.updatePull(number, { title: change.title, body: change.body })),
    closePull: (number, comment) => guard(`closing pull request #${number}`, async () => {
      await api.createComment(number, comment);
      await api.updatePull(number, { state: "closed" });
    })
  };
}
async function baseBranch(env, repoRoot) {
  if (env.GITHUB_REF?.startsWith("refs/heads/")) return env.GITHUB_REF.slice("refs/heads/".length);
  const r = await execa("git", ["symbolic-ref", "--short", "-q", "HEAD"], { cwd: repoRoot, reject: false, stdin: "ignore" });
  const branch = String(r.stdout).trim();
  if (r.exitCode !== 0 || !branch) {
    throw new UsageError("cannot tell which branch bump pull requests go into (HEAD is detached)", { where: repoRoot, hint: "run on a branch (GITHUB_REF=refs/heads/main), or check out the default branch" });
  }
  return branch;
}
export {
  githubBumpPublisher
};
