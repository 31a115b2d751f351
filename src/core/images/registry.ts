import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Limiter } from '../cluster/limiter.js';
import { type ErrorDetails, type ImageWhere, KubeplanError, type Where } from '../errors.js';
import { delayFor, mayRetry, type OnRetry, REGISTRY_POLICY, retriesStatus, sleep } from '../http/retry-policy.js';
import { type HelperAnswer, runCredentialHelper } from './credential-helper.js';
import { readBoundedText } from '../http/bounded-body.js';

/** A registry refused or failed; names the registry and repository and what to do. */
export class RegistryError extends KubeplanError {
  /** The HTTP status the registry (or its token service) answered, when it answered one. */
  readonly status: number | undefined;
  constructor(message: string, details: ErrorDetails & { status?: number | undefined } = {}) {
    super(message, details);
    this.status = details.status;
  }
}

/** The place of an image's repository at its registry: `ghcr.io/acme/web`. */
export function imageWhere(image: Pick<ImageRef, 'registry' | 'repository'>): ImageWhere {
  return { image: `${image.registry}/${image.repository}` };
}

/** What to do about a registry status other than 401/403 (those name the credentials). */
export function registryStatusHint(status: number): string {
  if (status === 404) return 'check the image name';
  if (status === 429) return 'the registry limits requests: retry later, or log in to get a higher limit';
  if (status >= 500) return 'retry later; the registry failed';
  return `the registry refused the request (HTTP ${status}): check the image name and the registry address (kubeplan.yaml registries, --registry-endpoint)`;
}

export interface ImageRef {
  /** The host to talk to (docker.io is registry-1.docker.io). */
  registry: string;
  repository: string;
  tag: string | undefined;
  digest: string | undefined;
}

/** Parses `ghcr.io/acme/shop:2.4.0`, `nginx`, `localhost:5000/x@sha256:…` the way Docker does. */
export function parseImageRef(ref: string): ImageRef {
  let rest = ref.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf('/');
  const first = slash === -1 ? '' : rest.slice(0, slash);
  const hasRegistry = first.includes('.') || first.includes(':') || first === 'localhost';
  let registry = hasRegistry ? first : 'docker.io';
  let repository = hasRegistry ? rest.slice(slash + 1) : rest;
  if (registry === 'docker.io' || registry === 'index.docker.io') {
    registry = 'registry-1.docker.io';
    if (!repository.includes('/')) repository = `library/${repository}`;
  }
  return { registry, repository, tag, digest };
}

function basic(creds: Credentials): string {
  return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
}

export interface Credentials {
  username: string;
  password: string;
}

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** At most this many tag pages per repository: a registry whose `Link` pages never end fails its image, not the run. */
export const MAX_TAG_PAGES = 1000;
/** At most this many tags per repository (over all pages). */
export const MAX_TAGS = 100_000;
/** The largest response body kubeplan reads from a registry or token service (a tag page, a token). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * Token services on another host that kubeplan sends a registry's credentials to without being told: Docker Hub's
 * registry answers with a realm on auth.docker.io, GitLab.com's with one on gitlab.com.
 */
const KNOWN_TOKEN_REALMS: ReadonlyMap<string, string> = new Map([
  ['registry-1.docker.io', 'https://auth.docker.io/token'],
  ['registry.gitlab.com', 'https://gitlab.com/jwt/auth'],
]);

/** OCI distribution-spec grammar of a tag and of a digest. */
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || /^127\./.test(hostname) || hostname === '[::1]';
}

