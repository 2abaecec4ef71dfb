// The test control plane's certificates (made by the openssl CLI) and its kubeconfig files.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Context extension marking the test cluster's kubeconfig context as throw-away. */
export const DISPOSABLE_EXTENSION = 'firedrill.io/disposable';

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface Pki {
  dir: string;
  ca: string;
  caKey: string;
  saKey: string;
  saPub: string;
}

export function makePki(dir: string): Pki {
  mkdirSync(dir, { recursive: true });
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], dir);
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-subj',
      '/CN=firedrill-test-ca',
      '-days',
      '3650',
      '-out',
      'ca.crt',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
    ],
    dir,
  );
  // Service-account token signing key pair (RS256, the API server's default).
  openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'sa.key'], dir);
  openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
  return {
    dir,
    ca: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    saKey: join(dir, 'sa.key'),
    saPub: join(dir, 'sa.pub'),
  };
}

/**
 * The API server's names: loopback, the `kubernetes` Service's ClusterIP and DNS names, and the
 * addresses it is reached at besides (a real node's bridge address, where its relay listens).
 */
export function apiServerSans(extraIps: string[] = []): string {
  return [
    'IP:127.0.0.1',
    'DNS:localhost',
    'IP:10.96.0.1',
    ...extraIps.map((ip) => `IP:${ip}`),
    'DNS:kubernetes',
    'DNS:kubernetes.default',
    'DNS:kubernetes.default.svc',
    'DNS:kubernetes.default.svc.cluster.local',
  ].join(',');
}

/**
 * A leaf certificate signed by the cluster CA; `server` makes it a serving certificate for the
 * API server's names, or for `sans` (openssl subjectAltName syntax) when given.
 */
export function issue(
  pki: Pki,
  base: string,
  subject: string,
  server: boolean,
  sans = apiServerSans(),
): { cert: string; key: string } {
  const key = `${base}.key`;
  const cert = `${base}.crt`;
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key], pki.dir);
  const ext = server
    ? ['-addext', 'extendedKeyUsage=serverAuth,clientAuth', '-addext', `subjectAltName=${sans}`]
    : ['-addext', 'extendedKeyUsage=clientAuth'];
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      key,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-subj',
      subject,
      '-days',
      '3650',
      '-out',
      cert,
      '-addext',
      'basicConstraints=critical,CA:FALSE',
      '-addext',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      ...ext,
    ],
    pki.dir,
  );
  return { cert: join(pki.dir, cert), key: join(pki.dir, key) };
}

export function writeKubeconfig(
  file: string,
  opts: { name: string; server: string; ca: string; cert: string; key: string; user: string },
): void {
  const b64 = (f: string) => readFileSync(f).toString('base64');
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: opts.name, cluster: { server: opts.server, 'certificate-authority-data': b64(opts.ca) } },
    ],
    users: [
      {
        name: opts.user,
        user: { 'client-certificate-data': b64(opts.cert), 'client-key-data': b64(opts.key) },
      },
    ],
    contexts: [
      {
        name: opts.name,
        context: {
          cluster: opts.name,
          user: opts.user,
          // Says what this context is to anyone reading the kubeconfig (client-go keeps
          // extensions as opaque data; @kubernetes/client-node ignores them).
          extensions: [
            {
              name: DISPOSABLE_EXTENSION,
              extension: { disposable: true, createdBy: 'firedrill test-cluster' },
            },
          ],
        },
      },
    ],
    'current-context': opts.name,
    preferences: {},
  };
  // JSON is YAML: every kubeconfig reader (client-go, @kubernetes/client-node, kubectl) takes it.
  writeFileSync(file, JSON.stringify(kubeconfig, null, 2) + '\n', { mode: 0o600 });
}
