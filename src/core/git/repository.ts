import { execa } from 'execa';
import type { Config } from '../config/types.js';

/**
 * Which repository this run deploys from, as `host/path` (`github.com/acme/deploy`), recorded on every inventory it
 * writes so that another repository with a target of the same name cannot take the inventory over. In order:
 * `repository` in kubeplan.yaml, the CI context (GitHub Actions, GitLab CI), the git remote `origin`. Credentials in a
 * URL are never part of it.
 */
export async function repositoryIdentity(
  config: Pick<Config, 'repository' | 'repoRoot'>,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  if (config.repository) return normalizeRepository(config.repository);
  if (env.GITHUB_REPOSITORY)
    return normalizeRepository(`${env.GITHUB_SERVER_URL || 'https://github.com'}/${env.GITHUB_REPOSITORY}`);
  if (env.GITLAB_CI && env.CI_PROJECT_PATH)
    return normalizeRepository(
      `${env.CI_SERVER_URL || `https://${env.CI_SERVER_HOST ?? 'gitlab.com'}`}/${env.CI_PROJECT_PATH}`,
    );
  const remote = await execa('git', ['remote', 'get-url', 'origin'], {
    cwd: config.repoRoot,
    env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
  const url = remote.exitCode === 0 ? String(remote.stdout).trim() : '';
  return url ? normalizeRepository(url) : undefined;
}

/** `https://user:token@GitHub.com/acme/deploy.git`, `git@github.com:acme/deploy.git` → `github.com/acme/deploy`. */
export function normalizeRepository(value: string): string {
  let text = value
    .trim()
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');
  const scp = /^[^@/\s]+@([^:/\s]+):(?!\/)(.+)$/.exec(text);
  if (scp) return `${scp[1]!.toLowerCase()}/${scp[2]!.replace(/^\/+/, '')}`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    try {
      const url = new URL(text);
      text = `${url.hostname.toLowerCase()}${url.pathname}`;
    } catch {
      // not a URL after all: keep the text (without anything before an @)
    }
  }
  return text.replace(/^[^/@]*@/, '').replace(/\/+$/, '');
}
