import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Dispatcher } from 'undici';
import { throwIfCancelled } from '../cancel.js';
import { ClusterError, UsageError, type Where } from '../errors.js';
import { proxyFor, proxySettings, redactProxyUrl } from '../http/proxy.js';
import { APISERVER_POLICY, delayFor, mayRetry, type OnRetry, retriesStatus, sleep } from '../http/retry-policy.js';
import { Limiter } from './limiter.js';
import { jwtTimes, type TokenSource, tokenSourceOf } from './token-source.js';

export interface ConnectOptions {
  /** --kubeconfig; else $KUBECONFIG (several files merged), else ~/.kube/config, else in-cluster. */
  kubeconfig: string | undefined;
  /** A kubeconfig's contents instead of a file (a named cluster's auth.kubeconfigEnv). */
  kubeconfigText?: string | undefined;
  /** --context; else the kubeconfig's current context. */
  context: string | undefined;
  /** Requests in flight at once (default 16). */
  concurrency: number;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Cluster pinning: refuse, before any request carries a credential, a server or CA other than these. */
  pin?: { server?: string | undefined; caSha256?: string | undefined };
  /** A server, bearer token and CA given directly (OIDC ID tokens, CI variables): no kubeconfig is read. */
  direct?: DirectCredentials | undefined;
  /** Once aborted (SIGINT/SIGTERM), no further write is sent: each is refused with a CancelledError. */
  signal?: AbortSignal | undefined;
  /** Told before each retry (the CLI prints a line on stderr); retries are silent without it. */
  onRetry?: OnRetry | undefined;
}

/** Credentials without a kubeconfig: what the token is tells the hint when the cluster refuses it. */
export interface DirectCredentials {
  server: string;
  /** A fixed bearer token, or a source that renews a short-lived one (GitHub OIDC ID tokens). */
  token: string | TokenSource;
  /** PEM of the CA that signed the server's certificate; undefined trusts the system's CAs. */
  caPem: string | undefined;
  /** Where the token came from, for messages: `GitHub OIDC (audience kubeplan)`, `$KUBEPLAN_ID_TOKEN`. */
  source: string;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  accept?: string;
  /** A LIST of a collection (counted in stats.lists; single-object GETs are not). */
  list?: boolean;
  /**
   * A compare-and-swap write (a resourceVersion in the body, or a create that must not exist yet): a 409 is the answer,
   * never retried, since sending the same body again cannot succeed.
   */
  conflictIsAnswer?: boolean;
}

export interface Response<T> {
  status: number;
  body: T;
}

/**
 * The largest request body the apiserver reads (k8s.io/apiserver MaxRequestBodyBytes: 3 MiB, twice etcd's default
 * 1.5 MiB request limit, as JSON becomes smaller protobuf in storage). A larger one is answered with 413 and the
 * connection closed mid-upload, which would look like an unreachable server: such a body is never sent.
 */
export const MAX_REQUEST_BYTES = 3 * 1024 * 1024;

/**
 * The one place that talks HTTP to the apiserver: authentication from the kubeconfig (through @kubernetes/client-node,
 * so exec plugins, OIDC and client certificates work as in kubectl), bodies sent and received as raw JSON, bounded
 * concurrency, and retries with backoff on 429 and 5xx that honour Retry-After.
 */
export class ClusterClient {
  private headers: Record<string, string> = {};
  private readonly limiter: Limiter;
  /** Counts requests by verb, for tests and benchmarks. */
  readonly stats = { requests: 0, retries: 0, lists: 0, dryRuns: 0 };

  private constructor(
    readonly server: string,
    readonly contextName: string,
    readonly namespace: string,
    private readonly kc: import('@kubernetes/client-node').KubeConfig,
    private dispatcher: Dispatcher | undefined,
    private readonly undiciRequest: typeof import('undici').request,
    concurrency: number,
  ) {
    this.limiter = new Limiter(concurrency);
  }

  /** Where a token given without a kubeconfig came from (`a GitHub OIDC token (audience …)`): a 401 names it. */
  private credentialSource: string | undefined;
  /** The token given without a kubeconfig: its header is set on each request, so a renewed one is used at once. */
  private tokenSource: TokenSource | undefined;
  /** The sha256 of the cluster's CA certificate (undefined with the system's CAs): with the server, who the cluster is. */
  caSha256: string | undefined;
  /** Aborted on SIGINT/SIGTERM: writes not yet sent are refused (reads still run, to report what happened). */
  private signal: AbortSignal | undefined;
  /** `the proxy http://proxy:3128 (HTTPS_PROXY)` when requests go through one (credentials redacted), for messages. */
  private proxy: string | undefined;
  private onRetry: OnRetry | undefined;

