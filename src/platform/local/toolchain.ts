// Where the installer put each server, and which versions were pinned (deploy/local/versions.env).
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../topology/load.ts';
import { UserError } from '../../util/errors.ts';

export const VERSIONS_FILE = join(REPO_ROOT, 'deploy', 'local', 'versions.env');

export function readVersions(file = VERSIONS_FILE): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
  }
  return out;
}

export const cacheRoot = () => process.env.FIREDRILL_CACHE ?? join(homedir(), '.cache', 'firedrill');

export interface Toolchain {
  versions: Record<string, string>;
  temporal: string;
  kafkaLibs: string;
  java: string;
  minio: string;
  milvusPython: string;
  pgBin: string;
  patroni: string;
  etcd: string;
  etcdctl: string;
  pgbackrest: string;
  redisServer: string;
}

export function toolchain(): Toolchain {
  const v = readVersions();
  const cache = cacheRoot();
  const minioStamp = v.MINIO_VERSION!.split('-')[1]!;
  return {
    versions: v,
    temporal: join(cache, `temporal-${v.TEMPORAL_CLI_VERSION!.replace(/^v/, '')}`, 'bin', 'temporal'),
    kafkaLibs: join(cache, `kafka-${v.KAFKA_VERSION}`, 'libs'),
    java: process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java',
    minio: join(cache, `minio-${minioStamp}`, 'bin', 'minio'),
    milvusPython: join(cache, `milvus-${v.MILVUS_VERSION}`, 'bin', 'python'),
    pgBin: `/usr/lib/postgresql/${v.POSTGRES_MAJOR}/bin`,
    patroni: '/usr/bin/patroni',
    etcd: '/usr/bin/etcd',
    etcdctl: '/usr/bin/etcdctl',
    pgbackrest: '/usr/bin/pgbackrest',
    redisServer: '/usr/bin/redis-server',
  };
}

/** Refuses with the fix when an installed piece is missing. */
export function requireInstalled(what: string, path: string): string {
  if (path.includes('/') && !existsSync(path)) {
    throw new UserError(`${what} is not installed (expected ${path})`, 'run `npx firedrill setup` first');
  }
  return path;
}
