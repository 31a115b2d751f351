import { execa } from 'execa';

/** The commit checked out in `repoRoot`, or undefined outside a git repository. */
export async function headCommit(repoRoot: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const r = await execa('git', ['rev-parse', '--verify', '--quiet', 'HEAD'], {
    cwd: repoRoot,
    env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
  return r.exitCode === 0 ? String(r.stdout).trim() : undefined;
}

/** true: `older` is an ancestor of `newer`; false: it is not; undefined: git cannot tell (a commit is not fetched). */
export async function isAncestor(
  repoRoot: string,
  older: string,
  newer: string,
  env: NodeJS.ProcessEnv,
): Promise<boolean | undefined> {
  const r = await execa('git', ['merge-base', '--is-ancestor', older, newer], {
    cwd: repoRoot,
    env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
  return r.exitCode === 0 ? true : r.exitCode === 1 ? false : undefined;
}
