import { describe, expect, it } from 'vitest';
import { safeLinkUrl, sourceCell } from '../../src/core/images/publish.js';

// The Source cell of a bump pull request is built from labels the image's author wrote: only http(s) links, nothing
// that can leave the link or the table cell, no credentials.
describe('the Source cell of a bump pull request', () => {
  it('links a GitHub repository and the commit the version was built from', () => {
    expect(
      sourceCell({ source: 'https://github.com/acme/web', revision: '0123456789abcdef0123456789abcdef01234567' }),
    ).toBe(
      '[github.com/acme/web](https://github.com/acme/web) ([0123456](https://github.com/acme/web/commit/0123456789abcdef0123456789abcdef01234567))',
    );
    // A source deeper in the repository (a folder of a monorepo) still gets the repository's commit link.
    expect(sourceCell({ source: 'https://github.com/acme/mono/tree/main/web.git', revision: 'ABCDEF1' })).toBe(
      '[github.com/acme/mono](https://github.com/acme/mono/tree/main/web) ([abcdef1](https://github.com/acme/mono/commit/abcdef1))',
    );
  });

  it('links a GitLab project in subgroups with its /-/commit/ page', () => {
    expect(
      sourceCell({ source: 'https://gitlab.example.com/platform/apps/web/-/tree/main', revision: 'abcdef12' }),
    ).toBe(
      '[gitlab.example.com/platform/apps/web](https://gitlab.example.com/platform/apps/web/-/tree/main) ([abcdef1](https://gitlab.example.com/platform/apps/web/-/commit/abcdef12))',
    );
  });

  it('falls back to the url label, and links no commit for another host or a revision that is not a commit', () => {
    expect(sourceCell({ source: 'git@github.com:acme/web.git', url: 'https://acme.example/web' })).toBe(
      '[acme.example/web](https://acme.example/web)',
    );
    expect(sourceCell({ source: 'https://github.com/acme/web', revision: 'main; rm -rf' })).toBe(
      '[github.com/acme/web](https://github.com/acme/web)',
    );
    expect(sourceCell({})).toBe('–');
  });

  it('refuses what is not http(s), and strips credentials, queries and anything that could break out of the link', () => {
    for (const bad of ['javascript:alert(1)', 'data:text/html,x', 'file:///etc/passwd', 'ftp://x/y', 'not a url', ''])
      expect(safeLinkUrl(bad)).toBeUndefined();
    expect(safeLinkUrl('https://user:ghp_seededsecret@github.com/acme/web?token=ghp_seededsecret#x')).toBe(
      'https://github.com/acme/web',
    );
    const cell = sourceCell({ source: 'https://github.com/acme/we)b [x](javascript:alert(1)) | <img src=x>' });
    // Markdown escapes in the text (no raw <, >, unescaped | or ]( ), percent-encoding in the destination.
    expect(cell).not.toMatch(/[<>]|(?<!\\)\||(?<!\\)\]\(javascript/);
    expect(cell).toMatch(
      /^\[github\.com\/acme\/we\)b \\\[x\\\]\(javascript:alert\(1\)\) \\\| &lt;img src=x&gt;\]\(https:\/\/github\.com\/acme\/we%29b%20%5Bx%5D%28javascript:alert%281%29%29%20%7C%20%3Cimg%20src=x%3E\)$/,
    );
    // A mention in a label pings nobody.
    expect(sourceCell({ source: 'https://example.com/@alice' })).toBe(
      '[example.com/`@alice`](https://example.com/@alice)',
    );
  });
});
