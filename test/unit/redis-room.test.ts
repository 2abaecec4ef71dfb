// The pure parts of the Redis room and drill: RESP in and out, the manifest's persistence, the
// ledger's read-back, the snapshot rule that judges a disk-loss restore, and the drill's input
// refused before anything starts.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import redisRestart from '../../drills/redis-restart.ts';
import { planRun } from '../../src/drill/validate.ts';
import { planGameDay } from '../../src/gameday/plan.ts';
import { classifyLedger } from '../../src/measure/ledger.ts';
import type { LedgerEntry, ReadBackRecord } from '../../src/measure/types.ts';
import { lacksDataset } from '../../src/systems/redis/backup.ts';
import {
  isDefiniteWriteFailure,
  parseAddress,
  RedisNotSentError,
  RedisTimeoutError,
} from '../../src/systems/redis/client.ts';
import {
  aofPromise,
  confText,
  directivesFromArgs,
  persistenceOf,
  splitDirectives,
} from '../../src/systems/redis/config.ts';
import { checkSetReply, globLiteral, hashValues, LEDGER_NAMESPACE } from '../../src/systems/redis/ledger.ts';
import { modelPersistence } from '../../src/systems/redis/model.ts';
import { encodeCommand, parseInfo, RespError, RespParser } from '../../src/systems/redis/resp.ts';
import { snapshotCut } from '../../src/systems/redis/rpo.ts';
import { loadTopology } from '../../src/topology/load.ts';
import { component, drTarget } from '../../src/topology/model.ts';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('RESP', () => {
  it('encodes a command as an array of binary-safe bulk strings', () => {
    expect(encodeCommand(['SET', 'k', Buffer.from([0, 13, 10])]).toString('latin1')).toBe(
      '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\n\x00\r\n\r\n',
    );
    expect(encodeCommand(['SCAN', 0]).toString()).toBe('*2\r\n$4\r\nSCAN\r\n$1\r\n0\r\n');
  });

  it('parses replies split anywhere across chunks, several per chunk, in order', () => {
    const wire = Buffer.from(
      '+OK\r\n-LOADING Redis is loading the dataset in memory\r\n:42\r\n$-1\r\n$5\r\nab\r\nc\r\n*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n',
      'latin1',
    );
    for (let cut = 1; cut < wire.length; cut++) {
      const p = new RespParser();
      const out = [...p.feed(wire.subarray(0, cut)), ...p.feed(wire.subarray(cut))];
      expect(out).toHaveLength(6);
      expect(out[0]).toBe('OK');
      expect(out[1]).toBeInstanceOf(RespError);
      expect((out[1] as RespError).code).toBe('LOADING');
      expect(out[2]).toBe(42);
      expect(out[3]).toBeNull();
      expect((out[4] as Buffer).toString('latin1')).toBe('ab\r\nc'); // CRLF inside a bulk string is data
      expect(out[5]).toEqual([Buffer.from('0'), [Buffer.from('a'), Buffer.from('b')]]);
      expect(p.pending).toBe(0);
    }
  });

  it('refuses what is not RESP instead of waiting forever', () => {
    expect(() => new RespParser().feed(Buffer.from('HTTP/1.1 400 Bad Request\r\n'))).toThrow(
      /unknown reply type/,
    );
    expect(() => new RespParser().feed(Buffer.from('$abc\r\n'))).toThrow(/bad bulk length/);
  });

  it('reads INFO into fields', () => {
    expect(parseInfo('# Persistence\r\nloading:0\r\naof_enabled:1\r\n\r\n')).toEqual({
      loading: '0',
      aof_enabled: '1',
    });
  });
});

