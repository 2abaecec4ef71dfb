// The TimescaleDB actions the sandbox offers (Platform.action), typed by the system's action map:
// one entry per name in TimescaledbActions, each taking that action's arguments and resolving to
// its result. Arguments arrive as JSON from any caller, so they are still checked here.
import { join } from 'node:path';
import type { MemberArg, TimescaledbActions } from '../../../../systems/timescaledb/actions.ts';
import { clusterStateKeys, deleteKey, patroniKeys } from '../../../../systems/timescaledb/etcd.ts';
import { UserError } from '../../../../util/errors.ts';
import { memberByName, memberRunning } from '../../members.ts';
import { untypedActions, type ActionTable, type ComponentState, type MemberState } from '../../types.ts';
import { archivedWal, backupInventory, pgbackrest } from './pgbackrest.ts';
import { clearStalePostmaster, emptyDataDir, postmastersOf } from './processes.ts';
import { restoreMember } from './restore.ts';

const memberArg = (state: ComponentState, args: { member?: MemberArg }): MemberState => {
  if (args.member === undefined) throw new UserError('this action needs a "member" (name or index)');
  return memberByName(state.members, args.member);
};

export const actions: ActionTable<TimescaledbActions> = {
  async 'kill-postmaster'(_ctx, state, args) {
    const member = memberArg(state, args);
    const pids = postmastersOf(join(member.dataDir, 'data'));
    if (!pids.length) throw new UserError(`${member.name} has no running postmaster to kill`);
    for (const pid of pids) process.kill(pid, args.signal ?? 'SIGKILL');
    return { member: member.name, pids };
  },

  async backup(ctx, state, args) {
    const type = args.type ?? 'incr';
    if (!['full', 'diff', 'incr'].includes(type))
      throw new UserError(`backup type "${type}" is not full, diff or incr`);
    await pgbackrest(ctx, state, ['backup', `--type=${type}`]);
    return (await backupInventory(ctx, state)).backups.at(-1)!;
  },

  async backups(ctx, state) {
    return backupInventory(ctx, state);
  },

  async 'archived-wal'(ctx, state) {
    return archivedWal(ctx, state);
  },

  async 'wipe-data'(ctx, state, args) {
    const member = memberArg(state, args);
    if (memberRunning(member))
      throw new UserError(`${member.name} is running: stop it before wiping its data`);
    await clearStalePostmaster(ctx, member);
    return { member: member.name, removed: emptyDataDir(member) };
  },

  async restore(ctx, state, args) {
    return restoreMember(ctx, state, memberArg(state, args));
  },

  /**
   * As `patronictl remove` does, keeping the configuration: the next Patroni to start with data
   * adopts it as the new cluster's primary instead of waiting for a leader that is gone.
   */
  async 'forget-cluster'(_ctx, state) {
    const running = state.members.filter(memberRunning).map((m) => m.name);
    if (running.length) throw new UserError(`cannot forget the cluster while ${running.join(', ')} run`);
    const deleted: string[] = [];
    for (const key of clusterStateKeys(
      await patroniKeys(state.endpoints.etcd!, state.info.scope as string),
    )) {
      await deleteKey(state.endpoints.etcd!, key);
      deleted.push(key);
    }
    return { deleted };
  },
};

/**
 * The table as the sandbox calls it, by name with JSON arguments: each entry checks what it reads
 * (a member, a backup type), so an untyped caller gets the same refusals as before.
 */
export const untypedTimescaledbActions = untypedActions(actions);
