// Live progress of a running drill, from its `progress` query: one line, redrawn on a terminal,
// printed on each phase change otherwise (CI logs stay short).
import type { WorkflowHandle } from '@temporalio/client';
import type { DrillProgress } from '../../workflows/names.ts';
import { progressQuery } from '../../workflows/names.ts';
import type { DrillResult } from '../measure/types.ts';
import { formatDuration } from '../topology/duration.ts';

export function progressLine(p: DrillProgress): string {
  const markers = p.markers.map((m) => m.marker).join(' ');
  const health = p.canary.lastOk === null ? '' : p.canary.lastOk ? ' canary ok ' : ' canary FAILING ';
  return `${p.drill}/${p.variant} ${p.phase.padEnd(12)} ${(p.elapsedMs / 1000).toFixed(1).padStart(6)} s  canaries ${p.canary.ok} ok / ${p.canary.failed} failed${health} ${markers}`;
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