describe("the manifest's persistence", () => {
  it('reads the redis container args of deploy/k8s as AOF everysec with RDB save points', () => {
    const { args, persistence } = modelPersistence();
    expect(args).toContain('--appendonly');
    expect(persistence).toEqual({
      appendonly: true,
      appendfsync: 'everysec',
      savePoints: [
        { seconds: 900, changes: 1 },
        { seconds: 300, changes: 10 },
        { seconds: 60, changes: 10_000 },
      ],
    });
    expect(aofPromise(persistence).rpoMs).toBe(1_000);
  });

  it('declares targets for Redis and says they are not from the seed', () => {
    const t = drTarget(component(loadTopology(), 'redis'), 'restart');
    expect(t).toMatchObject({ rtoMs: 300_000, rpoMs: 1_000 });
    expect(t.source).toMatch(/^not in the seed; SLO-Scout's cache\/queue: RTO 5 min, RPO 1 s assumed$/);
  });

  it('reads --name value… as redis-server does, the last occurrence winning', () => {
    const d = directivesFromArgs(['--save', '60', '100', '--appendonly', 'no', '--appendonly', 'yes']);
    expect(d).toEqual([
      { name: 'save', value: '60 100' },
      { name: 'appendonly', value: 'no' },
      { name: 'appendonly', value: 'yes' },
    ]);
    expect(persistenceOf(d)).toMatchObject({ appendonly: true, savePoints: [{ seconds: 60, changes: 100 }] });
    // Redis's defaults when the manifest says nothing.
    expect(persistenceOf([])).toMatchObject({ appendonly: false, appendfsync: 'everysec' });
    expect(aofPromise(persistenceOf([])).rpoMs).toBeNull();
  });

  it('refuses persistence it cannot read, naming the argument', () => {
    expect(() => directivesFromArgs(['/etc/redis.conf'])).toThrow(/before any --option/);
    expect(() => persistenceOf(directivesFromArgs(['--appendonly', 'maybe']))).toThrow(
      /--appendonly "maybe"/,
    );
    expect(() => persistenceOf(directivesFromArgs(['--appendfsync', 'hourly']))).toThrow(
      /always, everysec or no/,
    );
    expect(() => persistenceOf(directivesFromArgs(['--save', '60']))).toThrow(/pairs/);
  });

  it("keeps the manifest's persistence and replaces where the server listens and keeps files", () => {
    const { kept, replaced } = splitDirectives(
      directivesFromArgs(['--appendonly', 'yes', '--port', '6379', '--dir', '/data', '--bind', '0.0.0.0']),
    );
    expect(kept.map((d) => d.name)).toEqual(['appendonly']);
    expect(replaced).toEqual(['port', 'dir', 'bind']);
    expect(confText([...kept, { name: 'save', value: '900 1' }])).toBe('appendonly "yes"\nsave 900 1\n');
    expect(() => confText([{ name: 'requirepass', value: 'a\nport 1' }])).toThrow(/newline/);
  });
});

describe('the ledger in Redis', () => {
  it('escapes glob characters so that a run prefix matches only its own keys', () => {
    expect(globLiteral('run-[1]*?\\/')).toBe('run-\\[1\\]\\*\\?\\\\/');
  });

  it('hashes each stored payload under its ledger key; deleted keys are absent', () => {
    const payload = Buffer.from([0, 255, 13, 10]);
    const keys = [`${LEDGER_NAMESPACE}r/000000001`, `${LEDGER_NAMESPACE}r/000000002`];
    expect(hashValues(keys, [payload, null])).toEqual([{ key: 'r/000000001', sha256: sha(payload) }]);
    expect(() => hashValues(keys, [payload])).toThrow(/2 keys answered 1/);
  });

  it('takes only +OK as a write done', () => {
    expect(() => checkSetReply('OK')).not.toThrow();
    expect(() => checkSetReply(null)).toThrow(/not OK/);
  });

  it('counts a refused or never-sent write as definitely not written, a timeout as unknown', () => {
    expect(isDefiniteWriteFailure(new RespError('LOADING Redis is loading'))).toBe(true);
    expect(isDefiniteWriteFailure(new RedisNotSentError('connect ECONNREFUSED'))).toBe(true);
    expect(isDefiniteWriteFailure(new RedisTimeoutError('SET: no reply'))).toBe(false);
    expect(isDefiniteWriteFailure(new Error('connection closed'))).toBe(false);
  });

  it('refuses an endpoint that is not host:port', () => {
    expect(parseAddress('127.0.0.1:6379', 'pw')).toEqual({ host: '127.0.0.1', port: 6379, password: 'pw' });
    expect(() => parseAddress('127.0.0.1')).toThrow(/not host:port/);
    expect(() => parseAddress('127.0.0.1:70000')).toThrow(/not host:port/);
  });

  it('knows a data directory without a dataset the server would load', () => {
    const full = [
      'appendonlydir/appendonly.aof.1.base.rdb',
      'appendonlydir/appendonly.aof.manifest',
      'dump.rdb',
    ];
    expect(lacksDataset(full, true)).toBe(false);
    expect(lacksDataset(['dump.rdb'], true)).toBe(true); // AOF on: dump.rdb alone is ignored
    expect(lacksDataset(['dump.rdb'], false)).toBe(false);
    expect(lacksDataset([], false)).toBe(true);
  });
});

// A ledger of writes acknowledged every 10 ms from t=1000; T0 at 2000.
function ledger(): LedgerEntry[] {
  return Array.from({ length: 100 }, (_, i) => ({
    id: i + 1,
    key: `r/${i + 1}`,
    sha256: sha(`p${i + 1}`),
    tInvoke: 995 + i * 10,
    tAck: 1000 + i * 10,
    outcome: 'ok' as const,
  }));
}
const survivors = (entries: LedgerEntry[], keep: (e: LedgerEntry) => boolean): ReadBackRecord[] =>
  entries.filter(keep).map((e) => ({ key: e.key, sha256: e.sha256 }));

describe('the RPO of a restore from a snapshot', () => {
  const entries = ledger();
  // The snapshot: BGSAVE asked at 1500, answered at 1502 (the fork in between).
  const snapshot = { requestedAt: 1500, snapshotAt: 1502 };

  it('an exact cut: everything acknowledged before the snapshot kept, everything sent after it lost', () => {
    const back = survivors(entries, (e) => e.tAck! < 1500);
    const cut = snapshotCut(entries, back, snapshot, 2000);
    expect(cut.snapshotAgeMs).toBe(498);
    expect(cut.before).toEqual({ acked: 50, kept: 50, lost: 0 });
    expect(cut.after).toEqual({ acked: 49, kept: 0, lost: 49 });
    expect(cut.acrossFork).toBe(1); // sent at 1495, acknowledged at 1500: either side is right
    expect(cut.exact).toBe(true);
    // The engine's RPO over the same read-back: T0 − the oldest lost acknowledgement.
    const c = classifyLedger(entries, back, 2000);
    expect(c.lost).toBe(50);
    expect(c.seconds).toBeCloseTo(0.5, 6);
    expect(c.nonPrefix).toBe(false);
  });

  it('is not exact when a write from before the snapshot is missing, or one after it survived', () => {
    const missingOld = survivors(entries, (e) => e.tAck! < 1500 && e.id !== 3);
    expect(snapshotCut(entries, missingOld, snapshot, 2000)).toMatchObject({
      exact: false,
      before: { lost: 1 },
    });
    const keptNew = survivors(entries, (e) => e.tAck! < 1500 || e.id === 80);
    expect(snapshotCut(entries, keptNew, snapshot, 2000)).toMatchObject({ exact: false, after: { kept: 1 } });
  });

  it('does not count a payload that differs as kept', () => {
    const back = survivors(entries, (e) => e.tAck! < 1500).map((r, i) =>
      i === 0 ? { ...r, sha256: sha('other') } : r,
    );
    expect(snapshotCut(entries, back, snapshot, 2000).before.lost).toBe(1);
  });

  it("leaves out writes acknowledged after T0 (the restored server's new history) and unacknowledged ones", () => {
    const more: LedgerEntry[] = [
      ...entries,
      { id: 200, key: 'r/200', sha256: sha('x'), tInvoke: 2500, tAck: 2600, outcome: 'ok' },
      { id: 201, key: 'r/201', sha256: sha('y'), tInvoke: 1990, outcome: 'unknown' },
    ];
    const cut = snapshotCut(
      more,
      survivors(more, (e) => e.tAck! < 1500 || e.id === 200),
      snapshot,
      2000,
    );
    expect(cut.after.acked).toBe(49);
    expect(cut.exact).toBe(true);
  });
});

describe('redis-restart input, refused before anything starts', () => {
  const topology = loadTopology();
  it('plans both variants with the manifest targets', () => {
    for (const variant of ['crash', 'disk-loss']) {
      const plan = planRun(redisRestart, { drill: 'redis-restart', variant }, topology);
      expect(plan.targets).toMatchObject({ rtoMs: 300_000, rpoMs: 1_000 });
      expect(plan.targets.source).toMatch(/not in the seed/);
      expect(plan.options).toMatchObject({ 'restart-after': 1_000, 'writes-after-backup': 3_000 });
    }
  });

  it('names a bad variant and a bad option', () => {
    expect(() => planRun(redisRestart, { drill: 'redis-restart', variant: 'power-cut' }, topology)).toThrow(
      /no variant "power-cut"; choose one of: crash, disk-loss/,
    );
    expect(() =>
      planRun(redisRestart, { drill: 'redis-restart', options: { 'restart-after': '2h' } }, topology),
    ).toThrow(/"restart-after".*longer than the 10m allowed/);
    expect(() =>
      planRun(redisRestart, { drill: 'redis-restart', options: { 'writes-after-backup': 'soon' } }, topology),
    ).toThrow(/"writes-after-backup".*cannot parse "soon"/);
    expect(() =>
      planRun(redisRestart, { drill: 'redis-restart', options: { 'no-such': '1' } }, topology),
    ).toThrow(/no-such/);
  });
});

describe('the game day', () => {
  it('runs redis-restart (crash) by default, and its disk-loss with --variants all', async () => {
    const runs = async (variants?: string) =>
      (await planGameDay({ sandbox: 'default', ...(variants ? { variants } : {}) })).input.runs
        .filter((r) => r.drill === 'redis-restart')
        .map((r) => r.variant);
    expect(await runs()).toEqual(['crash']);
    expect(await runs('all')).toEqual(['crash', 'disk-loss']);
    expect((await planGameDay({ sandbox: 'default' })).needs).toContain('redis');
  });
});
