import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/tools.js';

// How the CLI behaves towards the person or script running it: the Node.js it needs, durations, colour, errors a
// script can parse, suggestions for a mistyped command or flag, progress while it retries.

/** A Node.js older than 24 on this machine (the system one), to run the bin with. */
function olderNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node', '/bin/node']) {
    const run = spawnSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    if (run.status === 0 && Number(run.stdout.split('.')[0]) < 24) return candidate;
  }
  return undefined;
}

describe('the Node.js version', () => {
  const node = olderNode();
  it.skipIf(node === undefined)('an older Node.js is told which version kubeplan needs, not a stack trace', () => {
    const run = spawnSync(node!, [path.join(repoRoot, 'dist', 'cli.js'), 'diff', '--help'], { encoding: 'utf8' });
    const version = spawnSync(node!, ['--version'], { encoding: 'utf8' }).stdout.trim();
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`kubeplan needs Node.js 24 or newer; this is Node.js ${version}`);
    expect(run.stderr).toContain('hint: install Node.js 24');
    expect(run.stderr).not.toMatch(/SyntaxError|\n\s+at /);
  });
});
