import { createHash } from 'node:crypto';
import type { RunningRegistry } from './registry.js';

/**
 * A minimal OCI distribution client for pushing test images into the bench registry. It handles the three auth
 * modes the way registries ask for them: none, Basic, and the Bearer token dance (401 → realm → token → retry).
 */
export class OciTestClient {
  private token: string | undefined;
  constructor(private readonly registry: RunningRegistry) {}

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const url = path.startsWith('http') ? path : `${this.registry.url}${path}`;
    const send = () =>
      fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), ...this.authHeader() } });
    let res = await send();
    if (res.status === 401 && this.registry.auth === 'token') {
      await res.arrayBuffer();
      const challenge = res.headers.get('www-authenticate') ?? '';
      const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
      const realm = new URL(params.realm!);
      realm.searchParams.set('service', params.service ?? '');
      if (params.scope) realm.searchParams.set('scope', params.scope.replace(/:pull$/, ':pull,push'));
      const tokenRes = await fetch(realm, {
        headers: { authorization: basic(this.registry.username, this.registry.password) },
      });
      if (!tokenRes.ok) throw new Error(`token endpoint said ${tokenRes.status}`);
      this.token = ((await tokenRes.json()) as { token: string }).token;
      res = await send();
    }
    return res;
  }

  private authHeader(): Record<string, string> {
    if (this.registry.auth === 'htpasswd')
      return { authorization: basic(this.registry.username, this.registry.password) };
    if (this.registry.auth === 'token' && this.token) return { authorization: `Bearer ${this.token}` };
    return {};
  }

  async pushBlob(repo: string, content: Buffer): Promise<string> {
    const digest = sha256(content);
    const start = await this.fetch(`/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    await start.arrayBuffer();
    if (start.status !== 202) throw new Error(`blob upload start: ${start.status}`);
    const location = new URL(start.headers.get('location')!, this.registry.url);
    location.searchParams.set('digest', digest);
    const put = await this.fetch(location.toString(), {
      method: 'PUT',
      body: content,
      headers: { 'content-type': 'application/octet-stream' },
    });
    await put.arrayBuffer();
    if (put.status !== 201) throw new Error(`blob upload: ${put.status}`);
    return digest;
  }

  async pushManifest(repo: string, reference: string, manifest: object, mediaType: string): Promise<string> {
    const body = Buffer.from(JSON.stringify(manifest));
    const res = await this.fetch(`/v2/${repo}/manifests/${reference}`, {
      method: 'PUT',
      body,
      headers: { 'content-type': mediaType },
    });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`manifest push ${repo}:${reference}: ${res.status} ${text}`);
    return res.headers.get('docker-content-digest') ?? sha256(body);
  }

  /**
   * Pushes a one-layer image (config + layer + manifest) under `tag`; returns the manifest digest. `created` goes
   * into the image config as a build would write it.
   */
  async pushImage(
    repo: string,
    tag: string,
    seed = tag,
    options: { created?: string; labels?: Record<string, string>; architecture?: string } = {},
  ): Promise<string> {
    const config = Buffer.from(
      JSON.stringify({
        ...(options.created ? { created: options.created } : {}),
        architecture: options.architecture ?? 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [] },
        config: { Labels: { seed, ...options.labels } },
      }),
    );
    const layer = Buffer.from(`layer for ${repo}:${seed}`);
    const configDigest = await this.pushBlob(repo, config);
    const layerDigest = await this.pushBlob(repo, layer);
    return this.pushManifest(
      repo,
      tag,
      {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
      },
      'application/vnd.oci.image.manifest.v1+json',
    );
  }

  /**
   * Pushes a multi-platform image index under `tag` over images already pushed (by digest, with their platforms, in
   * this order); returns the index digest.
   */
  async pushIndex(repo: string, tag: string, images: { digest: string; architecture: string }[]): Promise<string> {
    const manifests = [];
    for (const image of images) {
      const res = await this.fetch(`/v2/${repo}/manifests/${image.digest}`, {
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      const size = (await res.arrayBuffer()).byteLength;
      manifests.push({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: image.digest,
        size,
        platform: { os: 'linux', architecture: image.architecture },
      });
    }
    return this.pushManifest(
      repo,
      tag,
      { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests },
      'application/vnd.oci.image.index.v1+json',
    );
  }

  /** All tags, following `Link: <…>; rel="next"` pages of `pageSize`; also returns how many pages it took. */
  async listTags(repo: string, pageSize: number): Promise<{ tags: string[]; pages: number }> {
    const tags: string[] = [];
    let next: string | undefined = `/v2/${repo}/tags/list?n=${pageSize}`;
    let pages = 0;
    while (next) {
      const res = await this.fetch(next);
      if (!res.ok) throw new Error(`tags/list: ${res.status}`);
      pages++;
      tags.push(...((await res.json()) as { tags: string[] }).tags);
      const link = res.headers.get('link');
      next = link ? /<([^>]+)>;\s*rel="next"/.exec(link)?.[1] : undefined;
    }
    return { tags, pages };
  }

  async headDigest(repo: string, reference: string, accept: string): Promise<string | undefined> {
    const res = await this.fetch(`/v2/${repo}/manifests/${reference}`, { method: 'HEAD', headers: { accept } });
    return res.ok ? (res.headers.get('docker-content-digest') ?? undefined) : undefined;
  }
}

export function sha256(content: Buffer): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
