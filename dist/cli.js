#!/usr/bin/env node
import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);

// src/cli.ts
import { enableCompileCache } from "node:module";
enableCompileCache?.();
var { main } = await import("./chunks/main-GFNO2BRQ.js");
process.exitCode = await main(process.argv.slice(2), process.env, process.cwd(), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTTY: process.stdout.isTTY === true
});
