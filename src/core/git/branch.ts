import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { KubeplanError } from '../errors.js';

/** A git remote to push to, with the HTTP header that authenticates (kept out of argv and of .git/config). */
export interface Remote {
  url: string;
  /** `AUTHORIZATION: basic …`; undefined for remotes that need none (a path, or ssh with its own keys). */
  authHeader: string | undefined;
}

export interface Author {
  name: string;
  email: string;
}

/**
 * Commits and pushes without touching the working tree, the index or any local branch: the commit is built in a
 * temporary index from `base` plus the new file contents and pushed to `refs/heads/<branch>` by its id.
 */
export class BranchWriter {
  constructor(
    private readonly repoRoot: string,
    private readonly remote: Remote,
    private readonly author: Author,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  private git(args: string[], options: { input?: string; env?: Record<string, string> } = {}) {
    const auth: Record<string, string> = {};
    if (this.remote.authHeader) {
      // An empty value first resets headers a checkout persisted. actions/checkout writes its own under the server's
      // URL (http.https://github.com/.extraheader), which outranks the plain key, so both are set: the token given to
      // kubeplan (a PAT, so the pull request triggers workflows) is the one git sends.
      const keys = ['http.extraheader'];
      if (/^https?:\/\//.test(this.remote.url)) keys.push(`http.${new URL(this.remote.url).origin}/.extraheader`);
      let n = 0;
      for (const key of keys) {
        for (const value of ['', this.remote.authHeader]) {
          auth[`GIT_CONFIG_KEY_${n}`] = key;
          auth[`GIT_CONFIG_VALUE_${n}`] = value;
          n++;
        }
      }
      auth.GIT_CONFIG_COUNT = String(n);
    }
    return execa('git', args, {
      cwd: this.repoRoot,
      env: { ...this.env, GIT_TERMINAL_PROMPT: '0', ...auth, ...options.env },
      extendEnv: false,
      reject: false,
      ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
    });
  }

  private async must(
    args: string[],
    what: string,
    options: { input?: string; env?: Record<string, string> } = {},
  ): Promise<string> {
    const r = await this.git(args, options);
    if (r.exitCode !== 0) {
      throw new KubeplanError(
        `git ${what} failed: ${redactUrl(String(r.stderr).trim().split('\n').slice(-3).join(' '))}`,
        {
          where: { directory: this.repoRoot },
          hint: 'check that the working directory is a clone of the config repository and the token may push branches',
        },
      );
    }
    return String(r.stdout).trim();
  }

  /** The commit the working tree is on. */
  head(): Promise<string> {
    return this.must(['rev-parse', 'HEAD'], 'rev-parse HEAD');
  }

  /**
   * One commit on `base` holding these files (repository-relative paths, new contents). The edits were computed from
   * the working tree, so each file's `before` must be what `base` holds: uncommitted changes never ride along.
   */
  async commit(
    base: string,
    files: { file: string; before: string; after: string }[],
    message: string,
  ): Promise<{ commit: string; tree: string }> {
    for (const f of files) {
      const committed = await this.git(['show', `${base}:${f.file}`]);
      if (
        committed.exitCode !== 0 ||
        String(committed.stdout).replace(/\r?\n$/, '') !== f.before.replace(/\r?\n$/, '')
      ) {
        throw new KubeplanError(
          `${f.file} differs from the committed file (uncommitted changes?), so a bump branch made from ${base.slice(0, 12)} would not hold what was planned`,
          {
            where: { file: f.file, path: path.join(this.repoRoot, f.file) },
            hint: 'commit or stash the changes first, or use --local to edit the working tree',
          },
        );
      }
    }
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kubeplan-index-'));
    const env = { GIT_INDEX_FILE: path.join(dir, 'index') };
    try {
      await this.must(['read-tree', base], 'read-tree', { env });
      for (const f of files) {
        const listed = await this.must(['ls-tree', base, '--', f.file], 'ls-tree');
        const mode = listed.split(' ')[0] || '100644';
        const blob = await this.must(['hash-object', '-w', '--stdin'], 'hash-object', { input: f.after });
        await this.must(['update-index', '--add', '--cacheinfo', `${mode},${blob},${f.file}`], 'update-index', { env });
      }
      const tree = await this.must(['write-tree'], 'write-tree', { env });
      const identity = {
        GIT_AUTHOR_NAME: this.author.name,
        GIT_AUTHOR_EMAIL: this.author.email,
        GIT_COMMITTER_NAME: this.author.name,
        GIT_COMMITTER_EMAIL: this.author.email,
      };
      const commit = await this.must(['commit-tree', tree, '-p', base, '-F', '-'], 'commit-tree', {
        input: message,
        env: identity,
      });
      return { commit, tree };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** The tree and first parent of the remote branch's commit, or undefined when the branch does not exist. */
  async remoteBranch(
    branch: string,
  ): Promise<{ commit: string; tree: string; parent: string | undefined } | undefined> {
    const listed = await this.must(['ls-remote', '--heads', this.remote.url, `refs/heads/${branch}`], 'ls-remote');
    const commit = listed.split(/\s/)[0];
    if (!commit) return undefined;
    if ((await this.git(['cat-file', '-e', `${commit}^{commit}`])).exitCode !== 0) {
      await this.must(
        ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', this.remote.url, `refs/heads/${branch}`],
        'fetch',
      );
    }
    const [tree, parent] = (await this.must(['show', '-s', '--format=%T %P', commit], 'show')).split(' ');
    return { commit, tree: tree!, parent: parent || undefined };
  }

  /**
   * One commit of `files` on `base`, pushed to `branch`, unless the branch already holds exactly that change on that
   * base (then nothing is pushed).
   */
  async pushFiles(
    base: string,
    branch: string,
    files: Parameters<BranchWriter['commit']>[1],
    message: string,
  ): Promise<'pushed' | 'unchanged'> {
    const { commit, tree } = await this.commit(base, files, message);
    const existing = await this.remoteBranch(branch);
    if (existing && existing.tree === tree && existing.parent === base) return 'unchanged';
    await this.push(branch, commit);
    return 'pushed';
  }

  /** Points the remote branch at `commit` (force: the branch belongs to kubeplan). */
  async push(branch: string, commit: string): Promise<void> {
    await this.must(
      ['push', '--quiet', '--force', this.remote.url, `${commit}:refs/heads/${branch}`],
      `push ${branch}`,
    );
  }
}

/** Credentials in URLs (`https://x:token@host`) never reach messages. */
function redactUrl(text: string): string {
  return text.replace(/(https?:\/\/)[^/@\s]+@/g, '$1***@');
}
