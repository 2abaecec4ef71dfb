// The live console's text from a state (src/cli/live-view.ts): rows, canary strip, bar, the
// in-place redraw, and the plain line a log gets instead.
import { describe, expect, it } from 'vitest';
import {
  appendStrip,
  canaryStep,
  fit,
  plainLine,
  progressBar,
  redraw,
  renderLive,
  STRIP,
  type LiveRow,
} from '../../src/cli/live-view.ts';
import { runLabels } from '../../src/cli/gameday.ts';

const row = (over: Partial<LiveRow> = {}): LiveRow => ({
  label: 'calibration/outage',
  phase: 'recover',
  elapsedMs: 12_345,
  strip: '▪▪××▪',
  markers: ['T_steady', 'T0'],
  ...over,
});

describe('live view', () => {
  it('a row per drill with phase, elapsed, strip, verdict and markers; then the bar and the logs', () => {
    const lines = renderLive({
      title: 'game day g1',
      rows: [
        row({ verdict: 'MET', phase: 'done' }),
        row({ label: 'kafka-broker-kill/leader', phase: 'waiting', elapsedMs: null, strip: '', markers: [] }),
      ],
      logs: 'reports/g1/<runId>/worker.log',
    });
    expect(lines[0]).toBe('game day g1');
    expect(lines[1]).toMatch(/^calibration\/outage\s+done\s+12\.3 s\s+▪▪××▪\s+MET\s+T_steady T0$/);
    expect(lines[2]).toMatch(/^kafka-broker-kill\/leader\s+waiting$/);
    expect(lines[3]).toBe(progressBar(1, 2));
    expect(lines[4]).toBe('logs: reports/g1/<runId>/worker.log');
    expect(lines).toHaveLength(5);
  });

  it('shows an abort under way in the verdict column', () => {
    expect(renderLive({ title: 't', rows: [row({ aborted: 'Ctrl-C' })] })[1]).toContain('ABORTING (Ctrl-C)');
  });

  it('never lets a line wrap: each is cut to the terminal width', () => {
    const lines = renderLive(
      { title: 'x'.repeat(200), rows: [row({ markers: Array(30).fill('T_service') })] },
      40,
    );
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(40);
    expect(fit('abcdef', 4)).toBe('abc…');
    expect(fit('abc', 4)).toBe('abc');
  });

  it('more rows than the screen holds: a window from the first unfinished one, the rest counted', () => {
    const rows = Array.from({ length: 12 }, (_, i) =>
      row({
        label: `d${i}`,
        ...(i < 7 ? { verdict: i === 3 ? 'BREACHED' : 'MET' } : i > 7 ? { phase: 'waiting' } : {}),
      }),
    );
    const lines = renderLive({ title: 't', rows, logs: 'l' }, 120, 8);
    expect(lines).toHaveLength(8);
    expect(lines[1]).toBe('… 6 done above (5 MET, 1 BREACHED)');
    expect(lines[2]).toMatch(/^d6 .*MET/); // the last finished one, for context
    expect(lines[3]).toMatch(/^d7 +recover/); // the running one
    expect(lines[4]).toMatch(/^d8 +waiting/);
    expect(lines[5]).toBe('… 3 more below');
    expect(lines[6]).toBe(progressBar(7, 12));
    expect(renderLive({ title: 't', rows: rows.slice(0, 3) }, 120, 8)).toHaveLength(5); // all fit
  });

  it('the canary strip: one character per poll for what the canaries did since the last one', () => {
    expect(canaryStep({ ok: 1, failed: 0 }, { ok: 1, failed: 0 })).toBe(STRIP.none);
    expect(canaryStep({ ok: 1, failed: 0 }, { ok: 3, failed: 0 })).toBe(STRIP.ok);
    expect(canaryStep({ ok: 1, failed: 0 }, { ok: 1, failed: 2 })).toBe(STRIP.failed);
    expect(canaryStep({ ok: 1, failed: 0 }, { ok: 2, failed: 1 })).toBe(STRIP.mixed);
    expect(appendStrip('abc', 'd', 3)).toBe('bcd');
    expect(appendStrip('', 'a', 3)).toBe('a');
  });

  it('the bar fills with the finished runs', () => {
    expect(progressBar(0, 4, 8)).toBe('[░░░░░░░░] 0/4');
    expect(progressBar(2, 4, 8)).toBe('[████░░░░] 2/4');
    expect(progressBar(4, 4, 8)).toBe('[████████] 4/4');
    expect(progressBar(0, 0, 4)).toBe('[░░░░] 0/0');
  });

  it('redraws in place: up to the first line of the last drawing, clear, the new lines', () => {
    expect(redraw(0, ['a', 'b'])).toBe('\x1b[Ja\nb\n');
    expect(redraw(3, ['a'])).toBe('\x1b[3F\x1b[Ja\n');
    expect(redraw(2, [])).toBe('\x1b[2F\x1b[J');
  });

  it('not a terminal: one plain line, with its position in a game day, no escape codes', () => {
    const line = plainLine(row({ canary: { ok: 7, failed: 2 } }), { index: 1, total: 6 });
    expect(line).toBe('[2/6] calibration/outage recover 12.3 s canaries 7 ok / 2 failed T_steady T0');
    expect(plainLine(row({ verdict: 'BREACHED', markers: [] }))).toBe(
      'calibration/outage recover 12.3 s BREACHED',
    );
    expect(line).not.toContain('\x1b');
  });

  it('labels repeats of a drill #1, #2 … and leaves single runs as they are', () => {
    expect(
      runLabels([
        { drill: 'a', variant: 'x' },
        { drill: 'a', variant: 'x' },
        { drill: 'b', variant: 'y' },
      ]),
    ).toEqual(['a/x #1', 'a/x #2', 'b/y']);
  });
});
