import { execa } from 'execa';
import type { SecretMask } from '../../core/report/secret-mask.js';
import { KubeplanError, UsageError } from '../../core/errors.js';
import { BranchWriter } from '../../core/git/branch.js';
import type { FileEdit } from '../../core/images/bump.js';
import type { BumpChange, BumpPublisher, ExistingPull } from '../../core/images/publish.js';
import { GitHubApi, GitHubError, type RestPull } from './api.js';

/** The commit identity Actions users know from actions/checkout's examples. */
const BOT = { name: 'github-actions[bot]', email: '41898282+github-actions[bot]@users.noreply.github.com' };

/**
 * Bump pull requests on GitHub: branches pushed with git over HTTPS (the token in an extra header, never in argv or
 * .git/config), pull requests, labels and comments through the REST API.
 */
export async function githubBumpPublisher(options: {
  token: string;
  repository: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  secrets?: SecretMask;
}): Promise<BumpPublisher> {
  const [owner, name] = options.repository.split('/');
  if (!owner || !name)
    throw new UsageError(`GITHUB_REPOSITORY must be owner/name, not "${options.repository}"`, {
      hint: 'set it to the config repository',
    });
  const api = GitHubApi.forRun(options.token, { owner, name }, options.env, options.secrets);
  const top = await execa('git', ['rev-parse', '--show-toplevel'], {
    cwd: options.cwd,
    reject: false,
    stdin: 'ignore',
  });
  if (top.exitCode !== 0) {
    throw new UsageError(`${options.cwd} is not a git clone; bump pull requests are made from one`, {
      hint: 'check out the config repository first (actions/checkout), or pass --local / --dry-run',
    });
  }
  const repoRoot = String(top.stdout).trim();
  const server = (options.env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/$/, '');
  const remote = {
    url: `${server}/${owner}/${name}.git`,
    authHeader: `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${options.token}`).toString('base64')}`,
  };
  const git = new BranchWriter(repoRoot, remote, BOT, options.env);
  // Every bump branch is one commit on the checked-out commit, which does not move during the run.
  let head: Promise<string> | undefined;
  const base = await baseBranch(options.env, repoRoot);
  const toPull = (p: RestPull): ExistingPull => ({
    number: p.number,
    url: p.html_url,
    state: p.state,
    merged: p.merged_at !== null,
    branch: p.head.ref,
    title: p.title,
    body: p.body ?? '',
    reviewers: p.requestedReviewers,
    assignees: p.assignees,
  });
  const guard = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      if (!(error instanceof GitHubError)) throw error;
      // The client's error names the repository already.
      throw new KubeplanError(`${what}: ${error.message}`, {
        where: error.location,
        // The client's hint knows the status: the permission GitHub asks for, a rate limit's reset, GitHub's errors.
        hint: error.hint,
      });
    }
  };
  return {
    findPulls: (prefix, branches) =>
      guard('listing pull requests', async () => {
        const open = (await api.listPulls('state=open')).filter(
          (p) => p.head.ref.startsWith(prefix) && p.head.repo?.full_name === `${owner}/${name}`,
        );
        const byBranch = await Promise.all(
          branches.map((b) => api.listPulls(`state=all&head=${encodeURIComponent(`${owner}:${b}`)}`)),
        );
        const all = new Map<number, RestPull>();
        for (const p of [...open, ...byBranch.flat()]) all.set(p.number, p);
        return [...all.values()].sort((a, b) => b.number - a.number).map(toPull);
      }),
    pushBranch: async (branch: string, files: FileEdit[], message: string) =>
      git.pushFiles(await (head ??= git.head()), branch, files, message),
    createPull: (change: BumpChange) =>
      guard(`opening a pull request for ${change.branch}`, async () => {
        const pull = await api.createPull({ title: change.title, head: change.branch, base, body: change.body });
        if (change.labels.length > 0) await api.addLabels(pull.number, change.labels);
        return { number: pull.number, url: pull.html_url };
      }),
    updatePull: (number: number, change: BumpChange) =>
      guard(`updating pull request #${number}`, () =>
        api.updatePull(number, { title: change.title, body: change.body }),
      ),
    closePull: (number: number, comment: string) =>
      guard(`closing pull request #${number}`, async () => {
        await api.createComment(number, comment);
        await api.updatePull(number, { state: 'closed' });
      }),
    addPeople: (number, people) => addPeople(api, number, people),
  };
}

/**
 * Requests the reviews (logins; `org/team` as a team) and assignments of a pull request. GitHub refuses a whole
 * review request when one reviewer may not review (422: not a collaborator, the author, an unknown team), so after
 * a refusal each is asked alone and only the refused ones become warnings. GitHub silently skips an assignee who may
 * not be assigned; that is a warning too.
 */
async function addPeople(
  api: GitHubApi,
  number: number,
  people: { reviewers: string[]; assignees: string[] },
): Promise<string[]> {
  const warnings: string[] = [];
  const refused = (who: string, error: unknown) => {
    if (!(error instanceof GitHubError)) throw error;
    warnings.push(
      `reviewer ${who} was not requested on #${number}: ${error.message} (check bump.reviewers in kubeplan.yaml: GitHub asks only collaborators of the repository, never the pull request's author, and teams of its organization, which a GITHUB_TOKEN cannot see; give them access or remove them)`,
    );
  };
  const ask = (list: string[]) =>
    api.requestReviewers(
      number,
      list.filter((r) => !r.includes('/')),
      list.filter((r) => r.includes('/')).map((r) => r.split('/').at(-1)!),
    );
  if (people.reviewers.length > 0) {
    try {
      await ask(people.reviewers);
    } catch (error) {
      if (!(error instanceof GitHubError) || error.status !== 422 || people.reviewers.length === 1)
        refused(people.reviewers.join(', '), error);
      else for (const reviewer of people.reviewers) await ask([reviewer]).catch((e: unknown) => refused(reviewer, e));
    }
  }
  if (people.assignees.length > 0) {
    try {
      const now = new Set((await api.addAssignees(number, people.assignees)).map((a) => a.toLowerCase()));
      const skipped = people.assignees.filter((a) => !now.has(a.toLowerCase()));
      if (skipped.length > 0)
        warnings.push(
          `GitHub did not assign ${skipped.join(', ')} to #${number} (it assigns only people with access to the repository; check bump.assignees in kubeplan.yaml)`,
        );
    } catch (error) {
      if (!(error instanceof GitHubError)) throw error;
      warnings.push(`${people.assignees.join(', ')} not assigned to #${number}: ${error.message}`);
    }
  }
  return warnings;
}

/** The branch bump pull requests go into: the branch the workflow runs on, else the checked-out branch. */
async function baseBranch(env: NodeJS.ProcessEnv, repoRoot: string): Promise<string> {
  if (env.GITHUB_REF?.startsWith('refs/heads/')) return env.GITHUB_REF.slice('refs/heads/'.length);
  const r = await execa('git', ['symbolic-ref', '--short', '-q', 'HEAD'], {
    cwd: repoRoot,
    reject: false,
    stdin: 'ignore',
  });
  const branch = String(r.stdout).trim();
  if (r.exitCode !== 0 || !branch) {
    throw new UsageError('cannot tell which branch bump pull requests go into (HEAD is detached)', {
      where: { directory: repoRoot },
      hint: 'run on a branch (GITHUB_REF=refs/heads/main), or check out the default branch',
    });
  }
  return branch;
}
