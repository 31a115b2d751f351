import * as core from '@actions/core';
import { guardLogLines } from '../../core/report/escape.js';
import type { SecretMask } from '../../core/report/secret-mask.js';
import type { Annotation, Reporter } from '../types.js';

/**
 * The runner's side of a GitHub Actions step: log lines, groups, masking, the job summary, outputs and annotations.
 * Text from the pull request (names, diffs, messages) can hold lines that start with `::`, which the runner would run
 * as workflow commands: every plain log line goes through guardLogLines (core.warning/error/startGroup escape their
 * text themselves). Outputs and the summary are shown as written, so every credential of the run is replaced there.
 */
export function actionsReporter(secrets: SecretMask): Reporter {
  return {
    info: (text) => core.info(guardLogLines(text)),
    warn: (text) => core.warning(text),
    notice: (text) => core.notice(text),
    mask: (value) => {
      if (!value) return;
      core.setSecret(value);
      secrets.add(value);
    },
    group: (name) => core.startGroup(name),
    endGroup: () => core.endGroup(),
    summary: async (markdown) => {
      if (markdown) await core.summary.addRaw(secrets.mask(markdown)).write();
    },
    output: (name, value) => core.setOutput(name, secrets.mask(value)),
    annotate: (a: Annotation) => {
      const properties = a.file ? { file: a.file, startLine: a.line, title: a.title ?? 'kubeplan' } : undefined;
      if (a.level === 'error') core.error(a.message, properties);
      else if (a.level === 'warning') core.warning(a.message, properties);
      else core.notice(a.message, properties);
    },
  };
}
