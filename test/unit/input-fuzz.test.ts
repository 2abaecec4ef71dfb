// Property test: hostile input never reaches a fault. Generated variants, option names, numbers,
// durations, deadlines and sandbox names (prototype keys, traversal, huge numbers, hex and exponent
// forms, unicode, empty strings) go through the CLI's option parser and the plan validator, as
// `firedrill run` sends them; a fake drill records every inject()/fire(). Every refusal must be a
// UserError naming the field, and no refused request may fire. A fake is right here: this is the
// pure logic that stands between the command line and a real fault.
// The seed is fixed (FIREDRILL_FUZZ_SEED overrides it); fast-check prints seed and counterexample
// on failure, so a failing case replays exactly.
import { Command } from 'commander';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCommand } from '../../src/cli/run.ts';
import type { DrillDefinition, DrillEnv, Fault } from '../../src/drill/definition.ts';
import { drillOptions, parseOptionPairs } from '../../src/drill/options.ts';
import { planRun, validateDefinition, type DrillPlan } from '../../src/drill/validate.ts';
import { parseDuration } from '../../src/topology/duration.ts';
import { loadTopology } from '../../src/topology/load.ts';
import { UserError } from '../../src/util/errors.ts';
import { inertSteps } from './fake-drill.ts';

const SEED = Number(process.env.FIREDRILL_FUZZ_SEED ?? 13_2026);
const RUNS = 300;
const run = <Ts extends unknown[]>(property: fc.IAsyncPropertyWithHooks<Ts>) =>
  fc.assert(property, { seed: SEED, numRuns: RUNS });

const topology = loadTopology();

/** What reached the fault: every inject() and fire() the fake drill saw. */
const fired: { options: Record<string, unknown>; fault: Fault }[] = [];
const fake: DrillDefinition = {
  name: 'fuzz-target',
  title: 'a drill that only records',
  hypothesis: 'bad input never reaches fire()',
  target: { component: 'kafka', scenario: 'broker-loss' },
  variants: {
    one: { description: 'first' },
    two: { description: 'second', defaults: { count: 2, hold: '5s' } },
  },
  defaultVariant: 'one',
  options: {
    count: { type: 'number', default: 1, min: 0, max: 10, integer: true, description: 'an ordinal' },
    ratio: { type: 'number', default: 0.5, min: 0, max: 1, description: 'a fraction' },
    hold: { type: 'duration', default: '1s', max: '1m', holdsFault: true, description: 'fault held' },
    mode: { type: 'string', default: 'fast', description: 'a name' },
    flag: { type: 'boolean', default: false, description: 'a switch' },
  },
  needs: ['kafka'],
  ...inertSteps,
  async inject(env) {
    const fault: Fault = { description: 'recorded', touched: ['kafka/kafka-0'] };
    await env.fire(fault, async () => {
      fired.push({ options: env.options.values, fault });
    });
    return fault;
  },
};
validateDefinition(fake, 'test/unit/input-fuzz.test.ts', topology);

const fakeEnv = (plan: DrillPlan): DrillEnv =>
  ({
    runId: 'fuzz',
    variant: plan.variant,
    options: drillOptions(fake.name, fake.options, plan.options),
    signal: new AbortController().signal,
    mark: () => {},
    fire: async (_fault: Fault, command: () => Promise<void>) => command(),
  }) as unknown as DrillEnv;

/** `firedrill run fuzz-target --variant … --option … --deadline …`, minus the servers. */
async function attempt(req: { variant?: string; pairs?: string[]; deadline?: string }): Promise<DrillPlan> {
  const plan = planRun(
    fake,
    {
      drill: fake.name,
      variant: req.variant,
      options: parseOptionPairs(req.pairs ?? []),
      deadline: req.deadline,
    },
    topology,
  );
  await fake.inject(fakeEnv(plan), {}); // the engine fires only what planning accepted
  return plan;
}

