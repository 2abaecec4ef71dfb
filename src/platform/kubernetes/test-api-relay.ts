// How pods on the real test node reach the API server through the `kubernetes` Service.
//
// The API server listens on 127.0.0.1 only (KWOK-only clusters have no other address of their own,
// and it cannot bind two addresses), and a pod's packets to a loopback address never arrive. So
// while a real node runs, a relay process of the node copies TCP from the node's bridge address to
// the API server's loopback port, and the `kubernetes` Service's EndpointSlice names that bridge
// address (the API server runs with --endpoint-reconciler-type=none and never writes one itself).
// TLS passes through untouched: pods verify the API server's certificate (which names the
// Service's ClusterIP and the bridge address) and authenticate with their ServiceAccount token.
// Nothing listens on the outside interface, and the relay dies with the node's other processes.

/** managed-by label of the EndpointSlice the test node writes for the API server. */
export const API_SLICE_MANAGER = 'firedrill-test-node';

/**
 * The relay as a Node program run with `node -e` (argv: listen host, listen port, target port on
 * 127.0.0.1): no file of its own to find, no TypeScript loader in the node's process tree.
 */
export const API_RELAY_SOURCE = `
const net = require('node:net');
const [host, port, target] = process.argv.slice(1);
const server = net.createServer((client) => {
  const upstream = net.connect(Number(target), '127.0.0.1');
  const end = () => { client.destroy(); upstream.destroy(); };
  client.on('error', end); upstream.on('error', end);
  client.on('close', end); upstream.on('close', end);
  client.pipe(upstream); upstream.pipe(client);
});
server.on('error', (err) => { console.error('api relay: ' + err.message); process.exit(1); });
server.listen(Number(port), host, () => console.log('api relay ' + host + ':' + port + ' -> 127.0.0.1:' + target));
`;

/** The `kubernetes` Service's endpoints: the relay on the node's bridge address. */
export function apiEndpointSlice(nodeIp: string, port: number) {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: 'kubernetes',
      namespace: 'default',
      labels: {
        'kubernetes.io/service-name': 'kubernetes',
        'endpointslice.kubernetes.io/managed-by': API_SLICE_MANAGER,
      },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: [nodeIp], conditions: { ready: true, serving: true, terminating: false } }],
    // Named as the Service's port, which is how kube-proxy pairs them.
    ports: [{ name: 'https', port, protocol: 'TCP' }],
  };
}
