import { run } from './platform/github/run.js';

// The GitHub Action entry: everything happens in run(), behind one error boundary.
await run(process.env);
