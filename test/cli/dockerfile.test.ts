import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/tools.js';

// The job image's Dockerfile (GitLab CI): no container engine runs here, so its inputs are checked instead: every
// file it copies from the repository exists, and the tools stage builds helm and kubectl where it copies them from.
const dockerfile = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');

describe('Dockerfile', () => {
  it('copies only files the repository has, and the tools where setup-tools puts them', () => {
    const copies = [...dockerfile.matchAll(/^COPY (?!--from)(.+) (\S+)$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    expect(copies).toEqual([
      'package.json',
      'package-lock.json',
      'scripts/setup-tools.mjs',
      'package.json',
      'dist/cli.js',
      'dist/cli-main.js',
      'dist/vendor',
    ]);
    for (const file of copies) expect(existsSync(path.join(repoRoot, file)), file).toBe(true);
    const setup = readFileSync(path.join(repoRoot, 'scripts/setup-tools.mjs'), 'utf8');
    expect(setup).toContain("path.join(root, '.tools', 'bin')");
    expect(dockerfile).toContain('COPY --from=tools /src/.tools/bin/helm /src/.tools/bin/kubectl /usr/local/bin/');
    expect(readFileSync(path.join(repoRoot, 'dist/cli.js'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    // The image is what the GitLab component runs: kubeplan on PATH, no download in the job.
    expect(readFileSync(path.join(repoRoot, 'templates/kubeplan.yml'), 'utf8')).toMatch(/^ {4}- kubeplan ci /m);
    expect(readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8').split('\n')).toEqual(
      expect.arrayContaining(['node_modules', '.tools', '.git']),
    );
  });
});