  static async connect(options: ConnectOptions): Promise<ClusterClient> {
    // Loaded here, not at import: commands that need no cluster (render) should not pay for it.
    const [{ KubeConfig }, undici, { RequestContext, HttpMethod }] = await Promise.all([
      import('@kubernetes/client-node/dist/config.js'),
      import('undici'),
      import('@kubernetes/client-node/dist/gen/http/http.js'),
    ]);
    const kc = new KubeConfig();
    const tokenSource = options.direct ? tokenSourceOf(options.direct.token) : undefined;
    const source = loadKubeConfig(kc, options, tokenSource && (await tokenSource.token()));
    if (options.context) {
      if (!kc.getContextObject(options.context)) {
        throw new UsageError(`context "${options.context}" is not in ${source}`, {
          hint: `contexts there: ${
            kc
              .getContexts()
              .map((c) => c.name)
              .join(', ') || 'none'
          }`,
        });
      }
      kc.setCurrentContext(options.context);
    }
    const cluster = kc.getCurrentCluster();
    if (!cluster) {
      throw new UsageError(`no cluster selected in ${source}`, {
        hint: 'set current-context in the kubeconfig or pass --context',
      });
    }
    checkPin(cluster, options.pin, kc.getCurrentContext());
    const proxy = clusterProxy(cluster, options.env);
    if (proxy && !cluster.proxyUrl) {
      // As kubectl: without a proxy-url the environment decides. client-node builds the tunnel from proxy-url (undici's
      // ProxyAgent, CONNECT for https) with the cluster's CA and client certificate in its requestTls, so the server is
      // still verified end to end (and the pinned CA still holds) through the proxy.
      kc.clusters = kc.clusters.map((c) => (c.name === cluster.name ? { ...c, proxyUrl: proxy.url } : c));
    }
    const context = kc.getContextObject(kc.getCurrentContext());
    const client = new ClusterClient(
      cluster.server.replace(/\/+$/, ''),
      kc.getCurrentContext(),
      context?.namespace ?? 'default',
      kc,
      undefined,
      // undici is CommonJS: bundled, its exports may sit on `default`.
      undici.request ?? (undici as unknown as { default: typeof undici }).default.request,
      Math.max(1, options.concurrency),
    );
    client.credentialSource = options.direct?.source;
    client.tokenSource = tokenSource;
    client.caSha256 = caFingerprint(caPemOf(cluster));
    client.proxy = proxy?.label;
    client.signal = options.signal;
    client.onRetry = options.onRetry;
    await client.authenticate(RequestContext, HttpMethod.GET);
    return client;
  }

  private async authenticate(
    RequestContextClass: typeof import('@kubernetes/client-node/dist/gen/http/http.js').RequestContext,
    method: import('@kubernetes/client-node/dist/gen/http/http.js').HttpMethod,
  ): Promise<void> {
    const ctx = new RequestContextClass(this.server, method);
    try {
      await this.kc.applySecurityAuthentication(ctx);
    } catch (error) {
      throw new ClusterError(`cannot authenticate to ${this.server}: ${(error as Error).message}`, {
        status: 0,
        where: { context: this.contextName },
        cause: error,
        hint: 'check the kubeconfig user (token, client certificate or exec plugin)',
      });
    }
    this.headers = Object.fromEntries(Object.entries(ctx.getHeaders()).map(([k, v]) => [k.toLowerCase(), String(v)]));
    this.dispatcher = ctx.getDispatcher();
  }

  /**
   * When the credential this client sends stops working, for a caller that runs long (a canary) to end in time: a
   * fixed bearer token's JWT `exp` (the cluster-token input, auth.tokenEnv, --token-env, a kubeconfig token or an exec
   * plugin's token, all read once). Undefined when the token is renewed as it runs out (GitHub OIDC), or when nothing
   * says (a token that is not a JWT, a client certificate).
   */
  credentialExpiresAt(): Date | undefined {
    if (this.tokenSource) return this.tokenSource.refresh ? undefined : this.tokenSource.expiresAt();
    const bearer = /^Bearer\s+(\S+)$/i.exec(this.headers.authorization ?? '')?.[1];
    return bearer ? jwtTimes(bearer).expiresAt : undefined;
  }

