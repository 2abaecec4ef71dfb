// The live console of `run` and `gameday` as text, from a state: a row per drill (phase, elapsed,
// canary strip, markers, verdict) and an overall progress bar. Pure: the terminal side
// (src/cli/live-console.ts) only polls, keeps the state and writes what this returns.

export interface LiveRow {
  /** drill/variant */
  label: string;
  /** 'waiting' before it starts; the drill's phase while it runs. */
  phase: string;
  elapsedMs: number | null;
  /** One character per poll (canaryStep), newest last. */
  strip: string;
  markers: string[];
  /** Canaries so far (the plain line states them). */
  canary?: CanaryCounts;
  /** Set once the run is over: MET, BREACHED, … or "did not run". */
  verdict?: string;
  aborted?: string;
}

export interface LiveState {
  title: string;
  rows: LiveRow[];
  /** Where the worker's logs go (printed under the rows). */
  logs?: string;
  /** A note under the bar, e.g. the game day stopping. */
  note?: string;
}

/** Characters of the canary strip, one per poll. */
export const STRIP = { none: '·', ok: '▪', failed: '×', mixed: '±' } as const;
export const STRIP_WIDTH = 30;

export interface CanaryCounts {
  ok: number;
  failed: number;
}

/** The strip's next character: what the canaries did since the last poll. */
export function canaryStep(before: CanaryCounts, now: CanaryCounts): string {
  const ok = now.ok > before.ok;
  const failed = now.failed > before.failed;
  return ok && failed ? STRIP.mixed : failed ? STRIP.failed : ok ? STRIP.ok : STRIP.none;
}

/** The strip with one more step, keeping the newest `width`. */
export function appendStrip(strip: string, step: string, width = STRIP_WIDTH): string {
  const chars = [...strip, step];
  return chars.slice(Math.max(0, chars.length - width)).join('');
}

export function progressBar(done: number, total: number, width = 30): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(fraction * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${done}/${total}`;
}

const seconds = (ms: number | null) => (ms === null ? '' : `${(ms / 1000).toFixed(1)} s`);

/** Cuts a line to the terminal's width, so that no line wraps (a wrapped line breaks the redraw). */
export function fit(line: string, columns: number): string {
  const chars = [...line];
  return chars.length <= columns ? line : chars.slice(0, Math.max(1, columns - 1)).join('') + '…';
}

/**
 * The rows to show when they do not all fit in `budget` lines (a redraw cannot reach above the top
 * of the screen): a window from the first unfinished row, with a line for those left out.
 */
export function windowRows(rows: readonly LiveRow[], budget: number): (LiveRow | string)[] {
  if (rows.length <= budget) return [...rows];
  const room = Math.max(1, budget - 2); // a line for the rows above, one for those below
  const running = rows.findIndex((r) => r.verdict === undefined);
  const first = Math.max(0, Math.min(running === -1 ? rows.length : running, rows.length - room) - 1);
  const shown = rows.slice(first, first + room);
  const above = rows.slice(0, first);
  const below = rows.length - first - shown.length;
  const counts = new Map<string, number>();
  for (const r of above) counts.set(r.verdict ?? r.phase, (counts.get(r.verdict ?? r.phase) ?? 0) + 1);
  const summary = [...counts].map(([v, n]) => `${n} ${v}`).join(', ');
  return [
    ...(above.length ? [`… ${above.length} done above (${summary})`] : []),
    ...shown,
    ...(below ? [`… ${below} more below`] : []),
  ];
}

/** The region's lines: title, one row per drill, the bar, where the logs go; at most `maxLines`. */
export function renderLive(state: LiveState, columns = 120, maxLines = Infinity): string[] {
  const labelWidth = Math.max(5, ...state.rows.map((r) => [...r.label].length));
  const done = state.rows.filter((r) => r.verdict !== undefined).length;
  const fixed = 2 + (state.note ? 1 : 0) + (state.logs ? 1 : 0); // title, bar, note, logs
  const lines = [state.title];
  for (const r of windowRows(state.rows, maxLines - fixed)) {
    if (typeof r === 'string') {
      lines.push(r);
      continue;
    }
    const status = r.verdict ?? (r.aborted ? `ABORTING (${r.aborted})` : '');
    lines.push(
      [
        r.label.padEnd(labelWidth),
        r.phase.padEnd(13),
        seconds(r.elapsedMs).padStart(8),
        r.strip.padEnd(STRIP_WIDTH),
        status.padEnd(8),
        r.markers.join(' '),
      ]
        .join('  ')
        .trimEnd(),
    );
  }
  lines.push(progressBar(done, state.rows.length));
  if (state.note) lines.push(state.note);
  if (state.logs) lines.push(`logs: ${state.logs}`);
  return lines.map((l) => fit(l, columns));
}

/**
 * What redraws the region in place: up to the first line of the last drawing, clear to the end of
 * the screen, the new lines. `previous` is how many lines the last drawing had (0: the first one).
 */
export function redraw(previous: number, lines: readonly string[]): string {
  const up = previous > 0 ? `\x1b[${previous}F` : '';
  return `${up}\x1b[J${lines.map((l) => `${l}\n`).join('')}`;
}

/** Not a terminal: one plain line for a row, printed when its phase (or verdict) changes. */
export function plainLine(r: LiveRow, position?: { index: number; total: number }): string {
  const at = position ? `[${position.index + 1}/${position.total}] ` : '';
  const status = r.verdict ? ` ${r.verdict}` : r.aborted ? ` ABORTING (${r.aborted})` : '';
  const markers = r.markers.length ? ` ${r.markers.join(' ')}` : '';
  const canaries = r.canary ? ` canaries ${r.canary.ok} ok / ${r.canary.failed} failed` : '';
  return `${at}${r.label} ${r.phase} ${seconds(r.elapsedMs)}${canaries}${status}${markers}`
    .replace(/ +/g, ' ')
    .trim();
}