export interface RegistryClientOptions {
  /** Per host kubeplan talks to: the registry's own host, or a mirror endpoint's host (never the upstream's for a mirror). */
  credentials?: ReadonlyMap<string, Credentials>;
  /**
   * kubeplan.yaml `registries`: plain HTTP hosts, other endpoints (mirrors) per host, and a token service on another
   * host that may receive the credentials.
   */
  registries?: readonly {
    host: string;
    insecure: boolean;
    endpoint: string | undefined;
    tokenRealm?: string | undefined;
  }[];
  /** Requests in flight per registry (default 8). */
  concurrency?: number;
  /**
   * Docker credential helpers config.json names per host (`credHelpers`; `*` for `credsStore`), run once per host the
   * first time its registry asks for credentials and `credentials` has none for it.
   */
  helpers?: ReadonlyMap<string, string>;
  /** The Docker config file the helpers come from, for messages. */
  dockerConfigFile?: string | undefined;
  /** The environment the helpers run with (PATH, the cloud credentials ECR's and GCR's read); process.env by default. */
  helperEnv?: NodeJS.ProcessEnv | undefined;
  /** How long a helper may take (30 s by default). */
  helperTimeoutMs?: number | undefined;
  /** Told every secret a helper gives, the moment it is read, so that nothing kubeplan writes carries it. */
  onSecret?: ((value: string) => void) | undefined;
  /** The fetch every request goes through (proxyFetch(env) honours HTTPS_PROXY/NO_PROXY); the global one by default. */
  fetch?: typeof fetch;
  /** Told before each retry (the CLI prints a line on stderr); retries are silent without it. */
  onRetry?: OnRetry | undefined;
}

/**
 * The one place that talks to OCI registries (distribution API): anonymous, Basic, and the Bearer challenge (realm,
 * service, scope) with tokens reused while valid; HTTPS except on loopback and hosts marked insecure; retries on 429
 * and 5xx honouring Retry-After; tag lists followed through their same-origin `Link` pages and cached for the run; at
 * most `concurrency` requests in flight per registry. Once a registry has challenged, the token for a new repository
 * is fetched before its first request, so an image costs 1 token + its tag pages (+1 HEAD).
 *
 * What a registry answers is checked before it is used: tag pages are bounded (MAX_TAG_PAGES, MAX_TAGS,
 * MAX_BODY_BYTES, a `Link` back to a page already read), bodies must be the JSON shape the API documents, and tags and
 * digests must follow the OCI grammar; anything else is a RegistryError naming the image. Credentials go only to the
 * host they were given for (a mirror endpoint gets its own host's credentials, never the upstream's), and to a token
 * realm only on that same host (not downgraded to plain HTTP) or one kubeplan.yaml names (`tokenRealm`).
 */
export class RegistryClient {
  private readonly tokens = new Map<string, { token: string; expires: number }>();
  private readonly challenges = new Map<string, string>();
  private readonly tagCache = new Map<string, Promise<string[]>>();
  private readonly limiters = new Map<string, Limiter>();
  private readonly credentials: ReadonlyMap<string, Credentials>;
  private readonly registries: NonNullable<RegistryClientOptions['registries']>;
  private readonly concurrency: number;
  private readonly helpers: ReadonlyMap<string, string>;
  private readonly helperOptions: Pick<
    RegistryClientOptions,
    'dockerConfigFile' | 'helperEnv' | 'helperTimeoutMs' | 'onSecret'
  >;
  /** What each credential helper answered, per host kubeplan talks to (asked once per run). */
  private readonly helperAnswers = new Map<string, Promise<HelperAnswer>>();
  private readonly fromHelpers = new Map<string, Credentials>();
  private readonly fetch: typeof fetch;
  private readonly onRetry: OnRetry | undefined;
  /** Token realms on another host that asked for credentials kubeplan kept (per registry), for the hint. */
  private readonly withheld = new Map<string, string>();
  /** Requests made, in total and per `registry/repository` (token requests included). */
  readonly stats = { requests: 0, byImage: new Map<string, number>() };

  constructor(options: RegistryClientOptions | ReadonlyMap<string, Credentials> = {}) {
    const o: RegistryClientOptions =
      options instanceof Map ? { credentials: options } : (options as RegistryClientOptions);
    this.credentials = o.credentials ?? new Map();
    this.registries = o.registries ?? [];
    this.concurrency = o.concurrency ?? 8;
    this.helpers = o.helpers ?? new Map();
    this.helperOptions = {
      dockerConfigFile: o.dockerConfigFile,
      helperEnv: o.helperEnv,
      helperTimeoutMs: o.helperTimeoutMs,
      onSecret: o.onSecret,
    };
    this.fetch = o.fetch ?? ((input, init) => fetch(input, init));
    this.onRetry = o.onRetry;
  }

