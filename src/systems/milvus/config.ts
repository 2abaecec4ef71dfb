// Milvus standalone's configuration: the ports it listens on, the milvus.yaml template's
// placeholders (as the PyPI package's launcher fills them), and the settings a loopback-only
// standalone with embedded etcd and local storage needs.
import { join } from 'node:path';
import { parseDocument } from 'yaml';

/** Every port the standalone process listens on, keyed as the template names them. */
export const PORT_KEYS = [
  'proxy_port',
  'proxy_internal_port',
  'root_coord_port',
  'query_coord_port',
  'query_node_port',
  'index_coord_port',
  'index_node_port',
  'data_coord_port',
  'data_node_port',
  'etcd_port',
] as const;

/**
 * Milvus's own default ports (the package template's, etcd's and the metrics port being etcd's and
 * Milvus's own defaults): what it listens on when it has a network namespace to itself.
 */
export const DEFAULT_PORTS: Record<string, number> = {
  proxy_port: 19530,
  proxy_internal_port: 19529,
  root_coord_port: 53100,
  query_coord_port: 19531,
  query_node_port: 21123,
  index_coord_port: 22930,
  index_node_port: 21121,
  data_coord_port: 13333,
  data_node_port: 21124,
  etcd_port: 2379,
  etcd_peer_port: 2380,
  metrics_port: 9091,
};

/** The sections whose `ip` is the address a component registers in etcd (the one others dial). */
const COMPONENT_SECTIONS = [
  'rootCoord',
  'proxy',
  'queryCoord',
  'queryNode',
  'indexNode',
  'dataCoord',
  'dataNode',
];

/** Fills the package's `{{ key(type): default }}` placeholders the way its launcher does. */
export function renderTemplate(template: string, values: Record<string, string | number | boolean>): string {
  return template.replace(/\{\{(.*?)}}/g, (_all, inner: string) => {
    const key = inner
      .split(':')[0]!
      .replace(/\(.*\)/, '')
      .trim();
    if (key in values) return String(values[key]);
    const fallback = inner.includes(':') ? inner.slice(inner.indexOf(':') + 1).trim() : undefined;
    if (fallback === undefined) throw new Error(`milvus.yaml template: no value for {{${inner}}}`);
    return fallback;
  });
}

/**
 * The embedded etcd's own config file: its listeners. Without one it uses etcd's defaults,
 * localhost:2379/2380, fixed ports that would collide with any other etcd.
 */
export function embedEtcdConfig(host: string, ports: { etcd_port: number; etcd_peer_port: number }): string {
  const peer = `http://${host}:${ports.etcd_peer_port}`;
  const clientUrl = `http://${host}:${ports.etcd_port}`;
  return [
    'name: milvus-embed',
    `listen-client-urls: ${clientUrl}`,
    `advertise-client-urls: ${clientUrl}`,
    `listen-peer-urls: ${peer}`,
    `initial-advertise-peer-urls: ${peer}`,
    `initial-cluster: milvus-embed=${peer}`,
    'initial-cluster-state: new',
    '',
  ].join('\n');
}

export interface StandaloneLayout {
  host: string;
  /** Every port of PORT_KEYS. */
  ports: Record<string, number>;
  etcdConfig: string;
  dataDir: string;
  logsDir: string;
  storageType: string;
}

/**
 * milvus.yaml for a standalone on `host` with embedded etcd: the template filled in, then every
 * listener and registered address pinned to `host`, data and logs under the given directories.
 * Also the session TTL it ends up with (a killed server's sessions must expire before a restart is healthy).
 */
export function standaloneConfig(
  template: string,
  l: StandaloneLayout,
): { yaml: string; sessionTtlSeconds: number } {
  const rendered = renderTemplate(template, {
    ...Object.fromEntries(PORT_KEYS.map((k) => [k, l.ports[k]!])),
    etcd_log_level: 'warn',
    etcd_log_path: join(l.logsDir, 'etcd.log'),
    etcd_data_dir: join(l.dataDir, 'etcd.data'),
    local_storage_dir: l.dataDir,
    rocksmq_data_dir: join(l.dataDir, 'rocksmq'),
    system_log_path: '', // server log to stdout, i.e. the process log
  });
  const doc = parseDocument(rendered);
  doc.setIn(['etcd', 'endpoints'], `${l.host}:${l.ports.etcd_port}`);
  doc.setIn(['etcd', 'config', 'path'], l.etcdConfig);
  doc.setIn(['indexCoord', 'bindIndexNodeMode', 'address'], `${l.host}:${l.ports.index_coord_port}`);
  for (const section of COMPONENT_SECTIONS) doc.setIn([section, 'ip'], l.host);
  doc.setIn(['log', 'level'], 'warn');
  doc.setIn(['natsmq', 'server', 'storeDir'], join(l.dataDir, 'nats'));
  doc.setIn(['natsmq', 'server', 'monitor', 'logFile'], join(l.logsDir, 'nats.log'));
  doc.setIn(['common', 'storageType'], l.storageType);
  doc.setIn(['etcd', 'use', 'embed'], true);
  return { yaml: doc.toString(), sessionTtlSeconds: Number(doc.getIn(['common', 'session', 'ttl'])) };
}