  /** Sends one request; throws ClusterError for any status that is not 2xx after retries. */
  async request<T>(
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    urlPath: string,
    options: RequestOptions = {},
  ): Promise<Response<T>> {
    return this.limiter.run(() => {
      // Checked when the request's turn comes: writes queued behind the concurrency limit are never sent either.
      if (method !== 'GET' && options.query?.dryRun !== 'All') throwIfCancelled(this.signal, `${method} ${urlPath}`);
      return this.send<T>(method, urlPath, options);
    });
  }

  private async send<T>(method: string, urlPath: string, options: RequestOptions): Promise<Response<T>> {
    const url = new URL(this.server + urlPath);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { ...this.headers, accept: options.accept ?? 'application/json' };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = options.contentType ?? 'application/json';
      const bytes = Buffer.byteLength(body);
      if (bytes > MAX_REQUEST_BYTES) throw tooLarge(bytes, { request: { method, path: url.pathname } });
    }
    let renewed = false;
    for (let attempt = 1; ; attempt++) {
      const token = this.tokenSource && (await this.tokenSource.token());
      if (token) headers.authorization = `Bearer ${token}`;
      this.stats.requests++;
      if (method === 'GET' && attempt === 1 && !renewed && options.list) this.stats.lists++;
      if (url.searchParams.get('dryRun') === 'All' && attempt === 1 && !renewed) this.stats.dryRuns++;
      let status: number;
      let text: string;
      let retryAfter: string | undefined;
      try {
        const res = await this.undiciRequest(url, {
          method: method as Dispatcher.HttpMethod,
          headers,
          body,
          ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
        });
        status = res.statusCode;
        text = await res.body.text();
        const ra = res.headers['retry-after'];
        retryAfter = Array.isArray(ra) ? ra[0] : ra;
      } catch (error) {
        // Every request kubeplan sends is safe to repeat (reads, server-side apply, deletes).
        if (mayRetry(APISERVER_POLICY, attempt, 'network')) {
          this.stats.retries++;
          const delayMs = delayFor(APISERVER_POLICY, attempt);
          const reason = (error as NodeJS.ErrnoException).code ?? 'no answer';
          this.tellRetry(method, url, attempt, APISERVER_POLICY.networkAttempts, delayMs, reason);
          await sleep(delayMs);
          if (method !== 'GET') throwIfCancelled(this.signal, `retrying ${method} ${urlPath}`);
          continue;
        }
        const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        if (this.proxy) {
          throw new ClusterError(
            `cannot reach the apiserver at ${this.server} through ${this.proxy} (${detail(error as Error)})`,
            {
              status: 0,
              where: { context: this.contextName },
              hint: 'check the proxy address and credentials, or exclude the apiserver host from the proxy with NO_PROXY',
            },
          );
        }
        throw new ClusterError(`cannot reach the apiserver at ${this.server} (${code})`, {
          status: 0,
          where: { context: this.contextName },
          cause: error,
          hint: 'check that the cluster is running and the kubeconfig server URL and certificate are right',
        });
      }
      if (status >= 200 && status < 300) return { status, body: parseAnswer<T>(text, status, method, url) };
      if (
        (retriesStatus(APISERVER_POLICY, status) ||
          (status === 409 && !options.conflictIsAnswer && isOptimisticConflict(text))) &&
        mayRetry(APISERVER_POLICY, attempt, 'status')
      ) {
        this.stats.retries++;
        const delayMs = delayFor(APISERVER_POLICY, attempt, retryAfter);
        this.tellRetry(method, url, attempt, APISERVER_POLICY.attempts, delayMs, String(status));
        await sleep(delayMs);
        if (method !== 'GET') throwIfCancelled(this.signal, `retrying ${method} ${urlPath}`);
        continue;
      }
      if (status === 401 && token && this.tokenSource?.refresh && !renewed) {
        // A short-lived token may have run out between two renewals: ask for a new one once, and send once more.
        renewed = true;
        await this.tokenSource.refresh(token);
        if (method !== 'GET') throwIfCancelled(this.signal, `resending ${method} ${urlPath} with a renewed token`);
        attempt--; // not a retry: the retry budget stays for 429/5xx
        continue;
      }
      if (status === 401) {
        const expired = this.expiredCredential();
        if (expired) throw expiredCredentials(this.server, this.credentialSource, expired);
      }
      if (status === 401 && this.credentialSource) throw refusedCredentials(this.server, this.credentialSource);
      throw statusError(status, text, method, url);
    }
  }

  /** When the fixed token this client sends expired, if it has. */
  private expiredCredential(): Date | undefined {
    const at = this.tokenSource?.refresh ? undefined : this.credentialExpiresAt();
    return at && at.getTime() <= Date.now() ? at : undefined;
  }

  private tellRetry(method: string, url: URL, attempt: number, attempts: number, delayMs: number, reason: string) {
    this.onRetry?.({
      policy: APISERVER_POLICY.name,
      method,
      path: url.pathname,
      attempt: attempt + 1,
      attempts,
      delayMs,
      reason,
    });
  }
}

