// The backups a game day prepares before its drills (see standingBackup).
import { actionsOf } from '../platform/call-action.ts';
import { LocalPlatform } from '../platform/local/platform.ts';
import type { TimescaledbActions } from '../systems/timescaledb/actions.ts';

/**
 * SLO-Scout keeps pgBackRest backups on a schedule (a nightly full, hourly incrementals), so a
 * restore drill always has one to restore from. A brand-new sandbox has had no night yet: the game
 * day takes the full backup the schedule would have taken, and says so, instead of refusing the
 * restore drill on every fresh machine — scheduled game days too (the planning activity calls
 * this). `firedrill run timescaledb-restore` still refuses.
 */
export async function standingBackup(
  sandbox: string,
  drills: string[],
  say: (line: string) => void = (line) => console.error(line),
): Promise<void> {
  if (!drills.includes('timescaledb-restore')) return;
  const action = actionsOf<TimescaledbActions>(new LocalPlatform(sandbox), 'timescaledb');
  const inventory = await action('backups');
  if (inventory.backups.length) return;
  const started = Date.now();
  say('game day: no pgBackRest backup on this sandbox yet; taking the nightly full backup first');
  await action('backup', { type: 'full' });
  say(`game day: full backup taken in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
