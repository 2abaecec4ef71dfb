// What a checked run request becomes (src/drill/validate.ts makes it): everything the engine
// needs to run the drill, serializable, travelling in workflow inputs.
import type { Targets } from '../measure/types.ts';
import type { OptionValue } from './definition.ts';

export interface DrillPlan {
  drill: string;
  title: string;
  hypothesis: string;
  variant: string;
  options: Record<string, OptionValue>;
  component: string;
  /**
   * What the run holds exclusively, one drill at a time: the component, or `component/instance`
   * for a drill on one instance of it (target.instanceOption). Names its workflow id and its lock.
   */
  target: string;
  scenario: string;
  targets: Targets;
  deadlineMs: number;
  probeIntervalMs: number;
  consecutiveOk: number;
  probeTimeoutMs: number;
  /** The drill's own latency bound; null: derived from the steady state. */
  latencyBoundMs: number | null;
  ledgerConcurrency: number;
  /** Records per write call (1 = write(); more = writeBatch()). */
  ledgerBatch: number;
  /** Records per second while the drill runs (0 = unpaced). */
  ledgerMaxRate: number;
  exactlyOnce: boolean;
  minAckedBeforeFault: number;
  remediateAfterMs: number | null;
  needs: string[];
}
