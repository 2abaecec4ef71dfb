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
  const result = handle.result();
  let done = false;
  result.finally(() => (done = true)).catch(() => {});
  let finished = 0; // runs whose verdict the console shows
  // The run's own progress: the target's workflow id may already serve the next run (a repeat).
  const progressOf = (run: (typeof runs)[number]) =>
    client.workflow
      .getHandle(targetWorkflowId(run.platform, run.target))
      .query(progressQuery)
      .then((p) => (p.runId === run.runId ? p : undefined))
      .catch(() => undefined);
  live.start();
  while (!done) {
    try {
      const gd = await handle.query(gameDayProgressQuery);
      // A run that ended since the last poll: its last progress (markers, elapsed), then its verdict.
      for (let i = finished; i < gd.results.length; i++) {
        const p = runs[i] && (await progressOf(runs[i]!));
        if (p) live.update(i, p);
        live.finish(i, gd.results[i]!.verdict ?? 'did not run');
      }
      finished = gd.results.length;
      const run = runs[gd.current];
      if (run) {
        const p = await progressOf(run);
        if (p) live.update(gd.current, p);
        else live.phase(gd.current, gd.stopped ? 'not started' : 'starting');
      }
      live.note(gd.stopped ? `game day stopping: ${gd.stopped}` : undefined);
    } catch {
      /* between children */
    }
    live.draw();
    await tick(result);
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
