// The acknowledged-write ledger: writes uniquely identified records to the system under test and
// logs each one write-ahead (invoke before sending, outcome after), so a record whose outcome was
// never logged is "unknown", never silently "ok".
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { DrillDefinition, DrillEnv } from '../drill/definition.ts';
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

/** Highest id already in the log (a resumed writer continues after it) and the acks so far. */
export function ledgerStats(file: string): LedgerStats & { maxId: number } {
  const stats = { invoked: 0, acked: 0, failed: 0, unknown: 0, maxId: 0 };
  if (!existsSync(file)) return stats;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
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
  /** Upper bound on records per second (0 = as fast as the system acknowledges). */
  maxRate?: number;
  writeTimeoutMs?: number;
  onProgress?: (stats: LedgerStats) => void;
}

/** Runs until the signal aborts. Several writers share one id sequence (plan.ledgerConcurrency). */
export async function runLedgerWriter<S>(
  drill: DrillDefinition<S>,
  env: DrillEnv,
  s: S,
  plan: DrillPlan,
  file: string,
  opts: WriterOptions,
): Promise<LedgerStats> {
  const start = ledgerStats(file);
  let nextId = start.maxId + 1;
  const stats: LedgerStats = {
    invoked: start.invoked,
    acked: start.acked,
    failed: start.failed,
    unknown: start.unknown,
  };
  const log = (event: Record<string, unknown>) => appendFileSync(file, JSON.stringify(event) + '\n');
  const maxRate = opts.maxRate ?? 1_000;
  const began = Date.now();
  const firstId = nextId;

  const worker = async () => {
    while (!opts.signal.aborted) {
      if (maxRate > 0) {
        // Pace on the shared sequence: record n may not start before began + (n - first) / rate.
        const due = began + ((nextId - firstId) * 1_000) / maxRate;
        if (due > Date.now()) await sleep(due - Date.now());
        if (opts.signal.aborted) break;
      }
      const id = nextId++;
      const key = ledgerKey(env.runId, id);
      const payload = Buffer.concat([Buffer.from(`${key} `), randomBytes(48)]);
      const sha256 = createHash('sha256').update(payload).digest('hex');
      log({ e: 'invoke', id, key, sha256, t: Date.now() });
      stats.invoked++;
      try {
        const { position } = await withTimeout(
          drill.write(env, s, { id, key, payload }),
          opts.writeTimeoutMs ?? 5_000,
        );
        log({ e: 'ack', id, t: Date.now(), ...(position ? { position } : {}) });
        stats.acked++;
      } catch (err) {
        const definite = !(err instanceof LedgerTimeout) && drill.isDefiniteFailure(err);
        log({
          e: definite ? 'fail' : 'unknown',
          id,
          t: Date.now(),
          error: String((err as Error)?.message ?? err).slice(0, 200),
        });
        if (definite) stats.failed++;
        else stats.unknown++;
        await sleep(20); // a refusing system is not hammered
      }
      opts.onProgress?.(stats);
    }
  };
  await Promise.all(Array.from({ length: plan.ledgerConcurrency }, worker));
  return stats;
}