/** The sha256 of the cluster's CA certificate (DER), as `openssl x509 -fingerprint -sha256` prints it without colons. */
export function caFingerprint(pem: string): string | undefined {
  const body = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem)?.[1];
  if (!body) return undefined;
  return createHash('sha256')
    .update(Buffer.from(body.replace(/\s+/g, ''), 'base64'))
    .digest('hex');
}

/** The PEM of a kubeconfig cluster's CA (inline or in a file); empty when it has none. */
function caPemOf(cluster: { caData?: string; caFile?: string }): string {
  return cluster.caData
    ? Buffer.from(cluster.caData, 'base64').toString('utf8')
    : cluster.caFile && existsSync(cluster.caFile)
      ? readFileSync(cluster.caFile, 'utf8')
      : '';
}

function checkPin(
  cluster: { server: string; caData?: string; caFile?: string },
  pin: ConnectOptions['pin'],
  context: string,
): void {
  if (!pin) return;
  const normalize = (u: string) => u.replace(/\/+$/, '').toLowerCase();
  if (pin.server && normalize(pin.server) !== normalize(cluster.server)) {
    throw new UsageError(
      `the kubeconfig points at ${cluster.server}, not the pinned cluster ${pin.server}; nothing was sent`,
      {
        where: { context },
        hint: 'check which kubeconfig or secret this job uses, or update the pinned server',
      },
    );
  }
  if (pin.caSha256) {
    const actual = caFingerprint(caPemOf(cluster));
    const wanted = pin.caSha256.replace(/[:\s]/g, '').toLowerCase();
    if (actual !== wanted) {
      throw new UsageError(
        `the cluster CA ${actual ? `has sha256 ${actual}` : 'is missing from the kubeconfig'}, not the pinned ${wanted}; nothing was sent`,
        {
          where: { context },
          hint: 'a different cluster (or a man in the middle) answers at this address: check the kubeconfig before trusting it',
        },
      );
    }
  }
}

/**
 * The proxy the apiserver is reached through, as kubectl picks it: the kubeconfig cluster's proxy-url, else the
 * environment (HTTPS_PROXY for an https:// server, NO_PROXY, never for loopback; see core/http/proxy.ts).
 */
function clusterProxy(
  cluster: { server: string; proxyUrl?: string | undefined },
  env: NodeJS.ProcessEnv,
): { url: string; label: string } | undefined {
  if (cluster.proxyUrl)
    return { url: cluster.proxyUrl, label: `the proxy ${safeRedact(cluster.proxyUrl)} (kubeconfig proxy-url)` };
  const settings = proxySettings(env);
  let proxy: ReturnType<typeof proxyFor>;
  try {
    proxy = proxyFor(cluster.server, settings);
  } catch {
    return undefined; // not a URL: the first request says so
  }
  return proxy && { url: proxy.url.href, label: `the proxy ${redactProxyUrl(proxy.url)} (${proxy.variable})` };
}

/** `CODE: message` of a network error (undici's messages say what the proxy answered: `Proxy response (407) …`). */
function detail(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code && !error.message.startsWith(code) ? `${code}: ${error.message}` : error.message;
}

function safeRedact(url: string): string {
  try {
    return redactProxyUrl(url);
  } catch {
    return 'named there';
  }
}