  /** What to do when a registry wants credentials kubeplan does not have (or would not send). */
  private credentialsHint(registry: string): string {
    const realm = this.withheld.get(registry);
    if (realm) {
      return `the registry sends clients to the token service ${realm}, on another host; kubeplan gives it the credentials of ${this.host(registry)} only when kubeplan.yaml names it (registries: - host: ${registry}, tokenRealm: ${realm})`;
    }
    const host = this.host(registry);
    if (host !== registry && !this.credentials.has(host)) {
      return `${registry} is reached through the endpoint ${host}, which gets only credentials given for ${host} itself (a docker config.json auths entry or the registry-auth input for ${host}); the credentials of ${registry} are not sent to a mirror`;
    }
    const helper = this.credentials.has(host) ? undefined : this.helperFor(host);
    if (helper && this.fromHelpers.has(host)) {
      return `check the credentials docker-credential-${helper} gives for ${host} (they may have expired or lack pull access): log in again, or give the credentials in registry-auth`;
    }
    return helper
      ? `docker-credential-${helper} has no credentials for ${host}: log in to it (docker login ${host}, docker/login-action), or give the credentials in registry-auth`
      : `give kubeplan credentials for ${host} (a docker config.json auths entry or credential helper, or the registry-auth input)`;
  }

  /** Requests made for one image so far. */
  requestsFor(image: Pick<ImageRef, 'registry' | 'repository'>): number {
    return this.stats.byImage.get(`${image.registry}/${image.repository}`) ?? 0;
  }

  /** Every tag of a repository (asked once per run). */
  listTags(image: Pick<ImageRef, 'registry' | 'repository'>, pageSize = 1000): Promise<string[]> {
    const key = `${image.registry}/${image.repository} ${pageSize}`;
    let cached = this.tagCache.get(key);
    if (!cached) {
      cached = this.unexpectedAsRegistryError(image, this.fetchTags(image, pageSize));
      cached.catch(() => this.tagCache.delete(key));
      this.tagCache.set(key, cached);
    }
    return cached;
  }

  private async fetchTags(image: Pick<ImageRef, 'registry' | 'repository'>, pageSize: number): Promise<string[]> {
    const tags: string[] = [];
    const where = imageWhere(image);
    const origin = new URL(this.base(image.registry)).origin;
    const fetched = new Set<string>();
    let next = new URL(`${origin}/v2/${image.repository}/tags/list?n=${pageSize}`);
    for (;;) {
      fetched.add(next.href);
      const res = await this.request(image, 'GET', next.href, 'application/json');
      const body = await readJson(res, `the tag list page ${next.pathname}${next.search}`, where);
      const listed = (body as { tags?: unknown } | null)?.tags;
      if (
        body === null ||
        typeof body !== 'object' ||
        Array.isArray(body) ||
        !(listed === undefined || listed === null || Array.isArray(listed))
      ) {
        throw new RegistryError(
          `the tag list page ${next.pathname}${next.search} is not a tag list (JSON without a "tags" array)`,
          { where, hint: notRegistryHint },
        );
      }
      // One by one: a page of millions of tags must not become millions of arguments (push(...page) overflows the stack).
      for (const tag of (listed ?? []) as unknown[]) {
        if (typeof tag !== 'string' || !TAG.test(tag)) {
          throw new RegistryError(`the tag list names ${JSON.stringify(tag).slice(0, 80)}, which is not a tag`, {
            where,
            hint: notRegistryHint,
          });
        }
        if (tags.length === MAX_TAGS) {
          throw new RegistryError(
            `the registry lists more than ${MAX_TAGS.toLocaleString('en')} tags for ${image.repository}; kubeplan stopped reading`,
            {
              where,
              hint: 'delete old tags from the repository, or set skip: true for this image in kubeplan.yaml',
            },
          );
        }
        tags.push(tag);
      }
      const link = res.headers.get('link');
      const target = link ? /<([^>]+)>;\s*rel="next"/.exec(link)?.[1] : undefined;
      if (!target) break;
      let url: URL;
      try {
        url = new URL(target, `${origin}/`);
      } catch {
        throw new RegistryError(`the tag list links to "${target.slice(0, 200)}", which is not a URL`, {
          where,
          hint: notRegistryHint,
        });
      }
      if (url.origin !== origin) {
        throw new RegistryError(`the tag list links to another origin (${url.origin})`, {
          where,
          hint: 'kubeplan follows tag pages on the same registry only; check the registry',
        });
      }
      if (fetched.has(url.href)) {
        throw new RegistryError(
          `the tag list links back to a page it already gave (${url.pathname}${url.search}) after ${fetched.size} page(s); kubeplan stopped reading`,
          {
            where,
            hint: "the registry's tag pagination loops: report it to the registry's operator, or set skip: true for this image in kubeplan.yaml",
          },
        );
      }
      if (fetched.size === MAX_TAG_PAGES) {
        throw new RegistryError(`the tag list has more than ${MAX_TAG_PAGES} pages; kubeplan stopped reading`, {
          where,
          hint: "delete old tags from the repository, or check the registry's pagination; set skip: true for this image in kubeplan.yaml to leave it out",
        });
      }
      next = url;
    }
    return tags;
  }

