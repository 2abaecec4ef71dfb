// What the sandbox's TimescaleDB tier is configured from and what it writes: Patroni's bootstrap
// DCS settings from the model's patroni.yaml (with overrides for tests and drills), each member's
// patroni.yml and pgBackRest config, and etcd's command line.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import YAML from 'yaml';
import { TopologyError } from '../../../../topology/model.ts';
import { archivePushCommand } from '../../../../systems/timescaledb/pgbackrest.ts';
import {
  REPLICATION_USER,
  STANZA,
  SUPERUSER,
  type Credentials,
} from '../../../../systems/timescaledb/names.ts';
import { HOST } from '../../ports.ts';
import type { RunAs } from '../../process.ts';
import type { MemberState } from '../../types.ts';

/** Environment variable with a JSON object deep-merged over the model's bootstrap.dcs (tests, drills). */
export const DCS_OVERRIDES_ENV = 'FIREDRILL_TIMESCALEDB_DCS';

/** Patroni's bootstrap.dcs section as the model declares it. */
export interface PatroniDcs {
  ttl: number;
  loop_wait: number;
  retry_timeout: number;
  maximum_lag_on_failover: number;
  synchronous_mode: boolean;
  postgresql: { use_pg_rewind?: boolean; parameters: Record<string, string | number | boolean> };
  [key: string]: unknown;
}

