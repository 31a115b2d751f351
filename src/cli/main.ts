import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
// Replaced by the bundler with package.json's version (scripts/build.mjs), so package.json is not bundled.
declare const __KUBEPLAN_VERSION__: string;
const version = typeof __KUBEPLAN_VERSION__ === 'string' ? __KUBEPLAN_VERSION__ : '0.0.0-dev';
import type { DirectCredentials } from '../core/cluster/client.js';
import type { ApplyCommandOptions } from '../core/commands/apply.js';
// Each command's module is loaded when it runs: `kubeplan render` does not parse the cluster, diff or bump code.
import {
  ErrorList,
  EXIT_ERROR,
  formatError,
  isSystemError,
  KubeplanError,
  systemError,
  UsageError,
} from '../core/errors.js';
import { proxyCredentials, proxyFetch } from '../core/http/proxy.js';
import { formatRetry, type OnRetry } from '../core/http/retry-policy.js';
import { kubeconfigCredentials, SecretMask } from '../core/report/secret-mask.js';
import {
  parseApplyRequest,
  parseBumpRequest,
  parseConcurrency,
  parseRollbackRequest,
  type RequestSource,
} from '../core/workflows/request.js';
import {
  APPLY_HELP,
  BUMP_HELP,
  CANARY_HELP,
  CI_HELP,
  DIFF_HELP,
  DRIFT_HELP,
  INIT_HELP,
  MAIN_HELP,
  RENDER_HELP,
  PROMOTE_HELP,
  RECOVER_HELP,
  ROLLBACK_HELP,
} from './help.js';
import { closestName } from './suggest.js';

const COMMANDS = [
  'render',
  'diff',
  'apply',
  'drift',
  'bump',
  'rollback',
  'recover',
  'promote',
  'canary',
  'ci',
  'init',
  'help',
  'version',
];

/** Where the CLI writes; the real process streams in production, buffers in tests. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stdout is a terminal (colour). */
  isTTY?: boolean;
}

const RENDER_OPTIONS = {
  config: { type: 'string', short: 'c' },
  target: { type: 'string', short: 't', multiple: true },
  'out-dir': { type: 'string' },
  output: { type: 'string', short: 'o' },
  'show-secrets': { type: 'boolean' },
  'opt-ins-from': { type: 'string' },
  helm: { type: 'string' },
  kubectl: { type: 'string' },
  kustomize: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

/** Runs the CLI; returns the exit code. Errors never escape: they are printed with what, where and what to do. */
export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  rawIO: CliIO,
  signal?: AbortSignal,
): Promise<number> {
  // What the CLI prints can become a merge-request comment or a CI log that nobody masks: no credential it knows.
  const secrets = knownCredentials(argv, env, cwd);
  let wroteStdout = false;
  const io: CliIO = {
    ...rawIO,
    stdout: (text) => {
      wroteStdout = true;
      rawIO.stdout(secrets.mask(text));
    },
    stderr: (text) => rawIO.stderr(secrets.mask(text)),
  };
  try {
    const [command, ...rest] = argv;
    if (command === undefined) {
      io.stderr(MAIN_HELP);
      return EXIT_ERROR;
    }
    if (command === '-h' || command === '--help' || command === 'help') {
      const topic = command === 'help' ? rest[0] : undefined;
      io.stdout(
        topic === 'render'
          ? RENDER_HELP
          : topic === 'diff'
            ? DIFF_HELP
            : topic === 'apply'
              ? APPLY_HELP
              : topic === 'drift'
                ? DRIFT_HELP
                : topic === 'bump'
                  ? BUMP_HELP
                  : topic === 'rollback'
                    ? ROLLBACK_HELP
                    : topic === 'recover'
                      ? RECOVER_HELP
                      : topic === 'promote'
                        ? PROMOTE_HELP
                        : topic === 'canary'
                          ? CANARY_HELP
                          : topic === 'ci'
                            ? CI_HELP
                            : topic === 'init'
                              ? INIT_HELP
                              : MAIN_HELP,
      );
      return 0;
    }
    if (command === '-v' || command === '--version' || command === 'version') {
      io.stdout(`${version}\n`);
      return 0;
    }
    if (command === 'render') return await render(rest, env, cwd, io);
    if (command === 'diff') return await diff(rest, env, cwd, io, secrets);
    if (command === 'apply') return await apply(rest, env, cwd, io, signal, secrets);
    if (command === 'drift') return await drift(rest, env, cwd, io, secrets);
    if (command === 'bump') return await bump(rest, env, cwd, io, secrets);
    if (command === 'rollback') return await rollback(rest, env, cwd, io, secrets);
    if (command === 'recover') return await recover(rest, env, cwd, io, signal, secrets);
    if (command === 'promote') return await promote(rest, env, cwd, io);
    if (command === 'canary') return await canary(rest, env, cwd, io, signal, secrets);
    if (command === 'ci') return await ci(rest, env, cwd, io, secrets, signal);
    if (command === 'init') return await init(rest, cwd, io);
    const meant = closestName(command, command.startsWith('--') ? ['--help', '--version'] : COMMANDS);
    throw new UsageError(`unknown command "${command}"`, {
      hint: `${meant ? `did you mean \`kubeplan ${meant}\`? ` : ''}run \`kubeplan --help\` to see the commands`,
    });
  } catch (error) {
    const errors = error instanceof ErrorList ? error.errors : [error];
    // A script reading stdout gets its format, not nothing, unless the command already printed its report there.
    if (!wroteStdout) {
      const failure = failureOnStdout(argv, errors);
      if (failure !== undefined) io.stdout(failure);
    }
    for (const e of errors) io.stderr(`error: ${formatError(e)}\n`);
    // A cancelled apply exits as a process stopped by its signal does (130 for Ctrl-C); every other error with 2.
    return error instanceof KubeplanError ? error.exitCode : EXIT_ERROR;
  }
}

