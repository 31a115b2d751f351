/**
 * Errors as annotations (GitHub's `::error file=…,line=…`, GitLab's code-quality entries): one record per error, its
 * file and line read from the error's location data, never parsed back out of the message.
 */
import path from 'node:path';
import { ErrorList, formatError, KubeplanError, type Where } from '../errors.js';

export interface Annotation {
  /** The whole error as the log prints it (place, message, hint). */
  message: string;
  title: string;
  /** Relative to the workspace (forward slashes); absent when the error names no file inside it. */
  file?: string;
  line?: number;
  column?: number;
}

/**
 * One annotation per error (every error of an ErrorList). `workspace` is the folder annotation paths are relative to
 * (GITHUB_WORKSPACE, CI_PROJECT_DIR): a file outside it, or an error that names no file and line, gets no position.
 */
export function errorAnnotations(error: unknown, options: { workspace: string; title?: string }): Annotation[] {
  const errors = error instanceof ErrorList ? error.errors : [error];
  const title = options.title ?? 'kubeplan';
  return errors.map((e) => {
    const position = e instanceof KubeplanError ? filePosition(e.location, options.workspace) : undefined;
    return { message: formatError(e), title, ...position };
  });
}

/** A location's file, line and column relative to `workspace`, when it names a line of a file inside it. */
export function filePosition(
  where: Where | string | undefined,
  workspace: string,
): { file: string; line: number; column?: number } | undefined {
  if (typeof where !== 'object' || !('file' in where) || where.path === undefined || where.line === undefined)
    return undefined;
  const rel = path.relative(path.resolve(workspace), path.resolve(where.path));
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const file = rel.split(path.sep).join('/');
  return where.column === undefined ? { file, line: where.line } : { file, line: where.line, column: where.column };
}
