// A step's heartbeat from real progress, not from a timer alone: a step stuck inside one call
// stops heartbeating and is retried (on this worker or another) within the heartbeat timeout.
import { Context } from '@temporalio/activity';
import type pino from 'pino';

/** How long a step may go without real progress before it stops heartbeating (and is retried). */
export const STALL_MS = { step: 2 * 60_000, revert: 5 * 60_000 };

/**
 * A step's liveness: `touch` on real progress (a marker, a platform call settling, a journal
 * write); `run` heartbeats while there was some within `stallMs`. A step stuck inside one call
 * stops heartbeating, so the server times the attempt out (heartbeatTimeout) and retries it,
 * instead of a hung call staying "alive" for the whole start-to-close timeout.
 */
export function liveness(
  stallMs: number,
  log?: pino.Logger,
  heartbeat: (details: unknown) => void = (d) => Context.current().heartbeat(d),
) {
  let last = Date.now();
  let what = 'started';
  let warned = false;
  return {
    touch(progress: string) {
      last = Date.now();
      what = progress;
      warned = false;
    },
    async run<T>(fn: () => Promise<T>, everyMs = 1_000): Promise<T> {
      const timer = setInterval(() => {
        if (Date.now() - last < stallMs) return heartbeat({ progress: what });
        if (!warned)
          log?.warn(
            { lastProgress: what, stalledMs: Date.now() - last },
            'no progress: the step stops heartbeating so that it is retried',
          );
        warned = true;
      }, everyMs);
      try {
        return await fn();
      } finally {
        clearInterval(timer);
      }
    },
  };
}
export type Liveness = ReturnType<typeof liveness>;
