#!/usr/bin/env node
import { enableCompileCache } from 'node:module';

// The bin entry. The V8 compile cache makes every run after the first start faster; the CLI is loaded after it is on.
enableCompileCache?.();
const { main } = await import('./cli/main.js');
const { guardLogLines } = await import('./core/report/escape.js');
// In CI the output is the job log: no line of it (a diff line, a name) may start a workflow command.
process.exitCode = await main(process.argv.slice(2), process.env, process.cwd(), {
  stdout: (text) => process.stdout.write(guardLogLines(text)),
  stderr: (text) => process.stderr.write(guardLogLines(text)),
  isTTY: process.stdout.isTTY === true,
});
