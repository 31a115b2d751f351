import { readFileSync } from 'node:fs';
import path from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import {
  actionFiles,
  actionMetadataProblems,
  brandingColors,
  brandingIcons,
  loadAction,
} from '../helpers/action-metadata.js';
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

describe('the Marketplace listing', () => {
  it('action.yml has a description under 125 characters naming plan, apply, drift and bump, and valid branding', () => {
    const root = loadAction('action.yml');
    expect(root.description.length).toBeLessThan(125);
    for (const word of ['plan', 'apply', 'drift', 'bump']) expect(root.description).toContain(word);
    expect(brandingIcons).toContain(root.branding?.icon);
    expect(brandingColors).toContain(root.branding?.color);
  });

  it('the metadata check refuses what the Marketplace refuses', () => {
    const good = loadAction('action.yml');
    expect(actionMetadataProblems('action.yml', good)).toEqual([]);
    const bad = {
      ...good,
      description: 'x'.repeat(125),
      branding: { icon: 'kubernetes', color: 'teal' },
      runs: { using: 'node16', main: 'dist/index.js', steps: [] },
      inputs: { Bad_Name: { required: true } },
    } as unknown as ReturnType<typeof loadAction>;
    expect(actionMetadataProblems('action.yml', bad)).toEqual([
      'action.yml: description is 125 characters; the Marketplace takes < 125',
      'action.yml: branding.icon kubernetes not allowed',
      'action.yml: branding.color teal not allowed',
      'action.yml: input Bad_Name is not kebab-case',
      'action.yml: input Bad_Name has no description',
      'action.yml: runs.using is node16, not node24',
      'action.yml: runs.steps is not allowed for a node action',
    ]);
  });
});

describe('the per-command actions (plan/, apply/, drift/, bump/, rollback/)', () => {
  const commands = ['plan', 'apply', 'drift', 'bump', 'rollback'];

  it.each(actionFiles)('%s is valid node24 action metadata', (file) => {
    expect(actionMetadataProblems(file, loadAction(file))).toEqual([]);
  });

  it.each(commands)('%s/action.yml runs %s/index.js, which fixes the command and runs the one bundle', (command) => {
    const sub = loadAction(`${command}/action.yml`);
    expect(sub.runs).toEqual({ using: 'node24', main: 'index.js' });
    expect(sub.inputs).not.toHaveProperty('command');
    const entry = readFileSync(path.join(repoRoot, command, 'index.js'), 'utf8');
    expect(entry).toContain(`process.env.INPUT_COMMAND = '${command}';`);
    expect(entry).toContain("await import('../dist/index.js');");
  });

  it.each(commands)('every input of %s/action.yml is read and every output is set', (command) => {
    const sub = loadAction(`${command}/action.yml`);
    const root = loadAction('action.yml');
    for (const name of Object.keys(sub.inputs ?? {})) {
      expect(inputsSource, `input ${name} is never read`).toMatch(new RegExp(`\\((?:\\w+, )?['"]${name}['"]`));
      expect(sub.inputs![name]!.default, `input ${name} has another default than action.yml`).toBe(
        root.inputs![name]!.default,
      );
    }
    const source = readFileSync(path.join(repoRoot, `src/core/workflows/${command}.ts`), 'utf8');
    for (const name of Object.keys(sub.outputs ?? {}))
      expect(source, `output ${name} is never set by the ${command} workflow`).toMatch(
        new RegExp(`(?:^\\s+|{ )(?:'${name}'|${name}): `, 'm'),
      );
  });
});
