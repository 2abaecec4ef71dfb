// `firedrill cluster up|status|down` as an operator runs them, each a separate process: up leaves
// the control plane, KWOK nodes and the real node (with the API relay, cluster DNS and volume
// pools) running after the CLI exits, status sees them, up again refuses, down ends every process
// and leaves the host as it was before up.
import * as k8s from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { diffHostState, readHostState } from '../../src/platform/kubernetes/host-state.ts';
import { clusterMarker } from '../../src/platform/kubernetes/test-cluster.ts';
import { nodeMarker } from '../../src/platform/kubernetes/test-node.ts';
import { markedProcesses } from '../../src/platform/local/process.ts';
import { firedrill } from './cli.ts';

const NAME = 'e2e-cli';

describe('firedrill cluster up|status|down', () => {
  const before = readHostState();

  afterAll(async () => {
    if (markedProcesses(clusterMarker(NAME)).length || markedProcesses(nodeMarker(`${NAME}-node`)).length)
      await firedrill(['cluster', 'down', '--name', NAME]);
  });

  it('brings a cluster with a real node up, reports it, refuses a second up, and takes it down leaving the host as before', async () => {
    const t0 = Date.now();
    const up = await firedrill(['cluster', 'up', '--name', NAME, '--kwok-nodes', '1']);
    console.log(`[cluster-cli] up: ${Date.now() - t0} ms\n${up.stdout}${up.stderr}`);
    expect(up.code).toBe(0);
    const kubeconfig = /kubeconfig (\S+)/.exec(up.stdout)![1]!;

    // The CLI has exited; the cluster has not.
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfig);
    const nodes = await kc.makeApiClient(k8s.CoreV1Api).listNode();
    const readyNodes = nodes.items
      .filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
      .map((n) => n.metadata!.name)
      .sort();
    expect(readyNodes).toEqual([`${NAME}-node`, 'kwok-node-0']);
    // What pods on the real node need: the API server behind the `kubernetes` Service, cluster
    // DNS, and volumes for the local storage classes on both kinds of node.
    const slice = await kc
      .makeApiClient(k8s.DiscoveryV1Api)
      .readNamespacedEndpointSlice({ name: 'kubernetes', namespace: 'default' });
    expect(slice.endpoints.flatMap((e) => e.addresses)).toEqual(['10.245.0.1']);
    const dns = await kc
      .makeApiClient(k8s.CoreV1Api)
      .readNamespacedService({ name: 'kube-dns', namespace: 'kube-system' });
    expect(dns.spec?.clusterIP).toBe('10.96.0.10');
    const pvs = await kc.makeApiClient(k8s.CoreV1Api).listPersistentVolume();
    const pools = new Set(pvs.items.map((p) => p.metadata?.labels?.['firedrill.io/volume-pool']));
    expect([...pools].sort()).toEqual([`${NAME}-node`, 'kwok-node-0']);

    const status = await firedrill(['cluster', 'status', '--name', NAME]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`cluster ${NAME}: up`));
    expect(status.stdout).toMatch(/real node e2e-cli-node: 10\.245\.0\.1 on fdnode0; RSS MiB .*kubelet/);

    const again = await firedrill(['cluster', 'up', '--name', NAME]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`cluster ${NAME} is already up`);

    const down = await firedrill(['cluster', 'down', '--name', NAME]);
    console.log(`[cluster-cli] down:\n${down.stdout}${down.stderr}`);
    expect(down.code).toBe(0);
    expect(down.stdout).toContain('host as before `cluster up`');
    expect(markedProcesses(clusterMarker(NAME))).toEqual([]);
    expect(markedProcesses(nodeMarker(`${NAME}-node`))).toEqual([]);
    expect(diffHostState(before, readHostState()).lines).toEqual([]);

    const status2 = await firedrill(['cluster', 'status', '--name', NAME]);
    expect(status2.stdout).toMatch(new RegExp(`cluster ${NAME}: down`));
    expect(status2.stdout).toContain('not running');
  });
});