  /** The digest a tag points at (one HEAD request), or undefined when the tag does not exist. */
  digestOf(image: Pick<ImageRef, 'registry' | 'repository'>, tag: string): Promise<string | undefined> {
    return this.unexpectedAsRegistryError(
      image,
      (async () => {
        const res = await this.request(
          image,
          'HEAD',
          `/v2/${image.repository}/manifests/${encodeURIComponent(tag)}`,
          MANIFEST_TYPES,
          [404],
        );
        if (res.status === 404) return undefined;
        const digest = res.headers.get('docker-content-digest') ?? undefined;
        if (digest !== undefined && !DIGEST.test(digest)) {
          throw new RegistryError(
            `the manifest of ${tag} answered the digest ${JSON.stringify(digest.slice(0, 100))}, which is not a digest`,
            { where: imageWhere(image), hint: notRegistryHint },
          );
        }
        return digest;
      })(),
    );
  }

  /**
   * What an image version says about itself: the `created` time and the labels of its image config (a manifest and
   * the config blob; for an index, the linux/amd64 manifest or else the first), over the annotations of the index and
   * the manifest. Undefined when the registry or the image does not say.
   */
  imageConfig(
    image: Pick<ImageRef, 'registry' | 'repository'>,
    reference: string,
  ): Promise<{ created: Date | undefined; labels: Record<string, string> } | undefined> {
    return this.unexpectedAsRegistryError(
      image,
      (async () => {
        const where = imageWhere(image);
        const manifestOf = async (ref: string) => {
          const res = await this.request(
            image,
            'GET',
            `/v2/${image.repository}/manifests/${encodeURIComponent(ref)}`,
            MANIFEST_TYPES,
          );
          return (await readJson(res, `the manifest of ${ref}`, where)) as {
            manifests?: { digest?: unknown; platform?: { os?: unknown; architecture?: unknown } }[];
            config?: { digest?: unknown };
            annotations?: unknown;
          } | null;
        };
        const labels: Record<string, string> = {};
        const take = (from: unknown) => {
          if (typeof from !== 'object' || from === null || Array.isArray(from)) return;
          for (const [k, v] of Object.entries(from)) if (typeof v === 'string') labels[k] = v;
        };
        let manifest = await manifestOf(reference);
        take(manifest?.annotations);
        if (Array.isArray(manifest?.manifests)) {
          const chosen =
            manifest.manifests.find((m) => m.platform?.os === 'linux' && m.platform?.architecture === 'amd64') ??
            manifest.manifests[0];
          if (typeof chosen?.digest !== 'string' || !DIGEST.test(chosen.digest)) return undefined;
          manifest = await manifestOf(chosen.digest);
          take(manifest?.annotations);
        }
        const config = manifest?.config?.digest;
        if (typeof config !== 'string' || !DIGEST.test(config)) return undefined;
        const res = await this.request(image, 'GET', `/v2/${image.repository}/blobs/${config}`, '*/*');
        const blob = (await readJson(res, `the image config ${config}`, where)) as {
          created?: unknown;
          config?: { Labels?: unknown } | null;
        } | null;
        take(blob?.config?.Labels);
        const at = typeof blob?.created === 'string' ? new Date(blob.created) : undefined;
        return { created: at && !Number.isNaN(at.getTime()) ? at : undefined, labels };
      })(),
    );
  }

