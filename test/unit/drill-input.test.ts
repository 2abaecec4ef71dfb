// Input that cannot reach a fault: names are own keys of the drill's declaration, numbers and
// durations parse strictly within their declared ranges, and no option may keep a fault in place
// past the run's deadline. Against the real catalogue, as `firedrill run` plans it.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { portBaseArg } from '../../src/cli/sandbox.ts';
import { loadCatalogue } from '../../src/drill/catalogue.ts';
import { coerceOption, parseOptionPairs, strictNumber } from '../../src/drill/options.ts';
import { planRun, type RunRequest } from '../../src/drill/validate.ts';
import { memberByName } from '../../src/platform/local/members.ts';
import { LocalPlatform } from '../../src/platform/local/platform.ts';
import type { MemberState } from '../../src/platform/local/types.ts';
import { loadTopology } from '../../src/topology/load.ts';
import { UserError } from '../../src/util/errors.ts';

const topology = loadTopology();
const catalogue = await loadCatalogue();
const plan = (req: RunRequest) => planRun(catalogue.get(req.drill)!, req, topology);
const refusal = (fn: () => unknown): UserError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return err as UserError;
  }
  throw new Error('expected a refusal, got none');
};

describe('every drill of the catalogue', () => {
  it('plans every variant with its defaults', () => {
    let planned = 0;
    for (const d of catalogue.values())
      for (const variant of Object.keys(d.variants)) {
        expect(plan({ drill: d.name, variant }).variant).toBe(variant);
        planned++;
      }
    expect(planned).toBeGreaterThanOrEqual(14);
  });
  it('declares a range for every number option', () => {
    for (const d of catalogue.values())
      for (const spec of Object.values(d.options ?? {}))
        if (spec.type === 'number') expect([spec.min, spec.max]).not.toContain(undefined);
  });
});

describe('variants and options are own keys only', () => {
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'])(
    '--variant %s is refused with the real names',
    (variant) => {
      const e = refusal(() => plan({ drill: 'kafka-broker-kill', variant }));
      expect(e.message).toBe(
        `drill kafka-broker-kill has no variant "${variant}"; choose one of: leader, follower, two-of-three`,
      );
    },
  );
  it('--variant constructor of minio-restore is refused too', () =>
    expect(refusal(() => plan({ drill: 'minio-restore', variant: 'constructor' })).message).toMatch(
      /no variant "constructor"; choose one of: two-node-loss, drive-wipe, site-restore/,
    ));
  it.each(['constructor=1', 'toString=1', '__proto__=1', 'hasOwnProperty=x'])(
    '--option %s is refused with the real names',
    (pair) => {
      const e = refusal(() => plan({ drill: 'kafka-broker-kill', options: parseOptionPairs([pair]) }));
      expect(e.message).toBe(
        `drill kafka-broker-kill has no option "${pair.split('=')[0]}"; its options are: restart-after`,
      );
    },
  );
  it('keeps __proto__ as a key when parsing --option, and refuses a key given twice', () => {
    expect(Object.keys(parseOptionPairs(['__proto__=1']))).toEqual(['__proto__']);
    expect(refusal(() => parseOptionPairs(['a=1', 'a=2'])).message).toMatch(/--option a is given twice/);
    expect(refusal(() => parseOptionPairs(['=1'])).message).toMatch(/is not key=value/);
  });
});

describe('numbers and ordinals parse strictly, within their range', () => {
  it.each(['', ' ', '0x2', '1e1', '2abc', ' 2', '+2', 'Infinity', 'NaN', '1_000', '٣', '1.', '.5'])(
    'strictNumber(%j) is not a number',
    (text) => expect(strictNumber(text)).toBeUndefined(),
  );
  it.each([
    ['0', 0],
    ['2', 2],
    ['-3', -3],
    ['2.5', 2.5],
  ])('strictNumber(%j) = %d', (text, n) => expect(strictNumber(text)).toBe(n));

  it.each([
    ['', /option "ordinal" of kafka-pod-delete: "" is not a number; write a whole number from 0 to 999/],
    ['0x2', /"0x2" is not a number/],
    ['1e1', /"1e1" is not a number/],
    ['1.5', /1.5 is not a whole number/],
    ['-1', /-1 is out of range; write a whole number from 0 to 999/],
    ['99999999999', /is out of range/],
  ])('--option ordinal=%j is refused, never becomes 0', (value, message) => {
    expect(refusal(() => plan({ drill: 'kafka-pod-delete', options: { ordinal: value } })).message).toMatch(
      message,
    );
  });
  it('--option ordinal=2 is planned as the number 2', () =>
    expect(plan({ drill: 'kafka-pod-delete', options: { ordinal: '2' } }).options.ordinal).toBe(2));
  it('milvus rows below the range are refused with the range', () =>
    expect(
      refusal(() => plan({ drill: 'milvus-index-corruption', options: { rows: '100' } })).message,
    ).toMatch(
      /option "rows" of milvus-index-corruption: 100 is out of range; write a whole number from 2000 to 200000/,
    ));

  it.each([
    ['', /cannot parse ""/],
    ['0x2s', /cannot parse "0x2s"/],
    ['1e1s', /cannot parse "1e1s"/],
    ['5s junk', /cannot parse "5s junk"/],
    ['-5s', /cannot parse "-5s"/],
  ])('duration option restart-after=%j is refused', (value, message) =>
    expect(
      refusal(() => plan({ drill: 'kafka-broker-kill', options: { 'restart-after': value } })).message,
    ).toMatch(message),
  );
  it('a string option refuses the empty string and control characters', () => {
    const spec = { type: 'string' as const, description: 'the bucket' };
    expect(refusal(() => coerceOption('d', 'bucket', spec, '')).message).toMatch(/"" is not a usable value/);
    expect(refusal(() => coerceOption('d', 'bucket', spec, 'a\nb')).message).toMatch(/is not a usable value/);
    expect(coerceOption('d', 'bucket', spec, 'ledger-bucket')).toBe('ledger-bucket');
  });
});

