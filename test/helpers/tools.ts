import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const toolsDir = process.env.KUBEPLAN_TEST_TOOLS ?? path.join(repoRoot, '.tools', 'bin');
export const helmBin = path.join(toolsDir, 'helm');
export const kubectlBin = path.join(toolsDir, 'kubectl');
export const examplesDir = path.join(repoRoot, 'examples');

/** Runs bare helm / kubectl (the anchor the tests compare kubeplan with) and returns stdout. */
export function bare(bin: string, args: string[], cwd: string = repoRoot): string {
  return execFileSync(bin, args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