async function render(args: string[], env: NodeJS.ProcessEnv, cwd: string, io: CliIO): Promise<number> {
  const { values } = parse(args, RENDER_OPTIONS, 'render');
  if (values.help) {
    io.stdout(RENDER_HELP);
    return 0;
  }
  const format = values.output ?? 'yaml';
  if (format !== 'yaml' && format !== 'json') {
    throw new UsageError(`--output must be yaml or json, not "${format}"`, { hint: 'use -o yaml or -o json' });
  }
  const result = await (await import('../core/commands/render.js')).renderCommand({
    config: values.config ?? 'kubeplan.yaml',
    targets: values.target ?? [],
    outDir: emptyToUndefined(values['out-dir']),
    format,
    showSecrets: values['show-secrets'] ?? false,
    tools: toolsFrom(values),
    cwd,
    env,
    optInsFrom: emptyToUndefined(values['opt-ins-from']),
    onNotice: (notice) => io.stderr(`note: ${notice.replace(/`/g, '')}\n`),
  });
  if (result.stdout !== undefined) io.stdout(result.stdout);
  const summary = result.sets.map((s) => {
    const hooks = s.manifests.filter((m) => m.hook).length;
    return `${s.target}: ${s.manifests.length} object${s.manifests.length === 1 ? '' : 's'}${hooks ? ` (${hooks} hook${hooks === 1 ? '' : 's'})` : ''}`;
  });
  io.stderr(`rendered ${summary.join(', ')}\n`);
  for (const file of result.files) io.stderr(`wrote ${file}\n`);
  if (result.redacted > 0) {
    io.stderr(
      `redacted ${result.redacted} Secret value${result.redacted === 1 ? '' : 's'} on stdout; pass --show-secrets to print them\n`,
    );
  }
  return 0;
}

/** Options every command that renders and talks to a cluster shares. */
const CLUSTER_OPTIONS = {
  config: { type: 'string', short: 'c' },
  target: { type: 'string', short: 't', multiple: true },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  concurrency: { type: 'string' },
  'expect-server': { type: 'string' },
  'expect-ca-sha256': { type: 'string' },
  server: { type: 'string' },
  'token-env': { type: 'string' },
  'certificate-authority': { type: 'string' },
  helm: { type: 'string' },
  kubectl: { type: 'string' },
  kustomize: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

type ClusterValues = {
  server?: string | undefined;
  'token-env'?: string | undefined;
  'certificate-authority'?: string | undefined;
  config?: string | undefined;
  target?: string[] | undefined;
  kubeconfig?: string | undefined;
  context?: string | undefined;
  concurrency?: string | undefined;
  'expect-server'?: string | undefined;
  'expect-ca-sha256'?: string | undefined;
  helm?: string | undefined;
  kubectl?: string | undefined;
  kustomize?: string | undefined;
};

/** What diff, apply and drift take alike: which config and targets, which tools, and which cluster. */
function clusterArgs(values: ClusterValues, cwd: string, env: NodeJS.ProcessEnv, command: string, io?: CliIO) {
  return {
    config: values.config ?? 'kubeplan.yaml',
    targets: values.target ?? [],
    tools: toolsFrom(values),
    kubeconfig: emptyToUndefined(values.kubeconfig),
    context: emptyToUndefined(values.context),
    pin: { server: emptyToUndefined(values['expect-server']), caSha256: emptyToUndefined(values['expect-ca-sha256']) },
    direct: directCredentials(values, cwd, env),
    concurrency: parseConcurrency(cliSource(values, command)),
    cwd,
    env,
    ...(io ? { onRetry: retryLine(io) } : {}),
  };
}

/** A line on stderr before each retry, so a run waiting on a struggling server says why it is slow. */
function retryLine(io: CliIO): OnRetry {
  return (notice) => io.stderr(`${formatRetry(notice)}\n`);
}

/** --cluster NAME (repeatable): only the instances on these named clusters (kubeplan.yaml clusters:). */
const NAMED_CLUSTER_OPTIONS = {
  cluster: { type: 'string', multiple: true },
} satisfies ParseArgsConfig['options'];

/** What diff, apply and drift take for named clusters: the --cluster filter, and where credentials read are masked. */
function namedClusterArgs(values: { cluster?: string[] | undefined }, command: string, secrets: SecretMask) {
  return {
    clusters: (values.cluster ?? [])
      .flatMap((c) => c.split(','))
      .map((c) => c.trim())
      .filter(Boolean),
    clustersWhere: { via: 'cli' as const, command, input: 'cluster' },
    onSecret: (value: string) => secrets.add(value),
  };
}

const DIFF_OPTIONS = {
  ...CLUSTER_OPTIONS,
  ...NAMED_CLUSTER_OPTIONS,
  mode: { type: 'string' },
  base: { type: 'string' },
  offline: { type: 'boolean' },
  'opt-ins-from': { type: 'string' },
  output: { type: 'string', short: 'o' },
  'exit-code': { type: 'boolean' },
  out: { type: 'string' },
  color: { type: 'boolean' },
  'no-color': { type: 'boolean' },
} satisfies ParseArgsConfig['options'];

async function diff(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  io: CliIO & { isTTY?: boolean },
  secrets: SecretMask,
): Promise<number> {
  const { values } = parse(args, DIFF_OPTIONS, 'diff');
  if (values.help) {
    io.stdout(DIFF_HELP);
    return 0;
  }
  const output = values.output ?? 'text';
  if (output === 'matrix') return printMatrix(values, cwd, 'diff', io);
  if (output !== 'text' && output !== 'markdown' && output !== 'json') {
    throw new UsageError(`--output must be text, markdown, json or matrix, not "${output}"`, {
      hint: 'use -o text, -o markdown, -o json, or -o matrix for the instances as a CI job matrix',
    });
  }
  const mode = values.mode ?? 'auto';
  if (mode !== 'server' && mode !== 'client' && mode !== 'auto') {
    throw new UsageError(`--mode must be server, client or auto, not "${mode}"`, {
      hint: 'use --mode server (needs patch permission) or --mode client (read-only)',
    });
  }
  const result = await (await import('../core/commands/diff.js')).diffCommand({
    ...clusterArgs(values, cwd, env, 'diff', io),
    ...namedClusterArgs(values, 'diff', secrets),
    mode,
    base: emptyToUndefined(values.base),
    offline: values.offline ?? false,
    optInsFrom: emptyToUndefined(values['opt-ins-from']),
    onNotice: (notice) => io.stderr(`note: ${notice.replace(/`/g, '')}\n`),
    output,
    // promote.soak: the upstream's inventory in the cluster this plan reads; the change starts at --base, else at the
    // commit the destination last applied there.
    soak: {},
    exitCode: values['exit-code'] ?? false,
    color: colorWanted(values, env, io, 'diff'),
  });
  io.stdout(result.report);
  const out = emptyToUndefined(values.out);
  if (out) {
    // The plan file `kubeplan apply --plan` binds to: the JSON report with its digests (no Secret value, no credential).
    if (!result.plan.digests)
      throw new UsageError('--out writes a plan to bind an apply to, and an intent plan (--offline, --base) has none', {
        where: { via: 'cli', command: 'diff', input: 'out' },
        hint: 'plan against the cluster without --base to write a plan file',
      });
    const { formatPlanJson } = await import('../core/report/json.js');
    try {
      writeFileSync(path.resolve(cwd, out), secrets.mask(formatPlanJson(result.plan)));
    } catch (error) {
      throw systemError(error as NodeJS.ErrnoException, `write the plan file ${out}`, {
        where: { via: 'cli', command: 'diff', input: 'out' },
      });
    }
    io.stderr(`wrote the plan ${result.plan.digests.plan} to ${out}\n`);
  }
  const errors = result.plan.summary.error + (result.plan.drift?.summary.error ?? 0);
  if (errors > 0)
    io.stderr(`error: ${errors} object${errors === 1 ? '' : 's'} could not be planned (see the report)\n`);
  const policy = (result.plan.policy ?? []).filter((p) => p.level === 'error').length;
  if (policy > 0) io.stderr(`error: ${policy} policy error${policy === 1 ? '' : 's'} (see the report)\n`);
  return result.exitCode;
}

