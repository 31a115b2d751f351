import { affectedTargets } from '../config/affected.js';
import { loadConfig } from '../config/load-config.js';
import { changedFilesSince } from '../git/changed-files.js';
import type { WorkflowRun } from './types.js';

/**
 * The targets a change affects: those whose files (chart, values, overlay and what it reaches, manifests folder, the
 * config itself) changed since `since`. Undefined when git cannot tell (a shallow clone): then every target counts.
 * `what` names the change for the log ("this pull request", "abc1234..def5678").
 */
export async function affectedSince(
  run: WorkflowRun,
  config: string,
  since: string,
  what: string,
): Promise<{ targets: string[]; total: number } | undefined> {
  const loaded = loadConfig(config, run.workingDirectory);
  const changed = await changedFilesSince(loaded.repoRoot, since, run.env);
  if (changed === undefined) {
    run.ports.reporter.info(
      `cannot tell which files changed since ${since.slice(0, 12)} (fetch it: actions/checkout fetch-depth: 0, GIT_DEPTH: 0 on GitLab): planning every target`,
    );
    return undefined;
  }
  const targets = affectedTargets(loaded, changed);
  const skipped = loaded.targets.length - targets.length;
  run.ports.reporter.info(
    `${targets.length} of ${loaded.targets.length} targets affected by ${what}${skipped ? ` (${skipped} skipped: none of their files changed)` : ''}`,
  );
  return { targets, total: loaded.targets.length };
}
