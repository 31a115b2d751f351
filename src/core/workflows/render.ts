import path from 'node:path';
import { renderCommand } from '../commands/render.js';
import { formatSource } from '../manifests/manifest-set.js';
import { htmlText, oneLine } from '../report/escape.js';
import type { RenderRequest } from './request.js';
import { emptyOutcome, type Outcome, type WorkflowRun } from './types.js';

/** Render every target to files (one <target>.yaml per target) for later steps: the objects listed per target. */
export async function renderTargetsToFiles(request: RenderRequest, run: WorkflowRun): Promise<Outcome> {
  const log = run.ports.reporter;
  const outDir = path.resolve(run.workingDirectory, request.outDir ?? path.join(run.ctx.tempDir, 'kubeplan-render'));
  const result = await renderCommand({
    config: request.config,
    targets: request.targets,
    outDir,
    format: request.format,
    showSecrets: false,
    tools: run.tools,
    cwd: run.workingDirectory,
    env: run.env,
    // On a pull request, its own kubeplan.yaml must not turn on what runs or fetches code while its content renders.
    optInsFrom: run.ctx.pullRequest?.baseSha,
    fetchOptIns: true,
    onNotice: (notice) => log.notice(notice.replace(/`/g, '')),
  });
  const rows = result.sets.map((set, i) => ({
    name: set.target,
    objects: set.manifests.length,
    hooks: set.manifests.filter((m) => m.hook).length,
    file: result.files[i]!,
  }));
  for (const set of result.sets) {
    log.group(`${set.target}: ${set.manifests.length} objects`);
    for (const m of set.manifests) {
      const o = m.object;
      log.info(
        `${oneLine(`${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`)}  ← ${oneLine(formatSource(m.source))}${m.hook ? '  [hook]' : ''}`,
      );
    }
    log.endGroup();
  }
  const outcome = emptyOutcome();
  outcome.outputs = {
    'out-dir': outDir,
    objects: String(rows.reduce((n, r) => n + r.objects, 0)),
    targets: JSON.stringify(rows),
  };
  const cells = (tag: 'th' | 'td', values: string[]) =>
    `<tr>${values.map((v) => `<${tag}>${htmlText(v)}</${tag}>`).join('')}</tr>`;
  outcome.summary = run.secrets.mask(
    [
      '### kubeplan render',
      '',
      `<table>${cells('th', ['Target', 'Objects', 'Hooks', 'File'])}${rows
        .map((r) =>
          cells('td', [r.name, String(r.objects), String(r.hooks), path.relative(run.workingDirectory, r.file)]),
        )
        .join('')}</table>`,
      '',
    ].join('\n'),
  );
  return outcome;
}