export interface TimescaledbOptions {
  /** Deep-merged over the model's bootstrap.dcs; recorded in state.info.patroni. */
  dcs?: Record<string, unknown>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepMerge<T extends Record<string, unknown>>(
  base: T,
  over: Record<string, unknown> | undefined,
): T {
  if (!over) return structuredClone(base);
  const out: Record<string, unknown> = structuredClone(base);
  for (const [k, v] of Object.entries(over))
    out[k] = isObject(v) && isObject(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  return out as T;
}

/** The model's bootstrap.dcs from patroni.yaml, checked for the settings the drills report. */
export function dcsFromModel(configFiles: Record<string, string>): PatroniDcs {
  const text = configFiles['patroni.yaml'];
  if (!text)
    throw new TopologyError('timescaledb: the model has no patroni.yaml (ConfigMap timescaledb-patroni)');
  const dcs = (YAML.parse(text) as { bootstrap?: { dcs?: PatroniDcs } })?.bootstrap?.dcs;
  if (!isObject(dcs)) throw new TopologyError('timescaledb: patroni.yaml has no bootstrap.dcs section');
  for (const key of ['ttl', 'loop_wait', 'retry_timeout', 'maximum_lag_on_failover'] as const) {
    if (typeof dcs[key] !== 'number')
      throw new TopologyError(`timescaledb: patroni.yaml bootstrap.dcs.${key} must be a number`);
  }
  if (typeof dcs.synchronous_mode !== 'boolean')
    throw new TopologyError('timescaledb: patroni.yaml bootstrap.dcs.synchronous_mode must be a boolean');
  if (!isObject(dcs.postgresql?.parameters))
    throw new TopologyError('timescaledb: patroni.yaml bootstrap.dcs.postgresql.parameters is missing');
  return dcs;
}

export function overridesFromEnv(): Record<string, unknown> | undefined {
  const raw = process.env[DCS_OVERRIDES_ENV];
  if (!raw) return undefined;
  const parsed: unknown = JSON.parse(raw);
  if (!isObject(parsed)) throw new Error(`${DCS_OVERRIDES_ENV} must be a JSON object`);
  return parsed;
}

/** The model's pgbackrest.yaml retention.full (days), if it declares one. */
export function retentionFromModel(configFiles: Record<string, string>): number | undefined {
  const backup = configFiles['pgbackrest.yaml']
    ? (YAML.parse(configFiles['pgbackrest.yaml']) as { retention?: { full?: number } })
    : {};
  return backup.retention?.full;
}

/** The one etcd (v3 API) that is Patroni's DCS: a support process, not a member. */
export function etcdMember(
  tc: { etcd: string },
  etcdDir: string,
  ports: { client: number; peer: number },
  runAs: RunAs | undefined,
): MemberState {
  const clientUrl = `http://${HOST}:${ports.client}`;
  const peerUrl = `http://${HOST}:${ports.peer}`;
  return {
    name: 'timescaledb-etcd',
    index: 0,
    ports,
    dataDir: etcdDir,
    pids: {},
    processes: [
      {
        name: 'timescaledb-etcd',
        command: tc.etcd,
        args: [
          '--name',
          'etcd0',
          '--data-dir',
          join(etcdDir, 'data'),
          '--listen-client-urls',
          clientUrl,
          '--advertise-client-urls',
          clientUrl,
          '--listen-peer-urls',
          peerUrl,
          '--initial-advertise-peer-urls',
          peerUrl,
          '--initial-cluster',
          `etcd0=${peerUrl}`,
          '--initial-cluster-state',
          'new',
          '--initial-cluster-token',
          `firedrill-${randomBytes(6).toString('hex')}`,
          '--logger',
          'zap',
          '--log-level',
          'warn',
        ],
        logFile: join(etcdDir, 'etcd.log'),
        cwd: etcdDir,
        runAs,
      },
    ],
  };
}

/** One member's pgBackRest config: the shared repository, pg1-path = its own data directory. */
export function pgbackrestConf(o: {
  repo: string;
  log: string;
  lock: string;
  spool: string;
  retentionFullDays?: number;
  dataDir: string;
  socketDir: string;
  port: number;
}): string {
  return [
    '[global]',
    `repo1-path=${o.repo}`,
    ...(o.retentionFullDays
      ? ['repo1-retention-full-type=time', `repo1-retention-full=${o.retentionFullDays}`]
      : []),
    `log-path=${o.log}`,
    `lock-path=${o.lock}`,
    `spool-path=${o.spool}`,
    'log-level-console=warn',
    'log-level-file=info',
    'start-fast=y',
    'archive-timeout=60',
    '',
    `[${STANZA}]`,
    `pg1-path=${o.dataDir}`,
    `pg1-port=${o.port}`,
    `pg1-socket-path=${o.socketDir}`,
    `pg1-user=${SUPERUSER}`,
    '',
  ].join('\n');
}

/** One member's patroni.yml, as YAML 1.1 (PyYAML): a string like "on" stays a string. */
export function patroniYml(o: {
  scope: string;
  name: string;
  ports: { postgres: number; patroni: number };
  etcdClientPort: number;
  dcs: PatroniDcs;
  dir: string;
  dataDir: string;
  socketDir: string;
  pgBin: string;
  pgbackrest: string;
  pgbackrestConfig: string;
  creds: Credentials;
}): string {
  const config = {
    scope: o.scope,
    name: o.name,
    log: { level: 'INFO', format: '%(asctime)s %(levelname)s: %(message)s' },
    restapi: { listen: `${HOST}:${o.ports.patroni}`, connect_address: `${HOST}:${o.ports.patroni}` },
    etcd3: { hosts: [`${HOST}:${o.etcdClientPort}`], protocol: 'http' },
    bootstrap: {
      dcs: o.dcs,
      initdb: [{ encoding: 'UTF8' }, { locale: 'C.UTF-8' }, 'data-checksums'],
    },
    postgresql: {
      listen: `${HOST}:${o.ports.postgres}`,
      connect_address: `${HOST}:${o.ports.postgres}`,
      data_dir: o.dataDir,
      bin_dir: o.pgBin,
      pgpass: join(o.dir, 'patroni.pgpass'),
      use_unix_socket: false,
      authentication: {
        superuser: o.creds.superuser,
        replication: o.creds.replication,
      },
      parameters: {
        unix_socket_directories: o.socketDir,
        archive_command: archivePushCommand(o.pgbackrest, o.pgbackrestConfig, STANZA),
      },
      pg_hba: [
        'local all all scram-sha-256',
        `host replication ${REPLICATION_USER} ${HOST}/32 scram-sha-256`,
        `host all all ${HOST}/32 scram-sha-256`,
      ],
      create_replica_methods: ['basebackup'],
      basebackup: [{ checkpoint: 'fast' }],
      remove_data_directory_on_rewind_failure: true,
      remove_data_directory_on_diverged_timelines: true,
    },
    watchdog: { mode: 'off' },
  };
  return YAML.stringify(config, { version: '1.1' });
}
