import { gunzipSync, gzipSync } from 'node:zlib';
import { applySetParent } from '../cluster/applyset.js';
import type { ClusterClient } from '../cluster/client.js';
import { ClusterError, KubeplanError } from '../errors.js';
import type { KubeObject } from '../manifests/types.js';

/** A revision is stored only while its compressed bundle stays under this (a Secret holds at most 1 MiB). */
export const REVISION_LIMIT_BYTES = 900 * 1024;
/** Revisions kept per target; older ones are deleted. */
export const REVISIONS_KEPT = 10;

const OF = 'kubeplan.dev/revision-of';
const NUMBER = 'kubeplan.dev/revision';
const COMMIT = 'kubeplan.dev/commit';
const DIGEST = 'kubeplan.dev/bundle-digest';
const APPLIED_AT = 'kubeplan.dev/applied-at';
const OBJECTS = 'kubeplan.dev/objects';
const ROLLBACK_OF = 'kubeplan.dev/rollback-of';
const BYTES = 'kubeplan.dev/revision-bytes';
/** Lists answered as metadata only: a revision's bundle (up to 900 KiB each) is not read to list revisions. */
const METADATA_ONLY = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const TYPE = 'kubeplan.dev/revision';

export interface Revision {
  number: number;
  commit: string | undefined;
  digest: string;
  appliedAt: string;
  objects: number;
  /** Compressed size in bytes (listed only when asked for). */
  bytes?: number;
  /** The revision this one restored, for rollbacks. */
  rollbackOf: number | undefined;
  secretName: string;
}

/**
 * A target's successful applies, each a Secret next to its inventory parent (`kubeplan-<target>-rev-<n>`, type
 * kubeplan.dev/revision) holding the applied objects gzipped. It is a Secret because the bundle holds the target's
 * Secrets as the cluster already stores them; RBAC that may read it may read those.
 */
export class RevisionStore {
  private readonly parent: { name: string; namespace: string };

  constructor(
    private readonly client: ClusterClient,
    readonly target: string,
    namespace: string | undefined,
  ) {
    this.parent = applySetParent(target, namespace);
  }

  private path(name?: string): string {
    return `/api/v1/namespaces/${encodeURIComponent(this.parent.namespace)}/secrets${name ? `/${encodeURIComponent(name)}` : ''}`;
  }

  /**
   * Every stored revision, oldest first, read as metadata only. `sizes` adds each bundle's size: from its annotation,
   * or, for revisions stored before kubeplan recorded it, by reading the Secrets in full.
   */
  async list(options: { sizes?: boolean } = {}): Promise<Revision[]> {
    const read = async (accept: string) =>
      (
        await this.client.request<{ items: KubeObject[] | null }>('GET', this.path(), {
          list: true,
          accept,
          query: { labelSelector: `${OF}=${this.parent.name}` },
        })
      ).body.items ?? []; // an empty PartialObjectMetadataList has `items: null`
    let items = await read(METADATA_ONLY);
    if (options.sizes && items.some((s) => !s.metadata.annotations?.[BYTES])) items = await read('application/json');
    return items
      .map((s) => {
        const a = s.metadata.annotations ?? {};
        const data = (s.data as Record<string, string> | undefined)?.bundle;
        const bytes = a[BYTES] ? Number(a[BYTES]) : data !== undefined ? Buffer.from(data, 'base64').length : undefined;
        return {
          number: Number(a[NUMBER]),
          commit: a[COMMIT] || undefined,
          digest: a[DIGEST] ?? '',
          appliedAt: a[APPLIED_AT] ?? '',
          objects: Number(a[OBJECTS] ?? 0),
          ...(options.sizes && bytes !== undefined ? { bytes } : {}),
          rollbackOf: a[ROLLBACK_OF] ? Number(a[ROLLBACK_OF]) : undefined,
          secretName: s.metadata.name,
        };
      })
      .filter((r) => Number.isInteger(r.number))
      .sort((a, b) => a.number - b.number);
  }

  /** The objects a revision applied. */
  async load(revision: Revision): Promise<KubeObject[]> {
    const secret = (await this.client.request<KubeObject>('GET', this.path(revision.secretName))).body;
    const data = String((secret.data as Record<string, string> | undefined)?.bundle ?? '');
    try {
      const bundle = JSON.parse(gunzipSync(Buffer.from(data, 'base64')).toString('utf8')) as { objects?: KubeObject[] };
      if (!Array.isArray(bundle.objects)) throw new Error('no objects in the bundle');
      return bundle.objects;
    } catch (error) {
      throw new KubeplanError(
        `revision ${revision.number} of target ${this.target} cannot be read: ${(error as Error).message}`,
        {
          where: { object: { kind: 'Secret', namespace: this.parent.namespace, name: revision.secretName } },
          cause: error,
          hint: 'roll back to another revision (--to-revision), or delete this Secret if it was edited by hand',
        },
      );
    }
  }

  /**
   * Records a successful apply. Returns a note when it was not stored (unchanged since the newest revision, or too
   * big), else the new revision number.
   */
  async save(
    objects: KubeObject[],
    record: { commit: string | undefined; digest: string; rollbackOf?: number },
  ): Promise<{ number?: number; note?: string }> {
    const existing = await this.list();
    const newest = existing.at(-1);
    if (newest && newest.digest === record.digest && record.rollbackOf === undefined) return {};
    const bundle = gzipSync(JSON.stringify({ target: this.target, objects }));
    if (bundle.length > REVISION_LIMIT_BYTES) {
      return {
        note: `revision not stored: the bundle is ${Math.round(bundle.length / 1024)} KiB compressed, over the ${REVISION_LIMIT_BYTES / 1024} KiB a rollback can keep`,
      };
    }
    const number = (newest?.number ?? 0) + 1;
    const name = `${this.parent.name}-rev-${number}`;
    await this.client.request('POST', this.path(), {
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        type: TYPE,
        metadata: {
          name,
          namespace: this.parent.namespace,
          labels: { [OF]: this.parent.name },
          annotations: {
            [NUMBER]: String(number),
            [COMMIT]: record.commit ?? '',
            [DIGEST]: record.digest,
            [APPLIED_AT]: new Date().toISOString(),
            [OBJECTS]: String(objects.length),
            [BYTES]: String(bundle.length),
            ...(record.rollbackOf !== undefined ? { [ROLLBACK_OF]: String(record.rollbackOf) } : {}),
          },
        },
        data: { bundle: bundle.toString('base64') },
      },
    });
    for (const old of existing.slice(0, Math.max(0, existing.length + 1 - REVISIONS_KEPT))) {
      try {
        await this.client.request('DELETE', this.path(old.secretName));
      } catch (error) {
        if (!(error instanceof ClusterError && error.status === 404)) throw error;
      }
    }
    return { number };
  }
}
