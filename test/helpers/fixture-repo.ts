import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * Writes a throw-away config repository (a folder with .git, so it is a repository root) and returns its path.
 * Removed after the test file.
 */
export function makeRepo(files: Record<string, string>): string {
  const parent = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-test-'));
  made.push(parent);
  const root = path.join(parent, 'repo');
  mkdirSync(path.join(root, '.git'), { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(root, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  return root;
}

/** A config repository that is a real git repository: the files committed on main, and helpers to change it. */
export interface GitRepo {
  repo: string;
  git: (...args: string[]) => string;
  /** The commit main points at. */
  head: () => string;
  /** Writes the files and commits them; returns the new commit. */
  commit: (message: string, files: Record<string, string>) => string;
}

export function makeGitRepo(files: Record<string, string>): GitRepo {
  const repo = makeRepo(files);
  rmSync(path.join(repo, '.git'), { recursive: true });
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: repo,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@t',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@t',
      },
    }).trim();
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-qm', 'base');
  const head = () => git('rev-parse', 'HEAD');
  const commit = (message: string, changes: Record<string, string>) => {
    for (const [name, content] of Object.entries(changes)) {
      mkdirSync(path.dirname(path.join(repo, name)), { recursive: true });
      writeFileSync(path.join(repo, name), content);
    }
    git('add', '-A');
    git('commit', '-qm', message);
    return head();
  };
  return { repo, git, head, commit };
}
