import { formatSource } from '../manifests/manifest-set.js';
import type { Action, Change, Counts } from '../diff/types.js';
import { oneLine } from './escape.js';

export const SYMBOL: Record<Action, string> = { create: '+', update: '~', replace: '±', delete: '-', unchanged: '=', error: '!' };

/** `+3 ~5 -1 ±1` plus errors: the line that opens every report. */
export function summaryLine(counts: Counts): string {
  const parts = [`+${counts.create} to create`, `~${counts.update} to update`, `±${counts.replace} to replace`, `-${counts.delete} to delete`];
  let line = `Plan: ${parts.join(', ')}, ${counts.unchanged} unchanged`;
  if (counts.error) line += `, ${counts.error} error${counts.error === 1 ? '' : 's'}`;
  return `${line}.`;
}

/** `Kind namespace/name` on one line: a kind or name from the pull request can hold a newline (a quoted YAML key). */
export function objectName(c: Pick<Change, 'kind' | 'namespace' | 'name'>): string {
  return oneLine(`${c.kind} ${c.namespace ? `${c.namespace}/` : ''}${c.name}`);
}

/** The file (and line) an object came from, on one line: file names can hold newlines and backticks. */
export function sourceOf(c: Change): string | undefined {
  return c.source && c.source.file ? oneLine(formatSource(c.source)) : undefined;
}

/** The order reviewers need: what destroys first, then what changes, then what is new, errors on top. */
export const PRIORITY: Record<Action, number> = { error: 0, delete: 1, replace: 2, update: 3, create: 4, unchanged: 5 };
