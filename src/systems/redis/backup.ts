// RDB snapshots kept as backups, and a lost data directory rebuilt from one. The backup is what a
// backup job does beside a Redis with AOF: BGSAVE, wait for it, copy dump.rdb somewhere the data
// volume's loss does not reach. The restore puts it back so that the next start loads it; with AOF
// on, as the base file of a new multi-part append-only log (Redis 7: a manifest naming an RDB-format
// base), because a server with AOF on ignores dump.rdb and would start empty.
import { createHash } from 'node:crypto';
import {
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../../util/wait.ts';
import type { RedisBackup, RestoreResult } from './actions.ts';
import type { RedisClient } from './client.ts';
import { RespError } from './resp.ts';

export const RDB_FILE = 'dump.rdb';
export const AOF_DIR = 'appendonlydir';
export const AOF_NAME = 'appendonly.aof';

const sha256File = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A name that sorts by time: 2026-12-01T18:08:38.123Z → 20261201T180838123Z. */
export const backupName = (at: number) => `${new Date(at).toISOString().replace(/[-:.]/g, '')}.rdb`;

async function saveCount(
  client: RedisClient,
): Promise<{ saves: number; inProgress: boolean; status: string }> {
  const p = await client.info('persistence');
  return {
    saves: Number(p.rdb_saves ?? 0),
    inProgress: p.rdb_bgsave_in_progress === '1',
    status: p.rdb_last_bgsave_status ?? 'unknown',
  };
}

/** BGSAVE, retried while another save (a save point firing) is in progress. Returns when it was asked and answered. */
async function bgsave(
  client: RedisClient,
  deadline: number,
): Promise<{ requestedAt: number; snapshotAt: number; before: number }> {
  for (;;) {
    const before = (await saveCount(client)).saves;
    const requestedAt = Date.now();
    try {
      await client.command(['BGSAVE'], 10_000);
      return { requestedAt, snapshotAt: Date.now(), before };
    } catch (err) {
      // "Background save already in progress" (or an AOF rewrite holding the fork): wait for it.
      if (!(err instanceof RespError) || Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

/**
 * Takes a snapshot of the running server and keeps a copy in `location`. The copy is checked to be
 * the snapshot this call asked for: if another save replaced dump.rdb before it was copied, the
 * backup is taken again (its recovery point would otherwise be later than it says).
 */
export async function takeBackup(
  client: RedisClient,
  dataDir: string,
  location: string,
  timeoutMs = 120_000,
): Promise<RedisBackup> {
  const deadline = Date.now() + timeoutMs;
  mkdirSync(location, { recursive: true, mode: 0o700 });
  for (;;) {
    const { requestedAt, snapshotAt, before } = await bgsave(client, deadline);
    let now = await saveCount(client);
    while (now.inProgress || now.saves <= before) {
      if (now.status === 'err' && !now.inProgress)
        throw new Error(`BGSAVE failed (rdb_last_bgsave_status:err): see the server's log`);
      if (Date.now() > deadline) throw new Error(`BGSAVE did not complete within ${timeoutMs} ms`);
      await sleep(50);
      now = await saveCount(client);
    }
    if (now.status !== 'ok') throw new Error(`BGSAVE ended with rdb_last_bgsave_status:${now.status}`);
    const name = backupName(snapshotAt);
    const tmp = join(location, `.${name}.partial`);
    copyFileSync(join(dataDir, RDB_FILE), tmp);
    if ((await saveCount(client)).saves !== now.saves) {
      rmSync(tmp, { force: true });
      continue; // a later save may have replaced dump.rdb while it was copied
    }
    renameSync(tmp, join(location, name));
    const backup: RedisBackup = {
      name,
      location,
      bytes: statSync(join(location, name)).size,
      sha256: sha256File(join(location, name)),
      requestedAt,
      snapshotAt,
      keptAt: Date.now(),
    };
    writeFileSync(join(location, `${name}.json`), JSON.stringify(backup, null, 2));
    return backup;
  }
}

/** The backups kept in `location`, oldest snapshot first (only complete ones: each has its record). */
export function listBackups(location: string): RedisBackup[] {
  if (!existsSync(location)) return [];
  return readdirSync(location)
    .filter((f) => f.endsWith('.rdb.json') && existsSync(join(location, f.slice(0, -'.json'.length))))
    .map((f) => JSON.parse(readFileSync(join(location, f), 'utf8')) as RedisBackup)
    .sort((a, b) => a.snapshotAt - b.snapshotAt);
}

/** What a data directory holds, relative paths, sorted (the AOF directory's files included). */
export function dataFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) for (const f of readdirSync(join(dir, e.name))) out.push(`${e.name}/${f}`);
    else out.push(e.name);
  }
  return out.sort();
}

export function wipeData(dir: string): string[] {
  const removed = dataFiles(dir);
  for (const e of existsSync(dir) ? readdirSync(dir) : [])
    rmSync(join(dir, e), { recursive: true, force: true });
  return removed;
}

/**
 * Writes `backup` into the empty data directory `dir`: dump.rdb, and with AOF on the log's base
 * (the RDB itself) and a manifest naming it, so the server loads it and appends after it.
 * `owner`: the account the server runs as, which must be able to write what is put there.
 */
export function restoreBackup(
  backup: RedisBackup,
  dir: string,
  appendonly: boolean,
  owner?: { uid: number; gid: number },
  member = 'redis-0',
): RestoreResult {
  const started = Date.now();
  const present = dataFiles(dir);
  if (present.length)
    throw new Error(
      `the data directory ${dir} is not empty (${present.join(', ')}): a restore only fills an empty one; wipe it first (action "wipe-data")`,
    );
  const source = join(backup.location, backup.name);
  if (sha256File(source) !== backup.sha256)
    throw new Error(`backup ${backup.name} does not match its SHA-256: not restored`);
  const written: string[] = [];
  const put = (rel: string, write: (path: string) => void) => {
    write(join(dir, rel));
    if (owner) chownSync(join(dir, rel), owner.uid, owner.gid);
    written.push(rel);
  };
  put(RDB_FILE, (p) => copyFileSync(source, p));
  if (appendonly) {
    mkdirSync(join(dir, AOF_DIR), { mode: 0o700 });
    if (owner) chownSync(join(dir, AOF_DIR), owner.uid, owner.gid);
    const base = `${AOF_NAME}.1.base.rdb`;
    put(`${AOF_DIR}/${base}`, (p) => copyFileSync(source, p));
    put(`${AOF_DIR}/${AOF_NAME}.manifest`, (p) => writeFileSync(p, `file ${base} seq 1 type b\n`));
  }
  return { member, backup, written, ms: Date.now() - started };
}

/**
 * Whether a stopped member's data directory lacks a dataset the server would load: with AOF on its
 * manifest, otherwise dump.rdb. A restore that died half-way leaves files but no manifest: also lacking.
 */
export function lacksDataset(files: readonly string[], appendonly: boolean): boolean {
  return !files.includes(appendonly ? `${AOF_DIR}/${AOF_NAME}.manifest` : RDB_FILE);
}
