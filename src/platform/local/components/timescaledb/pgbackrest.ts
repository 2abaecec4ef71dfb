// pgBackRest in the sandbox: one repository, one config per member (pg1-path = its data
// directory), run as the unprivileged user; what it answers is read by src/systems/timescaledb.
import type { ArchivedWal, BackupInventory } from '../../../../systems/timescaledb/actions.ts';
import { parseArchivedWal, parseInventory } from '../../../../systems/timescaledb/pgbackrest.ts';
import type { ComponentState, SandboxContext } from '../../types.ts';
import { findPrimary } from './cluster.ts';
import { runAsUser } from './processes.ts';

export interface PgbackrestInfo {
  stanza: string;
  repoPath: string;
  /** Member → its pgBackRest config (same repository, pg1-path = that member's data directory). */
  configs: Record<string, string>;
  /** libpq password file for the superuser, for the commands that connect (backup, check…). */
  pgpass: string;
  retentionFullDays: number | null;
}

export const pgbackrestInfo = (state: ComponentState): PgbackrestInfo =>
  state.info.pgbackrest as PgbackrestInfo;

/**
 * Runs `pgbackrest --config=<member's config> --stanza=timescaledb <args…>` as the unprivileged
 * user, against the given member or else the current primary. For drills: backup, info, restore.
 */
export async function pgbackrest(
  ctx: SandboxContext,
  state: ComponentState,
  args: string[],
  member?: string,
): Promise<{ stdout: string; stderr: string }> {
  const info = pgbackrestInfo(state);
  const target = member ?? (await findPrimary(state)).member;
  const conf = info.configs[target];
  if (!conf) throw new Error(`no pgBackRest config for member "${target}"`);
  return runAsUser(ctx, ctx.toolchain.pgbackrest, [`--config=${conf}`, `--stanza=${info.stanza}`, ...args], {
    PGPASSFILE: info.pgpass,
  });
}

/** The repository's backups and archive range. Reads the repository only (no primary needed). */
export async function backupInventory(ctx: SandboxContext, state: ComponentState): Promise<BackupInventory> {
  const info = pgbackrestInfo(state);
  const { stdout } = await pgbackrest(ctx, state, ['info', '--output=json'], state.members[0]!.name);
  return parseInventory(stdout, info.stanza, info.repoPath);
}

/** Every archived WAL segment name per archive id (history and .partial files apart). */
export async function archivedWal(ctx: SandboxContext, state: ComponentState): Promise<ArchivedWal> {
  const info = pgbackrestInfo(state);
  const { stdout } = await pgbackrest(
    ctx,
    state,
    ['repo-ls', `archive/${info.stanza}`, '--recurse', '--output=json'],
    state.members[0]!.name,
  );
  return parseArchivedWal(stdout);
}
