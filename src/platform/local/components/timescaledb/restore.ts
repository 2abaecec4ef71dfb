// The sandbox's restore: pgBackRest restores the latest backup set into one member's (emptied)
// data directory, then PostgreSQL itself replays the archived WAL to its end outside Patroni
// (whose replicas strip recovery settings), promotes, and is shut down cleanly.
import { join } from 'node:path';
import type { RestoreReport } from '../../../../systems/timescaledb/actions.ts';
import { archiveMax, archivePushCommand } from '../../../../systems/timescaledb/pgbackrest.ts';
import { replayEnd, type ReplayEnd } from '../../../../systems/timescaledb/sql.ts';
import { UserError } from '../../../../util/errors.ts';
import { sleep } from '../../../../util/wait.ts';
import { memberRunning } from '../../members.ts';
import { HOST } from '../../ports.ts';
import { isAlive, startProcess, tail, type ProcessSpec } from '../../process.ts';
import type { ComponentState, MemberState, SandboxContext } from '../../types.ts';
import { superuserClient } from './cluster.ts';
import { backupInventory, pgbackrest, pgbackrestInfo } from './pgbackrest.ts';
import { clearStalePostmaster, emptyDataDir, writeOwned } from './processes.ts';

/**
 * pgBackRest restore of the latest backup set into one member's (emptied) data directory, then
 * archive recovery to the end of the archived WAL: replay every archived segment, promote, read
 * where replay stopped, shut down cleanly. Patroni then adopts the data directory as the new
 * cluster's primary.
 */
export async function restoreMember(
  ctx: SandboxContext,
  state: ComponentState,
  member: MemberState,
): Promise<RestoreReport> {
  const running = state.members.filter(memberRunning).map((m) => m.name);
  if (running.length) {
    throw new UserError(
      `a restore needs the whole cluster stopped, but ${running.join(', ')} still run`,
      'kill them first',
    );
  }
  const info = pgbackrestInfo(state);
  const dataDir = join(member.dataDir, 'data');
  const started = Date.now();
  await clearStalePostmaster(ctx, member);
  emptyDataDir(member);
  const before = await backupInventory(ctx, state);
  if (!before.backups.length) throw new UserError(`no pgBackRest backup of stanza ${info.stanza} to restore`);
  // Default type: recover along the latest timeline to the end of the archived WAL.
  await pgbackrest(ctx, state, ['restore', '--log-level-console=warn'], member.name);
  const restored = Date.now();

  const port = member.ports.postgres!;
  const logFile = join(member.dataDir, 'restore-recovery.log');
  writeOwned(ctx, logFile, '', 0o644);
  const spec: ProcessSpec = {
    name: `${member.name}/recovery`,
    command: join(ctx.toolchain.pgBin, 'postgres'),
    args: [
      '-D',
      dataDir,
      // The restored configuration may be another member's (whichever was primary at backup time).
      '-c',
      `port=${port}`,
      '-c',
      `listen_addresses=${HOST}`,
      '-c',
      `unix_socket_directories=${join(member.dataDir, 'run')}`,
      '-c',
      `hba_file=${join(dataDir, 'pg_hba.conf')}`,
      '-c',
      `ident_file=${join(dataDir, 'pg_ident.conf')}`,
      '-c',
      `archive_command=${archivePushCommand(ctx.toolchain.pgbackrest, info.configs[member.name]!, info.stanza)}`,
    ],
    logFile,
    cwd: member.dataDir,
    runAs: ctx.runAs,
  };
  const { pid } = startProcess(spec, ctx.id);
  let end: ReplayEnd | undefined;
  let recovered = Date.now();
  try {
    for (;;) {
      if (!isAlive(pid))
        throw new Error(`${member.name}: PostgreSQL exited during archive recovery:
${tail(logFile, 30)}`);
      const client = await superuserClient(state, port).catch(() => undefined);
      if (client) {
        try {
          end = await replayEnd(client);
          if (end) {
            recovered = Date.now();
            break;
          }
        } finally {
          await client.end().catch(() => {});
        }
      }
      if (Date.now() - restored > 30 * 60_000)
        throw new Error(`${member.name}: archive recovery still running after 30 min`);
      await sleep(200);
    }
  } finally {
    // Fast shutdown (a clean checkpoint), so that Patroni starts from a consistent directory.
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      /* gone */
    }
    const deadline = Date.now() + 60_000;
    while (isAlive(pid) && Date.now() < deadline) await sleep(50);
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  return {
    member: member.name,
    backup: before.backups.at(-1) ?? null,
    archiveMaxBefore: archiveMax(before),
    ...end!,
    timings: {
      restoreMs: restored - started,
      recoveryMs: recovered - restored,
      stopMs: Date.now() - recovered,
    },
    recoveryLog: logFile,
  };
}
