// A drill that does nothing, for tests of pure logic (planning, validation, the record, the watch):
// each test states only how its drill differs. Never stands in for a real system in an e2e test.
import type { DrillDefinition } from '../../src/drill/definition.ts';

export const noop = async () => {};

/** Every step a drill must have, each doing nothing (confirm() says it saw the fault). */
export const inertSteps = {
  open: async () => ({}),
  close: noop,
  canary: noop,
  write: async () => ({}),
  isDefiniteFailure: () => true,
  readBack: async () => [],
  inject: async () => ({ description: 'x', touched: [] }),
  confirm: async () => 'seen',
  fullyRecovered: async () => true,
  revert: noop,
  config: async () => ({}),
} satisfies Partial<DrillDefinition>;

/** A complete drill on Kafka's broker-loss target, named `name`, with `over` applied. */
export function fakeDrill(name: string, over: Partial<DrillDefinition> = {}): DrillDefinition {
  return {
    name,
    title: 'Example',
    hypothesis: 'h',
    target: { component: 'kafka', scenario: 'broker-loss' },
    variants: { one: { description: 'first' } },
    defaultVariant: 'one',
    needs: ['kafka'],
    ...inertSteps,
    ...over,
  } as DrillDefinition;
}