  /**
   * Whatever a server makes go wrong below (a body cut off, a header fetch refuses) is that image's RegistryError, so
   * it fails the image and not the run.
   */
  private async unexpectedAsRegistryError<T>(
    image: Pick<ImageRef, 'registry' | 'repository'>,
    work: Promise<T>,
  ): Promise<T> {
    try {
      return await work;
    } catch (error) {
      if (error instanceof RegistryError) throw error;
      throw new RegistryError(`the registry's answer cannot be read: ${(error as Error).message}`, {
        where: imageWhere(image),
        hint: notRegistryHint,
        cause: error,
      });
    }
  }

  private configured(registry: string) {
    return this.registries.find(
      (r) => r.host === registry || (registry === 'registry-1.docker.io' && r.host === 'docker.io'),
    );
  }

  private base(registry: string): string {
    const configured = this.configured(registry);
    if (configured?.endpoint) return configured.endpoint;
    const host = registry.replace(/:\d+$/, '');
    return `${isLoopback(host) || configured?.insecure ? 'http' : 'https'}://${registry}`;
  }

  /** The host kubeplan talks to for a registry: its own, or its mirror endpoint's. Credentials are looked up by it. */
  private host(registry: string): string {
    return this.configured(registry)?.endpoint ? new URL(this.base(registry)).host : registry;
  }

  private credentialsFor(registry: string): Credentials | undefined {
    const host = this.host(registry);
    return this.credentials.get(host) ?? this.fromHelpers.get(host);
  }

  /** The credential helper config.json names for a host: its own (credHelpers), else the store for all (credsStore). */
  private helperFor(host: string): string | undefined {
    return this.helpers.get(host) ?? this.helpers.get('*');
  }

  /**
   * Runs the host's credential helper when it has one and no credentials were given: once per host and run, however
   * many images ask. A helper that fails fails every image of the host, each with its own name.
   */
  private async loadHelperCredentials(registry: string, where: Where): Promise<void> {
    const host = this.host(registry);
    const helper = this.credentials.has(host) ? undefined : this.helperFor(host);
    if (!helper) return;
    let answer = this.helperAnswers.get(host);
    if (!answer) {
      answer = runCredentialHelper(helper, host, {
        env: this.helperOptions.helperEnv ?? process.env,
        source: this.helpers.has(host) ? 'credHelpers' : 'credsStore',
        configFile: this.helperOptions.dockerConfigFile ?? "Docker's config.json",
        timeoutMs: this.helperOptions.helperTimeoutMs,
      }).then((a) => {
        if (a.kind === 'credentials') {
          this.helperOptions.onSecret?.(a.password);
          this.fromHelpers.set(host, { username: a.username, password: a.password });
        }
        return a;
      });
      this.helperAnswers.set(host, answer);
    }
    const a = await answer;
    if (a.kind === 'failed') throw new RegistryError(a.message, { where, hint: a.hint });
  }

  /**
   * Whether a token realm may receive the registry's credentials: on the host kubeplan talks to (any port) and not
   * over plain HTTP unless that host is spoken to over plain HTTP anyway (loopback, insecure), or the realm
   * kubeplan.yaml names for the registry, or Docker Hub's and GitLab.com's own.
   */
  private trustsRealm(registry: string, realm: URL): boolean {
    const base = new URL(this.base(registry));
    const named =
      this.configured(registry)?.tokenRealm ??
      (this.configured(registry)?.endpoint ? undefined : KNOWN_TOKEN_REALMS.get(registry));
    if (named) {
      const n = new URL(named);
      if (n.origin === realm.origin && n.pathname === realm.pathname) return true;
    }
    if (realm.hostname !== base.hostname) return false;
    return realm.protocol === 'https:' || (realm.protocol === 'http:' && base.protocol === 'http:');
  }

  private readonly pings = new Map<string, Promise<void>>();

