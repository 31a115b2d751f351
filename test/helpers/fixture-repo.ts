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
