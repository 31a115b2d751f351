import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);

// src/core/errors.ts
var EXIT_ERROR = 2;
var KubeplanError = class extends Error {
  where;
  hint;
  exitCode = EXIT_ERROR;
  constructor(message, details = {}) {
    super(message, details.cause === void 0 ? void 0 : { cause: details.cause });
    this.name = new.target.name;
    this.where = details.where;
    this.hint = details.hint;
  }
  /** One block a person can read: `where: message` then an indented hint. */
  format() {
    const head = this.where ? `${this.where}: ${this.message}` : this.message;
    return this.hint ? `${head}
  hint: ${this.hint}` : head;
  }
};
var ConfigError = class extends KubeplanError {
};
var RenderError = class extends KubeplanError {
};
var ToolError = class extends KubeplanError {
};
var UsageError = class extends KubeplanError {
};
var ErrorList = class extends KubeplanError {
  errors;
  constructor(errors) {
    super(errors.map((e) => e.format()).join("\n"));
    this.errors = errors;
  }
  format() {
    return this.errors.map((e) => e.format()).join("\n");
  }
};
function formatError(error) {
  if (error instanceof KubeplanError) return error.format();
  if (error instanceof Error) return `unexpected error: ${error.stack ?? error.message}
  hint: this is a bug in kubeplan; please report it with the command you ran`;
  return `unexpected error: ${String(error)}`;
}
var ClusterError = class extends KubeplanError {
  /** HTTP status (0 when the server was not reached). */
  status;
  /** The Status object's reason (NotFound, Forbidden, Invalid, Conflict, …). */
  reason;
  /** The Status object's details.causes, for field-level errors. */
  causes;
  constructor(message, details) {
    super(message, details);
    this.status = details.status;
    this.reason = details.reason;
    this.causes = details.causes ?? [];
  }
};

export {
  EXIT_ERROR,
  KubeplanError,
  ConfigError,
  RenderError,
  ToolError,
  UsageError,
  ErrorList,
  formatError,
  ClusterError
};