describe('no option keeps a fault in place past the deadline', () => {
  it('kafka restart-after=30d is refused at planning', () =>
    expect(
      refusal(() => plan({ drill: 'kafka-broker-kill', options: { 'restart-after': '30d' } })).message,
    ).toMatch(/option "restart-after" of kafka-broker-kill: 30d is longer than the 1h allowed here/));
  it('restart-after=50m is within its range but outlives the 10m deadline: refused', () =>
    expect(
      refusal(() => plan({ drill: 'kafka-broker-kill', options: { 'restart-after': '50m' } })).message,
    ).toBe(
      'option "restart-after" of kafka-broker-kill keeps the fault in place for 50m, not less than the run\'s recovery deadline of 10m; give a shorter restart-after, or a longer --deadline (at most 2h)',
    ));
  it('the same option passes with a --deadline that outlasts it', () =>
    expect(
      plan({ drill: 'kafka-broker-kill', options: { 'restart-after': '50m' }, deadline: '1h' }).deadlineMs,
    ).toBe(3_600_000));
  it('a calibration outage as long as its 60 s deadline is refused', () =>
    expect(refusal(() => plan({ drill: 'calibration', options: { outage: '60s' } })).message).toMatch(
      /option "outage" of calibration keeps the fault in place for 1m/,
    ));
  it.each(['400d', '3h', '', '0x10m', '1e3s'])('--deadline %j is refused', (deadline) =>
    expect(refusal(() => plan({ drill: 'calibration', deadline })).message).toMatch(/^--deadline: /),
  );
});

describe('the local platform looks components and actions up as own keys', () => {
  it.each([
    ['constructor', 'x', /^component "constructor" is not running in this sandbox \(running: calibration\)/],
    ['calibration', 'toString', /^component "calibration" has no action "toString" in the local sandbox/],
    ['calibration', '__proto__', /has no action "__proto__"/],
  ])('action(%j, %j) is refused, never an inherited function', async (component, action, message) => {
    const home = mkdtempSync(join(tmpdir(), 'firedrill-own-'));
    const dir = join(home, 'sandboxes', 'default');
    mkdirSync(dir, { recursive: true });
    const calibration = { members: [], endpoints: { url: 'http://127.0.0.1:1' }, info: {} };
    writeFileSync(
      join(dir, 'sandbox.json'),
      JSON.stringify({ id: 'x', name: 'default', dir, createdAt: '', components: { calibration } }),
    );
    const before = process.env.FIREDRILL_HOME;
    process.env.FIREDRILL_HOME = home;
    try {
      await expect(new LocalPlatform('default').action(component, action)).rejects.toThrow(message);
    } finally {
      if (before === undefined) delete process.env.FIREDRILL_HOME;
      else process.env.FIREDRILL_HOME = before;
    }
  });
});

describe('a member named on the command line (`sandbox kill kafka <member>`) parses strictly', () => {
  const members = [0, 1, 2].map((index) => ({ name: `kafka-${index}`, index })) as unknown as MemberState[];
  it.each(['', ' ', '0x1', '1e0', '1.0', '+1', '-0', 'constructor'])(
    '%j is no member (never kafka-0)',
    (name) =>
      expect(() => memberByName(members, name)).toThrow(
        /^no member ".*"; choose one of: kafka-0 \(0\), kafka-1 \(1\), kafka-2 \(2\)$/s,
      ),
  );
  it.each([
    ['1', 'kafka-1'],
    ['kafka-2', 'kafka-2'],
    [0, 'kafka-0'],
  ] as const)('%j is %s', (name, member) => expect(memberByName(members, name).name).toBe(member));
});

describe('sandbox up --port-base parses strictly', () => {
  it.each(['0x401', '1e4', '', ' 2000', '2000abc'])(
    '%j is not a number (the range check then refuses it)',
    (v) => expect(portBaseArg(v)).toBeNaN(),
  );
  it('2000 is 2000', () => expect(portBaseArg('2000')).toBe(2000));
});
