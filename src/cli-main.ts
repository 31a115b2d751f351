// The CLI proper, loaded by the bin entry (src/cli.ts) once it has checked the Node.js version.
const { main } = await import('./cli/main.js');
const { guardLogLines } = await import('./core/report/escape.js');
const { abortOnSignals } = await import('./core/cancel.js');
// Ctrl-C (or SIGTERM) during `kubeplan apply` stops it before its next write, with a report of what it wrote; a
// second one, or one during any other command, quits at once.
const command = process.argv[2];
const cancel = abortOnSignals((name, count, exitCode) => {
  if (count === 1 && command === 'apply') {
    process.stderr.write(`\n${name}: stopping before the next write (again to quit at once)\n`);
    return;
  }
  process.exit(exitCode);
});
process.exitCode = await main(
  process.argv.slice(2),
  process.env,
  process.cwd(),
  // In CI the output is the job log: no line of it (a diff line, a name) may start a workflow command.
  {
    stdout: (text) => process.stdout.write(guardLogLines(text)),
    stderr: (text) => process.stderr.write(guardLogLines(text)),
    isTTY: process.stdout.isTTY === true,
  },
  cancel.signal,
);
cancel.dispose();
