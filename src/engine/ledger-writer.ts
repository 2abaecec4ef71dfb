// The acknowledged-write ledger: writes uniquely identified records to the system under test and
// logs each one write-ahead (invoke before sending, outcome after), so a record whose outcome was
// never logged is "unknown", never silently "ok".
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { DrillDefinition, DrillEnv, LedgerRecord } from '../drill/definition.ts';
import type { DrillPlan } from '../drill/validate.ts';
import { sleep } from '../util/wait.ts';

export const ledgerKey = (runId: string, id: number) => `${runId}/${String(id).padStart(9, '0')}`;
export const ledgerPrefix = (runId: string) => `${runId}/`;

export interface LedgerStats {
  invoked: number;
  acked: number;
  failed: number;
  unknown: number;
}

/** A running writer's figures: the log's, plus what the log does not keep. */
export interface WriterStats extends LedgerStats {
  /** Acknowledged calls of this writer (a batch is one call). */
  ackedCalls: number;
}

/** Highest id already in the log (a resumed writer continues after it) and the acks so far. */
export function ledgerStats(file: string): LedgerStats & { maxId: number } {
  return ledgerStatsOf(existsSync(file) ? readFileSync(file, 'utf8').split('\n') : []);
}

/** The same, of the log's lines (as every worker shared them). */
export function ledgerStatsOf(lines: readonly string[]): LedgerStats & { maxId: number } {
  const stats = { invoked: 0, acked: 0, failed: 0, unknown: 0, maxId: 0 };
  for (const line of lines) {
    if (!line) continue;
    try {
      const e = JSON.parse(line) as { e: string; id: number };
      if (e.e === 'invoke') {
        stats.invoked++;
        stats.maxId = Math.max(stats.maxId, e.id);
      } else if (e.e === 'ack') stats.acked++;
      else if (e.e === 'fail') stats.failed++;
      else if (e.e === 'unknown') stats.unknown++;
    } catch {
      /* cut short by a crash */
    }
  }
  return stats;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new LedgerTimeout(ms)), ms);
    }),
  ]);
}

export class LedgerTimeout extends Error {
  constructor(ms: number) {
    super(`no acknowledgement within ${ms} ms`);
  }
}

export interface WriterOptions {
  signal: AbortSignal;
  /** Upper bound on records per second (0 = as fast as the system acknowledges); default: the plan's. */
  maxRate?: number;
  writeTimeoutMs?: number;
  onProgress?: (stats: LedgerStats) => void;
  /** Told every batch of log lines after it is in the file (shared with the other workers). */
  share?: (text: string) => void;
  /**
   * The log as every worker wrote it so far, when this worker's file may not have all of it (a
   * writer resumed on another machine): ids continue after its highest, with a gap, since ids an
   * earlier writer sent in its last moments may not have been shared.
   */
  resumeFrom?: LedgerStats & { maxId: number };
}

/** Ids skipped by a writer resumed from shared lines: more than any writer sends unshared. */
export const RESUME_ID_GAP = 100_000;

/** Runs until the signal aborts. Several writers share one id sequence (plan.ledgerConcurrency). */
export async function runLedgerWriter<S>(
  drill: DrillDefinition<S>,
  env: DrillEnv,
  s: S,
  plan: DrillPlan,
  file: string,
  opts: WriterOptions,
): Promise<WriterStats> {
  const local = ledgerStats(file);
  const resumed = opts.resumeFrom && opts.resumeFrom.maxId > local.maxId;
  const start = resumed ? opts.resumeFrom! : local;
  let nextId = start.maxId + 1 + (resumed ? RESUME_ID_GAP : 0);
  const stats: WriterStats = {
    invoked: start.invoked,
    acked: start.acked,
    failed: start.failed,
    unknown: start.unknown,
    ackedCalls: 0,
  };
  // One write per event batch: a crash mid-append loses at most the tail, which parses as "cut short".
  const log = (...events: Record<string, unknown>[]) => {
    const text = events.map((e) => JSON.stringify(e) + '\n').join('');
    appendFileSync(file, text);
    opts.share?.(text);
  };
  // A plan recorded by an older version (a workflow resumed across an upgrade) has neither field.
  const maxRate = opts.maxRate ?? plan.ledgerMaxRate ?? 1_000;
  const batchSize = drill.writeBatch ? (plan.ledgerBatch ?? 1) : 1;
  const began = Date.now();
  const firstId = nextId;
  const dueAt = (id: number) => began + ((id - firstId) * 1_000) / maxRate;

  /** The next ids this writer may send now: one, or up to a batch of those already due. */
  const take = async (): Promise<number[]> => {
    if (maxRate > 0) {
      // Pace on the shared sequence: record n may not start before began + (n - first) / rate.
      const due = dueAt(nextId);
      if (due > Date.now()) await sleep(due - Date.now());
      if (opts.signal.aborted) return [];
    }
    const ids = [nextId++];
    while (ids.length < batchSize && (maxRate === 0 || dueAt(nextId) <= Date.now())) ids.push(nextId++);
    return ids;
  };

  const worker = async () => {
    while (!opts.signal.aborted) {
      const ids = await take();
      if (!ids.length) break;
      const records: LedgerRecord[] = ids.map((id) => {
        const key = ledgerKey(env.runId, id);
        return { id, key, payload: Buffer.concat([Buffer.from(`${key} `), randomBytes(48)]) };
      });
      const invokedAt = Date.now();
      log(
        ...records.map((r) => ({
          e: 'invoke',
          id: r.id,
          key: r.key,
          sha256: createHash('sha256').update(r.payload).digest('hex'),
          t: invokedAt,
        })),
      );
      stats.invoked += records.length;
      try {
        const positions = await withTimeout(
          batchSize === 1
            ? drill.write(env, s, records[0]!).then((p) => [p])
            : drill.writeBatch!(env, s, records).then((p) => {
                if (p.length !== records.length)
                  throw new Error(`writeBatch answered ${p.length} positions for ${records.length} records`);
                return p;
              }),
          opts.writeTimeoutMs ?? 5_000,
        );
        const t = Date.now();
        log(
          ...records.map((r, i) => {
            const position = positions[i]?.position;
            return { e: 'ack', id: r.id, t, ...(position ? { position } : {}) };
          }),
        );
        stats.acked += records.length;
        stats.ackedCalls++;
      } catch (err) {
        const definite = !(err instanceof LedgerTimeout) && drill.isDefiniteFailure(err);
        const t = Date.now();
        const error = String((err as Error)?.message ?? err).slice(0, 200);
        log(...records.map((r) => ({ e: definite ? 'fail' : 'unknown', id: r.id, t, error })));
        if (definite) stats.failed += records.length;
        else stats.unknown += records.length;
        await sleep(20); // a refusing system is not hammered
      }
      opts.onProgress?.(stats);
    }
  };
  await Promise.all(Array.from({ length: plan.ledgerConcurrency }, worker));
  return stats;
}
