// The terminal side of the live view (src/cli/live-view.ts renders it): keeps the state of each
// row from the drills' progress, and on a TTY redraws one region in place on stderr; anything else
// written to stderr meanwhile (an interrupt's message, a --verbose log line) is printed above the
// region, never into it. Not a TTY: one plain line per phase change.
import type { DrillProgress } from '../../workflows/names.ts';
import {
  appendStrip,
  canaryStep,
  plainLine,
  STRIP,
  redraw,
  renderLive,
  type CanaryCounts,
  type LiveRow,
  type LiveState,
} from './live-view.ts';

type Write = typeof process.stderr.write;

export class LiveConsole {
  private readonly state: LiveState;
  private readonly counts: CanaryCounts[];
  private readonly printed: string[];
  private readonly quietPolls: number[];
  private drawn = 0;
  private realWrite?: Write;
  private lastNote?: string;
  private saidLogs = false;
  private readonly quiet: boolean;
  readonly tty: boolean;

  constructor(
    opts: { title: string; labels: readonly string[]; logs?: string; quiet?: boolean },
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = !opts.quiet && Boolean(stream.isTTY);
    this.quiet = Boolean(opts.quiet);
    this.state = {
      title: opts.title,
      logs: opts.logs,
      rows: opts.labels.map((label) => ({
        label,
        phase: 'waiting',
        elapsedMs: null,
        strip: '',
        markers: [],
      })),
    };
    this.counts = opts.labels.map(() => ({ ok: 0, failed: 0 }));
    this.printed = opts.labels.map(() => '');
    this.quietPolls = opts.labels.map(() => 0);
  }

  /** Starts drawing; on a TTY other writes to the stream go above the region until stop(). */
  start(): void {
    if (!this.tty) {
      // Said once, where a log reader finds it: the region that shows it on a terminal is not drawn.
      if (!this.quiet && this.state.logs && !this.saidLogs) this.stream.write(`logs: ${this.state.logs}\n`);
      this.saidLogs = true;
      return;
    }
    if (this.realWrite) return; // started already (the next run of a --repeat)
    const real = this.stream.write.bind(this.stream) as Write;
    this.realWrite = real;
    this.stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
      real(redraw(this.drawn, []));
      this.drawn = 0;
      real(text.endsWith('\n') ? text : `${text}\n`);
      this.draw();
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      done?.();
      return true;
    }) as Write;
    this.draw();
  }

  /** The row's state from its drill's progress query. */
  update(index: number, p: DrillProgress): void {
    const row = this.state.rows[index];
    if (!row || row.verdict !== undefined) return;
    row.phase = p.phase;
    row.elapsedMs = p.elapsedMs;
    row.markers = p.markers.map((m) => m.marker);
    row.aborted = p.aborted;
    row.canary = { ok: p.canary.ok, failed: p.canary.failed };
    const step = canaryStep(this.counts[index]!, p.canary);
    this.counts[index] = { ok: p.canary.ok, failed: p.canary.failed };
    // The counts move about once a second and the console polls twice as often: a quiet poll
    // between two that moved is not a gap, so '·' is added only for two quiet polls in a row.
    if (step === STRIP.none && !this.quietPolls[index]) {
      this.quietPolls[index] = 1;
      return;
    }
    this.quietPolls[index] = 0;
    row.strip = appendStrip(row.strip, step);
  }

  /** A row whose drill has not reported progress yet ('starting', 'not started'). */
  phase(index: number, phase: string): void {
    const row = this.state.rows[index];
    if (row && row.verdict === undefined) row.phase = phase;
  }

  finish(index: number, verdict: string): void {
    const row = this.state.rows[index];
    if (row && row.verdict === undefined) {
      row.verdict = verdict;
      row.phase = 'done';
    }
  }

  note(text: string | undefined): void {
    this.state.note = text;
  }

  draw(): void {
    if (this.quiet) return;
    if (this.tty) {
      // One line short of the screen: the cursor sits on the line below the region.
      const lines = renderLive(this.state, this.stream.columns || 120, (this.stream.rows || 40) - 1);
      (this.realWrite ?? this.stream.write.bind(this.stream))(redraw(this.drawn, lines));
      this.drawn = lines.length;
      return;
    }
    const total = this.state.rows.length;
    this.state.rows.forEach((row: LiveRow, index) => {
      // One line per phase change (and one for the verdict); the elapsed time does not count.
      const key = `${row.phase}|${row.verdict ?? ''}|${row.aborted ?? ''}`;
      if (row.phase === 'waiting' || key === this.printed[index]) return;
      this.printed[index] = key;
      this.stream.write(`${plainLine(row, total > 1 ? { index, total } : undefined)}\n`);
    });
    if (this.state.note && this.state.note !== this.lastNote) this.stream.write(`${this.state.note}\n`);
    this.lastNote = this.state.note;
  }

  /** Last drawing, and stderr is the stream's own again. */
  stop(): void {
    this.draw();
    if (this.realWrite) this.stream.write = this.realWrite;
    this.realWrite = undefined;
  }
}
