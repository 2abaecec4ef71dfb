import { describe, expect, it } from 'vitest';
import { buildReport, render } from '../../src/report/index.ts';
import { xmlAttr, xmlText } from '../../src/report/junit.ts';
import { faultLeftMessage } from '../../src/report/stats.ts';
import {
  DAY,
  EPOCH,
  FAULT_LEFT_REASON,
  faultLeftRun,
  makeRun,
  monthOfRuns,
  monthWithFaultLeft,
  samplesFor,
} from './report-fixtures.ts';

// A tiny, strict XML reader: enough to prove the output is well-formed and to read it back.
interface El {
  name: string;
  attrs: Record<string, string>;
  children: El[];
  text: string;
}

const ENTITY = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/y;

function decode(s: string): string {
  for (let i = s.indexOf('&'); i >= 0; i = s.indexOf('&', i + 1)) {
    ENTITY.lastIndex = i;
    if (!ENTITY.test(s)) throw new Error(`bare & at ${i}: ${s.slice(i, i + 20)}`);
  }
  return s.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) =>
    e === 'amp'
      ? '&'
      : e === 'lt'
        ? '<'
        : e === 'gt'
          ? '>'
          : e === 'quot'
            ? '"'
            : e === 'apos'
              ? "'"
              : String.fromCodePoint(e.startsWith('#x') ? parseInt(e.slice(2), 16) : Number(e.slice(1))),
  );
}

function parseXml(xml: string): El {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(xml)) throw new Error('control character in XML');
  const body = xml.replace(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n/, '');
  const token = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.:-]*="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  const root: El = { name: '#root', attrs: {}, children: [], text: '' };
  const stack = [root];
  let pos = 0;
  while (pos < body.length) {
    token.lastIndex = pos;
    const m = token.exec(body);
    if (!m) throw new Error(`not well-formed at ${pos}: ${body.slice(pos, pos + 40)}`);
    pos = token.lastIndex;
    const top = stack[stack.length - 1]!;
    if (m[5] !== undefined) {
      top.text += decode(m[5]);
      continue;
    }
    const [, close, name, rawAttrs, selfClose] = m;
    if (close) {
      if (top.name !== name) throw new Error(`</${name}> closes <${top.name}>`);
      stack.pop();
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of rawAttrs!.matchAll(/([A-Za-z_][\w.:-]*)="([^"]*)"/g)) {
      if (a[1]! in attrs) throw new Error(`duplicate attribute ${a[1]}`);
      attrs[a[1]!] = decode(a[2]!);
    }
    const el: El = { name: name!, attrs, children: [], text: '' };
    top.children.push(el);
    if (!selfClose) stack.push(el);
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  const elements = root.children;
  if (elements.length !== 1 || root.text.trim() !== '') throw new Error('not exactly one root element');
  return elements[0]!;
}

const all = (el: El, name: string): El[] => [
  ...el.children.filter((c) => c.name === name),
  ...el.children.flatMap((c) => all(c, name)),
];
const props = (el: El) =>
  Object.fromEntries(
    all(
      el.children.find((c) => c.name === 'properties')!,
      'property',
    ).map((p) => [p.attrs.name, p.attrs.value]),
  );

const since = EPOCH - DAY;
const until = EPOCH + 31 * DAY;

