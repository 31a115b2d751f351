// Pushes small images into an anonymous bench registry through the OCI distribution API (blob uploads, then one
// manifest PUT per tag). Shared by `npm run demo` and `npm run bench`; the test harness has its own client that also
// speaks the registry's Basic and token modes (test/harness/oci.ts).
import { createHash } from 'node:crypto';

const sha256 = (buffer) => `sha256:${createHash('sha256').update(buffer).digest('hex')}`;

async function pushBlob(url, repo, content, headers) {
  const digest = sha256(content);
  const start = await fetch(`${url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers });
  await start.arrayBuffer();
  if (start.status !== 202) throw new Error(`blob upload to ${repo}: ${start.status}`);
  const location = new URL(start.headers.get('location'), url);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, {
    method: 'PUT',
    body: content,
    headers: { ...headers, 'content-type': 'application/octet-stream' },
  });
  await put.arrayBuffer();
  if (put.status !== 201) throw new Error(`blob upload to ${repo}: ${put.status}`);
  return digest;
}

/**
 * Pushes one image per tag; returns tag → digest. With `distinct` (the default) each tag gets its own config and so
 * its own digest; without, every tag names the same manifest (one PUT per tag, for large tag lists). `concurrency`
 * manifest PUTs run at once; `authorization` is sent with every request (a registry that wants a token).
 */
export async function pushTags(url, repo, tags, { concurrency = 16, distinct = true, authorization } = {}) {
  const headers = authorization ? { authorization } : {};
  const layer = Buffer.from(`layer for ${repo}`);
  const layerDigest = await pushBlob(url, repo, layer, headers);
  const digests = {};
  const configs = new Map();
  let next = 0;
  const worker = async () => {
    while (next < tags.length) {
      const tag = tags[next++];
      const label = distinct ? tag : 'shared';
      const config = Buffer.from(
        JSON.stringify({
          architecture: 'amd64',
          os: 'linux',
          rootfs: { type: 'layers', diff_ids: [] },
          config: { Labels: { tag: label } },
        }),
      );
      if (!configs.has(label)) configs.set(label, pushBlob(url, repo, config, headers));
      const configDigest = await configs.get(label);
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
          layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
        }),
      );
      const res = await fetch(`${url}/v2/${repo}/manifests/${tag}`, {
        method: 'PUT',
        body: manifest,
        headers: { ...headers, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
      });
      await res.arrayBuffer();
      if (res.status !== 201) throw new Error(`manifest push ${repo}:${tag}: ${res.status}`);
      digests[tag] = res.headers.get('docker-content-digest') ?? sha256(manifest);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tags.length) }, worker));
  return digests;
}
