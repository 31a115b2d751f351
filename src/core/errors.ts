/**
 * Typed errors thrown by the core. Each carries where the problem is (file:line, or a target, or an object) and what
 * to do about it; the entry points map them to exit codes and messages. Nothing below the entry calls process.exit.
 * The place is data (`Where`): messages print it with formatWhere, annotations read its file and line from it.
 */
import { oneLine } from './report/escape.js';

/** Exit code for bad input and every other error a user can hit (kubectl's convention: 1 is reserved for "changes"). */
export const EXIT_ERROR = 2;

/** A List's item a problem is in: `(item 2 of the ConfigMapList)`. */
export interface ItemRef {
  /** 1-based. */
  index: number;
  /** The List's kind. */
  of: string;
}

/**
 * A place in a file: `kubeplan.yaml:12`, `apps/web.yaml:3:7`, or `target shop: charts/x/templates/y.yaml:6` when the
 * file belongs to a target's render. `file` is printed as given; `path` is the same file as an absolute path, so
 * annotations need not guess which folder `file` is relative to.
 */
export interface FileWhere {
  file: string;
  line?: number | undefined;
  column?: number | undefined;
  /** Absolute path of `file`. */
  path?: string | undefined;
  target?: string | undefined;
  item?: ItemRef | undefined;
}

/** A target as a whole (`target shop-prod`), or a part of its render that is no file (`target shop: kustomize output`). */
export interface TargetWhere {
  target: string;
  /** What in the target: `kustomize output`. */
  part?: string | undefined;
  item?: ItemRef | undefined;
}

/** A Kubernetes object: `apps/v1 Deployment shop/web`, `pre-apply hook batch/v1 Job shop/migrate`. */
export interface ObjectWhere {
  object: { apiVersion?: string | undefined; kind: string; namespace?: string | undefined; name: string };
  /** The Helm hook phase the object runs in. */
  hook?: string | undefined;
  /** The file (relative to the repository root) and line the object was rendered from; not printed, for annotations. */
  source?: { file: string; line?: number | undefined } | undefined;
}

/** An action input (`action input fail-on`). */
export interface ActionInputWhere {
  input: string;
  via: 'action';
}

/**
 * A CLI command, one of its flags, or the variable that stands for it (`kubeplan rollback --target`,
 * `kubeplan ci --fail-on ($KUBEPLAN_FAIL_ON)`, `kubeplan ci $KUBEPLAN_GITLAB_TOKEN`).
 */
export interface CliWhere {
  via: 'cli';
  command: string;
  /** The flag's name without dashes. */
  input?: string | undefined;
  /** The environment variable that gives the value instead of the flag. */
  variable?: string | undefined;
}

/** An image repository at a registry: `ghcr.io/acme/web`. */
export interface ImageWhere {
  image: string;
}

/** A kubeconfig context (`context kind-dev`), an apiserver URL, or one request to it (`GET /api/v1/namespaces`). */
export interface ClusterWhere {
  context?: string | undefined;
  server?: string | undefined;
  request?: { method: string; path: string } | undefined;
}

/** An environment variable of the run (`environment variable HTTPS_PROXY`). */
export interface VariableWhere {
  variable: string;
}

/** A folder, such as a git repository's root. */
export interface DirectoryWhere {
  directory: string;
}

/** A call to a forge (GitHub, GitLab): `GitHub POST /repos/{owner}/{repo}/pulls`. */
export interface ForgeWhere {
  forge: string;
  operation: string;
}

export type Where =
  | FileWhere
  | TargetWhere
  | ObjectWhere
  | ActionInputWhere
  | CliWhere
  | ImageWhere
  | ClusterWhere
  | DirectoryWhere
  | ForgeWhere
  | VariableWhere;

/** The place as people read it in messages and logs. */
export function formatWhere(where: Where): string {
  if ('file' in where) {
    let s = where.target !== undefined ? `target ${where.target}: ${where.file}` : where.file;
    if (where.line !== undefined) s += `:${where.line}`;
    if (where.line !== undefined && where.column !== undefined) s += `:${where.column}`;
    return s + formatItem(where.item);
  }
  if ('object' in where) {
    const o = where.object;
    const name = oneLine(`${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`);
    return `${where.hook ? `${where.hook} hook ` : ''}${o.apiVersion ? `${o.apiVersion} ` : ''}${name}`;
  }
  if ('target' in where) return `target ${where.target}${where.part ? `: ${where.part}` : ''}${formatItem(where.item)}`;
  if ('via' in where) {
    if (where.via === 'action') return `action input ${where.input}`;
    const variable = where.variable ? (where.input ? ` ($${where.variable})` : ` $${where.variable}`) : '';
    return `kubeplan ${where.command}${where.input ? ` --${where.input}` : ''}${variable}`;
  }
  if ('variable' in where) return `environment variable ${where.variable}`;
  if ('image' in where) return where.image;
  if ('directory' in where) return where.directory;
  if ('forge' in where) return `${where.forge} ${where.operation}`;
  if (where.request) return `${where.request.method} ${where.request.path}`;
  if (where.context !== undefined) return `context ${where.context}`;
  return where.server ?? '';
}

