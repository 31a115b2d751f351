#!/usr/bin/env node
import { main } from './cli/main.js';

// The bin entry: hand argv, env and the working folder to the CLI and exit with its code.
process.exitCode = await main(process.argv.slice(2), process.env, process.cwd(), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
