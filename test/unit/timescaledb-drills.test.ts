// The pure pieces of the TimescaleDB drills: which WAL segment a replay position belongs to (the
// WAL-continuity check depends on it), and which write errors guarantee that nothing committed.
import { describe, expect, it } from 'vitest';
import { isDefiniteFailure, NotSent } from '../../src/systems/timescaledb/client.ts';
import { walSegmentName } from '../../src/systems/timescaledb/wal.ts';

describe('walSegmentName', () => {
  it('names the 16 MB segment holding a position, with the timeline first', () => {
    expect(walSegmentName(1, '0/5012345')).toBe('000000010000000000000005');
    expect(walSegmentName(8, '0/14FFFF50')).toBe('000000080000000000000014');
    expect(walSegmentName(3, '1/A3000028')).toBe('0000000300000001000000A3');
  });

  it('gives an end position on a segment boundary to the segment it closes', () => {
    // pg_last_wal_replay_lsn() is the end of the last record: 0/B000000 ends segment 0A.
    expect(walSegmentName(3, '0/B000000')).toBe('00000003000000000000000A');
    expect(walSegmentName(1, '1/0')).toBe('0000000100000000000000FF');
  });

  it('follows the segment size', () => {
    expect(walSegmentName(1, '0/5012345', 64 * 1024 * 1024)).toBe('000000010000000000000001');
  });
});

describe('isDefiniteFailure (PostgreSQL ledger writes)', () => {
  const pgError = (code: string) => Object.assign(new Error(`error ${code}`), { code });

  it('a write never sent (no primary, no connection) is definitely not committed', () => {
    expect(isDefiniteFailure(new NotSent(new Error('no member answers GET /primary 200')))).toBe(true);
    expect(
      isDefiniteFailure(
        new NotSent(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
      ),
    ).toBe(true);
  });

  it('a read-only transaction or a server refusing connections is definite', () => {
    expect(isDefiniteFailure(pgError('25006'))).toBe(true); // cannot execute INSERT in a read-only transaction
    expect(isDefiniteFailure(pgError('57P03'))).toBe(true); // the database system is shutting down / starting up
  });

  it('a connection lost after sending, a terminated backend or a timeout is unknown', () => {
    expect(isDefiniteFailure(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(isDefiniteFailure(pgError('57P01'))).toBe(false); // admin_shutdown: may have committed locally
    expect(isDefiniteFailure(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(
      false,
    );
    expect(isDefiniteFailure(new Error('Query read timeout'))).toBe(false);
  });
});