const APPLY_OPTIONS = {
  ...CLUSTER_OPTIONS,
  ...NAMED_CLUSTER_OPTIONS,
  plan: { type: 'string' },
  'expect-plan': { type: 'string' },
  'dry-run': { type: 'boolean' },
  'force-conflicts': { type: 'boolean' },
  'allow-empty': { type: 'boolean' },
  'no-hooks': { type: 'boolean' },
  wait: { type: 'boolean' },
  'no-wait': { type: 'boolean' },
  timeout: { type: 'string' },
  'canary-budget': { type: 'string' },
  'no-canary': { type: 'boolean' },
  output: { type: 'string', short: 'o' },
} satisfies ParseArgsConfig['options'];

async function apply(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  io: CliIO,
  signal: AbortSignal | undefined,
  secrets: SecretMask,
): Promise<number> {
  const { values } = parse(args, APPLY_OPTIONS, 'apply');
  if (values.help) {
    io.stdout(APPLY_HELP);
    return 0;
  }
  const output = values.output ?? 'text';
  if (output === 'matrix') return printMatrix(values, cwd, 'apply', io);
  if (output !== 'text' && output !== 'json')
    throw new UsageError(`--output must be text, json or matrix, not "${output}"`, {
      hint: 'use -o text, -o json, or -o matrix for the instances as a CI job matrix',
    });
  if (values.wait && values['no-wait'])
    throw new UsageError('--wait and --no-wait exclude each other', {
      hint: 'pass one of them (waiting is the default)',
    });
  const request = parseApplyRequest(cliSource(values, 'apply'));
  const expect = boundPlan(emptyToUndefined(values.plan), emptyToUndefined(values['expect-plan']), cwd);
  return runApply(
    {
      ...clusterArgs(values, cwd, env, 'apply', io),
      ...namedClusterArgs(values, 'apply', secrets),
      signal,
      dryRun: values['dry-run'] ?? false,
      forceConflicts: request.forceConflicts,
      allowEmpty: values['allow-empty'] ?? false,
      noHooks: values['no-hooks'] ?? false,
      waitTimeoutMs: request.waitTimeoutMs,
      hookTimeoutMs: request.timeoutMs,
      ...(expect ? { expect } : {}),
      canary: request.canary,
      output,
    },
    io,
    secrets,
  );
}

/**
 * Runs an apply (`kubeplan apply`, and `kubeplan canary` but status) and prints its report, also when it stopped
 * part-way (what it wrote and what it did not do), before the error. Exit 1 when a canary was rolled back, 3 when one
 * is not finished, else 0.
 */
async function runApply(
  options: Omit<ApplyCommandOptions, 'onSecret' | 'onProgress' | 'tooling'>,
  io: CliIO,
  secrets: SecretMask,
): Promise<number> {
  const result = await (await import('../core/commands/apply.js')).applyCommand({
    ...options,
    onSecret: (value) => secrets.add(value),
    onProgress: (message) => io.stderr(`${message}\n`),
    tooling: `kubeplan/v${version}`,
  });
  io.stdout(result.report);
  if (result.failure !== undefined) throw result.failure;
  const codes = (result.canaries ?? []).map((c) => c.exitCode);
  return codes.includes(1) ? 1 : codes.includes(3) ? 3 : 0;
}

const CANARY_OPTIONS = {
  ...CLUSTER_OPTIONS,
  full: { type: 'boolean' },
  timeout: { type: 'string' },
  'canary-budget': { type: 'string' },
  output: { type: 'string', short: 'o' },
} satisfies ParseArgsConfig['options'];

const CANARY_ACTIONS = ['status', 'continue', 'promote', 'abort', 'retry'];