  /**
   * `GET /v2/` once per registry, as Docker does: learns whether and how the registry wants authentication before
   * images are asked for in parallel (so they do not all pay for a 401 first). Counted as the registry's, not an
   * image's.
   */
  private ping(registry: string): Promise<void> {
    let done = this.pings.get(registry);
    if (!done) {
      done = (async () => {
        this.stats.requests++;
        try {
          const res = await this.fetch(`${this.base(registry)}/v2/`, { headers: { 'user-agent': 'kubeplan' } });
          await res.body?.cancel();
          const challenge = res.headers.get('www-authenticate');
          if (res.status === 401 && challenge) this.challenges.set(registry, challenge);
        } catch {
          // The image requests report the failure with their own names.
        }
      })();
      this.pings.set(registry, done);
    }
    return done;
  }

  private count(image: Pick<ImageRef, 'registry' | 'repository'>): void {
    const key = `${image.registry}/${image.repository}`;
    this.stats.requests++;
    this.stats.byImage.set(key, (this.stats.byImage.get(key) ?? 0) + 1);
  }

  private request(
    image: Pick<ImageRef, 'registry' | 'repository'>,
    method: string,
    pathOrUrl: string,
    accept: string,
    okStatuses: number[] = [],
  ): Promise<Response> {
    let limiter = this.limiters.get(image.registry);
    if (!limiter) this.limiters.set(image.registry, (limiter = new Limiter(this.concurrency)));
    return limiter.run(() => this.send(image, method, pathOrUrl, accept, okStatuses));
  }

