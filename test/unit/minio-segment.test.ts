// The MinIO ledger's segment objects (many records per PUT): what a segment holds reads back as
// the same records, and damage to it is classified, never skipped.
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseSegment, segmentBody, segmentKey } from '../../src/systems/minio/segment.ts';
import type { LedgerRecord } from '../../src/drill/definition.ts';
import { ledgerKey, ledgerPrefix } from '../../src/engine/ledger-writer.ts';
import { classifyLedger } from '../../src/measure/ledger.ts';
import type { LedgerEntry } from '../../src/measure/types.ts';

const records: LedgerRecord[] = [7, 8, 9].map((id) => {
  const key = ledgerKey('run-1', id);
  return { id, key, payload: Buffer.concat([Buffer.from(`${key} `), randomBytes(48)]) };
});
const entries: LedgerEntry[] = records.map((r) => ({
  id: r.id,
  key: r.key,
  sha256: createHash('sha256').update(r.payload).digest('hex'),
  tInvoke: 1_000,
  tAck: 1_010,
  outcome: 'ok',
}));
const key = segmentKey(records);
const T0 = 5_000;

describe('MinIO ledger segments', () => {
  it('is named after its first record, under the run prefix', () => {
    expect(key.startsWith(ledgerPrefix('run-1'))).toBe(true);
    expect(key).toBe(`${records[0]!.key}.seg3.jsonl`);
  });

  it('reads back every record with its payload hash', () => {
    const back = parseSegment(key, Buffer.from(segmentBody(records)));
    expect(back).toEqual(entries.map((e) => ({ key: e.key, sha256: e.sha256 })));
    expect(classifyLedger(entries, back, T0)).toMatchObject({ acked: 3, lost: 0, corrupted: 0 });
  });

  it('a changed payload is a corrupted record', () => {
    const damaged = [...records];
    damaged[1] = { ...records[1]!, payload: Buffer.from(records[1]!.payload).fill(0, 20, 21) };
    const c = classifyLedger(entries, parseSegment(key, Buffer.from(segmentBody(damaged))), T0);
    expect(c).toMatchObject({ lost: 0, corrupted: 1 });
  });

  it('a line cut short loses its record and shows up as unexpected data, not silence', () => {
    const lines = segmentBody(records).split('\n');
    lines[2] = lines[2]!.slice(0, 30);
    const back = parseSegment(key, Buffer.from(lines.join('\n')));
    expect(back.map((b) => b.key)).toContain(`${key}#line3`);
    expect(classifyLedger(entries, back, T0)).toMatchObject({ lost: 1, corrupted: 0, unexpected: 1 });
  });
});