/** Refused, as a UserError whose message names `field`, and nothing fired. */
async function expectRefused(req: Parameters<typeof attempt>[0], field: RegExp): Promise<void> {
  const before = fired.length;
  const err = await attempt(req).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof UserError))
    throw new Error(`not refused as a UserError: ${JSON.stringify(req)} → ${String(err)}`);
  if (!field.test(err.message)) throw new Error(`refusal does not name ${field}: ${err.message}`);
  if (fired.length !== before) throw new Error(`fired after a refusal: ${JSON.stringify(req)}`);
}

// ---------- generators ----------

const PROTOTYPE_KEYS = [
  'constructor',
  'toString',
  '__proto__',
  'hasOwnProperty',
  'valueOf',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__lookupSetter__',
];
const TRAVERSAL = [
  '..',
  '../..',
  '../../..',
  '/etc/passwd',
  'a/../../b',
  '.',
  '',
  ' ',
  '\u0000',
  '%2e%2e',
  '..\\..',
];
const unicode = fc.string({ unit: 'binary', maxLength: 12 });
const hostileName = (real: string[]) =>
  fc
    .oneof(fc.constantFrom(...PROTOTYPE_KEYS), fc.constantFrom(...TRAVERSAL), unicode)
    .filter((s) => !real.includes(s));

/** True when `text` is a duration no longer than `maxMs`: such a value is not hostile. */
const accepts = (text: string, maxMs: number) => {
  try {
    return parseDuration(text, 'x', maxMs) >= 0;
  } catch {
    return false;
  }
};
const BAD_NUMBER_TEXT = [
  '',
  ' ',
  '0x2',
  '0X1F',
  '1e1',
  '1E3',
  '2abc',
  ' 3',
  '3 ',
  '+1',
  'Infinity',
  '-Infinity',
  'NaN',
  '٣',
  '１',
  '0b1',
  '0o7',
  '1_000',
  '.5',
  '5.',
  '--1',
  '1,000',
  '1e-7',
  'null',
  'true',
  '[]',
  '{}',
];
/** Not an integer from 0 to 10, in every way a person or a script could get it wrong. */
const hostileCount = fc.oneof(
  fc.constantFrom(...BAD_NUMBER_TEXT),
  fc.bigInt({ min: 11n, max: 10n ** 30n }).map(String),
  fc.bigInt({ min: -(10n ** 30n), max: -1n }).map(String),
  fc.integer({ min: 0, max: 9 }).map((n) => `${n}.5`),
  unicode.filter((s) => !/^\d{1,2}$/.test(s)),
);
const BAD_DURATIONS = [
  '',
  ' ',
  '0x2s',
  '1e1s',
  '5s junk',
  '-5s',
  '5',
  '5 s',
  'Infinityms',
  'NaNs',
  '1.s',
  '.5s',
  's',
  '٣s',
  '1h 2m',
];
/** Not a duration of at most 1 minute. */
const hostileHold = fc.oneof(
  fc.constantFrom(...BAD_DURATIONS),
  fc.bigInt({ min: 61n, max: 10n ** 25n }).map((n) => `${n}s`),
  fc.integer({ min: 2, max: 10 ** 9 }).map((n) => `${n}m`),
  fc.constantFrom('30d', '999999999d', '2h', '61s', '60001ms'),
  unicode.filter((s) => !accepts(s, 60_000)),
);
/** kafka-broker-kill's restart-after that is malformed, or at least its 10 min deadline. */
const hostileRestartAfter = fc.oneof(
  fc.constantFrom(...BAD_DURATIONS),
  fc.integer({ min: 10, max: 10 ** 9 }).map((n) => `${n}m`),
  fc.integer({ min: 600, max: 10 ** 9 }).map((n) => `${n}s`),
  fc.constantFrom('30d', '999999999d', '10m', '1h'),
);
/** Not a deadline from 1 ms to 2 h. */
const hostileDeadline = fc.oneof(
  fc.constantFrom('400d', '3h', '', '0x10m', '1e3s', '-1m', 'soon', '0', '2h1ms', ' '),
  fc.bigInt({ min: 3n, max: 10n ** 25n }).map((n) => `${n}h`),
  unicode.filter((s) => !accepts(s, 2 * 3_600_000) || s.trim() === '0'),
);
const goodVariant = fc.option(fc.constantFrom('one', 'two'), { nil: undefined });
const goodPairs = fc.subarray(['count=3', 'ratio=0.25', 'hold=2s', 'mode=slow', 'flag=true']);