function formatItem(item: ItemRef | undefined): string {
  return item ? ` (item ${item.index} of the ${item.of})` : '';
}

/** The same place inside a List's item (file and target places only; others name no List). */
export function inItem(where: Where, item: ItemRef): Where {
  return 'file' in where || ('target' in where && !('object' in where)) ? { ...where, item } : where;
}

export interface ErrorDetails {
  /** Where: `{ file: 'kubeplan.yaml', line: 12 }`, `{ target: 'shop-prod' }`, `{ object: … }`, `{ input, via }`. */
  where?: Where | undefined;
  /** What to do about it, one sentence. */
  hint?: string | undefined;
  cause?: unknown;
}

export class KubeplanError extends Error {
  /** Where the problem is, as data. */
  readonly location: Where | undefined;
  readonly hint: string | undefined;
  readonly exitCode: number = EXIT_ERROR;

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.location = details.where;
    this.hint = details.hint;
  }

  /** Where the problem is, as printed: `kubeplan.yaml:12`, `target shop-prod`, `apps/v1 Deployment shop/web`. */
  get where(): string | undefined {
    return this.location === undefined ? undefined : formatWhere(this.location);
  }

  /** One block a person can read: `where: message` then an indented hint. */
  format(): string {
    const where = this.where;
    const head = where ? `${where}: ${this.message}` : this.message;
    return this.hint ? `${head}\n  hint: ${this.hint}` : head;
  }
}

/** kubeplan.yaml is unreadable, malformed or invalid. */
export class ConfigError extends KubeplanError {}

/** A target failed to render: helm or kustomize failed, or produced something that is not a set of objects. */
export class RenderError extends KubeplanError {}

/** A required external program (helm, kubectl, kustomize) is missing or unusable. */
export class ToolError extends KubeplanError {
  /** The signal that stopped the tool, when one did (Ctrl-C reaches the whole process group). */
  signal?: string;
}

/**
 * The plan computed now is not the plan that was reviewed (`kubeplan apply --plan` / `--expect-plan`): nothing was
 * written. Exit code 4, so a pipeline can tell a refused binding from any other error.
 */
export class BindingError extends KubeplanError {
  override readonly exitCode: number = 4;
}

/** Command-line or action input that does not make sense. */
export class UsageError extends KubeplanError {}

/** Several errors found in one pass (for example every invalid field in kubeplan.yaml), reported together. */
export class ErrorList extends KubeplanError {
  readonly errors: KubeplanError[];
  constructor(errors: KubeplanError[]) {
    super(errors.map((e) => e.format()).join('\n'));
    this.errors = errors;
  }
  override format(): string {
    return this.errors.map((e) => e.format()).join('\n');
  }
}

export function formatError(error: unknown): string {
  if (error instanceof KubeplanError) return error.format();
  // A safety net: an operating-system error that was not wrapped where it happened still says what failed on which
  // path and what to do, rather than blaming kubeplan.
  if (isSystemError(error)) return systemError(error).format();
  if (error instanceof Error)
    return `unexpected error: ${error.stack ?? error.message}\n  hint: this is a bug in kubeplan; please report it with the command you ran`;
  return `unexpected error: ${String(error)}`;
}

/** An operating-system error (ENOENT, EACCES, ENOSPC, …) from reading or writing a file or starting a program. */
export function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  if (!(error instanceof Error)) return false;
  const e = error as NodeJS.ErrnoException;
  return (
    typeof e.code === 'string' && /^E[A-Z0-9_]+$/.test(e.code) && (e.syscall !== undefined || e.path !== undefined)
  );
}

const NETWORK_HINT =
  'check the address, DNS and network access from this runner (HTTPS_PROXY/NO_PROXY), then run again';

const SYSTEM_ERRORS: Record<string, { says: string; hint: string }> = {
  ENOENT: {
    says: 'no such file or folder',
    hint: 'check that the path exists: a folder named by an input, a flag or the environment (RUNNER_TEMP, TMPDIR, HOME) may be missing',
  },
  EACCES: { says: 'permission denied', hint: 'check the permissions of the path, or choose one the job may write' },
  EPERM: {
    says: 'operation not permitted',
    hint: 'check the permissions of the path, or choose one the job may write',
  },
  EROFS: { says: 'the file system is read-only', hint: 'choose a path on a writable file system' },
  ENOSPC: { says: 'no space left on the device', hint: 'free disk space on the runner' },
  EDQUOT: { says: 'the disk quota is exceeded', hint: 'free disk space on the runner' },
  ENOTDIR: {
    says: 'a part of the path is a file, not a folder',
    hint: 'remove the file in the way, or choose another path',
  },
  EISDIR: { says: 'the path is a folder, not a file', hint: 'choose a file path, not a folder' },
  EEXIST: { says: 'the path already exists', hint: 'remove it, or choose another path' },
  ELOOP: { says: 'too many levels of symbolic links', hint: 'fix the symlink loop' },
  ENAMETOOLONG: { says: 'the path is too long', hint: 'choose a shorter path' },
  EMFILE: { says: 'too many open files', hint: 'lower the concurrency, or raise the open-file limit (ulimit -n)' },
  ENFILE: { says: 'too many open files', hint: 'lower the concurrency, or raise the open-file limit (ulimit -n)' },
  ECONNREFUSED: { says: 'the connection was refused', hint: NETWORK_HINT },
  ECONNRESET: { says: 'the connection was reset', hint: NETWORK_HINT },
  ETIMEDOUT: { says: 'the connection timed out', hint: NETWORK_HINT },
  ENOTFOUND: { says: 'the host name was not found', hint: NETWORK_HINT },
  EAI_AGAIN: { says: 'the host name could not be looked up', hint: NETWORK_HINT },
  EPIPE: { says: 'the other side closed the connection', hint: NETWORK_HINT },
};

