// The sandbox's TimescaleDB processes as the kernel sees them: a PID namespace per member, the
// postmasters and Patronis found in /proc (a previous incarnation's, an unrecorded start's),
// short commands run as the unprivileged user, and files and data directories owned by it.
import { execFile, spawnSync } from 'node:child_process';
import { chownSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sleep } from '../../../../util/wait.ts';
import { isAlive, SANDBOX_MARKER } from '../../process.ts';
import type { MemberState, SandboxContext } from '../../types.ts';

const run = promisify(execFile);

/** Runs a short command as the unprivileged user, with the sandbox marker (pgbackrest, psql…). */
export async function runAsUser(
  ctx: SandboxContext,
  command: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 120_000,
) {
  const [cmd, argv] = ctx.runAs
    ? [
        'setpriv',
        [`--reuid=${ctx.runAs.uid}`, `--regid=${ctx.runAs.gid}`, '--init-groups', '--', command, ...args],
      ]
    : [command, args];
  return run(cmd, argv, {
    env: { ...(process.env as Record<string, string>), ...env, [SANDBOX_MARKER]: ctx.id },
    timeout: timeoutMs,
    encoding: 'utf8',
  });
}

/** Writes a file owned by the unprivileged user. */
export function writeOwned(ctx: SandboxContext, file: string, text: string, mode = 0o600): void {
  writeFileSync(file, text, { mode });
  if (ctx.runAs) chownSync(file, ctx.runAs.uid, ctx.runAs.gid);
}

let namespaceSupport: boolean | undefined;
/** Can we give each member a PID namespace of its own? (root: yes; otherwise needs user namespaces.) */
export function namespaceArgs(): string[] | undefined {
  const args = process.getuid?.() === 0 ? [] : ['--user', '--map-current-user'];
  const full = ['unshare', ...args, '--pid', '--fork', '--kill-child', '--mount-proc'];
  if (namespaceSupport === undefined) {
    namespaceSupport = spawnSync(full[0]!, [...full.slice(1), 'true'], { stdio: 'ignore' }).status === 0;
  }
  return namespaceSupport ? full : undefined;
}

/** Pids of live processes whose argv `matches`. */
function processesWhere(matches: (argv: string[]) => boolean): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (matches(argv) && isAlive(Number(entry))) found.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return found;
}

/** Pids of live processes started with `-D <dataDir>` (a postmaster serving that directory). */
export function postmastersOf(dataDir: string): number[] {
  return processesWhere((argv) => {
    const i = argv.indexOf('-D');
    return i >= 0 && argv[i + 1] === dataDir;
  });
}

/** SIGKILLs each pid, saying so first. */
function killEach(pids: number[], say: (pid: number) => void): void {
  for (const pid of pids) {
    say(pid);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/**
 * Before a member starts again: no postgres of its previous incarnation may still hold the data
 * directory (without PID namespaces one survives Patroni's death), and its postmaster.pid is stale.
 */
export async function clearStalePostmaster(ctx: SandboxContext, member: MemberState): Promise<void> {
  const dataDir = join(member.dataDir, 'data');
  const stale = postmastersOf(dataDir);
  killEach(stale, (pid) =>
    ctx.log(`${member.name}: killing postgres left over from its previous incarnation (pid ${pid})`),
  );
  const deadline = Date.now() + 10_000;
  while (postmastersOf(dataDir).length && Date.now() < deadline) await sleep(50);
  // Its backends exit once the postmaster is gone; wait for them so the port and shared memory are free.
  await sleep(stale.length ? 300 : 0);
  rmSync(join(dataDir, 'postmaster.pid'), { force: true });
}

/**
 * Before a member starts again: a Patroni of its own launched by a process that died before it
 * could record the pid (a worker SIGKILLed mid-restart) would otherwise run beside the new one.
 */
export async function clearOrphanedPatroni(ctx: SandboxContext, member: MemberState): Promise<void> {
  const config = join(member.dataDir, 'patroni.yml');
  const orphans = processesWhere((argv) => argv.includes(config));
  killEach(orphans, (pid) =>
    ctx.log(`${member.name}: killing a Patroni left over from an unrecorded start (pid ${pid})`),
  );
  const deadline = Date.now() + 10_000;
  while (orphans.some(isAlive) && Date.now() < deadline) await sleep(50);
}

/** Empties a member's data directory (keeping the directory, its owner and mode). */
export function emptyDataDir(member: MemberState): number {
  const dataDir = join(member.dataDir, 'data');
  if (!existsSync(dataDir)) return 0;
  const entries = readdirSync(dataDir);
  for (const entry of entries) rmSync(join(dataDir, entry), { recursive: true, force: true });
  return entries.length;
}