// ---------- properties ----------

beforeEach(() => {
  fired.length = 0;
});

describe(`hostile input never reaches fire() (fast-check seed ${SEED}, ${RUNS} runs each)`, () => {
  it('the fake drill does fire for a valid request (the harness can see a fault)', async () => {
    const plan = await attempt({ variant: 'two', pairs: ['count=3', 'hold=2s'] });
    expect(plan.options).toMatchObject({ count: 3, hold: 2_000 });
    expect(fired).toHaveLength(1);
  });

  it('a hostile --variant is refused naming the variant and the real ones', () =>
    run(
      fc.asyncProperty(hostileName(['one', 'two']), goodPairs, async (variant, pairs) =>
        expectRefused({ variant, pairs }, /has no variant ".*"; choose one of: one, two$/s),
      ),
    ));

  it('a hostile --option name is refused naming it and the real ones', () =>
    run(
      fc.asyncProperty(
        hostileName(['count', 'ratio', 'hold', 'mode', 'flag']).filter(
          (k) => k.length > 0 && !k.includes('='),
        ),
        goodVariant,
        async (key, variant) =>
          expectRefused(
            { variant, pairs: [`${key}=1`] },
            /has no option ".*"; its options are: count, ratio, hold, mode, flag$/s,
          ),
      ),
    ));

  it('a hostile ordinal is refused naming the option, never becomes 0', () =>
    run(
      fc.asyncProperty(hostileCount, goodVariant, async (value, variant) =>
        expectRefused({ variant, pairs: [`count=${value}`] }, /^option "count" of fuzz-target: /),
      ),
    ));

  it('a hostile fraction is refused naming the option', () =>
    run(
      fc.asyncProperty(
        fc.oneof(
          fc.constantFrom(...BAD_NUMBER_TEXT),
          fc.double({ min: 1.000001, max: 1e300, noNaN: true }).map(String),
        ),
        async (value) => expectRefused({ pairs: [`ratio=${value}`] }, /^option "ratio" of fuzz-target: /),
      ),
    ));

  it('a hostile or too long fault-holding duration is refused naming the option', () =>
    run(
      fc.asyncProperty(hostileHold, goodVariant, async (value, variant) =>
        expectRefused({ variant, pairs: [`hold=${value}`] }, /option "hold" of fuzz-target/),
      ),
    ));

  it('a hold as long as the deadline is refused, whatever the deadline', () =>
    run(
      fc.asyncProperty(fc.integer({ min: 1, max: 60 }), async (s) =>
        expectRefused(
          { pairs: [`hold=${s}s`], deadline: `${s}s` },
          /^option "hold" of fuzz-target keeps the fault in place for .* not less than the run's recovery deadline/,
        ),
      ),
    ));

  it('a hostile --deadline is refused naming --deadline', () =>
    run(
      fc.asyncProperty(hostileDeadline, goodPairs, async (deadline, pairs) =>
        expectRefused({ pairs, deadline }, /--deadline|recovery deadline/),
      ),
    ));

  it('a hostile string option (empty, control characters, huge) is refused naming the option', () =>
    run(
      fc.asyncProperty(
        fc.oneof(
          fc.constant(''),
          fc.string({ minLength: 257, maxLength: 400 }),
          fc
            .tuple(unicode, fc.constantFrom('\n', '\u0000', '\u001b', '\u007f'), unicode)
            .map((p) => p.join('')),
        ),
        async (value) => expectRefused({ pairs: [`mode=${value}`] }, /^option "mode" of fuzz-target: /),
      ),
    ));

  it('anything at all: refused naming a field, or planned within every declared range', async () => {
    const seen = { accepted: 0, refused: 0 };
    await run(
      fc.asyncProperty(
        fc.option(fc.oneof(hostileName(['one', 'two']), fc.constantFrom('one', 'two')), { nil: undefined }),
        fc.array(
          fc
            .oneof(
              fc.tuple(
                fc.constantFrom('count', 'ratio', 'hold', 'mode', 'flag'),
                fc.oneof(unicode, hostileCount, hostileHold),
              ),
              fc.tuple(fc.constantFrom(...PROTOTYPE_KEYS), unicode),
            )
            .map(([k, v]) => `${k}=${v}`),
          { maxLength: 4 },
        ),
        fc.option(fc.oneof(hostileDeadline, fc.constantFrom('30s', '10m', '2h')), { nil: undefined }),
        async (variant, pairs, deadline) => {
          const before = fired.length;
          let plan: DrillPlan;
          try {
            plan = await attempt({ variant, pairs, deadline });
          } catch (err) {
            expect(err).toBeInstanceOf(UserError);
            expect((err as Error).message).toMatch(/variant|option|--deadline|deadline/);
            expect(fired.length).toBe(before);
            seen.refused++;
            return;
          }
          seen.accepted++;
          const o = fired.at(-1)!.options;
          expect(Number.isInteger(o.count) && (o.count as number) >= 0 && (o.count as number) <= 10).toBe(
            true,
          );
          expect((o.ratio as number) >= 0 && (o.ratio as number) <= 1).toBe(true);
          expect((o.hold as number) <= 60_000 && (o.hold as number) < plan.deadlineMs).toBe(true);
          expect(plan.deadlineMs > 0 && plan.deadlineMs <= 2 * 3_600_000).toBe(true);
          expect(typeof o.mode === 'string' && (o.mode as string).length > 0).toBe(true);
          expect(typeof o.flag).toBe('boolean');
        },
      ),
    );
    // Both sides were exercised: the invariants above were checked on accepted plans too.
    expect(seen.accepted).toBeGreaterThan(10);
    expect(seen.refused).toBeGreaterThan(10);
  });
});