describe('JUnit XML', () => {
  const runs = monthOfRuns();
  const xml = render(buildReport(runs, samplesFor(runs), { since, until }), 'junit');
  const doc = parseXml(xml);

  it('is well-formed, with one suite per drill and one case per run', () => {
    expect(doc.name).toBe('testsuites');
    expect(doc.attrs).toMatchObject({ tests: '14', failures: '2', errors: '1', skipped: '1' });
    const suites = all(doc, 'testsuite');
    expect(suites.map((s) => [s.attrs.name, s.attrs.tests])).toEqual([
      ['kafka-broker-kill', '7'],
      ['minio-restore', '1'],
      ['timescaledb-failover', '6'],
    ]);
    const cases = all(doc, 'testcase');
    expect(cases).toHaveLength(runs.length);
    for (const c of cases) {
      const run = runs.find((r) => c.attrs.name === `${r.variant} ${r.runId}`);
      expect(run, c.attrs.name).toBeDefined();
      expect(c.attrs.classname).toBe(run!.drill);
      expect(Number(c.attrs.time)).toBeCloseTo(
        (Date.parse(run!.finishedAt) - Date.parse(run!.startedAt)) / 1000,
        3,
      );
    }
  });

  it('BREACHED → <failure message=reason>, INCONCLUSIVE and FAULT-LEFT → <error>, ABORTED → <skipped>, MET → nothing', () => {
    const runs = monthWithFaultLeft();
    const doc = parseXml(render(buildReport(runs, samplesFor(runs), { since, until }), 'junit'));
    const cases = all(doc, 'testcase');
    expect(runs.map((r) => r.verdict)).toContain('FAULT-LEFT');
    const outcome = (c: El) => c.children.find((x) => ['failure', 'error', 'skipped'].includes(x.name));
    for (const c of cases) {
      const run = runs.find((r) => c.attrs.name === `${r.variant} ${r.runId}`)!;
      const o = outcome(c);
      const expected = {
        MET: undefined,
        BREACHED: 'failure',
        INCONCLUSIVE: 'error',
        ABORTED: 'skipped',
        'FAULT-LEFT': 'error',
      }[run.verdict];
      expect(o?.name).toBe(expected);
      if (o) expect(o.attrs.message).toBe(run.verdict === 'FAULT-LEFT' ? faultLeftMessage(run) : run.reason);
      if (o && o.name !== 'skipped') expect(o.attrs.type).toBe(run.verdict);
      expect(
        c.children.filter((x) => ['failure', 'error', 'skipped'].includes(x.name)).length,
      ).toBeLessThanOrEqual(1);
    }
    const breach = cases.find((c) => c.attrs.name!.includes('20261116'))!;
    expect(outcome(breach)!.text).toContain('RTO service 41 s');
  });

  it('carries RTO/RPO figures as properties, per run and per drill', () => {
    const kafka = all(doc, 'testsuite')[0]!;
    expect(props(kafka)).toMatchObject({
      'target.rtoMs': '300000',
      'rto.service.median.ms': '4200',
      'rto.service.p95.ms': '7800',
      'rpo.max.count': '3',
      passRate: '0.8571',
    });
    const breached = all(kafka, 'testcase').find((c) => c.children.some((x) => x.name === 'failure'))!;
    expect(props(breached)).toMatchObject({
      verdict: 'BREACHED',
      'rto.service.ms': '7800',
      'rto.drift.ms': '3200',
      'rpo.lost': '3',
      'rpo.nonPrefix': 'true',
      'ledger.sha256': 'ab12'.repeat(16),
    });
    const skipped = all(doc, 'testcase').find((c) => c.children.some((x) => x.name === 'skipped'))!;
    expect(props(skipped)['rto.service.ms']).toBe('');
  });

  it('FAULT-LEFT is an <error type="FAULT-LEFT"> naming what is left and the commands, and counts in errors', () => {
    const runs = monthWithFaultLeft();
    const left = parseXml(render(buildReport(runs, samplesFor(runs), { since, until }), 'junit'));
    // 1 INCONCLUSIVE + 1 FAULT-LEFT
    expect(left.attrs).toMatchObject({ tests: '15', failures: '2', errors: '2', skipped: '1' });
    const kafka = all(left, 'testsuite')[0]!;
    expect(kafka.attrs).toMatchObject({ name: 'kafka-broker-kill', tests: '8', errors: '1', failures: '1' });
    expect(props(kafka)).toMatchObject({ faultLeft: '1', passRate: '0.75' });
    const error = all(kafka, 'error')[0]!;
    expect(error.attrs.type).toBe('FAULT-LEFT');
    expect(error.attrs.message).toContain(FAULT_LEFT_REASON);
    expect(error.attrs.message).toContain('`firedrill faults`');
    expect(error.attrs.message).toContain('`firedrill faults revert <id>`');
    expect(error.text).toMatch(
      /^kafka-broker-kill\/leader run kafka-broker-kill-leader-20261118T080000-left: FAULT-LEFT — /,
    );
  });

  it('escapes a FAULT-LEFT reason too', () => {
    const r = faultLeftRun({ reason: 'broker <2> & "3" still down' });
    const out = render(buildReport([r], samplesFor([r]), { since, until }), 'junit');
    expect(out).not.toContain('<2>');
    const error = all(parseXml(out), 'error')[0]!;
    expect(error.attrs.message).toContain('broker <2> & "3" still down');
  });

  it('escapes everything user-provided, and what it escapes reads back unchanged', () => {
    const nasty = 'lost <3> & "quoted" \'single\' ]]> <script>alert(1)</script>\nsecond line\ttab';
    const r = makeRun({
      drill: 'weird & <drill>',
      variant: 'v"1',
      verdict: 'BREACHED',
      reason: nasty,
      noteOnT0: 'kill </system-out> & more',
    });
    const out = render(buildReport([r], samplesFor([r]), { since, until }), 'junit');
    expect(out).not.toContain('<script>');
    expect(out).not.toContain('<3>');
    const tc = all(parseXml(out), 'testcase')[0]!;
    expect(tc.attrs.classname).toBe('weird & <drill>');
    expect(tc.attrs.name).toBe(`v"1 ${r.runId}`);
    expect(tc.children.find((c) => c.name === 'failure')!.attrs.message).toBe(nasty);
    expect(tc.children.find((c) => c.name === 'system-out')!.text).toContain('kill </system-out> & more');
  });

  it('replaces characters XML cannot hold', () => {
    expect(xmlText('a\u0000b\u001bc')).toBe('a\uFFFDb\uFFFDc');
    expect(xmlAttr('x\ny')).toBe('x&#10;y');
    expect(() => parseXml(`<a b="${xmlAttr('bell\u0007')}"/>`)).not.toThrow();
  });

  it('an empty period is a valid document with no test cases', () => {
    const out = render(buildReport([], new Map(), { since, until }), 'junit');
    const empty = parseXml(out);
    expect(empty.attrs.tests).toBe('0');
    expect(all(empty, 'testcase')).toHaveLength(0);
    expect(props(all(empty, 'testsuite')[0]!).note).toBe('no runs in this period');
  });

  it('the checker itself rejects broken XML', () => {
    expect(() => parseXml('<a><b></a></b>')).toThrow();
    expect(() => parseXml('<a x="1 & 2"/>')).toThrow(/bare &/);
    expect(() => parseXml('<a>x < y</a>')).toThrow(/not well-formed/);
    expect(() => parseXml('<a>')).toThrow(/unclosed/);
  });
});
