import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { guardLogLines } from '../../core/report/escape.js';
import type { SecretMask } from '../../core/report/secret-mask.js';
import type { Annotation, Reporter } from '../types.js';

/** Where a GitLab job's reporter writes besides its log. */
export interface GitLabReporterFiles {
  /** The job's markdown summary (there is no job summary page on GitLab: keep it as an artifact). */
  summary: string;
  /** `artifacts:reports:dotenv`: the outputs as KUBEPLAN_* variables for later jobs. */
  dotenv: string | undefined;
  /** `artifacts:reports:codequality`: errors with a file and line, shown on the merge request's diff. */
  codequality: string | undefined;
}

/**
 * The runner's side of a GitLab job: log lines (collapsible sections instead of ::group::), the summary as a file,
 * outputs as a dotenv report and annotations as a Code Quality report. Everything is masked: GitLab masks only
 * variables marked masked, and nothing in a file.
 */
export function gitlabReporter(
  write: (text: string) => void,
  secrets: SecretMask,
  files: GitLabReporterFiles,
): Reporter & { finish(): void } {
  const outputs = new Map<string, string>();
  const annotations: Annotation[] = [];
  const sections: string[] = [];
  let n = 0;
  const line = (text: string) => write(`${guardLogLines(secrets.mask(text))}\n`);
  const now = () => Math.floor(Date.now() / 1000);
  return {
    info: line,
    warn: (text) => line(`\u001b[33mwarning:\u001b[0m ${text}`),
    notice: (text) => line(`note: ${text}`),
    mask: (value) => secrets.add(value),
    group: (name) => {
      const id = `kubeplan_${++n}`;
      sections.push(id);
      write(
        `\u001b[0Ksection_start:${now()}:${id}[collapsed=true]\r\u001b[0K${guardLogLines(secrets.mask(name)).replace(/\n/g, ' ')}\n`,
      );
    },
    endGroup: () => {
      const id = sections.pop();
      if (id) write(`\u001b[0Ksection_end:${now()}:${id}\r\u001b[0K\n`);
    },
    summary: async (markdown) => {
      if (!markdown) return;
      mkdirSync(path.dirname(files.summary), { recursive: true });
      writeFileSync(files.summary, secrets.mask(markdown));
    },
    output: (name, value) => outputs.set(name, secrets.mask(value)),
    annotate: (a) => annotations.push({ ...a, message: secrets.mask(a.message) }),
    finish: () => {
      if (files.dotenv) {
        mkdirSync(path.dirname(files.dotenv), { recursive: true });
        writeFileSync(
          files.dotenv,
          [...outputs]
            .map(([k, v]) => `KUBEPLAN_${k.toUpperCase().replace(/-/g, '_')}=${v.replace(/\r?\n/g, ' ')}\n`)
            .join(''),
        );
      }
      if (files.codequality) {
        mkdirSync(path.dirname(files.codequality), { recursive: true });
        writeFileSync(files.codequality, `${JSON.stringify(codeQuality(annotations), null, 2)}\n`);
      }
    },
  };
}

/** GitLab's Code Quality report (a subset of Code Climate's): https://docs.gitlab.com/ci/testing/code_quality/. */
function codeQuality(annotations: Annotation[]) {
  return annotations
    .filter((a) => a.file)
    .map((a) => ({
      description: a.message,
      check_name: a.title ?? 'kubeplan',
      fingerprint: fingerprint(`${a.file}:${a.line ?? 1}:${a.message}`),
      severity: a.level === 'error' ? 'major' : a.level === 'warning' ? 'minor' : 'info',
      location: { path: a.file!, lines: { begin: a.line ?? 1 } },
    }));
}

function fingerprint(text: string): string {
  // A stable id per finding: GitLab compares the reports of the source and target branches by it.
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}
