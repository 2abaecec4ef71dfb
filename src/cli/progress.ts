// Live progress of a running drill, from its `progress` query: one line, redrawn on a terminal,
// printed on each phase change otherwise (CI logs stay short).
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { DrillProgress } from '../../workflows/names.ts';
import { gameDayProgressQuery, progressQuery, targetWorkflowId } from '../../workflows/names.ts';
import type { PlatformRef } from '../platform/platform.ts';
import type { DrillResult } from '../measure/types.ts';
import { formatDuration } from '../topology/duration.ts';

export function progressLine(p: DrillProgress): string {
  const markers = p.markers.map((m) => m.marker).join(' ');
  const health = p.canary.lastOk === null ? '' : p.canary.lastOk ? ' canary ok ' : ' canary FAILING ';
  const aborting = p.aborted ? ` ABORTING (${p.aborted})` : '';
  return `${p.drill}/${p.variant} ${p.phase.padEnd(12)} ${(p.elapsedMs / 1000).toFixed(1).padStart(6)} s  canaries ${p.canary.ok} ok / ${p.canary.failed} failed${health} ${markers}${aborting}`;
}

export async function followProgress(handle: WorkflowHandle, opts: { quiet?: boolean } = {}): Promise<void> {
  const tty = process.stderr.isTTY;
  let lastPhase = '';
  let done = false;
  const result = handle.result().finally(() => {
    done = true;
  });
  result.catch(() => {});
  while (!done) {
    try {
      const p = await handle.query(progressQuery);
      if (!opts.quiet) {
        if (tty) process.stderr.write(`\r\x1b[2K${progressLine(p)}`);
        else if (p.phase !== lastPhase) console.error(progressLine(p));
      }
      lastPhase = p.phase;
    } catch {
      /* not started yet, or finished between checks */
    }
    await Promise.race([result.catch(() => {}), new Promise((r) => setTimeout(r, 500))]);
  }
  if (tty && !opts.quiet) process.stderr.write('\n');
}

/**
 * Live progress of a game day: which drill of how many, and that drill's own progress line. Returns
 * when the game day has ended (its result is then ready).
 */
export async function followGameDay(
  client: Client,
  handle: WorkflowHandle,
  runs: readonly { runId: string; drill: string; variant?: string; platform: PlatformRef; target: string }[],
): Promise<void> {
  const finished = handle.result();
  let done = false;
  finished.finally(() => (done = true)).catch(() => {});
  let lastKey = '';
  while (!done) {
    try {
      const gd = await handle.query(gameDayProgressQuery);
      const run = runs[gd.current];
      let line = `[${Math.min(gd.current + 1, gd.total)}/${gd.total}]`;
      let key = String(gd.current);
      if (run) {
        const p = await client.workflow
          .getHandle(targetWorkflowId(run.platform, run.target))
          .query(progressQuery)
          .catch(() => undefined);
        const mine = p && p.runId === run.runId ? p : undefined;
        line += ` ${mine ? progressLine(mine) : `${run.drill}/${run.variant} ${gd.stopped ? 'not started' : 'starting'}`}`;
        key += `:${mine?.phase ?? 'starting'}`;
      }
      if (gd.stopped) line += ` (game day stopping: ${gd.stopped})`;
      // A terminal gets a live line; a log gets one line per phase.
      if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${line}`);
      else if (key !== lastKey) console.error(line);
      lastKey = key;
    } catch {
      /* between children */
    }
    await Promise.race([finished.catch(() => {}), new Promise((r) => setTimeout(r, 500))]);
  }
  if (process.stderr.isTTY) process.stderr.write('\n');
}

const ms = (v: number | null) => (v === null ? '—' : formatDuration(v));

export function verdictTable(results: DrillResult[]): string {
  const rows = [
    ['drill', 'variant', 'verdict', 'RTO service', 'RTO full', 'target RTO', 'lost', 'RPO', 'target RPO'],
  ];
  for (const r of results) {
    rows.push([
      r.drill,
      r.variant,
      r.verdict,
      ms(r.rto.serviceMs),
      ms(r.rto.fullMs),
      formatDuration(r.targets.rtoMs),
      String(r.rpo.lost + r.rpo.corrupted),
      r.rpo.seconds === null ? '—' : `${r.rpo.seconds}s`,
      r.targets.rpoMs === null ? 'report' : formatDuration(r.targets.rpoMs),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const out = rows.map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  '));
  out.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of results) if (r.reason) out.push(`${r.drill}/${r.variant}: ${r.reason}`);
  return out.join('\n');
}
