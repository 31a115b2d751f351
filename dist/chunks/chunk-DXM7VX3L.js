import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);

// src/platform/github/api.ts
var GitHubError = class extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
  status;
};
var GitHubApi = class _GitHubApi {
  constructor(options) {
    this.options = options;
  }
  options;
  /** The API of this run's repository, at the URLs the runner gives (GitHub Enterprise Server included). */
  static forRun(token, repository, env) {
    return new _GitHubApi({
      apiUrl: env.GITHUB_API_URL ?? "https://api.github.com",
      graphqlUrl: env.GITHUB_GRAPHQL_URL ?? "https://api.github.com/graphql",
      token,
      owner: repository.owner,
      repo: repository.name
    });
  }
  async request(method, url, body) {
    const full = url.startsWith("http") ? url : `${this.options.apiUrl}${url}`;
    for (let attempt = 1; ; attempt++) {
      let res;
      try {
        res = await fetch(full, {
          method,
          headers: {
            authorization: `Bearer ${this.options.token}`,
            accept: "application/vnd.github+json",
            "x-github-api-version": "2022-11-28",
            "user-agent": "kubeplan",
            ...body === void 0 ? {} : { "content-type": "application/json" }
          },
          body: body === void 0 ? void 0 : JSON.stringify(body)
        });
      } catch (error) {
        if (attempt < 3) {
          await sleep(500 * attempt);
          continue;
        }
        throw new GitHubError(`cannot reach ${full}: ${error.message}`, 0);
      }
      const text = await res.text();
      const limited = res.status === 429 || res.status === 403 && (res.headers.get("retry-after") !== null || res.headers.get("x-ratelimit-remaining") === "0");
      if ((res.status >= 500 || limited) && attempt < 4) {
        const after = Number(res.headers.get("retry-after"));
        await sleep(Number.isFinite(after) && after > 0 ? Math.min(after, 60) * 1e3 : 1e3 * 2 ** (attempt - 1));
        continue;
      }
      if (!res.ok) {
        let message = text;
        try {
          const parsed = JSON.parse(text);
          message = [parsed.message, ...(parsed.errors ?? []).map((e) => e.message)].filter(Boolean).join(": ");
        } catch {
        }
        throw new GitHubError(`${method} ${new URL(full).pathname}: ${res.status} ${message}`, res.status);
      }
      return { data: text ? JSON.parse(text) : void 0, headers: res.headers };
    }
  }
  repoPath() {
    return `/repos/${encodeURIComponent(this.options.owner)}/${encodeURIComponent(this.options.repo)}`;
  }
  async listComments(pr) {
    const out = [];
    let url = `${this.repoPath()}/issues/${pr}/comments?per_page=100`;
    while (url) {
      const { data, headers } = await this.request("GET", url);
      out.push(...data.map(toComment));
      url = /<([^>]+)>;\s*rel="next"/.exec(headers.get("link") ?? "")?.[1];
    }
    return out;
  }
  async createComment(pr, body) {
    return toComment((await this.request("POST", `${this.repoPath()}/issues/${pr}/comments`, { body })).data);
  }
  async updateComment(id, body) {
    return toComment((await this.request("PATCH", `${this.repoPath()}/issues/comments/${id}`, { body })).data);
  }
  async deleteComment(id) {
    await this.request("DELETE", `${this.repoPath()}/issues/comments/${id}`);
  }
  /** A GitHub Deployment of `sha` to the environment named after the target; returns its id. */
  async createDeployment(environment, sha, description) {
    const { data } = await this.request("POST", `${this.repoPath()}/deployments`, {
      ref: sha,
      environment,
      description,
      auto_merge: false,
      required_contexts: [],
      transient_environment: false,
      production_environment: true
    });
    return data.id;
  }
  async setDeploymentStatus(id, state, description, logUrl) {
    await this.request("POST", `${this.repoPath()}/deployments/${id}/statuses`, {
      state,
      description: description.slice(0, 140),
      ...logUrl ? { log_url: logUrl } : {},
      auto_inactive: true
    });
  }
  /** The merged pull request a commit came from, if any. */
  async mergedPullRequest(sha) {
    const { data } = await this.request("GET", `${this.repoPath()}/commits/${sha}/pulls`);
    return data.find((p) => p.merged_at !== null)?.number;
  }
  /** Open issues with a label (the drift tracking issues), all pages. */
  async listOpenIssues(label) {
    const out = [];
    let url = `${this.repoPath()}/issues?state=open&per_page=100&labels=${encodeURIComponent(label)}`;
    while (url) {
      const { data, headers } = await this.request("GET", url);
      out.push(...data.filter((i) => !i.pull_request).map((i) => ({ number: i.number, title: i.title, body: i.body ?? "" })));
      url = /<([^>]+)>;\s*rel="next"/.exec(headers.get("link") ?? "")?.[1];
    }
    return out;
  }
  async createIssue(title, body, labels) {
    return (await this.request("POST", `${this.repoPath()}/issues`, { title, body, labels })).data.number;
  }
  async updateIssue(number, fields) {
    await this.request("PATCH", `${this.repoPath()}/issues/${number}`, fields);
  }
  /** Pull requests matching a query (`state=open`, `head=owner:branch`), all pages. */
  async listPulls(query) {
    const out = [];
    let url = `${this.repoPath()}/pulls?per_page=100&${query}`;
    while (url) {
      const { data, headers } = await this.request("GET", url);
      out.push(...data);
      url = /<([^>]+)>;\s*rel="next"/.exec(headers.get("link") ?? "")?.[1];
    }
    return out;
  }
  async createPull(fields) {
    return (await this.request("POST", `${this.repoPath()}/pulls`, { ...fields, maintainer_can_modify: false })).data;
  }
  async updatePull(number, fields) {
    await this.request("PATCH", `${this.repoPath()}/pulls/${number}`, fields);
  }
  async addLabels(number, labels) {
    await this.request("POST", `${this.repoPath()}/issues/${number}/labels`, { labels });
  }
  get repository() {
    return { owner: this.options.owner, repo: this.options.repo };
  }
  async minimizeComment(comment) {
    const { data } = await this.request("POST", this.options.graphqlUrl, {
      query: "mutation($id: ID!, $classifier: ReportedContentClassifiers!) { minimizeComment(input: {subjectId: $id, classifier: $classifier}) { minimizedComment { isMinimized } } }",
      variables: { id: comment.nodeId, classifier: "OUTDATED" }
    });
    if (data.errors?.length) throw new GitHubError(`minimizeComment: ${data.errors.map((e) => e.message).join("; ")}`, 200);
  }
};
function toComment(c) {
  return { id: c.id, nodeId: c.node_id, body: c.body ?? "", url: c.html_url, minimized: false };
}
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export {
  GitHubError,
  GitHubApi
};
