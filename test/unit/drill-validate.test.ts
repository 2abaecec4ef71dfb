// Drill definitions and run requests are refused before anything runs, with the field and why.
import { describe, expect, it } from 'vitest';
import type { DrillDefinition } from '../../src/drill/definition.ts';
import { planRun, validateDefinition } from '../../src/drill/validate.ts';
import { loadTopology } from '../../src/topology/load.ts';
import { fakeDrill } from './fake-drill.ts';

const topology = loadTopology();
const drill = (over: Partial<DrillDefinition> = {}): DrillDefinition =>
  fakeDrill('example-drill', {
    variants: { one: { description: 'first' }, two: { description: 'second' } },
    options: {
      wait: { type: 'duration', default: '5s', description: 'how long' },
      count: {
        type: 'number',
        default: 3,
        min: 0,
        max: 100,
        integer: true,
        description: 'how many',
        check: (v) => ((v as number) < 1 ? 'must be at least 1' : undefined),
      },
    },
    ...over,
  });

describe('validateDefinition', () => {
  it('accepts a complete drill', () =>
    expect(() => validateDefinition(drill(), 'drills/x.ts', topology)).not.toThrow());
  it('accepts a batched ledger with writeBatch()', () =>
    expect(() =>
      validateDefinition(
        drill({ ledger: { batch: 8 }, writeBatch: async () => [] }),
        'drills/x.ts',
        topology,
      ),
    ).not.toThrow());
  it.each([
    [{ canary: undefined }, /field "canary" is missing/],
    [{ name: 'Bad Name' }, /field "name" "Bad Name" must be lower-case words joined by dashes/],
    [{ variants: {} }, /field "variants" must name at least one variant/],
    [{ defaultVariant: 'three' }, /field "defaultVariant" "three" is not one of the variants \(one, two\)/],
    [
      { target: { component: 'kafak', scenario: 'broker-loss' } },
      /field "target" does not resolve: component "kafak" is not in the topology/,
    ],
    [
      { target: { component: 'kafka', scenario: 'flood' } },
      /field "target" does not resolve: .*no DR target for scenario "flood"/,
    ],
    [{ ledger: { batch: 0 } }, /field "ledger.batch" 0 must be a whole number from 1 to 1000/],
    [{ ledger: { batch: 8 } }, /field "ledger.batch" is 8, but the drill has no writeBatch\(\)/],
    [{ ledger: { maxRate: -1 } }, /field "ledger.maxRate" -1 must be a number of records per second/],
    [
      { options: { n: { type: 'number', default: 1, description: 'x' } } },
      /field "options.n" is a number without min and max/,
    ],
    [
      { options: { n: { type: 'number', min: 0, max: 9, holdsFault: true, description: 'x' } } },
      /field "options.n.holdsFault" only a duration can hold a fault in place/,
    ],
    [
      { options: { n: { type: 'number', default: 10, min: 0, max: 9, description: 'x' } } },
      /field "options.n" is declared wrongly: option "n" of example-drill: 10 is out of range/,
    ],
    [
      { options: { w: { type: 'duration', max: 'soon', description: 'x' } } },
      /field "options.w" is declared wrongly: w.max: cannot parse "soon"/,
    ],
    [
      { variants: { one: { description: 'first', defaults: { count: 'lots' } } } },
      /field "variants.one.defaults.count" option "count" of example-drill: "lots" is not a number/,
    ],
    [
      { variants: { '../x': { description: 'a path' } }, defaultVariant: '../x' },
      /field "variants...\/x" must be named with lower-case words joined by dashes/,
    ],
    [{ defaultVariant: 'constructor' }, /field "defaultVariant" "constructor" is not one of the variants/],
    [
      { variants: { one: { description: 'first', defaults: { toString: 1 } } } },
      /field "variants.one.defaults.toString" sets an option the drill does not declare/,
    ],
  ])('refuses %o', (over, message) => {
    expect(() =>
      validateDefinition(drill(over as Partial<DrillDefinition>), 'drills/x.ts', topology),
    ).toThrow(message);
  });
});

describe('planRun', () => {
  it("applies a variant's option defaults over the drill's, and an explicit option over both", () => {
    const d = drill({
      variants: { one: { description: 'first' }, two: { description: 'second', defaults: { wait: '20s' } } },
    });
    expect(planRun(d, { drill: 'example-drill' }, topology).options.wait).toBe(5_000);
    expect(planRun(d, { drill: 'example-drill', variant: 'two' }, topology).options.wait).toBe(20_000);
    expect(
      planRun(d, { drill: 'example-drill', variant: 'two', options: { wait: '2s' } }, topology).options.wait,
    ).toBe(2_000);
  });
  it('refuses a variant default for an option the drill does not declare', () =>
    expect(() =>
      validateDefinition(
        drill({ variants: { one: { description: 'first', defaults: { wiat: '1s' } } } }),
        'drills/x.ts',
        topology,
      ),
    ).toThrow(/field "variants.one.defaults.wiat" sets an option the drill does not declare/));

  it('takes targets from the topology model, with their source', () => {
    const plan = planRun(drill(), { drill: 'example-drill' }, topology);
    expect(plan.targets).toMatchObject({ rtoMs: 300_000, rpoMs: 0 });
    expect(plan.targets.source).toMatch(/^seed: DR table/);
    expect(plan.deadlineMs).toBe(600_000); // 2 × 5 min, within the cap
    expect(plan.options).toEqual({ wait: 5_000, count: 3 });
  });

  it('applies overrides and says so in the source', () => {
    const plan = planRun(drill(), { drill: 'example-drill', targets: { rto: '30s', rpo: '1m' } }, topology);
    expect(plan.targets).toMatchObject({ rtoMs: 30_000, rpoMs: 60_000 });
    expect(plan.targets.source).toMatch(/^override \(model: seed/);
  });

  it.each([
    [{ variant: 'three' }, /has no variant "three"; choose one of: one, two/],
    [{ options: { nope: 1 } }, /has no option "nope"; its options are: wait, count/],
    [{ options: { wait: 'soon' } }, /cannot parse "soon"/],
    [{ options: { count: 'many' } }, /"many" is not a number/],
    [{ options: { count: 0 } }, /option "count" of example-drill: must be at least 1/],
    [{ targets: { rto: '-5m' } }, /target rto: cannot parse "-5m"/],
    [{ deadline: '400d' }, /--deadline: 400d is longer than the 2h allowed here/],
    [{ targets: { rto: '0' } }, /target RTO 0 ms makes no sense/],
    [{ deadline: 'later' }, /cannot parse "later"/],
  ])('refuses %o before anything runs', (req, message) => {
    expect(() => planRun(drill(), { drill: 'example-drill', ...req }, topology)).toThrow(message);
  });
});
