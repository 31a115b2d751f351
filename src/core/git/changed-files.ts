import { execa } from 'execa';

/**
 * Files changed between a base commit and HEAD (repository-relative), or undefined when git cannot tell (the base is
 * not fetched, or this is not a repository): callers then treat everything as changed.
 */
export async function changedFilesSince(
  repoRoot: string,
  base: string,
  env: NodeJS.ProcessEnv,
): Promise<string[] | undefined> {
  const result = await execa('git', ['diff', '--name-only', '--no-renames', `${base}`, 'HEAD', '--'], {
    cwd: repoRoot,
    env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
  if (result.exitCode !== 0) return undefined;
  // Uncommitted changes count too (a local run before committing).
  const dirty = await execa('git', ['diff', '--name-only', '--no-renames', 'HEAD', '--'], {
    cwd: repoRoot,
    env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
  const untracked = await execa('git', ['ls-files', '--others', '--exclude-standard'], {
    cwd: repoRoot,
    env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
  return [
    ...new Set(
      [result.stdout, dirty.stdout, untracked.stdout].flatMap((o) => String(o).split('\n')).filter((l) => l !== ''),
    ),
  ];
}
