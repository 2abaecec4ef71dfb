// The closed drill contract: what a drill may read and write of its run, and its typed options.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { OptionSpec } from '../../src/drill/definition.ts';
import { drillOptions } from '../../src/drill/options.ts';
import { checkEvidenceName, runEvidence } from '../../src/engine/evidence.ts';
import { RunFiles } from '../../src/engine/run-files.ts';
import { loadPlatformDriver, platformEntry, platformFor } from '../../src/platform/registry.ts';

const root = mkdtempSync(join(tmpdir(), 'firedrill-contract-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('run evidence through the env', () => {
  const files = RunFiles.for(root, 'contract-one-20261201T000000-abcd');
  const evidence = runEvidence(files);

  it("refuses the engine's own files and names that are not a drill's", () => {
    for (const name of [
      'plan.json',
      'fault.json',
      'result.json',
      'started.json',
      '../x.json',
      'Recall.json',
      'a.jsonl',
    ])
      expect(() => checkEvidenceName(name), name).toThrow(/is not a drill's own/);
    expect(() => evidence.write('fault.json', {})).toThrow(/not one of the engine's files/);
    expect(checkEvidenceName('recall.json')).toBe('recall.json');
  });

  it('writes atomically, scrubs secrets and reads back; an absent document is undefined', () => {
    expect(evidence.read('recall.json')).toBeUndefined();
    evidence.write('recall.json', { before: 0.98, password: 'hunter2' });
    expect(evidence.read<{ before: number }>('recall.json')?.before).toBe(0.98);
    expect(readFileSync(join(files.dir, 'recall.json'), 'utf8')).not.toContain('hunter2');
  });

  it('sees the timeline, when the run started and whether the ledger grows', () => {
    expect(evidence.startedAt()).toBeUndefined();
    files.writeJson('started.json', { at: 1234 });
    expect(evidence.startedAt()).toBe(1234);
    files.mark('T0', 5000, 'fault');
    expect(evidence.markers().map((m) => m.marker)).toEqual(['T0']);
    expect(evidence.ledgerBytes()).toBe(0);
  });
});

describe('typed options', () => {
  const specs: Record<string, OptionSpec> = {
    outage: { type: 'duration', default: '2s', max: '1m', description: 'd' },
    bucket: { type: 'string', default: 'b', description: 's' },
    on: { type: 'boolean', default: true, description: 'b' },
  };
  const o = drillOptions('fake', specs, { outage: 2_000, bucket: 'b', on: true });

  it('reads each option as the type it was declared with (durations as ms)', () => {
    expect(o.number('outage')).toBe(2_000);
    expect(o.string('bucket')).toBe('b');
    expect(o.boolean('on')).toBe(true);
    expect(o.values).toEqual({ outage: 2_000, bucket: 'b', on: true });
  });

  it('throws on an option read as another type, or not declared', () => {
    expect(() => o.string('outage')).toThrow(/reads option "outage" as a string; it is declared a duration/);
    expect(() => o.number('nope')).toThrow(/does not declare/);
    expect(() => o.number('__proto__')).toThrow(/does not declare/);
  });
});

describe('platform registry', () => {
  it('names the platforms it has for an unknown kind', async () => {
    expect(() => platformEntry('nomad')).toThrow(
      /platform "nomad" is not available in this build; use --platform local, kubernetes/,
    );
    expect(() => platformEntry('constructor')).toThrow(/not available/);
    await loadPlatformDriver({ kind: 'local', sandbox: 'x' });
    expect(platformFor({ kind: 'local', sandbox: 'x' }).ref).toEqual({ kind: 'local', sandbox: 'x' });
  });

  it("offers the sandbox drivers' own actions, and none on Kubernetes", async () => {
    expect(await platformEntry('local').actions('timescaledb')).toContain('restore');
    expect(await platformEntry('kubernetes').actions('timescaledb')).toEqual([]);
  });
});
