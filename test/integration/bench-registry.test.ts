import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { OciTestClient } from '../harness/oci.js';
import { startRegistry, type RegistryAuth, type RunningRegistry } from '../harness/registry.js';

const INDEX = 'application/vnd.oci.image.index.v1+json';
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

describe.each<RegistryAuth>(['anonymous', 'htpasswd', 'token'])('bench registry, %s auth', (auth) => {
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistry(inject('registryBinary'), auth);
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('refuses clients without credentials (except anonymous)', async () => {
    const res = await fetch(`${registry.url}/v2/`);
    expect(res.status).toBe(auth === 'anonymous' ? 200 : 401);
  });

  it('takes blobs, manifests and an index, lists tags page by page, and answers HEAD with the digest', async () => {
    const client = new OciTestClient(registry);
    const repo = 'example/shop';
    const digests: Record<string, string> = {};
    for (const tag of ['1.0.0', '1.1.0', '1.2.0', '2.0.0-rc.1', 'latest'])
      digests[tag] = await client.pushImage(repo, tag);
    const index = await client.pushManifest(
      repo,
      'multi',
      {
        schemaVersion: 2,
        mediaType: INDEX,
        manifests: [
          {
            mediaType: MANIFEST,
            digest: digests['1.2.0'],
            size: 400,
            platform: { architecture: 'amd64', os: 'linux' },
          },
        ],
      },
      INDEX,
    );
    const { tags, pages } = await client.listTags(repo, 2);
    expect(tags.sort()).toEqual(['1.0.0', '1.1.0', '1.2.0', '2.0.0-rc.1', 'latest', 'multi']);
    // Distribution adds a Link whenever a page is full, so a last, empty page may follow.
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(await client.headDigest(repo, '1.2.0', MANIFEST)).toBe(digests['1.2.0']);
    expect(await client.headDigest(repo, 'multi', INDEX)).toBe(index);
    expect(await client.headDigest(repo, 'missing', MANIFEST)).toBeUndefined();
  });
});
