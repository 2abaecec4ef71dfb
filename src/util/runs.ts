// Where runs are written and what they are called: shared by `firedrill run`, `firedrill gameday`,
// the game-day planner (src/gameday/plan.ts, also run by a scheduled game day's activity) and the
// reports command.
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { checkRunId } from './names.ts';

/** e.g. `timescaledb-failover-postgres-crash-20261201T091758-ab12`; always a valid run id. */
export const newRunId = (drill: string, variant: string) =>
  checkRunId(
    `${drill}-${variant}-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomBytes(2).toString('hex')}`,
  );

export const reportsDir = () => resolve(process.env.FIREDRILL_REPORTS ?? 'reports');
