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

export interface AnnotationOptions {
  /** The folder annotation paths are relative to: GITHUB_WORKSPACE, CI_PROJECT_DIR. */
  workspace: string;
  /** The config's repository root (Config.repoRoot): an object's source file is relative to it. */
  repositoryRoot?: string | undefined;
  /** Default `kubeplan`. */
  title?: string | undefined;
}

/**
 * One annotation per error (every error of an ErrorList). A file outside the workspace, or an error that names no
 * file and line, gets no position.
 */
export function errorAnnotations(error: unknown, options: AnnotationOptions): Annotation[] {
  const errors = error instanceof ErrorList ? error.errors : [error];
  const title = options.title ?? 'kubeplan';
  return errors.map((e) => {
    const position = e instanceof KubeplanError ? filePosition(e.location, options) : undefined;
    return { message: formatError(e), title, ...position };
  });
}

/**
 * A location's file, line and column relative to the workspace, when it names a line of a file inside it: a file
 * place by its absolute path, an object by the source file it was rendered from (relative to the repository root).
 */
export function filePosition(
  where: Where | undefined,
  options: Pick<AnnotationOptions, 'workspace' | 'repositoryRoot'>,
): { file: string; line: number; column?: number } | undefined {
  if (typeof where !== 'object') return undefined;
  if ('object' in where) {
    const source = where.source;
    if (!source || source.line === undefined || options.repositoryRoot === undefined) return undefined;
    return inWorkspace(path.join(options.repositoryRoot, source.file), source.line, undefined, options.workspace);
  }
  if (!('file' in where) || where.path === undefined || where.line === undefined) return undefined;
  return inWorkspace(where.path, where.line, where.column, options.workspace);
}

function inWorkspace(
  abs: string,
  line: number,
  column: number | undefined,
  workspace: string,
): { file: string; line: number; column?: number } | undefined {
  const rel = path.relative(path.resolve(workspace), path.resolve(abs));
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const file = rel.split(path.sep).join('/');
  return column === undefined ? { file, line } : { file, line, column };
}
