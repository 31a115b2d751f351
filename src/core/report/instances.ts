import type { InstanceOutcome } from '../commands/named-apply.js';
import type { ClusterSummary } from '../diff/types.js';
import { KubeplanError } from '../errors.js';
import { inlineCode, markdownText, oneLine } from './escape.js';

/**
 * An apply over named clusters, cluster by cluster: each instance applied, failed or skipped (and why), the objects
 * it wrote, how long it took, and the deployment (environment) it is recorded as. The apply summary (GitHub step
 * summary, GitLab's summary.md) has a table per cluster, the CLI a block of aligned lines per cluster.
 */
interface InstanceRow {
  instance: string;
  status: InstanceOutcome['status'];
  written: string;
  duration: string;
  environment: string;
  why: string;
}

interface ClusterRows {
  name: string;
  host: string | undefined;
  /** `2 applied, 1 failed, 1 skipped`. */
  counts: string;
  rows: InstanceRow[];
}

/** Why an instance was not applied, starting with what stopped it. */
export function instanceWhy(o: InstanceOutcome): string {
  if (o.status === 'applied') return '';
  const error = o.error === undefined ? '' : errorLine(o.error);
  switch (o.cause) {
    case 'unreachable':
      return `its cluster could not be reached or planned: ${error}`;
    case 'wave':
      return `an earlier rollout wave did not apply: ${o.reason}`;
    case 'dependsOn':
      return `a dependsOn target did not apply: ${o.reason}`;
    case 'stopped':
      return o.reason ?? 'an instance before it on its cluster failed';
    case 'cancelled':
      return o.reason ?? 'the apply was cancelled';
    case 'binding':
      return o.reason ?? 'not the reviewed plan (apply.binding: strict)';
    default:
      return error || o.reason || '';
  }
}

function errorLine(error: unknown): string {
  if (error instanceof KubeplanError) return error.format().split('\n')[0]!;
  return error instanceof Error ? error.message : String(error);
}

function byCluster(instances: readonly InstanceOutcome[], clusters: readonly ClusterSummary[]): ClusterRows[] {
  const names = [...new Set([...clusters.map((c) => c.name), ...instances.map((i) => i.cluster)])];
  return names
    .map((name) => {
      const mine = instances.filter((i) => i.cluster === name);
      const server = clusters.find((c) => c.name === name)?.server;
      let host = server;
      try {
        if (server) host = new URL(server).host;
      } catch {
        // not a URL: shown as it is
      }
      const count = (s: InstanceOutcome['status']) => mine.filter((i) => i.status === s).length;
      const counts = (['applied', 'failed', 'skipped'] as const)
        .filter((s) => count(s) > 0)
        .map((s) => `${count(s)} ${s}`)
        .join(', ');
      return { name, host, counts: counts || 'no instances', rows: mine.map(row) };
    })
    .filter((c) => c.rows.length > 0);
}

function row(o: InstanceOutcome): InstanceRow {
  const r = o.result;
  const written = r ? r.objects.filter((x) => x.action !== 'unchanged').length : 0;
  const parts = r
    ? [
        [r.created, 'created'],
        [r.updated, 'updated'],
        [r.recreated, 'recreated'],
        [r.pruned, 'pruned'],
      ]
        .filter(([n]) => (n as number) > 0)
        .map(([n, what]) => `${n} ${what}`)
    : [];
  return {
    instance: o.name,
    status: o.status,
    written: o.status === 'skipped' ? '–' : `${written}${parts.length ? ` (${parts.join(', ')})` : ''}`,
    duration: o.ms === undefined ? '–' : `${(o.ms / 1000).toFixed(1)} s`,
    environment: o.environment ?? o.name,
    why: instanceWhy(o),
  };
}

const ICON: Record<InstanceOutcome['status'], string> = { applied: '✅', failed: '❌', skipped: '⏭️' };

/** A markdown table per cluster (the apply summary). */
export function instanceTablesMarkdown(
  instances: readonly InstanceOutcome[],
  clusters: readonly ClusterSummary[],
): string[] {
  const out: string[] = [];
  for (const c of byCluster(instances, clusters)) {
    out.push(
      `**Cluster ${inlineCode(c.name)}**${c.host ? ` (${markdownText(c.host)})` : ''}: ${c.counts}`,
      '',
      '| instance | status | objects written | duration | environment | why |',
      '| --- | --- | --- | --- | --- | --- |',
      ...c.rows.map(
        (r) =>
          `| ${markdownText(r.instance)} | ${ICON[r.status]} ${r.status} | ${r.written} | ${r.duration} | ${markdownText(r.environment)} | ${markdownText(r.why)} |`,
      ),
      '',
    );
  }
  return out;
}

/** Aligned lines per cluster (the CLI's text report). */
export function instanceTablesText(
  instances: readonly InstanceOutcome[],
  clusters: readonly ClusterSummary[],
): string[] {
  const out: string[] = [];
  for (const c of byCluster(instances, clusters)) {
    const header: InstanceRow = {
      instance: 'INSTANCE',
      status: 'STATUS' as InstanceRow['status'],
      written: 'WRITTEN',
      duration: 'DURATION',
      environment: 'ENVIRONMENT',
      why: 'WHY',
    };
    const rows = [header, ...c.rows];
    const width = (k: keyof InstanceRow) => Math.max(...rows.map((r) => r[k].length));
    const cols = ['instance', 'status', 'written', 'duration', 'environment'] as const;
    out.push('', `Cluster ${c.name}${c.host ? ` (${c.host})` : ''}: ${c.counts}`);
    for (const r of rows)
      out.push(
        `  ${cols.map((k) => oneLine(r[k]).padEnd(width(k))).join('  ')}${r.why ? `  ${oneLine(r.why)}` : ''}`.trimEnd(),
      );
  }
  return out;
}
