import { lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { RenderError, type Where } from '../errors.js';

/**
 * Rendering reads pull-request content, which may hold symlinks. A link to /proc/self/environ, to the kubeconfig in
 * RUNNER_TEMP or to .git/config (where actions/checkout keeps the token) would put credentials into the rendered
 * objects, so every file a renderer reads must really lie inside the repository and outside its .git folder. Links
 * inside the repository keep working.
 */
export class RepoBounds {
  private readonly realRoot: string;
  private readonly gitDir: string;

  constructor(
    readonly repoRoot: string,
    private readonly where: Where,
  ) {
    this.realRoot = safeRealpath(repoRoot) ?? path.resolve(repoRoot);
    this.gitDir = path.join(this.realRoot, '.git');
  }

  /** Repository-relative form of a path, for messages. */
  rel(abs: string): string {
    const rel = path.relative(this.repoRoot, abs);
    return rel === '' ? '.' : rel.split(path.sep).join('/');
  }

  /**
   * The real path of an existing file or folder after checking it stays in the repository; undefined when nothing is
   * there (the caller decides whether that is an error). `shown` names the path as the user wrote it.
   */
  check(abs: string, shown: string = this.rel(abs)): string | undefined {
    let isLink = false;
    try {
      isLink = lstatSync(abs).isSymbolicLink();
    } catch {
      // A parent folder may be the link; realpath below resolves it.
    }
    const real = safeRealpath(abs);
    if (real === undefined) {
      if (isLink) {
        throw new RenderError(`${shown} is a symlink to ${readlinkSync(abs)}, which does not exist`, {
          where: this.where,
          hint: 'fix or remove the dangling symlink',
        });
      }
      return undefined;
    }
    if (!isInside(this.realRoot, real)) {
      throw new RenderError(`${shown} ${this.describeLink(abs, real)}, outside the repository`, {
        where: this.where,
        hint: 'replace the symlink with the files themselves: rendering runs on pull-request content, so it reads nothing outside the repository',
      });
    }
    if (isInside(this.gitDir, real)) {
      const how = real === path.resolve(abs) ? 'is' : `${this.describeLink(abs, real)}, which is`;
      throw new RenderError(`${shown} ${how} inside the repository's .git folder`, {
        where: this.where,
        hint: ".git holds the checkout's credentials, so nothing rendered may read it: move the chart or files into their own folder",
      });
    }
    return real;
  }

  /**
   * Checks every file and folder below `dir` (helm reads a whole chart folder, subcharts included), following links
   * into other folders of the repository. Dangling links are errors.
   */
  checkTree(dir: string): void {
    const seen = new Set<string>();
    const walk = (shownDir: string, realDir: string) => {
      if (seen.has(realDir)) return;
      seen.add(realDir);
      for (const entry of readdirSync(realDir, { withFileTypes: true })) {
        const shown = path.join(shownDir, entry.name);
        const real = this.check(path.join(realDir, entry.name), this.rel(shown))!;
        if (entry.isDirectory() || (entry.isSymbolicLink() && statSync(real).isDirectory())) walk(shown, real);
      }
    };
    const real = this.check(dir);
    if (real !== undefined && statSync(real).isDirectory()) walk(dir, real);
  }

  private describeLink(abs: string, real: string): string {
    let link: string | undefined;
    try {
      if (lstatSync(abs).isSymbolicLink()) link = readlinkSync(abs);
    } catch {
      link = undefined;
    }
    if (link !== undefined)
      return `is a symlink to ${link}${path.resolve(path.dirname(abs), link) === real ? '' : ` (${real})`}`;
    return `resolves to ${real}`;
  }
}

function safeRealpath(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

export function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
