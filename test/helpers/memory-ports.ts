import type {
  Annotation,
  CiContext,
  DeploymentState,
  PlatformComment,
  Ports,
  Reporter,
  ReviewPlatform,
  TrackedIssue,
} from '../../src/platform/types.js';

/**
 * The ports of a workflow, in memory: a forge with comments, issues and deployments, and a reporter that records what
 * a runner would show. `failNext` makes the next call of an operation throw an error with a status, as a forge does.
 */
export function memoryPorts(options: { me?: string } = {}) {
  const me = options.me ?? 'kubeplan-bot';
  let nextId = 1;
  const comments = new Map<number, PlatformComment[]>();
  const issues: (TrackedIssue & { state: 'open' | 'closed'; labels: string[]; comments: string[] })[] = [];
  const deployments: {
    id: number;
    environment: string;
    sha: string;
    statuses: { state: DeploymentState; description: string }[];
  }[] = [];
  const writes: string[] = [];
  const log: string[] = [];
  const outputs: Record<string, string> = {};
  const annotations: Annotation[] = [];
  const failures = new Map<string, { status: number; message: string }>();
  const failing = (operation: string) => {
    const f = failures.get(operation);
    if (!f) return;
    failures.delete(operation);
    throw Object.assign(new Error(f.message), { status: f.status, hint: `(${operation}: ${f.status})` });
  };
  const review: ReviewPlatform = {
    identity: async () => me,
    listComments: async (pr) => [...(comments.get(pr) ?? [])],
    createComment: async (pr, body) => {
      failing('createComment');
      writes.push(`create comment on #${pr}`);
      const c: PlatformComment = {
        id: nextId++,
        nodeId: `n${nextId}`,
        body,
        url: `memory://${pr}#${nextId}`,
        minimized: false,
        author: me,
      };
      comments.set(pr, [...(comments.get(pr) ?? []), c]);
      return c;
    },
    updateComment: async (id, body) => {
      failing('updateComment');
      writes.push(`update comment ${id}`);
      for (const list of comments.values())
        for (const c of list)
          if (c.id === id) {
            c.body = body;
            return { ...c };
          }
      throw Object.assign(new Error('not found'), { status: 404 });
    },
    deleteComment: async (id) => {
      writes.push(`delete comment ${id}`);
      for (const [pr, list] of comments)
        comments.set(
          pr,
          list.filter((c) => c.id !== id),
        );
    },
    minimizeComment: async (comment) => {
      writes.push(`minimize comment ${comment.id}`);
    },
    mergedPullRequest: async () => 9,
  };
  const reporter: Reporter = {
    info: (t) => log.push(t),
    warn: (t) => log.push(`warning: ${t}`),
    notice: (t) => log.push(`notice: ${t}`),
    mask: () => {},
    group: (n) => log.push(`group: ${n}`),
    endGroup: () => {},
    summary: async () => {},
    output: (n, v) => {
      outputs[n] = v;
    },
    annotate: (a) => annotations.push(a),
  };
  const ports: Ports = {
    reporter,
    comments: review,
    issues: {
      identity: async () => me,
      listOpenIssues: async (label) => issues.filter((i) => i.state === 'open' && i.labels.includes(label)),
      createIssue: async (title, body, labels) => {
        writes.push(`create issue ${title}`);
        const number = nextId++;
        issues.push({ number, title, body, author: me, state: 'open', labels, comments: [] });
        return number;
      },
      updateIssue: async (number, fields) => {
        writes.push(`update issue #${number}`);
        Object.assign(issues.find((i) => i.number === number)!, fields);
      },
      closeIssue: async (number, comment) => {
        writes.push(`close issue #${number}`);
        const issue = issues.find((i) => i.number === number)!;
        issue.comments.push(comment);
        issue.state = 'closed';
      },
    },
    deployments: {
      create: async ({ environment }, sha) => {
        const id = nextId++;
        deployments.push({ id, environment, sha, statuses: [] });
        return id;
      },
      setStatus: async (id, state, description) => {
        deployments.find((d) => d.id === id)!.statuses.push({ state, description });
      },
    },
  };
  return {
    ports,
    comments,
    issues,
    deployments,
    writes,
    log,
    outputs,
    annotations,
    /** The next call of `operation` fails with this status. */
    failNext: (operation: 'createComment' | 'updateComment', status: number, message = `HTTP ${status}`) =>
      failures.set(operation, { status, message }),
  };
}

export function pullRequestContext(overrides: Partial<CiContext> & { baseSha: string; tempDir: string }): CiContext {
  const { baseSha, tempDir, ...rest } = overrides;
  return {
    event: 'pull_request',
    repository: { owner: 'acme', name: 'config' },
    sha: 'c'.repeat(40),
    ref: 'refs/pull/5/merge',
    pullRequest: { number: 5, baseSha, headSha: 'b'.repeat(40), baseRef: 'main', fromFork: false },
    push: undefined,
    runUrl: 'https://ci.example/run/1',
    commitUrl: (sha) => `https://forge.example/acme/config/commit/${sha}`,
    tempDir,
    ...rest,
  };
}
