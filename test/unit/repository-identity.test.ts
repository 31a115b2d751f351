import { describe, expect, it } from 'vitest';
import { normalizeRepository, repositoryIdentity } from '../../src/core/git/repository.js';

describe('repository identity', () => {
  it('reduces remotes and CI URLs to host/path, never keeping credentials', () => {
    expect(normalizeRepository('https://x-access-token:ghs_secret@GitHub.com/acme/deploy.git')).toBe(
      'github.com/acme/deploy',
    );
    expect(normalizeRepository('git@github.com:acme/deploy.git')).toBe('github.com/acme/deploy');
    expect(normalizeRepository('ssh://git@gitlab.example.com:2222/group/sub/deploy.git')).toBe(
      'gitlab.example.com/group/sub/deploy',
    );
    expect(normalizeRepository('github.com/acme/deploy/')).toBe('github.com/acme/deploy');
  });

  it('prefers kubeplan.yaml, then GitHub Actions, then GitLab CI', async () => {
    const root = '/nonexistent';
    expect(
      await repositoryIdentity(
        { repoRoot: root, repository: 'git@github.com:old/name.git' },
        { GITHUB_REPOSITORY: 'acme/deploy' },
      ),
    ).toBe('github.com/old/name');
    expect(
      await repositoryIdentity(
        { repoRoot: root },
        { GITHUB_REPOSITORY: 'acme/deploy', GITHUB_SERVER_URL: 'https://ghe.example.com' },
      ),
    ).toBe('ghe.example.com/acme/deploy');
    expect(
      await repositoryIdentity(
        { repoRoot: root },
        { GITLAB_CI: 'true', CI_PROJECT_PATH: 'group/deploy', CI_SERVER_URL: 'https://gitlab.example.com' },
      ),
    ).toBe('gitlab.example.com/group/deploy');
  });
});
