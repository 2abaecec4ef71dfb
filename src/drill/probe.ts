// The canary settings of a plan make sense before anything is injected: an interval, a timeout and
// a latency bound that are positive, an interval the recovery deadline can hold many times, and a
// latency bound a canary can meet before its own timeout ends it.
import { UserError } from '../util/errors.ts';
import type { DrillPlan } from './plan.ts';

export function checkProbe(plan: DrillPlan): DrillPlan {
  const where = `drill ${plan.drill}: probe`;
  const positive = (field: string, v: number | null, fix: string) => {
    if (v !== null && !(Number.isFinite(v) && v > 0))
      throw new UserError(`${where}.${field} is ${v} ms, which makes no sense`, fix);
  };
  positive('intervalMs', plan.probeIntervalMs, 'set a positive interval such as 50');
  positive('timeoutMs', plan.probeTimeoutMs, 'set a positive canary timeout such as 1000');
  positive(
    'latencyBoundMs',
    plan.latencyBoundMs,
    'leave it out (derived from the steady state) or set e.g. 200',
  );
  if (!Number.isInteger(plan.consecutiveOk) || plan.consecutiveOk < 1)
    throw new UserError(
      `${where}.consecutiveOk is ${plan.consecutiveOk}`,
      'set a whole number ≥ 1 such as 5',
    );
  if (plan.probeIntervalMs * plan.consecutiveOk >= plan.deadlineMs)
    throw new UserError(
      `${where}.intervalMs ${plan.probeIntervalMs} ms × ${plan.consecutiveOk} consecutive canaries does not fit in the ${plan.deadlineMs} ms recovery deadline`,
      'shorten the interval or give a longer --deadline',
    );
  if (plan.latencyBoundMs !== null && plan.latencyBoundMs > plan.probeTimeoutMs)
    throw new UserError(
      `${where}.latencyBoundMs ${plan.latencyBoundMs} ms is above the canary timeout ${plan.probeTimeoutMs} ms: no canary could be that slow and still count`,
      'lower the bound or raise probe.timeoutMs',
    );
  return plan;
}
