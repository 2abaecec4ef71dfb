// The live console's terminal side (src/cli/live-console.ts) on a stand-in stream: on a TTY other
// writes land above the redrawn region, never inside it; off a TTY one plain line per phase change.
import { describe, expect, it } from 'vitest';
import { LiveConsole } from '../../src/cli/live-console.ts';
import type { DrillProgress } from '../../workflows/names.ts';

function stream(isTTY: boolean) {
  const out: string[] = [];
  const s = { isTTY, columns: 100, write: (c: string) => (out.push(c), true) };
  return { s: s as unknown as NodeJS.WriteStream, out, text: () => out.join('') };
}

const progress = (
  phase: DrillProgress['phase'],
  ok: number,
  failed: number,
  elapsedMs = 1_000,
): DrillProgress => ({
  runId: 'r1',
  drill: 'calibration',
  variant: 'outage',
  phase,
  startedAt: 0,
  elapsedMs,
  canary: { ok, failed, lastOk: null },
  markers: phase === 'recover' ? [{ marker: 'T0', at: 1 }] : [],
});

const ESC = '\x1b';
const CONTROL = new RegExp(`(${ESC}\\[\\d*F|${ESC}\\[J|\\n)`);
const UP = new RegExp(`^${ESC}\\[(\\d*)F$`);

/** What a terminal shows after these writes: ESC[nF goes up n lines, ESC[J clears below. */
function screen(text: string): string[] {
  const lines: string[] = [''];
  let row = 0;
  for (const part of text.split(CONTROL)) {
    const up = UP.exec(part);
    if (up) {
      row = Math.max(0, row - Number(up[1] || 1));
    } else if (part === `${ESC}[J`) {
      lines.splice(row + 1);
      lines[row] = '';
    } else if (part === '\n') {
      row++;
      if (lines[row] === undefined) lines.push('');
    } else {
      lines[row] = (lines[row] ?? '') + part;
    }
  }
  return lines.filter((l, i) => l !== '' || i < lines.length - 1);
}

describe('live console', () => {
  it('on a TTY: a stray stderr line goes above the region, which is redrawn whole below it', () => {
    const { s, text } = stream(true);
    const live = new LiveConsole(
      { title: 'run', labels: ['calibration/outage'], logs: 'reports/r1/worker.log' },
      s,
    );
    live.start();
    live.start(); // the next run of a --repeat: still one wrapper around the stream
    live.update(0, progress('steady-state', 3, 0));
    live.draw();
    s.write('firedrill: SIGINT: aborting\n');
    live.update(0, progress('recover', 5, 4, 2_500));
    live.draw();
    live.finish(0, 'MET');
    live.stop();
    const shown = screen(text());
    expect(shown[0]).toBe('firedrill: SIGINT: aborting');
    expect(shown[1]).toBe('run');
    expect(shown[2]).toMatch(/^calibration\/outage\s+done\s+2\.5 s\s+\S+\s+MET\s+T0$/);
    expect(shown[3]).toMatch(/1\/1$/);
    expect(shown[4]).toBe('logs: reports/r1/worker.log');
    expect(shown).toHaveLength(5); // one region, not one per redraw
  });

  it('off a TTY: one plain line per phase change and one for the verdict, no escape codes', () => {
    const { s, out, text } = stream(false);
    const live = new LiveConsole(
      { title: 'run', labels: ['calibration/outage'], logs: 'reports/r1/worker.log' },
      s,
    );
    live.start();
    live.start(); // a repeat's next run: said once
    for (const [phase, ms] of [
      ['steady-state', 100],
      ['steady-state', 600],
      ['recover', 1200],
      ['recover', 1800],
    ] as const) {
      live.update(0, progress(phase, 1, 0, ms));
      live.draw();
    }
    live.finish(0, 'MET');
    live.stop();
    expect(out).toEqual([
      'logs: reports/r1/worker.log\n',
      'calibration/outage steady-state 0.1 s canaries 1 ok / 0 failed\n',
      'calibration/outage recover 1.2 s canaries 1 ok / 0 failed T0\n',
      'calibration/outage done 1.8 s canaries 1 ok / 0 failed MET T0\n',
    ]);
    expect(text()).not.toContain('\x1b');
  });

  it('the strip marks canary activity, and a quiet poll between two busy ones is not a gap', () => {
    const seen: string[] = [];
    const spy = { write: (c: string) => (seen.push(c), true), isTTY: true, columns: 200 };
    const tty = new LiveConsole({ title: 'run', labels: ['c/o'] }, spy as unknown as NodeJS.WriteStream);
    const polls: [number, number][] = [
      [1, 0],
      [1, 0],
      [2, 0],
      [2, 2],
      [2, 2],
      [2, 2],
      [2, 2],
    ];
    for (const [ok, failed] of polls) tty.update(0, progress('recover', ok, failed));
    tty.draw();
    // ok, (quiet: skipped), ok, failed, (quiet: skipped), quiet ·, (quiet: skipped)
    expect(seen.join('')).toContain('▪▪×· ');
  });
});