  private async send(
    image: Pick<ImageRef, 'registry' | 'repository'>,
    method: string,
    pathOrUrl: string,
    accept: string,
    okStatuses: number[],
  ): Promise<Response> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.base(image.registry)}${pathOrUrl}`;
    const scope = `repository:${image.repository}:pull`;
    const where = imageWhere(image);
    let challenged = false;
    await this.ping(image.registry);
    const known = this.challenges.get(image.registry);
    if (known && !this.authorization(image.registry, scope)) {
      await this.answerChallenge(known, image, scope, where);
    }
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = { accept, 'user-agent': 'kubeplan' };
      const auth = this.authorization(image.registry, scope);
      if (auth) headers.authorization = auth;
      let res: Response;
      try {
        this.count(image);
        res = await this.fetch(url, { method, headers });
      } catch (error) {
        if (mayRetry(REGISTRY_POLICY, attempt, 'network')) {
          const delayMs = REGISTRY_POLICY.networkBackoff ? delayFor(REGISTRY_POLICY, attempt) : 0;
          this.tellRetry(method, url, attempt, REGISTRY_POLICY.networkAttempts, delayMs, networkReason(error));
          if (delayMs > 0) await sleep(delayMs);
          continue;
        }
        throw new RegistryError(`cannot reach the registry at ${new URL(url).host} (${networkReason(error)})`, {
          where,
          cause: error,
          hint: 'check the registry address (kubeplan.yaml registries, --registry-endpoint), DNS and network access from this runner, and HTTPS_PROXY/NO_PROXY',
        });
      }
      if (res.ok || okStatuses.includes(res.status)) return res;
      if (res.status === 401 && !challenged) {
        challenged = true;
        await res.body?.cancel();
        const challenge = res.headers.get('www-authenticate') ?? '';
        this.challenges.set(image.registry, challenge);
        await this.answerChallenge(challenge, image, scope, where);
        continue;
      }
      if (retriesStatus(REGISTRY_POLICY, res.status) && mayRetry(REGISTRY_POLICY, attempt, 'status')) {
        await res.body?.cancel();
        const delayMs = delayFor(REGISTRY_POLICY, attempt, res.headers.get('retry-after'));
        this.tellRetry(method, url, attempt, REGISTRY_POLICY.attempts, delayMs, String(res.status));
        await sleep(delayMs);
        continue;
      }
      const text = await readText(res, `the answer to ${method} ${new URL(url).pathname}`, where).catch(() => '');
      throw new RegistryError(
        `${method} ${new URL(url).pathname} answered ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`,
        {
          where,
          status: res.status,
          hint:
            res.status === 401 || res.status === 403
              ? this.credentialsHint(image.registry)
              : registryStatusHint(res.status),
        },
      );
    }
  }

  private tellRetry(method: string, url: string, attempt: number, attempts: number, delayMs: number, reason: string) {
    const u = new URL(url);
    this.onRetry?.({
      policy: REGISTRY_POLICY.name,
      method,
      path: `${u.host}${u.pathname}`,
      attempt: attempt + 1,
      attempts,
      delayMs,
      reason,
    });
  }

  private authorization(registry: string, scope: string): string | undefined {
    const token = this.tokens.get(`${registry} ${scope}`);
    if (token && token.expires > Date.now()) return `Bearer ${token.token}`;
    const creds = this.credentialsFor(registry);
    if (creds && this.basicOnly.has(registry)) return basic(creds);
    return undefined;
  }

  private readonly basicOnly = new Set<string>();

  private async answerChallenge(
    challenge: string,
    image: Pick<ImageRef, 'registry' | 'repository'>,
    scope: string,
    where: Where,
  ): Promise<void> {
    const registry = image.registry;
    const scheme = challenge.split(' ')[0]?.toLowerCase();
    await this.loadHelperCredentials(registry, where);
    const creds = this.credentialsFor(registry);
    if (scheme === 'basic') {
      if (!creds)
        throw new RegistryError('the registry wants a user and password', {
          where,
          hint: this.credentialsHint(registry),
        });
      this.basicOnly.add(registry);
      return;
    }
    if (scheme !== 'bearer')
      throw new RegistryError(`unsupported authentication challenge "${challenge.slice(0, 200)}"`, {
        where,
        hint: 'use a registry that speaks Basic or Bearer tokens',
      });
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (!params.realm)
      throw new RegistryError('the Bearer challenge has no realm', { where, hint: 'check the registry configuration' });
    let realm: URL;
    try {
      realm = new URL(params.realm);
    } catch {
      realm = new URL('invalid:');
    }
    if (realm.protocol !== 'https:' && realm.protocol !== 'http:') {
      throw new RegistryError(`the Bearer challenge's realm "${params.realm.slice(0, 200)}" is not an http(s) URL`, {
        where,
        hint: 'check the registry configuration',
      });
    }
    if (params.service) realm.searchParams.set('service', params.service);
    // The challenge's scope names the repository that was asked first; a token for another one asks for its own.
    realm.searchParams.set('scope', scope);
    const send = creds !== undefined && this.trustsRealm(registry, realm);
    if (creds && !send) this.withheld.set(registry, `${realm.origin}${realm.pathname}`);
    this.count(image);
    let res: Response;
    try {
      res = await this.fetch(realm, { headers: send ? { authorization: basic(creds) } : {} });
    } catch (error) {
      throw new RegistryError(`cannot reach the token service ${realm.origin} (${networkReason(error)})`, {
        where,
        cause: error,
        hint: 'check the network access to the token service',
      });
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new RegistryError(`the token service ${realm.origin} answered ${res.status}`, {
        where,
        status: res.status,
        hint:
          res.status === 401 || res.status === 403
            ? send
              ? 'check the credentials'
              : this.credentialsHint(registry)
            : registryStatusHint(res.status),
      });
    }
    const body = (await readJson(res, `the token service ${realm.origin}`, where)) as {
      token?: unknown;
      access_token?: unknown;
      expires_in?: unknown;
    } | null;
    const token = body?.token ?? body?.access_token;
    if (typeof token !== 'string' || !/^[\x21-\x7e]+$/.test(token)) {
      throw new RegistryError(`the token service ${realm.origin} returned no token`, {
        where,
        hint: 'check the registry configuration',
      });
    }
    const expiresIn = typeof body?.expires_in === 'number' && Number.isFinite(body.expires_in) ? body.expires_in : 60;
    this.tokens.set(`${registry} ${scope}`, { token, expires: Date.now() + Math.max(30, expiresIn - 10) * 1000 });
  }
}

const notRegistryHint =
  'check that the registry address (or its endpoint in kubeplan.yaml / --registry-endpoint) is an OCI registry API, not a web page, proxy or login portal';

