// The real test node's cluster DNS as pure configuration: its Corefile (cluster.local from the API
// server, everything else NXDOMAIN, nothing forwarded) and objects, the kubelet and kube-proxy
// settings that point pods at it, and the check that refuses a DNS address another Service holds.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CLUSTER_DNS_IP,
  clusterDnsObjects,
  clusterIpHolder,
  collectionPath,
  corefile,
} from '../../src/platform/kubernetes/test-dns.ts';
import {
  REAL_NODE_TAINT,
  kubeProxyConfig,
  kubeletConfig,
} from '../../src/platform/kubernetes/test-node-config.ts';
import { layout } from './k8s-node-layout.ts';

describe('cluster DNS', () => {
  it('answers cluster.local from the API server and every other name NXDOMAIN, forwarding nothing', () => {
    const c = corefile();
    expect(c).toMatch(/^cluster\.local:1053 in-addr\.arpa:1053 ip6\.arpa:1053 \{$/m);
    expect(c).toMatch(/^\s+kubernetes cluster\.local in-addr\.arpa ip6\.arpa \{$/m);
    expect(c).toMatch(/^\.:1053 \{\n\s+errors\n\s+template ANY ANY \{\n\s+rcode NXDOMAIN\n/m);
    expect(c).not.toMatch(/^\s*(forward|proxy|grpc)\b/m);
    // The wrapper module compiles no plugin that could send a query elsewhere.
    const main = readFileSync(new URL('../../deploy/local/coredns/main.go', import.meta.url), 'utf8');
    expect(main).not.toMatch(/plugin\/(forward|grpc|etcd|route53|azure|clouddns)"/);
    for (const p of ['kubernetes', 'template', 'ready', 'health'])
      expect(main).toContain(`"github.com/coredns/coredns/plugin/${p}"`);
  });

  it('runs CoreDNS unprivileged on the real node behind kube-dns at the fixed ClusterIP, with probes', () => {
    const objs = clusterDnsObjects('localhost/firedrill/coredns:1.15.0');
    const svc = objs.find((o) => o.kind === 'Service') as {
      metadata: { name: string; namespace: string };
      spec: { clusterIP: string; ports: { port: number; targetPort: number; protocol: string }[] };
    };
    expect(svc.metadata).toMatchObject({ name: 'kube-dns', namespace: 'kube-system' });
    expect(svc.spec.clusterIP).toBe(CLUSTER_DNS_IP);
    expect(svc.spec.ports.map((p) => `${p.port}/${p.protocol}->${p.targetPort}`)).toEqual([
      '53/UDP->1053',
      '53/TCP->1053',
    ]);
    const dep = objs.find((o) => o.kind === 'Deployment') as unknown as {
      spec: { template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } } };
    };
    const pod = dep.spec.template.spec;
    expect(pod.tolerations).toContainEqual(expect.objectContaining({ key: REAL_NODE_TAINT.key }));
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    expect(pod.dnsPolicy).toBe('Default');
    const c = pod.containers[0]!;
    expect(c.image).toBe('localhost/firedrill/coredns:1.15.0');
    expect(c.readinessProbe).toMatchObject({ httpGet: { path: '/ready', port: 8181 } });
    expect(c.livenessProbe).toMatchObject({ httpGet: { path: '/health', port: 8080 } });
    const cm = objs.find((o) => o.kind === 'ConfigMap') as { data: { Corefile: string } };
    expect(cm.data.Corefile).toBe(corefile());
    // The ServiceAccount the kubernetes plugin uses may list and watch what it serves, nothing more.
    const role = objs.find((o) => o.kind === 'ClusterRole') as { rules: { verbs: string[] }[] };
    expect(role.rules.flatMap((r) => r.verbs).sort()).toEqual(['list', 'list', 'watch', 'watch']);
    expect(objs.map((o) => collectionPath(o))).toEqual([
      '/api/v1/namespaces/kube-system/serviceaccounts',
      '/apis/rbac.authorization.k8s.io/v1/clusterroles',
      '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
      '/api/v1/namespaces/kube-system/configmaps',
      '/apis/apps/v1/namespaces/kube-system/deployments',
      '/api/v1/namespaces/kube-system/services',
    ]);
  });

  it('points every pod at it and makes answers from a pod on the same bridge come back through the node', () => {
    expect(kubeletConfig(layout)).toMatchObject({
      clusterDNS: ['10.96.0.10'],
      clusterDomain: 'cluster.local',
      resolvConf: '',
    });
    expect(kubeProxyConfig(layout).masqueradeAll).toBe(true);
  });
});

describe('refusing a taken DNS address', () => {
  const svc = (namespace: string, name: string, clusterIP: string, labels?: Record<string, string>) => ({
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
    spec: { clusterIP },
  });
  it("names a Service holding the DNS address, but not the node's own kube-dns from an earlier start", () => {
    const own = svc('kube-system', 'kube-dns', '10.96.0.10', {
      'app.kubernetes.io/managed-by': 'firedrill-test-node',
    });
    expect(
      clusterIpHolder({ items: [svc('default', 'kubernetes', '10.96.0.1'), own] }, CLUSTER_DNS_IP),
    ).toBeUndefined();
    expect(clusterIpHolder({ items: [svc('shop', 'cart', '10.96.0.10')] }, CLUSTER_DNS_IP)).toBe('shop/cart');
    // Another kube-dns (a real cluster's, say) is not ours to replace.
    expect(clusterIpHolder({ items: [svc('kube-system', 'kube-dns', '10.96.0.10')] }, CLUSTER_DNS_IP)).toBe(
      'kube-system/kube-dns',
    );
  });
});
