import * as core from '@actions/core';
import type { SecretMask } from '../../core/report/secret-mask.js';

/**
 * The step's outputs and job summary, with every credential of the run replaced: the runner masks the log, but an
 * output or the summary is shown (and passed on to other steps) as written.
 */
export function setOutput(name: string, value: string, secrets: SecretMask): void {
  core.setOutput(name, secrets.mask(value));
}

export async function writeSummary(markdown: string, secrets: SecretMask): Promise<void> {
  await core.summary.addRaw(secrets.mask(markdown)).write();
}
