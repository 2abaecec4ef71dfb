import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { parseInstant, reportCommand } from '../../src/cli/report.ts';
import { buildReport, FORMATS, redact, render, scrubText } from '../../src/report/index.ts';
import { JSON_FORMAT } from '../../src/report/json.ts';
import { UserError } from '../../src/util/errors.ts';
import { DAY, EPOCH, faultLeftRun, makeRun, monthOfRuns, samplesFor } from './report-fixtures.ts';

const since = EPOCH - DAY;
const until = EPOCH + 31 * DAY;

describe('buildReport', () => {
  it('builds the model for the period: runs in start order, timeline relative to T0, sample counts', () => {
    const runs = monthOfRuns();
    const model = buildReport([...runs].reverse(), samplesFor(runs), {
      since,
      until,
      generatedAt: new Date(until),
    });
    expect(model.empty).toBe(false);
    expect(model.period).toEqual({ since: '2026-10-31T08:00:00.000Z', until: '2026-12-02T08:00:00.000Z' });
    expect(model.generatedAt).toBe('2026-12-02T08:00:00.000Z');
    expect(model.runs.map((r) => r.result.startedAt)).toEqual([...runs].map((r) => r.startedAt).sort());
    const first = model.runs[0]!;
    expect(first.originMarker).toBe('T0');
    expect(first.markers.find((m) => m.marker === 'T_service')!.relMs).toBe(4200);
    expect(first.markers.find((m) => m.marker === 'T_steady')!.relMs).toBe(-500);
    expect(first.sampleSummary.total).toBe(first.sampleSummary.ok + first.sampleSummary.failed);
    expect(first.sampleSummary.failed).toBeGreaterThan(0);
    const aborted = model.runs.find((r) => r.result.verdict === 'ABORTED')!;
    expect(aborted.originMarker).toBe('startedAt');
  });

  it('an empty period is a valid report in every format, not an error', () => {
    const model = buildReport([], new Map(), { since: '2026-11-01', until: '2026-11-30' });
    expect(model).toMatchObject({
      empty: true,
      runs: [],
      drills: [],
      findings: [],
      totals: { runs: 0, passRate: null },
    });
    for (const format of FORMATS) expect(render(model, format).length, format).toBeGreaterThan(100);
    expect(render(model, 'md')).toContain('No runs in this period');
    expect(render(model, 'html')).toContain('No runs in this period');
  });

  it('runs outside the period or of another drill are left out; older runs still feed drift', () => {
    const old = makeRun({ runId: 'old', start: EPOCH - 10 * DAY, serviceMs: 1000 });
    const now = makeRun({ runId: 'now', start: EPOCH, serviceMs: 1500 });
    const other = makeRun({ runId: 'other', start: EPOCH, drill: 'minio-restore' });
    const model = buildReport([old, now, other], new Map(), { since, until, drill: 'kafka-broker-kill' });
    expect(model.runs.map((r) => r.result.runId)).toEqual(['now']);
    expect(model.runs[0]!.figures.drift).toEqual({
      previousRunId: 'old',
      previousMs: 1000,
      deltaMs: 500,
      deltaPct: 50,
    });
    expect(model.drill).toBe('kafka-broker-kill');
  });

  it('refuses a period that ends before it starts', () => {
    expect(() => buildReport([], new Map(), { since: until, until: since })).toThrow(/since is after until/);
    expect(() => buildReport([], new Map(), { since: 'not a date', until })).toThrow(/not an instant/);
  });

  it('JSON carries the whole model, samples included, and parses back', () => {
    const runs = monthOfRuns().slice(0, 2);
    const samples = samplesFor(runs);
    const json = JSON.parse(render(buildReport(runs, samples, { since, until }), 'json'));
    expect(json.format).toBe(JSON_FORMAT);
    expect(json.version).toBe(1);
    expect(json.totals.runs).toBe(2);
    expect(json.drills[0].rto).toEqual({ n: 2, min: 3900, median: 4050, p95: 4200, max: 4200 });
    expect(json.runs[1].figures.drift).toEqual({
      previousRunId: runs[0]!.runId,
      previousMs: 4200,
      deltaMs: -300,
      deltaPct: (-300 / 4200) * 100,
    });
    expect(json.runs[0].samples).toEqual(samples.get(runs[0]!.runId));
    expect(json.runs[0].result.evidence.ledgerSha256).toBe('ab12'.repeat(16));
  });

  it('JSON counts FAULT-LEFT in the totals and per drill, and lists it as the first, critical finding', () => {
    const runs = [makeRun({ start: EPOCH }), faultLeftRun({ start: EPOCH + DAY, runId: 'left-1' })];
    const json = JSON.parse(render(buildReport(runs, samplesFor(runs), { since, until }), 'json'));
    expect(json.totals).toMatchObject({ runs: 2, met: 1, faultLeft: 1, passRate: 0.5 });
    expect(json.drills[0]).toMatchObject({ faultLeft: 1, scored: 2, passRate: 0.5 });
    expect(json.findings[0]).toMatchObject({ severity: 'critical', kind: 'fault-left', runId: 'left-1' });
    expect(json.runs[1].result.verdict).toBe('FAULT-LEFT');
  });
});