describe(`the CLI parser: \`firedrill run … --dry-run\` with hostile flags (seed ${SEED})`, () => {
  let out: string[];
  beforeEach(() => {
    out = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  });
  afterEach(() => vi.restoreAllMocks());

  const cli = async (argv: string[]) => {
    const program = new Command().exitOverride();
    runCommand(program);
    await program.parseAsync(['node', 'firedrill', 'run', 'kafka-broker-kill', ...argv, '--dry-run']);
  };

  it('refuses every hostile flag as a UserError naming it, before the dry run prints a plan', () =>
    fc.assert(
      fc.asyncProperty(
        fc.oneof(
          hostileName(['leader', 'follower', 'two-of-three']).map((v) => ({
            argv: [`--variant=${v}`],
            field: /variant/,
          })),
          hostileName(['restart-after'])
            .filter((k) => k.length > 0 && !k.includes('='))
            .map((k) => ({ argv: [`--option=${k}=1`], field: /option "/ })),
          hostileRestartAfter.map((v) => ({
            argv: [`--option=restart-after=${v}`],
            field: /option "restart-after"/,
          })),
          hostileDeadline.map((v) => ({ argv: [`--deadline=${v}`], field: /deadline/ })),
          fc
            .oneof(fc.constantFrom(...TRAVERSAL), fc.constantFrom(...PROTOTYPE_KEYS), unicode)
            .filter((s) => !/^[a-z0-9][a-z0-9-]{0,40}$/.test(s))
            .map((v) => ({ argv: [`--sandbox=${v}`], field: /^--sandbox / })),
        ),
        async ({ argv, field }) => {
          out.length = 0;
          const err = await cli(argv).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(err, JSON.stringify(argv)).toBeInstanceOf(UserError);
          expect((err as Error).message).toMatch(field);
          expect(out.join('\n')).not.toMatch(/dry run/);
        },
      ),
      { seed: SEED, numRuns: 150 },
    ));

  it('a valid dry run prints the plan (the refusals above are not a broken harness)', async () => {
    await cli(['--variant=follower', '--option=restart-after=10s']);
    expect(out.join('\n')).toMatch(/dry run: nothing started, nothing injected/);
  });
});
