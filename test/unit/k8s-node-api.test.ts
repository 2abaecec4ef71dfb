// Pods on the real test node reach the API server: the API server's extra name, the `kubernetes`
// Service's endpoint on the node's bridge address and the relay behind it, and the check that
// refuses a bridge address another interface already has.
import { describe, expect, it } from 'vitest';
import { apiEndpointSlice, API_RELAY_SOURCE } from '../../src/platform/kubernetes/test-api-relay.ts';
import { addressHolder } from '../../src/platform/kubernetes/test-node-config.ts';
import { apiServerSans } from '../../src/platform/kubernetes/test-pki.ts';

describe('pods reach the API server', () => {
  it("names the Service's ClusterIP and DNS names, and the node's bridge address when given", () => {
    expect(apiServerSans()).toContain('IP:10.96.0.1,');
    expect(apiServerSans()).toContain('DNS:kubernetes.default.svc.cluster.local');
    expect(apiServerSans()).not.toContain('10.245.');
    expect(apiServerSans(['10.245.0.1']).split(',')).toContain('IP:10.245.0.1');
  });

  it("publishes the relay on the bridge address as the `kubernetes` Service's endpoint", () => {
    const s = apiEndpointSlice('10.245.0.1', 34567);
    expect(s.metadata).toMatchObject({ name: 'kubernetes', namespace: 'default' });
    expect(s.metadata.labels['kubernetes.io/service-name']).toBe('kubernetes');
    expect(s.endpoints).toEqual([
      { addresses: ['10.245.0.1'], conditions: { ready: true, serving: true, terminating: false } },
    ]);
    // kube-proxy pairs a Service port with the slice port of the same name ("https").
    expect(s.ports).toEqual([{ name: 'https', port: 34567, protocol: 'TCP' }]);
  });

  it('relays to loopback only and binds the address it is given (never all addresses)', () => {
    expect(API_RELAY_SOURCE).toContain("net.connect(Number(target), '127.0.0.1')");
    expect(API_RELAY_SOURCE).toContain('server.listen(Number(port), host');
  });
});

describe('refusing a taken bridge address', () => {
  const addresses = [
    'lo    inet 127.0.0.1/8 scope host lo',
    'eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0',
    'dummy9    inet 10.245.0.1/32 scope global dummy9',
    'eth0    inet6 fe80::1/64 scope link',
  ];
  it('names the interface that already has the bridge address', () => {
    expect(addressHolder(addresses, '10.245.0.1')).toBe('dummy9');
    expect(addressHolder(addresses, '10.245.0.10')).toBeUndefined();
    expect(addressHolder(addresses, '192.0.2.2')).toBe('eth0');
  });
});