describe('redaction', () => {
  it('removes passwords from URLs and credential-looking values, keeps the rest', () => {
    expect(scrubText('see postgres://u:p%40ss@h:5432/db and s3://k:s@b/x')).toBe(
      'see postgres://u:[redacted]@h:5432/db and s3://k:[redacted]@b/x',
    );
    expect(scrubText('http://host:9000/path')).toBe('http://host:9000/path');
    expect(
      redact({ password: 'x', nested: { secretKey: 'y', apiKey: 1, token: null, passRate: 0.5 }, ok: 'a' }),
    ).toEqual({
      password: '[redacted]',
      nested: { secretKey: '[redacted]', apiKey: '[redacted]', token: null, passRate: 0.5 },
      ok: 'a',
    });
  });
});

describe('--since / --until', () => {
  const now = new Date('2026-11-28T12:00:00Z');
  it.each([
    ['30d', '2026-10-29T12:00:00.000Z'],
    ['12h', '2026-11-28T00:00:00.000Z'],
    ['1d12h', '2026-11-27T00:00:00.000Z'],
    ['2026-11-01', '2026-11-01T00:00:00.000Z'],
    ['2026-11-01T06:30:00Z', '2026-11-01T06:30:00.000Z'],
  ])('%s → %s', (text, expected) => expect(parseInstant(text, now, '--since').toISOString()).toBe(expected));

  it.each(['yesterday', '30 days', '-3d', '2026-13-45'])('refuses %j with a one-line UserError', (text) => {
    expect(() => parseInstant(text, now, '--since')).toThrow(UserError);
    expect(() => parseInstant(text, now, '--since')).toThrow(
      /--since ".*" is neither a duration nor a date; write e\.g\. 30d/,
    );
  });

  it.each(['999999999d', '3651d', '99999999999999h'])(
    'refuses %j as too long, never a RangeError from Date arithmetic',
    (text) => {
      expect(() => parseInstant(text, now, '--since')).toThrow(UserError);
      expect(() => parseInstant(text, now, '--since')).toThrow(
        `--since: ${text} is longer than the 3650d allowed here; write e.g. 30d, 12h or 2026-11-01`,
      );
    },
  );
  it.each(['0x2d', '1e3d', '30d junk'])('refuses %j', (text) =>
    expect(() => parseInstant(text, now, '--since')).toThrow(UserError),
  );
  it('`firedrill report --since 999999999d` is refused before the results database is looked up', async () => {
    const program = new Command().exitOverride();
    reportCommand(program);
    await expect(
      program.parseAsync([
        'node',
        'firedrill',
        'report',
        '--format',
        'json',
        '--since',
        '999999999d',
        '--sandbox',
        'nope',
      ]),
    ).rejects.toThrow(/^--since: 999999999d is longer than the 3650d allowed here/);
  });
});