/** `kubeplan canary status|continue|promote [--full]|abort|retry`: apply's canary part, with an instruction. */
async function canary(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  io: CliIO,
  signal: AbortSignal | undefined,
  secrets: SecretMask,
): Promise<number> {
  const [action, ...rest] = args;
  if (action === undefined || action === '-h' || action === '--help') {
    io.stdout(CANARY_HELP);
    return action === undefined ? EXIT_ERROR : 0;
  }
  if (!CANARY_ACTIONS.includes(action)) {
    const meant = closestName(action, CANARY_ACTIONS);
    throw new UsageError(`unknown canary command "${action}"`, {
      where: { via: 'cli', command: 'canary' },
      hint: `${meant ? `did you mean \`kubeplan canary ${meant}\`? ` : ''}the canary commands are ${CANARY_ACTIONS.join(', ')}`,
    });
  }
  const { values } = parse(rest, CANARY_OPTIONS, `canary ${action}`);
  if (values.help) {
    io.stdout(CANARY_HELP);
    return 0;
  }
  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'json')
    throw new UsageError(`--output must be text or json, not "${output}"`, {
      where: { via: 'cli', command: 'canary', input: 'output' },
      hint: 'use -o text or -o json',
    });
  if (values.full && action !== 'promote')
    throw new UsageError(`--full is for kubeplan canary promote, not ${action}`, {
      where: { via: 'cli', command: `canary ${action}`, input: 'full' },
      hint: 'kubeplan canary promote --full promotes now',
    });
  const commands = await import('../core/commands/canary-apply.js');
  if (action === 'status') {
    const status = await commands.canaryStatusCommand({
      ...clusterArgs(values, cwd, env, 'canary', io),
      output,
    });
    io.stdout(status.report);
    return status.underWay ? 3 : 0;
  }
  const request = parseApplyRequest(cliSource(values, 'canary'));
  const control =
    action === 'promote' && values.full ? 'promote-full' : (action as 'continue' | 'promote' | 'abort' | 'retry');
  return runApply(
    {
      ...clusterArgs(values, cwd, env, 'canary', io),
      signal,
      dryRun: false,
      forceConflicts: request.forceConflicts,
      allowEmpty: false,
      noHooks: false,
      waitTimeoutMs: request.waitTimeoutMs,
      hookTimeoutMs: request.timeoutMs,
      canary: { control, budgetMs: request.canary.budgetMs },
      output,
    },
    io,
    secrets,
  );
}

/**
 * `-o matrix`: the instances (target@cluster) the command would run, as the JSON list a CI fan-out takes (GitHub
 * `strategy.matrix.include: ${{ fromJSON(...) }}`, GitLab `parallel:matrix` through a generated child pipeline), from
 * kubeplan.yaml alone: nothing is rendered and no cluster is read.
 */
async function printMatrix(
  values: { config?: string | undefined; target?: string[] | undefined; cluster?: string[] | undefined },
  cwd: string,
  command: string,
  io: CliIO,
): Promise<number> {
  const [{ loadConfig }, { instanceMatrix }] = await Promise.all([
    import('../core/config/load-config.js'),
    import('../core/cluster/named-clusters.js'),
  ]);
  const config = loadConfig(values.config ?? 'kubeplan.yaml', cwd);
  const clusters = (values.cluster ?? [])
    .flatMap((c) => c.split(','))
    .map((c) => c.trim())
    .filter(Boolean);
  const targets = (values.target ?? [])
    .flatMap((t) => t.split(','))
    .map((t) => t.trim())
    .filter(Boolean);
  io.stdout(`${JSON.stringify(instanceMatrix(config, targets, clusters, { via: 'cli', command }))}\n`);
  return 0;
}

const ROLLBACK_OPTIONS = {
  ...CLUSTER_OPTIONS,
  ...NAMED_CLUSTER_OPTIONS,
  'to-revision': { type: 'string' },
  list: { type: 'boolean' },
  'force-conflicts': { type: 'boolean' },
  'no-wait': { type: 'boolean' },
  timeout: { type: 'string' },
  output: { type: 'string', short: 'o' },
} satisfies ParseArgsConfig['options'];

async function rollback(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  io: CliIO,
  secrets: SecretMask,
): Promise<number> {
  const { values } = parse(args, ROLLBACK_OPTIONS, 'rollback');
  if (values.help) {
    io.stdout(ROLLBACK_HELP);
    return 0;
  }
  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'json')
    throw new UsageError(`--output must be text or json, not "${output}"`, { hint: 'use -o text or -o json' });
  const request = parseRollbackRequest(cliSource(values, 'rollback'));
  const result = await (await import('../core/commands/rollback.js')).rollbackCommand({
    ...clusterArgs(values, cwd, env, 'rollback', io),
    ...namedClusterArgs(values, 'rollback', secrets),
    target: request.target,
    toRevision: request.toRevision,
    list: request.list,
    forceConflicts: request.forceConflicts,
    waitTimeoutMs: request.waitTimeoutMs,
    output,
    tooling: `kubeplan/v${version}`,
    onProgress: (message) => io.stderr(`${message}\n`),
  });
  io.stdout(result.report);
  return 0;
}

const RECOVER_OPTIONS = {
  ...CLUSTER_OPTIONS,
  ...NAMED_CLUSTER_OPTIONS,
  to: { type: 'string' },
  force: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  'force-conflicts': { type: 'boolean' },
  timeout: { type: 'string' },
  output: { type: 'string', short: 'o' },
} satisfies ParseArgsConfig['options'];

/**
 * `kubeplan recover`: rebuilds a cluster from git. --to last-successful reads GitHub Deployments with GITHUB_TOKEN and
 * GITHUB_REPOSITORY, as promote does.
 */
async function recover(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  io: CliIO,
  signal: AbortSignal | undefined,
  secrets: SecretMask,
): Promise<number> {
  const { values } = parse(args, RECOVER_OPTIONS, 'recover');
  if (values.help) {
    io.stdout(RECOVER_HELP);
    return 0;
  }
  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'json')
    throw new UsageError(`--output must be text or json, not "${output}"`, {
      where: { via: 'cli', command: 'recover', input: 'output' },
      hint: 'use -o text or -o json',
    });
  if (values.target?.length)
    throw new UsageError('recover rebuilds every target on the cluster; --target would leave the others out', {
      where: { via: 'cli', command: 'recover', input: 'target' },
      hint: 'drop --target (to apply some targets only, use kubeplan apply --target)',
    });
  const request = parseApplyRequest(cliSource(values, 'recover'));
  const to = emptyToUndefined(values.to) ?? 'head';
  const history = to === 'last-successful' ? await deploymentHistory(env, secrets) : undefined;
  const result = await (await import('../core/commands/recover.js')).recoverCommand({
    ...clusterArgs(values, cwd, env, 'recover', io),
    ...namedClusterArgs(values, 'recover', secrets),
    signal,
    to,
    force: values.force ?? false,
    dryRun: values['dry-run'] ?? false,
    forceConflicts: request.forceConflicts,
    waitTimeoutMs: request.timeoutMs,
    hookTimeoutMs: request.timeoutMs,
    deployments: history,
    noForge:
      'no forge is configured here (GitHub Deployments need GITHUB_TOKEN and GITHUB_REPOSITORY; GitLab deployments need KUBEPLAN_GITLAB_TOKEN in a GitLab CI job, with CI_API_V4_URL and CI_PROJECT_ID)',
    onProgress: (message) => io.stderr(`${message}\n`),
    output,
    tooling: `kubeplan/v${version}`,
  });
  // A recovery that stopped still reports what it applied, and what git cannot restore.
  io.stdout(result.output);
  if (result.failure !== undefined) throw result.failure;
  return 0;
}

/**
 * Where the CLI reads deployment history (recover --to last-successful): GitHub Deployments with GITHUB_TOKEN and
 * GITHUB_REPOSITORY; in a GitLab CI job, GitLab deployments with KUBEPLAN_GITLAB_TOKEN; else none.
 */
async function deploymentHistory(env: NodeJS.ProcessEnv, secrets: SecretMask) {
  const token = env.GITHUB_TOKEN ?? env.GH_TOKEN;
  const repository = env.GITHUB_REPOSITORY;
  if (token && repository) {
    const [owner = '', name = ''] = repository.split('/');
    const { GitHubApi } = await import('../platform/github/api.js');
    const api = GitHubApi.forRun(token, { owner, name }, env, undefined);
    return (environment: string) => api.deploymentHistory(environment);
  }
  const gitlabToken = env.KUBEPLAN_GITLAB_TOKEN?.trim();
  const project = env.CI_PROJECT_ID ?? env.CI_PROJECT_PATH;
  if (gitlabToken && env.CI_API_V4_URL && project) {
    secrets.add(gitlabToken);
    const [{ GitLabApi }, { gitlabDeploymentHistory }] = await Promise.all([
      import('../platform/gitlab/api.js'),
      import('../platform/gitlab/ports.js'),
    ]);
    return gitlabDeploymentHistory(
      new GitLabApi({ apiUrl: env.CI_API_V4_URL, token: gitlabToken, project, secrets, fetch: proxyFetch(env) }),
    );
  }
  return undefined;
}

const DRIFT_OPTIONS = {
  ...CLUSTER_OPTIONS,
  ...NAMED_CLUSTER_OPTIONS,
  output: { type: 'string', short: 'o' },
  'exit-code': { type: 'boolean' },
  color: { type: 'boolean' },
  'no-color': { type: 'boolean' },
} satisfies ParseArgsConfig['options'];

async function drift(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  io: CliIO,
  secrets: SecretMask,
): Promise<number> {
  const { values } = parse(args, DRIFT_OPTIONS, 'drift');
  if (values.help) {
    io.stdout(DRIFT_HELP);
    return 0;
  }
  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'markdown' && output !== 'json' && output !== 'openmetrics') {
    throw new UsageError(`--output must be text, markdown, json or openmetrics, not "${output}"`, {
      hint: 'use -o openmetrics for a textfile collector or a Pushgateway',
    });
  }
  const result = await (await import('../core/commands/drift.js')).driftCommand({
    ...clusterArgs(values, cwd, env, 'drift', io),
    ...namedClusterArgs(values, 'drift', secrets),
    output,
    exitCode: values['exit-code'] ?? false,
    color: colorWanted(values, env, io, 'drift'),
  });
  io.stdout(result.report);
  return result.exitCode;
}

const INIT_OPTIONS = {
  config: { type: 'string', short: 'c' },
  branch: { type: 'string' },
  'no-workflows': { type: 'boolean' },
  force: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

/** `kubeplan init`: kubeplan.yaml and the GitHub workflows from the folders it finds. */
async function init(args: string[], cwd: string, io: CliIO): Promise<number> {
  const { values } = parse(args, INIT_OPTIONS, 'init');
  if (values.help) {
    io.stdout(INIT_HELP);
    return 0;
  }
  const branch = values.branch ?? (await currentBranch(cwd)) ?? 'main';
  if (!/^[\w./-]+$/.test(branch) || branch.startsWith('-'))
    throw new UsageError(`--branch "${branch}" is not a branch name`, {
      where: { via: 'cli', command: 'init', input: 'branch' },
      hint: 'name the branch apply runs on, for example --branch main',
    });
  const result = (await import('../core/commands/init.js')).initCommand({
    cwd,
    config: values.config ?? 'kubeplan.yaml',
    workflows: !values['no-workflows'],
    force: values.force ?? false,
    dryRun: values['dry-run'] ?? false,
    branch,
  });
  io.stdout(result.output);
  return 0;
}

/** The branch checked out in cwd, when git knows one (not a detached HEAD). */
async function currentBranch(cwd: string): Promise<string | undefined> {
  const { execa } = await import('execa');
  const r = await execa('git', ['symbolic-ref', '--short', '-q', 'HEAD'], { cwd, reject: false, stdin: 'ignore' });
  return r.exitCode === 0 && String(r.stdout).trim() ? String(r.stdout).trim() : undefined;
}

const CI_OPTIONS = {
  ...CLUSTER_OPTIONS,
  ...NAMED_CLUSTER_OPTIONS,
  command: { type: 'string' },
  apply: { type: 'string' },
  'schedule-command': { type: 'string' },
  'fail-on': { type: 'string' },
  comment: { type: 'string' },
  'comment-key': { type: 'string' },
  'only-affected': { type: 'string' },
  labels: { type: 'string' },
  'report-path': { type: 'string' },
  'pull-request': { type: 'string' },
  mode: { type: 'string' },
  'force-conflicts': { type: 'boolean' },
  'no-wait': { type: 'boolean' },
  timeout: { type: 'string' },
  deployments: { type: 'string' },
  'expect-plan': { type: 'string' },
  image: { type: 'string' },
  tag: { type: 'string' },
  digest: { type: 'string' },
  'to-revision': { type: 'string' },
  'token-variable': { type: 'string' },
  'canary-budget': { type: 'string' },
  'no-canary': { type: 'boolean' },
  'canary-action': { type: 'string' },
  dotenv: { type: 'string' },
  codequality: { type: 'string' },
} satisfies ParseArgsConfig['options'];

/**
 * `kubeplan ci`: a GitLab job. Flags win over KUBEPLAN_* variables (what the CI/CD component sets from its inputs),
 * so the job's script never carries an input's text.
 */
async function ci(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  io: CliIO,
  secrets: SecretMask,
  signal: AbortSignal | undefined,
): Promise<number> {
  const { values: flags } = parse(args, CI_OPTIONS, 'ci');
  if (flags.help) {
    io.stdout(CI_HELP);
    return 0;
  }
  const variable = (name: string) => `KUBEPLAN_${name.toUpperCase().replace(/-/g, '_')}`;
  const values: Record<string, unknown> = {};
  for (const name of Object.keys(CI_OPTIONS)) {
    const given = (flags as Record<string, unknown>)[name];
    const fromEnv = env[variable(name)];
    values[name] = given !== undefined ? given : fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
  }
  // Booleans given as variables: "true" / "false".
  for (const name of ['force-conflicts', 'no-wait', 'no-canary'])
    if (typeof values[name] === 'string') values[name] = values[name] === 'true';
  // KUBEPLAN_TARGETS: names separated by commas or new lines, as the action's targets input.
  if (values.target === undefined && env.KUBEPLAN_TARGETS) values.target = [env.KUBEPLAN_TARGETS];
  // The component's clusters input; KUBEPLAN_CLUSTER (a parallel:matrix or pipeline variable) wins over it.
  if (values.cluster === undefined && env.KUBEPLAN_CLUSTERS) values.cluster = env.KUBEPLAN_CLUSTERS;
  const cliValues = values as ClusterValues;
  const flagsSource = cliSource(values, 'ci');
  const source: RequestSource = {
    ...flagsSource,
    where: (name) => {
      if (name === 'token')
        return { via: 'cli', command: 'ci', variable: String(values['token-variable'] ?? 'KUBEPLAN_GITLAB_TOKEN') };
      if (name === 'targets') return { via: 'cli', command: 'ci', input: 'target', variable: 'KUBEPLAN_TARGETS' };
      const flag = flagsSource.name(name).slice(2);
      return { via: 'cli', command: 'ci', input: flag, variable: variable(flag) };
    },
  };
  const hasCluster =
    cliValues.kubeconfig !== undefined || cliValues.server !== undefined || (env.KUBECONFIG ?? '') !== '';
  const { runGitLabJob } = await import('../platform/gitlab/run.js');
  return runGitLabJob({
    source,
    env,
    cwd,
    cluster: hasCluster ? clusterArgs(cliValues, cwd, env, 'ci') : undefined,
    write: io.stdout,
    secrets,
    version,
    signal,
  });
}

const BUMP_OPTIONS = {
  config: { type: 'string', short: 'c' },
  image: { type: 'string', multiple: true },
  tag: { type: 'string' },
  digest: { type: 'string' },
  local: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  explain: { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  'registry-endpoint': { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

async function bump(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  io: CliIO,
  secrets: SecretMask,
): Promise<number> {
  const { values } = parse(args, BUMP_OPTIONS, 'bump');
  if (values.help) {
    io.stdout(BUMP_HELP);
    return 0;
  }
  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'json')
    throw new UsageError(`--output must be text or json, not "${output}"`, {
      hint: 'use -o json for the documented schema',
    });
  if (values.local && values['dry-run'])
    throw new UsageError('--local and --dry-run cannot be combined', {
      hint: '--dry-run writes nothing; --local edits the working tree',
    });
  const request = parseBumpRequest(cliSource(values, 'bump'));
  const endpoints = (values['registry-endpoint'] ?? []).map((e) => {
    const m = /^([A-Za-z0-9.-]+(?::\d+)?)=(https?:\/\/[^/]+)\/?$/.exec(e);
    if (!m)
      throw new UsageError(`--registry-endpoint must be HOST=URL, not "${e}"`, {
        hint: 'for example ghcr.io=http://127.0.0.1:5000',
      });
    return { host: m[1]!, endpoint: m[2]! };
  });
  const mode = values.local ? 'local' : values['dry-run'] ? 'dry-run' : 'pull-requests';
  const publisher = mode === 'pull-requests' ? await cliPublisher(env, cwd) : undefined;
  const result = await (await import('../core/commands/bump.js')).bumpCommand({
    config: request.config,
    cwd,
    env,
    request: { only: request.images, dispatch: request.dispatch, explain: values.explain ?? false },
    mode,
    output,
    endpoints,
    ...(publisher ? { publisher } : {}),
    onRetry: retryLine(io),
    onSecret: (value) => secrets.add(value),
  });
  io.stdout(result.output);
  // The dashboard shows every image: a run for some (--image, --tag) leaves it as it is. Said on stderr (-o json).
  if (mode === 'pull-requests' && result.config.bump.dashboard && request.images.length === 0 && !request.dispatch) {
    const [owner = '', name = ''] = (env.GITHUB_REPOSITORY ?? '').split('/');
    const { GitHubApi } = await import('../platform/github/api.js');
    const { githubIssues } = await import('../platform/github/ports.js');
    const { updateBumpDashboard } = await import('../core/workflows/bump.js');
    const { formatBumpDashboard } = await import('../core/report/bump-dashboard.js');
    const api = GitHubApi.forRun(env.GITHUB_TOKEN ?? env.GH_TOKEN ?? '', { owner, name }, env, secrets);
    const said = await updateBumpDashboard(githubIssues(api), secrets.mask(formatBumpDashboard(result.report)));
    io.stderr(`${said.level === 'warning' ? 'warning: ' : ''}${said.message}\n`);
  }
  return result.exitCode;
}

const PROMOTE_OPTIONS = {
  ...CLUSTER_OPTIONS,
  to: { type: 'string' },
  from: { type: 'string' },
  'dry-run': { type: 'boolean' },
  output: { type: 'string', short: 'o' },
} satisfies ParseArgsConfig['options'];

/**
 * `kubeplan promote`: with GITHUB_TOKEN and GITHUB_REPOSITORY the upstream's GitHub Deployments say what it runs and
 * the pull request is opened there; without them its inventory in the cluster says, and only --dry-run is possible.
 */
async function promote(args: string[], env: NodeJS.ProcessEnv, cwd: string, io: CliIO): Promise<number> {
  const { values } = parse(args, PROMOTE_OPTIONS, 'promote');
  if (values.help) {
    io.stdout(PROMOTE_HELP);
    return 0;
  }
  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'json')
    throw new UsageError(`--output must be text or json, not "${output}"`, { hint: 'use -o text or -o json' });
  const to = emptyToUndefined(values.to);
  if (!to)
    throw new UsageError('no destination target given', {
      where: { via: 'cli', command: 'promote', input: 'to' },
      hint: 'name the destination target, e.g. kubeplan promote --to shop-prod --dry-run',
    });
  const dryRun = values['dry-run'] ?? false;
  const token = env.GITHUB_TOKEN ?? env.GH_TOKEN;
  const repository = env.GITHUB_REPOSITORY;
  const core = await import('../core/commands/promote.js');
  let source: import('../core/commands/promote.js').UpstreamSource;
  if (token && repository) {
    const [owner = '', name = ''] = repository.split('/');
    const { GitHubApi } = await import('../platform/github/api.js');
    const api = GitHubApi.forRun(token, { owner, name }, env, undefined);
    const server = (env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/$/, '');
    source = core.deploymentsSource(
      (environment) => api.deploymentHistory(environment),
      (d) => `${server}/${owner}/${name}/deployments/${encodeURIComponent(d.environment)}`,
    );
  } else {
    if (!dryRun)
      throw new UsageError('opening the promotion pull request needs GITHUB_TOKEN and GITHUB_REPOSITORY (owner/name)', {
        where: { via: 'cli', command: 'promote' },
        hint: 'set them, or pass --dry-run to read the upstream from its inventory in the cluster and print the edits',
      });
    const cluster = clusterArgs(values, cwd, env, 'promote', io);
    const { ClusterClient } = await import('../core/cluster/client.js');
    const client = await ClusterClient.connect({
      kubeconfig: cluster.kubeconfig,
      context: cluster.context,
      pin: cluster.pin,
      direct: cluster.direct,
      concurrency: cluster.concurrency,
      env,
      cwd,
      onRetry: retryLine(io),
    });
    source = core.inventorySource(client);
  }
  const publisher = dryRun ? undefined : await cliPublisher(env, cwd);
  const result = await core.promoteCommand({
    config: values.config ?? 'kubeplan.yaml',
    cwd,
    env,
    to,
    from: emptyToUndefined(values.from),
    dryRun,
    output,
    source,
    publisher,
  });
  io.stdout(result.output);
  return 0;
}

/** Pull requests from the CLI: GitHub, from the same variables a workflow has (GITHUB_TOKEN, GITHUB_REPOSITORY). */
async function cliPublisher(env: NodeJS.ProcessEnv, cwd: string) {
  const token = env.GITHUB_TOKEN ?? env.GH_TOKEN;
  const repository = env.GITHUB_REPOSITORY;
  if (!token || !repository) {
    throw new UsageError('opening pull requests needs GITHUB_TOKEN and GITHUB_REPOSITORY (owner/name)', {
      where: { via: 'cli', command: 'bump' },
      hint: 'set them, or pass --local to edit the working tree or --dry-run to only print the edits',
    });
  }
  const { githubBumpPublisher } = await import('../platform/github/bump.js');
  return githubBumpPublisher({ token, repository, env, cwd });
}

/**
 * What a failed command prints on stdout in the format asked for: with `-o json` (diff, apply, drift, bump, rollback)
 * `{"error": {"message", "where", "hint"}}` (and `errors`, all of them, when there are several); with
 * `drift -o openmetrics` `kubeplan_drift_check_success 0`, so a textfile collector or an alert sees the check fail
 * (and the target's series at 0 too when the error names one).
 */
function failureOnStdout(argv: string[], errors: unknown[]): string | undefined {
  const [command, ...args] = argv;
  const output = outputFlag(args);
  if (
    output === 'json' &&
    ['diff', 'apply', 'drift', 'bump', 'rollback', 'recover', 'promote'].includes(command ?? '')
  ) {
    const fields = errors.map(errorFields);
    return `${JSON.stringify({ error: fields[0], ...(fields.length > 1 ? { errors: fields } : {}) }, null, 2)}\n`;
  }
  if (output === 'openmetrics' && command === 'drift') {
    const targets = new Set<string>();
    for (const e of errors) {
      const where = e instanceof KubeplanError ? e.location : undefined;
      if (where && 'target' in where && where.target !== undefined) targets.add(where.target);
    }
    const label = (t: string) => `target="${t.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
    return `${[
      '# TYPE kubeplan_drift_check_success gauge',
      '# HELP kubeplan_drift_check_success 1 when every object of the target could be checked.',
      'kubeplan_drift_check_success 0',
      ...[...targets].map((t) => `kubeplan_drift_check_success{${label(t)}} 0`),
      '# EOF',
    ].join('\n')}\n`;
  }
  return undefined;
}

/** The value of the last -o / --output among a command's arguments, as parseArgs would take it. */
function outputFlag(args: string[]): string | undefined {
  let output: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    if (a === '-o' || a === '--output') output = args[++i];
    else if (a.startsWith('--output=')) output = a.slice('--output='.length);
    else if (/^-o[^-]/.test(a)) output = a.slice(2).replace(/^=/, '');
  }
  return output;
}

