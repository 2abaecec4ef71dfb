// A run's evidence lines (ledger, canaries, markers) shared through the results database, in
// chunks as each worker writes them: the steps of one run may run on workers with different
// disks, and the one that verifies or records must see what the others wrote. Each worker still
// writes its own run folder first (synchronously); this copy is sent every FLUSH_MS, so a worker
// killed outright loses at most that much of it — which a verdict then cannot claim (a write whose
// acknowledgement was not shared is "unknown", never "acknowledged").
import { hostname } from 'node:os';
import pg from 'pg';
import type { EvidenceStream, SharedEvidence } from '../engine/shared-evidence.ts';

const FLUSH_MS = 100;

export class PgSharedEvidence implements SharedEvidence {
  private readonly buffers = new Map<string, { runId: string; stream: EvidenceStream; lines: string[] }>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly worker = `${hostname()}:${process.pid}`;

  constructor(private readonly pool: pg.Pool) {}

  static open(url: string): PgSharedEvidence {
    const pool = new pg.Pool({
      connectionString: url,
      max: 2,
      connectionTimeoutMillis: 5_000,
      statement_timeout: 15_000,
    });
    pool.on('error', () => {});
    return new PgSharedEvidence(pool);
  }

  append(runId: string, stream: EvidenceStream, text: string): void {
    const key = `${runId}\u0000${stream}`;
    let b = this.buffers.get(key);
    if (!b) this.buffers.set(key, (b = { runId, stream, lines: [] }));
    b.lines.push(text.endsWith('\n') ? text.slice(0, -1) : text);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush().catch(() => {});
    }, FLUSH_MS).unref();
  }

  /** Sends what is buffered (of one run, or all); resolves when the database has it. */
  async flush(runId?: string): Promise<void> {
    const batch = [...this.buffers.entries()].filter(([, b]) => runId === undefined || b.runId === runId);
    for (const [key] of batch) this.buffers.delete(key);
    // One flush after another: chunks of a stream keep their order.
    const next = this.flushing.then(async () => {
      for (const [, b] of batch) {
        if (!b.lines.length) continue;
        await this.pool.query(
          'INSERT INTO run_evidence (run_id, stream, worker, lines) VALUES ($1,$2,$3,$4)',
          [b.runId, b.stream, this.worker, b.lines.join('\n')],
        );
      }
    });
    this.flushing = next.catch(() => {});
    await next;
  }

  async lines(runId: string, stream: EvidenceStream): Promise<string[]> {
    const res = await this.pool.query<{ lines: string }>(
      'SELECT lines FROM run_evidence WHERE run_id = $1 AND stream = $2 ORDER BY id',
      [runId, stream],
    );
    return res.rows.flatMap((r) => r.lines.split('\n')).filter(Boolean);
  }

  async close(): Promise<void> {
    await this.flush().catch(() => {});
    await this.pool.end();
  }
}
