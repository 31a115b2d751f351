// Rewrites the CLI help blocks in README.md from the built CLI (dist/cli.js), so `npm run docs` after a change to the
// help text keeps README in step (test/cli/help.test.ts checks every block verbatim).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const readmeFile = path.join(root, 'README.md');
let readme = readFileSync(readmeFile, 'utf8');
const help = (args) =>
  execFileSync(process.execPath, [path.join(root, 'dist', 'cli.js'), ...args], { encoding: 'utf8' });
let changed = 0;
for (const command of [
  undefined,
  'render',
  'diff',
  'apply',
  'drift',
  'bump',
  'rollback',
  'recover',
  'promote',
  'canary',
  'ci',
  'init',
]) {
  const text = help(command ? [command, '--help'] : ['--help']);
  const usage = text.split('\n')[0];
  const start = readme.indexOf(`\`\`\`text\n${usage}`);
  if (start === -1)
    throw new Error(`README.md has no \`\`\`text block starting with "${usage}" (add one for this command)`);
  const end = readme.indexOf('```', start + 7);
  const block = `\`\`\`text\n${text}`;
  if (readme.slice(start, end) !== block) changed++;
  readme = readme.slice(0, start) + block + readme.slice(end);
}
writeFileSync(readmeFile, readme);
console.log(changed ? `README.md: ${changed} help block(s) updated` : 'README.md: help blocks up to date');
