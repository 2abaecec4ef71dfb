// The one typed way to call a system's action on whatever platform a drill runs on.
import { UserError } from '../util/errors.ts';
import type { ActionMap, Platform } from './platform.ts';

/**
 * `actionsOf<TimescaledbActions>(platform, 'timescaledb')('backup', { type: 'full' })` — the
 * name, its arguments and its result are checked by the compiler against the system's map.
 */
export function actionsOf<M extends ActionMap>(platform: Platform, component: string) {
  return async <K extends keyof M & string>(name: K, args?: M[K]['args']): Promise<M[K]['result']> => {
    if (!platform.action)
      throw new UserError(
        `the ${platform.ref.kind} platform cannot run ${component} actions (needed: ${name})`,
        'run this drill on a platform that has the "actions" capability (firedrill drills shows which)',
      );
    return (await platform.action(component, name, args ?? {})) as M[K]['result'];
  };
}
