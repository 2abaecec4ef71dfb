// Volumes for the no-provisioner storage classes on a cluster with a real node: the classes found
// in deploy/k8s, the pools of local PVs (real node) and placeholder PVs (KWOK nodes), and KWOK's
// stages that leave claims of those classes to the scheduler and the pools.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { controlPlaneBinaries } from '../../src/platform/kubernetes/test-cluster.ts';
import {
  STORAGE_CLASSES_FILE,
  kwokStagesForRealNode,
  noProvisionerClasses,
  storageClassObjects,
  volumePool,
} from '../../src/platform/kubernetes/test-volumes.ts';

describe('volumes for the no-provisioner storage classes', () => {
  it('finds the classes deploy/k8s leaves unprovisioned', () => {
    expect(noProvisionerClasses(readFileSync(STORAGE_CLASSES_FILE, 'utf8'))).toEqual([
      'fast-ssd',
      'standard',
      'archive',
    ]);
    expect(
      noProvisionerClasses(
        'kind: StorageClass\nmetadata: {name: a}\nprovisioner: x.io/p\n---\nkind: StorageClass\nmetadata: {name: b}\nprovisioner: kubernetes.io/no-provisioner\n',
      ),
    ).toEqual(['b']);
    expect(storageClassObjects().map((o) => o.metadata.name)).toEqual(['fast-ssd', 'standard', 'archive']);
  });

  it('makes local volumes under the node folder, bound to the node, and placeholders for KWOK nodes', () => {
    const real = volumePool({
      node: 'n',
      nodeDir: '/var/tmp/node',
      classes: ['fast-ssd', 'archive'],
      perClass: 2,
    });
    expect(real.map((p) => p.metadata.name)).toEqual([
      'n-fast-ssd-0',
      'n-fast-ssd-1',
      'n-archive-0',
      'n-archive-1',
    ]);
    expect(real[0]!.spec).toMatchObject({
      storageClassName: 'fast-ssd',
      persistentVolumeReclaimPolicy: 'Retain',
      local: { path: '/var/tmp/node/volumes/n-fast-ssd-0' },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n'] }] },
          ],
        },
      },
    });
    const fake = volumePool({ node: 'kwok-node-1', classes: ['standard'], perClass: 1, fake: true });
    expect(fake[0]!.spec.local.path).toBe('/nonexistent/kwok/kwok-node-1-standard-0');
    expect(fake[0]!.spec.nodeAffinity.required.nodeSelectorTerms[0]!.matchExpressions[0]!.values).toEqual([
      'kwok-node-1',
    ]);
  });

  it("makes KWOK's bind-at-once stage skip claims of those classes and leaves every other stage as it was", () => {
    const original = readFileSync(controlPlaneBinaries().kwokStages, 'utf8');
    const changed = kwokStagesForRealNode(original, ['fast-ssd', 'standard']);
    const before = parseAllDocuments(original).map((d) => d.toJS() as Record<string, unknown>);
    const after = parseAllDocuments(changed).map((d) => d.toJS() as Record<string, unknown>);
    expect(after.length).toBe(before.length);
    const name = (d: Record<string, unknown>) => (d.metadata as { name: string }).name;
    for (let i = 0; i < before.length; i++) {
      if (name(before[i]!) === 'pvc-provision') continue;
      expect(after[i]).toEqual(before[i]);
    }
    const stage = after.find((d) => name(d) === 'pvc-provision') as {
      spec: { selector: { matchExpressions: { cel: { expression: string } }[] } };
    };
    const exprs = stage.spec.selector.matchExpressions.map((e) => e.cel.expression);
    expect(exprs.at(-1)).toBe(
      "!has(self.spec.storageClassName) || !(self.spec.storageClassName in ['fast-ssd','standard'])",
    );
    expect(() => kwokStagesForRealNode('kind: Stage\nmetadata: {name: other}\n', ['x'])).toThrow(
      /pvc-provision/,
    );
  });
});
