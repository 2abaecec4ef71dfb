// The Redis runbook's steps, on whatever platform offers the Redis actions: take the backup, lose
// the server and its volume, and bring it back — restoring the backup first when the volume is
// gone. redis-restart uses them; a drill that destroys the whole data tier can call the same steps
// (kill + wipe through destroy(), then bringBack() in its restore order).
import type { DrillEnv } from '../../drill/definition.ts';
import { actionsOf } from '../../platform/call-action.ts';
import type { RedisActions, RedisBackup } from './actions.ts';
import { lacksDataset } from './backup.ts';
import { COMPONENT } from './client.ts';
import { modelPersistence } from './model.ts';

type Env = Pick<DrillEnv, 'platform' | 'mark'>;

export const redisActions = (env: Pick<DrillEnv, 'platform'>) =>
  actionsOf<RedisActions>(env.platform, COMPONENT);

/** What bringBack() needs to know of the fault, JSON: it must work from a fresh process. */
export interface RedisLoss {
  member: string;
  /** The data directory was removed: the backup must go back before the server starts. */
  wiped: boolean;
  /** The backup to restore; absent: the latest kept. */
  backup?: RedisBackup;
}

/** The backup step: BGSAVE on the running server, the snapshot kept outside its data directory. */
export async function backupStep(env: Env, member: string): Promise<RedisBackup> {
  env.mark('backup-started', `BGSAVE on ${member}; the snapshot is copied outside the data directory`);
  const backup = await redisActions(env)('backup', { member });
  env.mark(
    'backup-done',
    `${backup.name}: ${backup.bytes} bytes, kept in ${backup.location}`,
    backup.snapshotAt,
  );
  return backup;
}

/** The volume lost: SIGKILL the server, then remove its data directory. */
export async function destroy(env: Env, member: string): Promise<void> {
  await env.platform.kill(COMPONENT, member, 'SIGKILL');
  const r = await redisActions(env)('wipe-data', { member });
  env.mark('data-wiped', `${r.dir}: removed ${r.removed.join(', ') || 'nothing'}`);
}

/**
 * Idempotent: a stopped server whose data directory holds no dataset it would load gets the backup
 * restored into it first (a restore that died half-way is wiped and done again); then it is
 * started. A server already running is left as it is.
 */
export async function bringBack(env: Env, loss: RedisLoss): Promise<void> {
  const up = (await env.platform.health(COMPONENT)).find((h) => h.member === loss.member)?.up;
  if (!up && loss.wiped) {
    const { appendonly } = modelPersistence().persistence;
    const action = redisActions(env);
    const files = await action('data-files', { member: loss.member });
    if (lacksDataset(files, appendonly)) {
      if (files.length) await action('wipe-data', { member: loss.member });
      env.mark(
        'restore-started',
        `RDB snapshot ${loss.backup?.name ?? '(the latest)'} into the empty data directory`,
      );
      const r = await action('restore', {
        member: loss.member,
        ...(loss.backup ? { backup: loss.backup.name } : {}),
      });
      env.mark(
        'restored',
        `${r.backup.name} (${r.backup.bytes} bytes) as ${r.written.join(', ')} in ${r.ms} ms`,
      );
    }
  }
  const restarted = await env.platform.restart(COMPONENT, loss.member);
  env.mark('server-restarted', restarted.join(', ') || 'it was already running');
}
