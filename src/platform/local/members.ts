// Generic member lifecycle shared by every driver: launch its processes, kill them, check them.
import { spawnSync } from 'node:child_process';
import { chownSync, mkdirSync } from 'node:fs';
import { UserError } from '../../util/errors.ts';
import { sleep } from '../../util/wait.ts';
import { isAlive, startProcess, stopProcess, tail, type ProcessSpec } from './process.ts';
import type { MemberState, SandboxContext } from './types.ts';

export function launchProcess(ctx: SandboxContext, member: MemberState, spec: ProcessSpec): number {
  const rec = startProcess(spec, ctx.id);
  member.pids[spec.name] = rec.pid;
  return rec.pid;
}

/** Starts the member's processes in order (skipping any still running). */
export function launchMember(ctx: SandboxContext, member: MemberState): void {
  for (const spec of member.processes) {
    const pid = member.pids[spec.name];
    if (pid && isAlive(pid)) continue;
    launchProcess(ctx, member, spec);
  }
}

export function memberRunning(member: MemberState): boolean {
  return member.processes.every((p) => {
    const pid = member.pids[p.name];
    return pid !== undefined && isAlive(pid);
  });
}

/** Kills the member's processes (last started first). SIGKILL is the node-loss fault. */
export async function killMember(
  member: MemberState,
  signal: NodeJS.Signals = 'SIGKILL',
  graceMs = 15_000,
): Promise<void> {
  for (const spec of [...member.processes].reverse()) {
    const pid = member.pids[spec.name];
    if (pid) await stopProcess(pid, signal, graceMs);
    delete member.pids[spec.name];
  }
}

/** Fails fast, with the log tail, when a process died while we waited for it to become healthy. */
export function assertStillRunning(member: MemberState): void {
  for (const spec of member.processes) {
    const pid = member.pids[spec.name];
    if (pid !== undefined && !isAlive(pid)) {
      throw new Error(
        `${spec.name} exited during start-up; last lines of ${spec.logFile}:\n${tail(spec.logFile)}`,
      );
    }
  }
}

/** Like waitFor, but gives up at once if one of the member's processes has died. */
export async function waitHealthy(
  member: MemberState,
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    assertStillRunning(member);
    try {
      if (await check()) return;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      const logs = member.processes.map((p) => `--- ${p.logFile}\n${tail(p.logFile)}`).join('\n');
      throw new Error(`${member.name}: timed out after ${timeoutMs} ms waiting for ${what} ${last}\n${logs}`);
    }
    await sleep(200);
  }
}

/** Creates a directory the member's (possibly unprivileged) user can write. */
export function ownedDir(ctx: SandboxContext, path: string, mode = 0o700): string {
  mkdirSync(path, { recursive: true, mode });
  if (ctx.runAs) chownSync(path, ctx.runAs.uid, ctx.runAs.gid);
  return path;
}

export function memberByName(members: MemberState[], name: string | number): MemberState {
  // An index is plain digits: Number('') is 0, and `sandbox kill kafka ''` once killed kafka-0.
  const index = typeof name === 'number' ? name : /^\d{1,6}$/.test(name) ? Number(name) : undefined;
  const found = members.find((m) => m.name === String(name) || (index !== undefined && m.index === index));
  if (!found) {
    throw new UserError(
      `no member "${name}"`,
      `choose one of: ${members.map((m) => `${m.name} (${m.index})`).join(', ')}`,
    );
  }
  return found;
}

/** Runs a one-off command to completion, as the unprivileged user when we are root. */
export function runSync(
  ctx: Pick<SandboxContext, 'runAs'>,
  command: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): string {
  const [cmd, argv] = ctx.runAs
    ? [
        'setpriv',
        [`--reuid=${ctx.runAs.uid}`, `--regid=${ctx.runAs.gid}`, '--init-groups', '--', command, ...args],
      ]
    : [command, args];
  const result = spawnSync(cmd, argv, {
    cwd: opts.cwd ?? '/',
    env: { ...process.env, ...opts.env },
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (exit ${result.status}):\n${result.stdout}${result.stderr}`,
    );
  }
  return result.stdout;
}
