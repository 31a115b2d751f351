import * as core from '@actions/core';
import type { SecretMask } from '../../core/report/secret-mask.js';

/**
 * The step's outputs and job summary, with every credential of the run replaced: the runner masks the log, but an
 * output or the summary is shown (and passed on to other steps) as written.
 */
export function setOutput(secrets: SecretMask, name: string, value: string): void {
  core.setOutput(name, secrets.mask(value));
}

export async function writeSummary(secrets: SecretMask, markdown: string): Promise<void> {
  await core.summary.addRaw(secrets.mask(markdown)).write();
}
