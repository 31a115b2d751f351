import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Limiter } from '../cluster/limiter.js';
import { KubeplanError } from '../errors.js';

/** A registry refused or failed; names the registry and repository and what to do. */
export class RegistryError extends KubeplanError {}

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

export interface RegistryClientOptions {
  credentials?: ReadonlyMap<string, Credentials>;
  /** kubeplan.yaml `registries`: plain HTTP hosts and other endpoints (mirrors) per host. */
  registries?: readonly { host: string; insecure: boolean; endpoint: string | undefined }[];
  /** Requests in flight per registry (default 8). */
  concurrency?: number;
  /** Docker credential helpers config.json names per host (`*` for credsStore): kubeplan does not run them. */
  helpers?: ReadonlyMap<string, string>;
}

/**
 * The one place that talks to OCI registries (distribution API): anonymous, Basic, and the Bearer challenge (realm,
 * service, scope) with tokens reused while valid; HTTPS except on loopback and hosts marked insecure; retries on 429
 * and 5xx honouring Retry-After; tag lists followed through their same-origin `Link` pages and cached for the run; at
 * most `concurrency` requests in flight per registry. Once a registry has challenged, the token for a new repository
 * is fetched before its first request, so an image costs 1 token + its tag pages (+1 HEAD).
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
  /** Requests made, in total and per `registry/repository` (token requests included). */
  readonly stats = { requests: 0, byImage: new Map<string, number>() };

  constructor(options: RegistryClientOptions | ReadonlyMap<string, Credentials> = {}) {
    const o: RegistryClientOptions = options instanceof Map ? { credentials: options } : (options as RegistryClientOptions);
    this.credentials = o.credentials ?? new Map();
    this.registries = o.registries ?? [];
    this.concurrency = o.concurrency ?? 8;
    this.helpers = o.helpers ?? new Map();
  }

  /** What to do when a registry wants credentials kubeplan does not have. */
  private credentialsHint(registry: string): string {
    const helper = this.credentials.has(registry) ? undefined : (this.helpers.get(registry) ?? this.helpers.get('*'));
    return helper
      ? `Docker's config.json leaves ${registry} to docker-credential-${helper}, which kubeplan does not run: give the credentials in registry-auth, or log in with a config that stores them (DOCKER_CONFIG pointing at one without credsStore)`
      : `give kubeplan credentials for ${registry} (a docker config.json auths entry or the registry-auth input)`;
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
      cached = this.fetchTags(image, pageSize);
      cached.catch(() => this.tagCache.delete(key));
      this.tagCache.set(key, cached);
    }
    return cached;
  }

  private async fetchTags(image: Pick<ImageRef, 'registry' | 'repository'>, pageSize: number): Promise<string[]> {
    const tags: string[] = [];
    const origin = new URL(this.base(image.registry)).origin;
    let next: string | undefined = `/v2/${image.repository}/tags/list?n=${pageSize}`;
    while (next) {
      const res = await this.request(image, 'GET', next, 'application/json');
      const body = (await res.json()) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      const link = res.headers.get('link');
      const target = link ? /<([^>]+)>;\s*rel="next"/.exec(link)?.[1] : undefined;
      if (!target) break;
      const url = new URL(target, `${origin}/`);
      if (url.origin !== origin) {
        throw new RegistryError(`the tag list links to another origin (${url.origin})`, { where: `${image.registry}/${image.repository}`, hint: 'kubeplan follows tag pages on the same registry only; check the registry' });
      }
      next = url.href;
    }
    return tags;
  }

  /** The digest a tag points at (one HEAD request), or undefined when the tag does not exist. */
  async digestOf(image: Pick<ImageRef, 'registry' | 'repository'>, tag: string): Promise<string | undefined> {
    const res = await this.request(image, 'HEAD', `/v2/${image.repository}/manifests/${encodeURIComponent(tag)}`, MANIFEST_TYPES, [404]);
    if (res.status === 404) return undefined;
    return res.headers.get('docker-content-digest') ?? undefined;
  }

  private base(registry: string): string {
    const configured = this.registries.find((r) => r.host === registry || (registry === 'registry-1.docker.io' && r.host === 'docker.io'));
    if (configured?.endpoint) return configured.endpoint;
    const host = registry.replace(/:\d+$/, '');
    const loopback = host === 'localhost' || /^127\./.test(host) || host === '[::1]';
    return `${loopback || configured?.insecure ? 'http' : 'https'}://${registry}`;
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
          const res = await fetch(`${this.base(registry)}/v2/`, { headers: { 'user-agent': 'kubeplan' } });
          await res.arrayBuffer();
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

  private request(image: Pick<ImageRef, 'registry' | 'repository'>, method: string, pathOrUrl: string, accept: string, okStatuses: number[] = []): Promise<Response> {
    let limiter = this.limiters.get(image.registry);
    if (!limiter) this.limiters.set(image.registry, (limiter = new Limiter(this.concurrency)));
    return limiter.run(() => this.send(image, method, pathOrUrl, accept, okStatuses));
  }

  private async send(image: Pick<ImageRef, 'registry' | 'repository'>, method: string, pathOrUrl: string, accept: string, okStatuses: number[]): Promise<Response> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.base(image.registry)}${pathOrUrl}`;
    const scope = `repository:${image.repository}:pull`;
    const where = `${image.registry}/${image.repository}`;
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
        res = await fetch(url, { method, headers });
      } catch (error) {
        if (attempt < 3) continue;
        throw new RegistryError(`cannot reach the registry: ${(error as Error).message}`, { where, hint: 'check the registry address and network access' });
      }
      if (res.ok || okStatuses.includes(res.status)) return res;
      if (res.status === 401 && !challenged) {
        challenged = true;
        await res.arrayBuffer();
        const challenge = res.headers.get('www-authenticate') ?? '';
        this.challenges.set(image.registry, challenge);
        await this.answerChallenge(challenge, image, scope, where);
        continue;
      }
      if ((res.status === 429 || res.status >= 500) && attempt < 5) {
        const after = Number(res.headers.get('retry-after'));
        await res.arrayBuffer();
        await new Promise((r) => setTimeout(r, Number.isFinite(after) && after > 0 ? Math.min(after, 30) * 1000 : 250 * 2 ** attempt));
        continue;
      }
      const text = await res.text();
      throw new RegistryError(`${method} ${new URL(url).pathname} answered ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`, {
        where,
        hint:
          res.status === 401 || res.status === 403
            ? this.credentialsHint(image.registry)
            : res.status === 404
              ? 'check the image name'
              : 'retry later; the registry failed',
      });
    }
  }

  private authorization(registry: string, scope: string): string | undefined {
    const token = this.tokens.get(`${registry} ${scope}`);
    if (token && token.expires > Date.now()) return `Bearer ${token.token}`;
    const creds = this.credentials.get(registry);
    if (creds && this.basicOnly.has(registry)) return basic(creds);
    return undefined;
  }

  private readonly basicOnly = new Set<string>();

  private async answerChallenge(challenge: string, image: Pick<ImageRef, 'registry' | 'repository'>, scope: string, where: string): Promise<void> {
    const registry = image.registry;
    const scheme = challenge.split(' ')[0]?.toLowerCase();
    const creds = this.credentials.get(registry);
    if (scheme === 'basic') {
      if (!creds) throw new RegistryError('the registry wants a user and password', { where, hint: this.credentialsHint(registry) });
      this.basicOnly.add(registry);
      return;
    }
    if (scheme !== 'bearer') throw new RegistryError(`unsupported authentication challenge "${challenge}"`, { where, hint: 'use a registry that speaks Basic or Bearer tokens' });
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (!params.realm) throw new RegistryError('the Bearer challenge has no realm', { where, hint: 'check the registry configuration' });
    const realm = new URL(params.realm);
    if (params.service) realm.searchParams.set('service', params.service);
    // The challenge's scope names the repository that was asked first; a token for another one asks for its own.
    realm.searchParams.set('scope', scope);
    this.count(image);
    let res: Response;
    try {
      res = await fetch(realm, { headers: creds ? { authorization: basic(creds) } : {} });
    } catch (error) {
      throw new RegistryError(`cannot reach the token service ${realm.origin}: ${(error as Error).message}`, { where, hint: 'check the network access to the token service' });
    }
    if (!res.ok) {
      throw new RegistryError(`the token service ${realm.origin} answered ${res.status}`, { where, hint: creds ? 'check the credentials' : this.credentialsHint(registry) });
    }
    const body = (await res.json()) as { token?: string; access_token?: string; expires_in?: number };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError('the token service returned no token', { where, hint: 'check the registry configuration' });
    this.tokens.set(`${registry} ${scope}`, { token, expires: Date.now() + Math.max(30, (body.expires_in ?? 60) - 10) * 1000 });
  }
}

/**
 * What Docker's config.json (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`) says about registries: the
 * `auths` entries written by `docker login` and docker/login-action, and the credential helpers it names
 * (`credHelpers` per host, `credsStore` as `*`), which kubeplan does not run. Read once per run.
 */
export function dockerConfig(env: NodeJS.ProcessEnv = process.env): { credentials: Map<string, Credentials>; helpers: Map<string, string> } {
  const dir = env.DOCKER_CONFIG ?? (env.HOME ? path.join(env.HOME, '.docker') : undefined);
  const credentials = new Map<string, Credentials>();
  const helpers = new Map<string, string>();
  if (!dir) return { credentials, helpers };
  let config: {
    auths?: Record<string, { auth?: string; username?: string; password?: string }>;
    credsStore?: string;
    credHelpers?: Record<string, string>;
  };
  try {
    config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { credentials, helpers };
    throw new RegistryError(`cannot read ${path.join(dir, 'config.json')}: ${(error as Error).message}`, { hint: 'fix or remove the Docker config file' });
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
  if (config.credsStore) helpers.set('*', config.credsStore);
  for (const [key, helper] of Object.entries(config.credHelpers ?? {})) helpers.set(hostOf(key), helper);
  return { credentials, helpers };
}