/** A response body as text, read up to MAX_BODY_BYTES (a larger one is an error, not an out-of-memory). */
function readText(res: Response, what: string, where: Where): Promise<string> {
  return readBoundedText(
    res,
    MAX_BODY_BYTES,
    () =>
      new RegistryError(`${what} is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB; kubeplan stopped reading`, {
        where,
        hint: 'a registry answers far less; check the registry, or set skip: true for this image in kubeplan.yaml',
      }),
  );
}

/** A response body as JSON; an HTML page or broken JSON is an error naming what was asked and what came back. */
async function readJson(res: Response, what: string, where: Where): Promise<unknown> {
  const text = await readText(res, what, where);
  try {
    return JSON.parse(text);
  } catch (error) {
    const type = res.headers.get('content-type')?.split(';')[0] ?? 'no content type';
    const start = text.replace(/\s+/g, ' ').trim().slice(0, 60);
    throw new RegistryError(`${what} is not JSON (${type}${start ? `, starting "${start}"` : ', empty'})`, {
      where,
      cause: error,
      hint: notRegistryHint,
    });
  }
}

/**
 * What Docker's config.json (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`) says about registries: the
 * `auths` entries written by `docker login` and docker/login-action, and the credential helpers it names
 * (`credHelpers` per host, `credsStore` as `*`), which the RegistryClient runs when a registry asks. A host's own
 * helper wins over its `auths` entry (as in Docker); an `auths` entry that holds credentials wins over `credsStore`
 * (Docker's store holds them then; kubeplan uses what is written rather than run a store for it). Read once per run.
 */
export function dockerConfig(env: NodeJS.ProcessEnv = process.env): {
  credentials: Map<string, Credentials>;
  helpers: Map<string, string>;
  /** The config file read (whether or not it exists), for messages. */
  file: string | undefined;
} {
  const dir = env.DOCKER_CONFIG ?? (env.HOME ? path.join(env.HOME, '.docker') : undefined);
  const credentials = new Map<string, Credentials>();
  const helpers = new Map<string, string>();
  const file = dir ? path.join(dir, 'config.json') : undefined;
  if (!dir) return { credentials, helpers, file };
  let config: {
    auths?: Record<string, { auth?: string; username?: string; password?: string }>;
    credsStore?: string;
    credHelpers?: Record<string, string>;
  };
  try {
    config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { credentials, helpers, file };
    throw new RegistryError(`cannot read ${path.join(dir, 'config.json')}: ${(error as Error).message}`, {
      cause: error,
      hint: 'fix or remove the Docker config file',
    });
  }
  const hostOf = (key: string) => {
    const host = key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    return host === 'index.docker.io' || host === 'docker.io' ? 'registry-1.docker.io' : host;
  };
  for (const [key, entry] of Object.entries(config.auths ?? {})) {
    let username = entry.username;
    let password = entry.password;
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon !== -1) {
        username = decoded.slice(0, colon);
        password = decoded.slice(colon + 1);
      }
    }
    if (username !== undefined && password !== undefined) credentials.set(hostOf(key), { username, password });
  }
  if (typeof config.credsStore === 'string' && config.credsStore) helpers.set('*', config.credsStore);
  for (const [key, helper] of Object.entries(config.credHelpers ?? {})) {
    if (typeof helper !== 'string' || !helper) continue;
    helpers.set(hostOf(key), helper);
    credentials.delete(hostOf(key));
  }
  return { credentials, helpers, file };
}

/**
 * Why a request never got an answer, in the system's words: fetch says only "fetch failed" and keeps the reason
 * (ECONNREFUSED, ENOTFOUND, a certificate error) in its cause.
 */
export function networkReason(error: unknown): string {
  let cause: unknown = error;
  for (let depth = 0; depth < 5 && cause instanceof Error; depth++) {
    const { code, hostname } = cause as NodeJS.ErrnoException & { hostname?: string };
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
      return `${code}: the name ${hostname ?? ''} does not resolve`.replace('  ', ' ');
    if (code === 'ECONNREFUSED') return 'ECONNREFUSED: nothing listens there';
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET' && cause !== error) return `${code}: ${cause.message}`;
    if (!(cause as { cause?: unknown }).cause) return cause.message;
    cause = (cause as { cause?: unknown }).cause;
  }
  return error instanceof Error ? error.message : String(error);
}