/** An error as the JSON on stdout gives it: what, where and what to do, never a stack. */
function errorFields(error: unknown): { message: string; where: string | null; hint: string | null } {
  const e = isSystemError(error) && !(error instanceof KubeplanError) ? systemError(error) : error;
  if (e instanceof KubeplanError) return { message: e.message, where: e.where ?? null, hint: e.hint ?? null };
  return {
    message: `unexpected error: ${e instanceof Error ? e.message : String(e)}`,
    where: null,
    hint: 'this is a bug in kubeplan; please report it with the command you ran',
  };
}

/** `--server` + `--token-env` (+ `--certificate-authority`): a bearer token from a variable, no kubeconfig. */
function directCredentials(values: ClusterValues, cwd: string, env: NodeJS.ProcessEnv): DirectCredentials | undefined {
  const server = emptyToUndefined(values.server);
  const tokenEnv = emptyToUndefined(values['token-env']);
  const caFile = emptyToUndefined(values['certificate-authority']);
  if (!server) {
    if (tokenEnv || caFile)
      throw new UsageError(`--${tokenEnv ? 'token-env' : 'certificate-authority'} needs --server`, {
        hint: 'pass --server URL with --token-env NAME, or use a kubeconfig',
      });
    return undefined;
  }
  if (values.kubeconfig || values.context)
    throw new UsageError('--server cannot be combined with --kubeconfig or --context', {
      hint: 'use either a kubeconfig, or --server with --token-env',
    });
  if (!tokenEnv)
    throw new UsageError('--server needs --token-env NAME, the environment variable that holds the bearer token', {
      hint: 'in GitLab CI: id_tokens: {KUBEPLAN_ID_TOKEN: {aud: ...}} and --token-env KUBEPLAN_ID_TOKEN',
    });
  const token = env[tokenEnv]?.trim();
  if (!token) {
    throw new UsageError(`the variable ${tokenEnv} (--token-env) is empty or not set`, {
      hint: 'in GitLab CI declare it under id_tokens with the audience the cluster expects; elsewhere export it before running kubeplan',
    });
  }
  let caPem: string | undefined;
  if (caFile) {
    try {
      caPem = readFileSync(path.resolve(cwd, caFile), 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read --certificate-authority ${caFile} (${(error as NodeJS.ErrnoException).code})`, {
        hint: 'pass the path of the CA certificate (PEM)',
      });
    }
  }
  return { server, token, caPem, source: `the token in $${tokenEnv}` };
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, command: string) {
  try {
    return parseArgs({ args, options, allowPositionals: false, strict: true });
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    // Node's parseArgs names the option only in its message: `Unknown option '--kubconfig'`.
    const unknown =
      (error as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
        ? /^Unknown option '--([^'=]+)/.exec(message)?.[1]
        : undefined;
    const meant = unknown === undefined ? undefined : closestName(unknown, Object.keys(options));
    throw new UsageError(message, {
      where: { via: 'cli', command },
      hint: `${meant ? `did you mean --${meant}? ` : ''}run \`kubeplan ${command} --help\` to see the options`,
    });
  }
}

