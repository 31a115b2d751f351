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

/**
 * The one place that talks to OCI registries (distribution API): anonymous, Basic, and the Bearer challenge (realm,
 * service, scope) with tokens reused while valid; HTTPS except on loopback; retries on 429 and 5xx honouring
 * Retry-After; tag lists followed through their `Link` pages.
 */
export class RegistryClient {
  private readonly tokens = new Map<string, { token: string; expires: number }>();
  readonly stats = { requests: 0 };

  constructor(private readonly credentials: ReadonlyMap<string, Credentials> = new Map()) {}

  /** Every tag of a repository. */
  async listTags(image: Pick<ImageRef, 'registry' | 'repository'>, pageSize = 1000): Promise<string[]> {
    const tags: string[] = [];
    let next: string | undefined = `/v2/${image.repository}/tags/list?n=${pageSize}`;
    while (next) {
      const res = await this.request(image, 'GET', next, 'application/json');
      const body = (await res.json()) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      const link = res.headers.get('link');
      next = link ? /<([^>]+)>;\s*rel="next"/.exec(link)?.[1] : undefined;
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
    const host = registry.replace(/:\d+$/, '');
    const loopback = host === 'localhost' || /^127\./.test(host) || host === '[::1]';
    return `${loopback ? 'http' : 'https'}://${registry}`;
  }

  private async request(image: Pick<ImageRef, 'registry' | 'repository'>, method: string, pathOrUrl: string, accept: string, okStatuses: number[] = []): Promise<Response> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.base(image.registry)}${pathOrUrl}`;
    const scope = `repository:${image.repository}:pull`;
    const where = `${image.registry}/${image.repository}`;
    let challenged = false;
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = { accept, 'user-agent': 'kubeplan' };
      const auth = this.authorization(image.registry, scope);
      if (auth) headers.authorization = auth;
      let res: Response;
      try {
        this.stats.requests++;
        res = await fetch(url, { method, headers });
      } catch (error) {
        if (attempt < 3) continue;
        throw new RegistryError(`cannot reach the registry: ${(error as Error).message}`, { where, hint: 'check the registry address and network access' });
      }
      if (res.ok || okStatuses.includes(res.status)) return res;
      if (res.status === 401 && !challenged) {
        challenged = true;
        await res.arrayBuffer();
        await this.answerChallenge(res.headers.get('www-authenticate') ?? '', image.registry, scope, where);
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
            ? `give kubeplan credentials for ${image.registry} (a docker config.json auths entry or the registry inputs)`
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
    if (creds && this.basicOnly.has(registry)) return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    return undefined;
  }

  private readonly basicOnly = new Set<string>();

  private async answerChallenge(challenge: string, registry: string, scope: string, where: string): Promise<void> {
    const scheme = challenge.split(' ')[0]?.toLowerCase();
    const creds = this.credentials.get(registry);
    if (scheme === 'basic') {
      if (!creds) throw new RegistryError('the registry wants a user and password', { where, hint: `give kubeplan credentials for ${registry}` });
      this.basicOnly.add(registry);
      return;
    }
    if (scheme !== 'bearer') throw new RegistryError(`unsupported authentication challenge "${challenge}"`, { where, hint: 'use a registry that speaks Basic or Bearer tokens' });
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (!params.realm) throw new RegistryError('the Bearer challenge has no realm', { where, hint: 'check the registry configuration' });
    const realm = new URL(params.realm);
    if (params.service) realm.searchParams.set('service', params.service);
    realm.searchParams.set('scope', params.scope ?? scope);
    const res = await fetch(realm, { headers: creds ? { authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` } : {} });
    if (!res.ok) {
      throw new RegistryError(`the token service ${realm.origin} answered ${res.status}`, { where, hint: creds ? 'check the credentials' : `give kubeplan credentials for ${registry}` });
    }
    const body = (await res.json()) as { token?: string; access_token?: string; expires_in?: number };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError('the token service returned no token', { where, hint: 'check the registry configuration' });
    this.tokens.set(`${registry} ${scope}`, { token, expires: Date.now() + Math.max(30, (body.expires_in ?? 60) - 10) * 1000 });
  }
}