function loadKubeConfig(
  kc: import('@kubernetes/client-node').KubeConfig,
  options: ConnectOptions,
  directToken: string | undefined,
): string {
  if (options.direct) {
    const d = options.direct;
    if (!/^https:\/\//.test(d.server)) {
      throw new UsageError(`the cluster server must be an https:// URL, not "${d.server}"`, {
        hint: 'write the apiserver URL as kubectl cluster-info prints it',
      });
    }
    if (d.caPem !== undefined && !d.caPem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new UsageError('the cluster CA is not a PEM certificate', {
        hint: 'pass the CA certificate (-----BEGIN CERTIFICATE-----), not a file name or a fingerprint',
      });
    }
    kc.loadFromOptions({
      clusters: [
        {
          name: 'kubeplan',
          server: d.server,
          skipTLSVerify: false,
          ...(d.caPem ? { caData: Buffer.from(d.caPem).toString('base64') } : {}),
        },
      ],
      users: [{ name: 'kubeplan', token: directToken }],
      contexts: [{ name: 'kubeplan', cluster: 'kubeplan', user: 'kubeplan' }],
      currentContext: 'kubeplan',
    });
    return `the server ${d.server} with ${d.source}`;
  }
  if (options.kubeconfigText !== undefined) {
    try {
      kc.loadFromString(options.kubeconfigText);
    } catch (error) {
      throw new UsageError(`cannot read the kubeconfig: ${(error as Error).message}`, {
        cause: error,
        hint: 'check the variable holds a valid kubeconfig (or the path of one)',
      });
    }
    return 'the kubeconfig given by its variable';
  }
  const explicit = options.kubeconfig ?? undefined;
  const files = explicit
    ? [path.resolve(options.cwd, explicit)]
    : (options.env.KUBECONFIG ?? '').split(path.delimiter).filter((f) => f !== '');
  if (files.length === 0) {
    const home = options.env.HOME ?? os.homedir();
    const fallback = path.join(home, '.kube', 'config');
    if (existsSync(fallback)) files.push(fallback);
  }
  if (files.length === 0) {
    if (options.env.KUBERNETES_SERVICE_HOST) {
      kc.loadFromCluster();
      return 'the in-cluster service account';
    }
    throw new UsageError('no kubeconfig found', {
      hint: 'pass --kubeconfig FILE, set KUBECONFIG, or create ~/.kube/config',
    });
  }
  for (const [i, file] of files.entries()) {
    if (!existsSync(file)) {
      throw new UsageError(`kubeconfig ${file} does not exist`, {
        hint: explicit ? 'check --kubeconfig' : 'check KUBECONFIG',
      });
    }
    try {
      if (i === 0) kc.loadFromFile(file);
      else {
        const more = new (kc.constructor as new () => typeof kc)();
        more.loadFromFile(file);
        kc.mergeConfig(more, true);
      }
    } catch (error) {
      throw new UsageError(`cannot read kubeconfig ${file}: ${(error as Error).message}`, {
        cause: error,
        hint: 'check the file is a valid kubeconfig',
      });
    }
  }
  return files.join(path.delimiter);
}

/**
 * A 409 is retried only when it is an optimistic-concurrency conflict ("the object has been modified"); a conflict
 * with another field manager (causes of type FieldManagerConflict) is an answer, not a transient failure.
 */
function isOptimisticConflict(text: string): boolean {
  try {
    const parsed = JSON.parse(text) as { details?: { causes?: { reason?: string }[] } };
    return !(parsed.details?.causes ?? []).some((c) => c.reason === 'FieldManagerConflict');
  } catch {
    return false;
  }
}

/**
 * A 2xx answer's JSON. Anything else (an HTML login page of a proxy, a body cut off) is the server's fault, said as
 * such: an answer to a watch or a table is never asked for, so every answer kubeplan reads is one JSON document.
 */