/**
 * Whether the text report is coloured: --color or --no-color if given; else FORCE_COLOR when set and not empty
 * (force-color.org; 0 or false turn colour off, as for Node.js itself), which wins over NO_COLOR as there; else no
 * colour when NO_COLOR is set and not empty (no-color.org); else colour when stdout is a terminal.
 */
function colorWanted(
  values: { color?: boolean | undefined; 'no-color'?: boolean | undefined },
  env: NodeJS.ProcessEnv,
  io: CliIO,
  command: string,
): boolean {
  if (values.color && values['no-color'])
    throw new UsageError('--color and --no-color exclude each other', {
      where: { via: 'cli', command },
      hint: 'pass one of them (without either, colour follows FORCE_COLOR, NO_COLOR and whether stdout is a terminal)',
    });
  if (values.color) return true;
  if (values['no-color']) return false;
  const force = env.FORCE_COLOR ?? '';
  if (force !== '') return force !== '0' && force.toLowerCase() !== 'false';
  if ((env.NO_COLOR ?? '') !== '') return false;
  return io.isTTY === true;
}

function toolsFrom(values: {
  helm?: string | undefined;
  kubectl?: string | undefined;
  kustomize?: string | undefined;
}) {
  return {
    helm: emptyToUndefined(values.helm),
    kubectl: emptyToUndefined(values.kubectl),
    kustomize: emptyToUndefined(values.kustomize),
  };
}

