// Volumes for the storage classes of deploy/k8s/10-storageclasses.yaml (fast-ssd, standard,
// archive: `kubernetes.io/no-provisioner`, WaitForFirstConsumer) on a cluster with a real node.
//
// Pre-created PersistentVolumes, not a provisioner: a no-provisioner class is never provisioned
// dynamically (the scheduler sets no selected-node, nothing would call a provisioner), so what a
// real cluster with such classes does is offer local PVs, and the scheduler's volume binding picks
// one on the node the pod can run on. The node start creates a pool per class: `local` PVs under
// the node's folder (removed with it when the node stops) with node affinity to the real node, and
// placeholder PVs for each KWOK node (never mounted: KWOK runs no container), so a placeholder
// workload on KWOK and a data pod on the real node both bind, each where it can run. No process has
// to outlive `cluster up`. In such a cluster KWOK leaves claims of these classes alone
// (kwokStagesForRealNode), else it would bind them at once to a hostPath PV on no node in
// particular, before the scheduler could choose.
//
// Reclaim policy Retain: a deleted claim's PV is Released, not reused (there is no cleaner), which
// is why the pool is larger than the data tier's claims.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, type Document } from 'yaml';
import { REPO_ROOT } from '../../topology/load.ts';

export const STORAGE_CLASSES_FILE = join(REPO_ROOT, 'deploy', 'k8s', '10-storageclasses.yaml');
/** Label on every PV of a pool: which node's pool it is. */
export const POOL_LABEL = 'firedrill.io/volume-pool';
/** Capacity of each pool volume: large enough for any claim in deploy/k8s (not enforced). */
export const POOL_VOLUME_CAPACITY = '4Ti';

/** Storage classes (by name) of a manifest that nothing provisions dynamically. */
export function noProvisionerClasses(manifest: string): string[] {
  return parseAllDocuments(manifest)
    .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string }; provisioner?: string } | null)
    .filter((o) => o?.kind === 'StorageClass' && o.provisioner === 'kubernetes.io/no-provisioner')
    .map((o) => o!.metadata!.name!);
}

export const localVolumeClasses = () => noProvisionerClasses(readFileSync(STORAGE_CLASSES_FILE, 'utf8'));

/**
 * The StorageClass objects of deploy/k8s, created with the pools when absent: a claim whose class
 * does not exist yet is bound at once to any volume that fits (a KWOK node's, say) instead of
 * waiting for its pod to be scheduled. The same file the deploy applies: it finds them unchanged.
 */
export function storageClassObjects(manifest = readFileSync(STORAGE_CLASSES_FILE, 'utf8')) {
  return parseAllDocuments(manifest)
    .map((d) => d.toJS() as { kind?: string; apiVersion: string; metadata: { name: string } } | null)
    .filter(
      (o): o is { kind: string; apiVersion: string; metadata: { name: string } } =>
        o?.kind === 'StorageClass',
    );
}

/** A pool volume's folder on the real node. */
export const volumeDir = (nodeDir: string, pv: string) => join(nodeDir, 'volumes', pv);

/**
 * The PVs of one node's pool: `perClass` per class, `local` under nodeDir for the real node, or a
 * placeholder path for a KWOK node (`fake`).
 */
export function volumePool(opts: {
  node: string;
  nodeDir?: string;
  classes: string[];
  perClass: number;
  fake?: boolean;
}) {
  const pvs = [];
  for (const cls of opts.classes)
    for (let i = 0; i < opts.perClass; i++) {
      const name = `${opts.node}-${cls}-${i}`;
      pvs.push({
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name, labels: { [POOL_LABEL]: opts.node } },
        spec: {
          capacity: { storage: POOL_VOLUME_CAPACITY },
          accessModes: ['ReadWriteOnce'],
          persistentVolumeReclaimPolicy: 'Retain',
          storageClassName: cls,
          volumeMode: 'Filesystem',
          local: { path: opts.fake ? `/nonexistent/kwok/${name}` : volumeDir(opts.nodeDir!, name) },
          nodeAffinity: {
            required: {
              nodeSelectorTerms: [
                {
                  matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [opts.node] }],
                },
              ],
            },
          },
        },
      });
    }
  return pvs;
}

/**
 * KWOK's stages (deploy/local/kwok/stages.yaml) for a cluster with a real node: its
 * "bind every claim at once" stage skips claims of `classes`, which the pools bind instead.
 */
export function kwokStagesForRealNode(stages: string, classes: string[]): string {
  const docs = parseAllDocuments(stages) as Document.Parsed[];
  let found = false;
  for (const d of docs) {
    if (d.getIn(['metadata', 'name']) !== 'pvc-provision') continue;
    const list = JSON.stringify(classes).replace(/"/g, "'");
    const expressions = d.getIn(['spec', 'selector', 'matchExpressions']) as { add(v: unknown): void };
    expressions.add(
      d.createNode({
        cel: { expression: `!has(self.spec.storageClassName) || !(self.spec.storageClassName in ${list})` },
      }),
    );
    found = true;
  }
  if (!found) throw new Error('KWOK stages: no "pvc-provision" stage to leave the local volume classes to');
  return docs.map((d) => d.toString()).join('');
}