function parseAnswer<T>(text: string, status: number, method: string, url: URL): T {
  if (text === '') return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    // The start of a page says what answered; the start of broken JSON could be an object's data, so it is not shown.
    const start = text.replace(/\s+/g, ' ').trim().slice(0, 60);
    const what = /^[[{]/.test(start) ? 'malformed or cut off' : `starting "${start}"`;
    throw new ClusterError(`the answer (${status}) is not JSON: ${what}`, {
      status,
      where: { request: { method, path: url.pathname } },
      cause: error,
      hint: 'check that the kubeconfig server URL is the apiserver itself, not a web page, login portal or proxy in front of it',
    });
  }
}

/** A token given without a kubeconfig was refused: with OIDC the cause is in the cluster's trust setup. */
function refusedCredentials(server: string, source: string): ClusterError {
  return new ClusterError(`${server} refused ${source} (401 Unauthorized)`, {
    status: 401,
    where: { server },
    hint: source.includes('OIDC')
      ? "check the apiserver's AuthenticationConfiguration: its jwt issuer must be the token's issuer, its audiences must include the audience kubeplan asked for, and its claim rules must accept this repository and ref"
      : 'check that the token is current and that the apiserver trusts its issuer',
  });
}

/** A fixed token was refused after its `exp`: no retry helps, only a token that lives longer than the run. */
function expiredCredentials(server: string, source: string | undefined, at: Date): ClusterError {
  return new ClusterError(
    `${server} refused ${source ?? 'the kubeconfig token'} (401 Unauthorized): the token expired at ${at.toISOString()}`,
    {
      status: 401,
      where: { server },
      hint: 'kubeplan cannot renew a token it is given: use a token that lives longer than the run (a canary included), or let kubeplan ask for its own with GitHub OIDC (the oidc-audience input, or auth.oidcAudience for a named cluster), which it renews before each token expires',
    },
  );
}

function statusError(status: number, text: string, method: string, url: URL): ClusterError {
  let message = text.trim() || `HTTP ${status}`;
  let reason: string | undefined;
  let causes: { field?: string; message?: string; reason?: string }[] = [];
  let missing: { name?: string; kind?: string } | undefined;
  try {
    const parsed = JSON.parse(text) as {
      kind?: string;
      message?: string;
      reason?: string;
      details?: { name?: string; kind?: string; causes?: typeof causes };
    };
    if (parsed.kind === 'Status') {
      message = parsed.message ?? message;
      reason = parsed.reason;
      causes = parsed.details?.causes ?? [];
      missing = parsed.details;
    }
  } catch {
    // not JSON: keep the text
  }
  // Writing into a namespace that does not exist is a 404 about the namespace, not about the kind.
  const namespace =
    status === 404 &&
    missing?.kind === 'namespaces' &&
    missing.name &&
    !url.pathname.endsWith(`/namespaces/${missing.name}`)
      ? missing.name
      : undefined;
  return new ClusterError(message, {
    status,
    reason,
    causes,
    where: { request: { method, path: url.pathname } },
    hint: namespace ? missingNamespaceHint(namespace) : hintFor(status),
  });
}

/** An object too large for one apiserver request (checked before sending; 413 is the apiserver's answer). */
export function tooLarge(bytes: number, where?: Where): ClusterError {
  return new ClusterError(
    `the object is ${(bytes / 1024 / 1024).toFixed(1)} MiB as JSON, more than the ${MAX_REQUEST_BYTES / 1024 / 1024} MiB the apiserver accepts in one request`,
    {
      status: 413,
      reason: 'RequestEntityTooLarge',
      where,
      hint: hintFor(413),
    },
  );
}

/** What to do when the namespace an object goes into does not exist (and no target of the run creates it). */
export function missingNamespaceHint(namespace: string): string {
  return `namespace ${namespace} does not exist and no target of this run creates it: add a Namespace ${namespace} to a target (apply runs the targets that create Namespaces first), apply the target that has it in the same run, or create it before applying (a target's namespace: sets the default namespace, it does not create it)`;
}

function hintFor(status: number): string {
  switch (status) {
    case 413:
      return 'make the object smaller: split its data over several objects, or ship large files in the image or a volume (a ConfigMap or Secret holds at most 1 MiB)';
    case 401:
      return 'the credentials were rejected: check the kubeconfig user or token';
    case 403:
      return 'the credentials lack this permission: grant it with a Role/ClusterRole, or use read-only --mode client';
    case 404:
      return 'the resource or its kind does not exist in this cluster (a missing CRD or API?)';
    case 409:
      return 'another field manager owns these fields, or the object changed meanwhile';
    case 422:
      return 'the object is invalid: fix the manifest';
    case 429:
      return 'the apiserver is throttling: lower --concurrency';
    default:
      return status >= 500 ? 'the apiserver failed: check its health and retry' : 'see the server message above';
  }
}
