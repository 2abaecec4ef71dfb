// Live progress of running drills, from their `progress` queries, into the live console
// (src/cli/live-console.ts); and the verdict table printed at the end.
import type { Client, WorkflowHandle } from '@temporalio/client';
import { gameDayProgressQuery, progressQuery, targetWorkflowId } from '../../workflows/names.ts';
import type { PlatformRef } from '../platform/platform.ts';
import type { DrillResult } from '../measure/types.ts';
import { formatDuration } from '../topology/duration.ts';
import type { LiveConsole } from './live-console.ts';

const tick = (result: Promise<unknown>) =>
  Promise.race([result.catch(() => {}), new Promise((r) => setTimeout(r, 500))]);

/**
 * Live progress of one drill into row `index` of `live`, until its workflow has ended (its result
 * is then ready). The caller sets the verdict and stops the console.
 */
export async function followProgress(handle: WorkflowHandle, live: LiveConsole, index = 0): Promise<void> {
  let done = false;
  const result = handle.result().finally(() => {
    done = true;
  });
  result.catch(() => {});
  live.start();
  while (!done) {
    try {
      live.update(index, await handle.query(progressQuery));
    } catch {
      /* not started yet, or finished between checks */
    }
    live.draw();
    await tick(result);
  }
  // A closed workflow still answers: its last phase and markers, not those of the last poll.
  await handle
    .query(progressQuery)
    .then((p) => live.update(index, p))
    .catch(() => {});
}

/**
 * Live progress of a game day: a row per run (the running one from its drill's progress query,
 * the finished ones with their verdict) and the overall bar. Returns when the game day has ended
 * (its result is then ready); the console is left drawn for the caller to stop.
 */
export async function followGameDay(
  client: Client,
  handle: WorkflowHandle,
  runs: readonly { runId: string; drill: string; variant?: string; platform: PlatformRef; target: string }[],
  live: LiveConsole,
): Promise<void> {
  const finished = handle.result();
  let done = false;
  finished.finally(() => (done = true)).catch(() => {});
  live.start();
  while (!done) {
    try {
      const gd = await handle.query(gameDayProgressQuery);
      gd.results.forEach((r, i) => live.finish(i, r.verdict ?? 'did not run'));
      const run = runs[gd.current];
      if (run) {
        const p = await client.workflow
          .getHandle(targetWorkflowId(run.platform, run.target))
          .query(progressQuery)
          .catch(() => undefined);
        if (p && p.runId === run.runId) live.update(gd.current, p);
        else live.phase(gd.current, gd.stopped ? 'not started' : 'starting');
      }
      live.note(gd.stopped ? `game day stopping: ${gd.stopped}` : undefined);
    } catch {
      /* between children */
    }
    live.draw();
    await tick(finished);
  }
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