/**
 * `--plan FILE` (a plan `kubeplan diff --out` wrote) or `--expect-plan sha256:…`: the plan an apply is bound to.
 */
function boundPlan(file: string | undefined, digest: string | undefined, cwd: string) {
  if (file && digest)
    throw new UsageError('--plan and --expect-plan exclude each other', {
      where: { via: 'cli', command: 'apply', input: 'expect-plan' },
      hint: 'bind to the plan file, or to one plan digest',
    });
  if (digest) {
    if (!/^sha256:[a-f0-9]{64}$/.test(digest))
      throw new UsageError(`must be sha256: and 64 hex digits, not "${digest}"`, {
        where: { via: 'cli', command: 'apply', input: 'expect-plan' },
        hint: 'copy the plan digest kubeplan diff printed (the digests.plan of its JSON report)',
      });
    return { digests: { plan: digest }, where: { via: 'cli' as const, command: 'apply', input: 'expect-plan' } };
  }
  if (!file) return undefined;
  const where = { file, path: path.resolve(cwd, file) };
  let parsed: unknown;
  try {
    const text = readFileSync(path.resolve(cwd, file), 'utf8');
    if (text.length > 64 * 1024 * 1024) throw new UsageError('the plan file is larger than 64 MiB', { where });
    parsed = JSON.parse(text);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if (isSystemError(error)) throw systemError(error, `read the plan file ${file}`, { where });
    throw new UsageError(`is not JSON: ${(error as Error).message}`, {
      where,
      hint: 'pass the file kubeplan diff --out wrote',
    });
  }
  const report = parsed as { version?: unknown; digests?: { plan?: unknown; targets?: unknown; changes?: unknown } };
  const d = report?.digests;
  if (
    report?.version !== 1 ||
    !d ||
    typeof d.plan !== 'string' ||
    !/^sha256:[a-f0-9]{64}$/.test(d.plan) ||
    !d.targets ||
    typeof d.targets !== 'object'
  )
    throw new UsageError('holds no plan digests (a JSON report of kubeplan diff --out, version 1)', {
      where,
      hint: 'write the plan with kubeplan diff --out FILE against the same cluster',
    });
  const { changes, ...digests } = d as Record<string, unknown>;
  return {
    digests: digests as { plan: string },
    changes: (changes && typeof changes === 'object' ? changes : {}) as Record<string, never[]>,
    where,
  };
}

