import { readFileSync } from 'node:fs';
import path from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/tools.js';

const action = load(readFileSync(path.join(repoRoot, 'action.yml'), 'utf8')) as {
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  runs: { using: string; main: string };
};
const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const section = (title: string) =>
  readme.slice(readme.indexOf(`### ${title}`), readme.indexOf('\n### ', readme.indexOf(`### ${title}`) + 4));
// The action reads its inputs in its adapter and through the request parser the CLI shares; the workflows set outputs.
const inputsSource = ['src/platform/github/inputs.ts', 'src/core/workflows/request.ts']
  .map((f) => readFileSync(path.join(repoRoot, f), 'utf8'))
  .join('\n');
const outputsSource = ['bump', 'apply', 'plan', 'drift', 'rollback', 'render']
  .map((f) => readFileSync(path.join(repoRoot, `src/core/workflows/${f}.ts`), 'utf8'))
  .join('\n');

describe('action.yml', () => {
  it('runs on node24 from the committed dist/', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
  });

  it('every input is read by the action and documented in the README inputs table', () => {
    const table = section('Inputs');
    for (const name of Object.keys(action.inputs)) {
      expect(inputsSource, `input ${name} is never read`).toMatch(new RegExp(`\\((?:\\w+, )?['"]${name}['"]`));
      expect(table, `input ${name} is not in the README`).toContain(`\`${name}\``);
    }
  });

  it('every output is set by the action and documented in the README outputs table', () => {
    const table = section('Outputs');
    for (const name of Object.keys(action.outputs)) {
      // An outcome's outputs: `{ 'has-changes': …, summary: … }`.
      expect(outputsSource, `output ${name} is never set`).toMatch(
        new RegExp(`(?:^\\s+|{ )(?:'${name}'|${name}): `, 'm'),
      );
      expect(table, `output ${name} is not in the README`).toContain(`\`${name}\``);
    }
  });
});
