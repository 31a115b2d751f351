import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { UsageError } from '../errors.js';

/**
 * Runs `fn` with a temporary, detached worktree of `ref` (the repository's files as they were at that commit), and
 * removes the worktree afterwards, also when `fn` fails.
 */
export async function withWorktree<T>(
  repoRoot: string,
  ref: string,
  env: NodeJS.ProcessEnv,
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  const git = (args: string[], cwd = repoRoot) =>
    execa('git', args, { cwd, env, extendEnv: false, reject: false, stdin: 'ignore' });
  const inside = await git(['rev-parse', '--show-toplevel']);
  if (inside.exitCode !== 0) {
    throw new UsageError(`--base needs a git repository, and ${repoRoot} is not one`, {
      hint: 'run kubeplan inside the clone of the config repository',
    });
  }
  const resolved = await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  if (resolved.exitCode !== 0) {
    throw new UsageError(`--base ${ref}: no such commit, branch or tag in ${repoRoot}`, {
      hint: 'fetch it first (actions/checkout with fetch-depth: 0, or git fetch origin <branch>)',
    });
  }
  const commit = String(resolved.stdout).trim();
  const parent = await mkdtemp(path.join(os.tmpdir(), 'kubeplan-base-'));
  const dir = path.join(parent, 'worktree');
  const added = await git(['worktree', 'add', '--detach', '--quiet', dir, commit]);
  if (added.exitCode !== 0) {
    await rm(parent, { recursive: true, force: true });
    throw new UsageError(`cannot check out ${ref} into a temporary worktree: ${String(added.stderr).trim()}`, {
      hint: 'check the repository is not corrupt and the disk has space',
    });
  }
  try {
    return await fn(dir);
  } finally {
    await git(['worktree', 'remove', '--force', dir]);
    await rm(parent, { recursive: true, force: true });
  }
}