/**
 * Parsed flags as a request source for the parser the action uses too: names are the action's input names (targets is
 * --target, diff-mode is --mode, wait is the absence of --no-wait), messages name the flags.
 */
function cliSource(values: Record<string, unknown>, command: string): RequestSource {
  const flags: Record<string, string> = { targets: 'target', 'diff-mode': 'mode', clusters: 'cluster' };
  const flag = (name: string) => flags[name] ?? name;
  return {
    get: (name) => {
      if (name === 'wait') return values['no-wait'] ? 'false' : 'true';
      const value = values[flag(name)];
      if (Array.isArray(value)) return value.length ? value.join('\n') : undefined;
      if (typeof value === 'boolean') return String(value);
      return typeof value === 'string' ? emptyToUndefined(value) : undefined;
    },
    where: (name) => ({ via: 'cli', command, input: flag(name) }),
    name: (name) => `--${flag(name)}`,
  };
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/**
 * The credentials this run can know: the kubeconfig it reads (--kubeconfig, else $KUBECONFIG, else ~/.kube/config),
 * the token of --token-env, and the GitHub token bump uses.
 */
function knownCredentials(argv: string[], env: NodeJS.ProcessEnv, cwd: string): SecretMask {
  const secrets = new SecretMask();
  const flag = (name: string) => {
    const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
    if (i === -1) return undefined;
    return argv[i]!.includes('=') ? argv[i]!.slice(argv[i]!.indexOf('=') + 1) : argv[i + 1];
  };
  const kubeconfig = flag('kubeconfig');
  const files = kubeconfig
    ? [path.resolve(cwd, kubeconfig)]
    : env.KUBECONFIG
      ? env.KUBECONFIG.split(path.delimiter).filter(Boolean)
      : env.HOME
        ? [path.join(env.HOME, '.kube', 'config')]
        : [];
  for (const file of files) {
    try {
      for (const value of kubeconfigCredentials(readFileSync(file, 'utf8'))) secrets.add(value);
    } catch {
      // missing or unreadable: the command that needs it says so
    }
  }
  const tokenEnv = flag('token-env');
  for (const value of [tokenEnv ? env[tokenEnv] : undefined, env.GITHUB_TOKEN, env.GH_TOKEN])
    secrets.add(value?.trim());
  for (const value of proxyCredentials(env)) secrets.add(value);
  return secrets;
}
