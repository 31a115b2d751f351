import * as core from '@actions/core';
import path from 'node:path';
import { UsageError } from '../../core/errors.js';
import type { ToolOverrides } from '../../core/render/tools.js';
import { proxyCredentials } from '../../core/http/proxy.js';
import { SecretMask } from '../../core/report/secret-mask.js';
import {
  type Command,
  parseBoolean,
  parseCommand,
  parseConcurrency,
  parseScheduleCommand,
  type RequestSource,
} from '../../core/workflows/request.js';

/** What the action reads besides the request: where, which tools, which cluster, which credentials. */
export interface ActionSettings {
  workingDirectory: string;
  tools: ToolOverrides;
  /** Kubeconfig contents (the kubeconfig input). */
  kubeconfig: string | undefined;
  /** Cluster pinning: expected server URL and CA sha256. */
  pin: { server: string | undefined; caSha256: string | undefined };
  /** Credentials without a kubeconfig: the server, its CA (PEM), and a token or the audience of a GitHub OIDC token. */
  cluster: {
    server: string | undefined;
    ca: string | undefined;
    token: string | undefined;
    oidcAudience: string | undefined;
  };
  concurrency: number;
  githubToken: string | undefined;
  /** bump: registry credentials from registry-auth. */
  registryAuth: Map<string, { username: string; password: string }>;
  /** Every credential of this run, masked in the log and replaced in comments, issues, the summary, outputs and reports. */
  secrets: SecretMask;
}

/** The action's inputs as a request source: `with:` values, named `action input NAME` in messages. */
export const actionSource: RequestSource = {
  get: (name) => {
    const value = core.getInput(name === 'token' ? 'github-token' : name);
    return value === '' ? undefined : value;
  },
  where: (name) => ({ input: name === 'token' ? 'github-token' : name, via: 'action' }),
  name: (name) => (name === 'token' ? 'github-token' : name),
};

/** Masks a credential in the runner's log and in everything kubeplan writes. */
export function addSecret(secrets: SecretMask, value: string | undefined): void {
  if (!value) return;
  core.setSecret(value);
  secrets.add(value);
}

/** The command this run does: the command input, or with `auto` what the event calls for. */
export function commandOf(env: NodeJS.ProcessEnv): Command {
  const requested = parseCommand(actionSource);
  if (requested !== 'auto') return requested;
  const event = env.GITHUB_EVENT_NAME ?? '';
  if (event === 'pull_request' || event === 'pull_request_target') return 'plan';
  if (event === 'push' && parseBoolean(actionSource, 'apply', false)) return 'apply';
  if (event === 'repository_dispatch') return 'bump';
  if (event === 'schedule' || event === 'workflow_dispatch') return parseScheduleCommand(actionSource);
  throw new UsageError(
    `command auto plans pull requests, and applies pushes when apply is true; this run is a "${event || 'unknown'}" event`,
    {
      where: actionSource.where('command'),
      hint:
        event === 'push'
          ? 'set apply: true to apply pushes to the default branch'
          : event === 'workflow_run'
            ? 'set command: comment (with report-path and pull-request) to comment the plan of a fork pull request'
            : 'set command: plan, apply, drift, bump, comment, canary or render explicitly',
    },
  );
}

/** The inputs every command shares; credentials are masked as they are read. */
export function readSettings(env: NodeJS.ProcessEnv): ActionSettings {
  const secrets = new SecretMask();
  // The runner's proxy variables may carry a password (http://user:password@proxy:3128).
  for (const value of proxyCredentials(env)) addSecret(secrets, value);
  const optional = (name: string) => actionSource.get(name);
  const token = optional('github-token');
  addSecret(secrets, token);
  const clusterToken = optional('cluster-token');
  addSecret(secrets, clusterToken);
  const registryAuth = parseRegistryAuth(core.getInput('registry-auth'), secrets);
  const workspace = env.GITHUB_WORKSPACE ?? process.cwd();
  return {
    workingDirectory: path.resolve(workspace, optional('working-directory') ?? '.'),
    tools: { helm: optional('helm'), kubectl: optional('kubectl'), kustomize: optional('kustomize') },
    kubeconfig: optional('kubeconfig'),
    pin: { server: optional('cluster-server'), caSha256: optional('cluster-ca-sha256') },
    cluster: {
      server: optional('cluster-server'),
      ca: optional('cluster-ca'),
      token: clusterToken,
      oidcAudience: optional('oidc-audience'),
    },
    concurrency: parseConcurrency(actionSource),
    githubToken: token,
    registryAuth,
    secrets,
  };
}

/** Where the action keeps its files: RUNNER_TEMP, or .kubeplan in the working directory outside a runner. */
export function runnerTempOf(workingDirectory: string, env: NodeJS.ProcessEnv): string {
  return env.RUNNER_TEMP ?? path.join(workingDirectory, '.kubeplan');
}

/** `host=username:password` lines; every password is masked before anything is logged. */
function parseRegistryAuth(text: string, secrets: SecretMask): Map<string, { username: string; password: string }> {
  const out = new Map<string, { username: string; password: string }>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^([A-Za-z0-9.-]+(?::\d+)?)=([^:]+):(.+)$/.exec(line);
    if (m) addSecret(secrets, m[3]!);
    else {
      const colon = line.lastIndexOf(':');
      if (colon !== -1) addSecret(secrets, line.slice(colon + 1));
      throw new UsageError(`line ${i + 1} must be host=username:password`, {
        where: actionSource.where('registry-auth'),
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template literal
        hint: 'for example ghcr.io=bot:${{ secrets.GHCR_TOKEN }}',
      });
    }
    const host = m[1] === 'docker.io' || m[1] === 'index.docker.io' ? 'registry-1.docker.io' : m[1]!;
    out.set(host, { username: m[2]!, password: m[3]! });
  });
  return out;
}
