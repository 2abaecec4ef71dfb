// The export archive's lines, and the checks `results import` makes on every line before it stores
// anything: a cut-short, edited or foreign file is refused with the line and the problem.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { endLine, headerLine, readArchive, runLine } from '../../src/results/archive.ts';
import type { StoredRun } from '../../src/results/store.ts';
import { UserError } from '../../src/util/errors.ts';
import { canarySamples, makeRun } from './report-fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'firedrill-archive-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const stored = (runId: string, config: Record<string, unknown> = {}): StoredRun => {
  const result = makeRun({ runId, config });
  return {
    result,
    workflowId: `wf-${runId}`,
    markers: result.timeline.map((m) => ({ marker: m.marker, at: Date.parse(m.at) })),
    samples: canarySamples(result),
  };
};

const header = headerLine({
  exportedAt: '2026-12-01T00:00:00.000Z',
  period: { since: null, until: null, drill: null },
  runs: 2,
});
const runs = [stored('run-a'), stored('run-b', { password: 'hunter2', url: 'postgres://u:pw@h/db' })];
const whole = header + runs.map(runLine).join('') + endLine(2);

function archive(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function refusal(text: string): Promise<string> {
  const err = await readArchive(archive('bad.jsonl', text)).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(UserError);
  return (err as Error).message;
}

describe('results archive', () => {
  it('round-trips runs with their markers and samples, credentials redacted', async () => {
    const read = await readArchive(archive('whole.jsonl', whole));
    expect(read.header).toMatchObject({ format: 'firedrill-results-archive', version: 1, runs: 2 });
    const back: StoredRun[] = [];
    for await (const r of read.runs()) back.push(r);
    expect(back.map((r) => r.result.runId)).toEqual(['run-a', 'run-b']);
    expect(back[0]).toEqual(runs[0]);
    expect(back[1]!.samples).toEqual(runs[1]!.samples);
    expect(back[1]!.result.evidence.config).toEqual({
      password: '[redacted]',
      url: 'postgres://u:[redacted]@h/db',
    });
    expect(whole).not.toContain('hunter2');
  });

  it('refuses an archive cut short, before storing any run', async () => {
    const cut = whole.split('\n').slice(0, 2).join('\n') + '\n';
    expect(await refusal(cut)).toMatch(/line 3: no end line: the archive was cut short after 1 run;/);
  });

  it('refuses a foreign file, a newer archive version, an end line that miscounts, a bad run', async () => {
    expect(await refusal('hello\n')).toMatch(/line 1: is not a JSON object/);
    expect(await refusal('{"type":"run"}\n')).toMatch(
      /line 1: is not the header of a firedrill-results-archive/,
    );
    expect(await refusal(header.replace('"version":1', '"version":2'))).toMatch(
      /archive version 2; this firedrill reads version 1/,
    );
    expect(await refusal(header + runLine(runs[0]!) + endLine(2))).toMatch(
      /line 3: the end line counts 2 runs, the archive holds 1/,
    );
    const edited = runLine(runs[0]!).replace('"verdict":"MET"', '"verdict":"PASSED"');
    expect(await refusal(header + edited + endLine(1))).toMatch(
      /line 2: result.verdict "PASSED" is not a verdict/,
    );
    const renamed = runLine(runs[0]!).replaceAll('"runId":"run-a"', '"runId":"../../etc"');
    expect(await refusal(header + renamed + endLine(1))).toMatch(/line 2: the run id is not a run id/);
    expect(await refusal('')).toMatch(/the archive is empty/);
  });
});