/**
 * An operating-system error as a KubeplanError: `cannot write the report to /tmp/x/plan.json: no such file or folder
 * (ENOENT)` with a hint for that code. `what` says what kubeplan was doing (`write the report to PATH`); without it the
 * failed call and its path are named (`open /tmp/x/plan.json`). The original error stays the cause.
 */
export function systemError(error: NodeJS.ErrnoException, what?: string, details: ErrorDetails = {}): KubeplanError {
  const known = SYSTEM_ERRORS[error.code ?? ''];
  const doing = what ?? [error.syscall, error.path].filter(Boolean).join(' ');
  const says = known?.says ?? error.message.replace(/^[A-Z0-9]+: /, '').replace(/, \w+ '.*'$/, '');
  return new KubeplanError(`${doing ? `cannot ${doing}: ` : ''}${says} (${error.code})`, {
    where: details.where,
    hint: details.hint ?? known?.hint ?? 'check the path and its permissions',
    cause: error,
  });
}

/** The apiserver refused or failed a request, or could not be reached. */
export class ClusterError extends KubeplanError {
  /** HTTP status (0 when the server was not reached). */
  readonly status: number;
  /** The Status object's reason (NotFound, Forbidden, Invalid, Conflict, …). */
  readonly reason: string | undefined;
  /** The Status object's details.causes, for field-level errors. */
  readonly causes: { field?: string; message?: string; reason?: string }[];

  constructor(
    message: string,
    details: ErrorDetails & {
      status: number;
      reason?: string | undefined;
      causes?: { field?: string; message?: string; reason?: string }[];
    },
  ) {
    super(message, details);
    this.status = details.status;
    this.reason = details.reason;
    this.causes = details.causes ?? [];
  }
}

/** The place of a Kubernetes object (a Change, or its identity), with the file it came from when known. */
export function objectWhere(o: {
  apiVersion?: string | undefined;
  kind: string;
  namespace?: string | undefined;
  name: string;
  source?: { file: string; line?: number | undefined } | undefined;
}): ObjectWhere {
  const object = { apiVersion: o.apiVersion, kind: o.kind, namespace: o.namespace, name: o.name };
  return o.source ? { object, source: { file: o.source.file, line: o.source.line } } : { object };
}

/**
 * A forge (GitHub, GitLab) refused or failed a request, or could not be reached. `where` is `{ forge, operation }`;
 * the hint comes from the status (forgeStatusHint) unless the caller knows better.
 */
export class ForgeError extends KubeplanError {
  /** HTTP status (0 when the forge was not reached). */
  readonly status: number;

  constructor(message: string, details: ErrorDetails & { status: number }) {
    super(message, details);
    this.status = details.status;
  }
}

/**
 * What to do about a forge's answer, by status. `permission` names what the operation needs (`pull-requests: write`),
 * `token` how the token is given (`the github-token input`), `rateLimited` marks a 403 that is a rate limit.
 */
export function forgeStatusHint(
  status: number,
  options: { forge: string; permission?: string | undefined; token?: string | undefined; rateLimited?: boolean },
): string {
  const token = options.token ?? 'the token';
  if (status === 0)
    return `check the network access to ${options.forge} from this runner (its API URL, DNS, HTTPS_PROXY/NO_PROXY)`;
  if (status === 429 || (status === 403 && options.rateLimited))
    return `${options.forge} limits requests: wait and run again, or use a token with a higher rate limit`;
  if (status === 401) return `${options.forge} refused ${token}: check that it is set and current`;
  if (status === 403)
    return `${token} may not do this${options.permission ? `: it needs ${options.permission}` : ''} (in GitHub Actions, grant it under permissions: in the workflow)`;
  if (status === 404)
    return `not found, or ${token} cannot see it: check the repository, branch or number, and that ${token} has access to the repository`;
  if (status === 409) return 'it changed meanwhile (another run or person): run again';
  if (status === 422)
    return `${options.forge} refused the request as invalid: check the names it carries (branch, labels, reviewers)`;
  if (status >= 500) return `${options.forge} failed: retry later`;
  return `${options.forge} answered ${status}: check the request`;
}
