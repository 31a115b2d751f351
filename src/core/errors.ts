/**
 * Typed errors thrown by the core. Each carries where the problem is (file:line, or a target, or an object) and what
 * to do about it; the entry points map them to exit codes and messages. Nothing below the entry calls process.exit.
 */

/** Exit code for bad input and every other error a user can hit (kubectl's convention: 1 is reserved for "changes"). */
export const EXIT_ERROR = 2;

export interface ErrorDetails {
  /** Where: `kubeplan.yaml:12`, `target shop-prod`, `apps/v1 Deployment shop/web`. */
  where?: string | undefined;
  /** What to do about it, one sentence. */
  hint?: string | undefined;
  cause?: unknown;
}

export class KubeplanError extends Error {
  readonly where: string | undefined;
  readonly hint: string | undefined;
  readonly exitCode: number = EXIT_ERROR;

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.where = details.where;
    this.hint = details.hint;
  }

  /** One block a person can read: `where: message` then an indented hint. */
  format(): string {
    const head = this.where ? `${this.where}: ${this.message}` : this.message;
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
  if (error instanceof Error)
    return `unexpected error: ${error.stack ?? error.message}\n  hint: this is a bug in kubeplan; please report it with the command you ran`;
  return `unexpected error: ${String(error)}`;
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

/** The forge (GitHub) refused or failed a request, or could not be reached. */
export class ForgeError extends KubeplanError {
  /** HTTP status (0 when the forge was not reached). */
  readonly status: number;

  constructor(message: string, details: ErrorDetails & { status: number }) {
    super(message, details);
    this.status = details.status;
  }
}
