#!/usr/bin/env node
import * as nodeModule from 'node:module';

// The bin entry, kept apart from the CLI bundle (dist/cli-main.js) so that it runs on any Node.js: an older one fails
// while loading the bundle (a Node.js 24 API it imports, newer syntax) with a stack trace that does not say why.
const major = Number(process.versions.node.split('.')[0]);
if (!(major >= 24)) {
  process.stderr.write(
    `error: kubeplan needs Node.js 24 or newer; this is Node.js ${process.version}\n` +
      '  hint: install Node.js 24 (nvm install 24, or actions/setup-node with node-version: 24 in GitHub Actions),' +
      ' or run the job in the node:24 image\n',
  );
  process.exit(2);
}
// The V8 compile cache makes every run after the first start faster; it is on before the bundle is compiled.
nodeModule.enableCompileCache?.();
// Not a literal, so the bundler leaves the bundle a separate file.
const bundle = './cli-main.js';
await import(bundle);
