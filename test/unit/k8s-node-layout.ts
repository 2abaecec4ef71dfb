// One real node's layout as the pure config builders (test-node-config.ts) take it: fixed paths
// and ports, so a test can read what each builder makes of it.
import type { NodeLayout } from '../../src/platform/kubernetes/test-node-config.ts';

export const layout: NodeLayout = {
  name: 'n',
  dir: '/var/tmp/node',
  bridge: 'fdnode0',
  nodeIp: '10.245.0.1',
  podCidr: '10.245.0.0/24',
  serviceCidr: '10.96.0.0/16',
  clusterDnsIp: '10.96.0.10',
  clusterDomain: 'cluster.local',
  ca: '/ca.crt',
  kubeletCert: { cert: '/k.crt', key: '/k.key' },
  kubeletPort: 1,
  kubeletHealthzPort: 2,
  proxyHealthzPort: 3,
  proxyMetricsPort: 4,
  pauseRef: 'localhost/firedrill/pause:3.10',
  containerdBin: '/c',
  runc: '/usr/sbin/runc',
  cniBinDir: '/usr/lib/cni',
};
