// Runs sandbox servers as detached process groups that outlive the CLI that started them, and
// finds every one of them again (children included) through a marker in their environment.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { sleep } from '../../util/wait.ts';

/** Environment variable carried by every sandbox process and inherited by its children. */
export const SANDBOX_MARKER = 'FIREDRILL_SANDBOX';

export interface RunAs {
  user: string;
  uid: number;
  gid: number;
}

export interface ProcessSpec {
  /** Unique within the sandbox, e.g. "kafka-1" or "timescaledb-0/patroni". */
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  logFile: string;
  /** Drop root to this user first (PostgreSQL refuses to run as root). */
  runAs?: RunAs;
}

export interface ProcessRecord {
  name: string;
  pid: number;
  startedAt: string;
}

export function startProcess(spec: ProcessSpec, sandboxId: string): ProcessRecord {
  const out = openSync(spec.logFile, 'a');
  const [command, args] = spec.runAs
    ? [
        'setpriv',
        [
          `--reuid=${spec.runAs.uid}`,
          `--regid=${spec.runAs.gid}`,
          '--init-groups',
          '--',
          spec.command,
          ...spec.args,
        ],
      ]
    : [spec.command, spec.args];
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...spec.env,
    [SANDBOX_MARKER]: sandboxId,
  };
  if (spec.runAs) {
    env.HOME = spec.cwd ?? '/tmp';
    env.USER = spec.runAs.user;
    env.LOGNAME = spec.runAs.user;
  }
  const child = spawn(command, args, { cwd: spec.cwd, env, detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  if (child.pid === undefined) throw new Error(`${spec.name}: could not start ${spec.command}`);
  child.unref();
  return { name: spec.name, pid: child.pid, startedAt: new Date().toISOString() };
}

/** Alive means running or sleeping; a zombie waiting to be reaped is already dead. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
    } catch {
      /* already gone */
    }
  }
}

/** Signals the process group; with SIGTERM, escalates to SIGKILL after graceMs. */
export async function stopProcess(
  pid: number,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 15_000,
): Promise<void> {
  signalGroup(pid, signal);
  const deadline = Date.now() + (signal === 'SIGKILL' ? 5_000 : graceMs);
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(pid)) {
    signalGroup(pid, 'SIGKILL');
    while (isAlive(pid)) await sleep(50);
  }
}

/** Every live process carrying this sandbox's marker, and every descendant of one. */
export function markedProcesses(sandboxId: string): number[] {
  const needle = `${SANDBOX_MARKER}=${sandboxId}\0`;
  const marked = new Set<number>();
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid || !isAlive(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
      // PostgreSQL overwrites its backends' environment area (process titles), so the marker
      // is only readable on the postmaster: descendants are found through the process tree.
      if (readFileSync(`/proc/${pid}/environ`, 'latin1').includes(needle)) marked.add(pid);
    } catch {
      /* gone, or not ours to read */
    }
  }
  const queue = [...marked];
  while (queue.length) {
    for (const child of children.get(queue.pop()!) ?? []) {
      if (!marked.has(child) && child !== process.pid) {
        marked.add(child);
        queue.push(child);
      }
    }
  }
  return [...marked];
}

/** Kills every marked process still alive; returns how many there were. */
export async function sweep(sandboxId: string): Promise<number> {
  const pids = markedProcesses(sandboxId);
  for (const pid of pids) signalGroup(pid, 'SIGKILL');
  const deadline = Date.now() + 10_000;
  while (markedProcesses(sandboxId).length && Date.now() < deadline) await sleep(100);
  return pids.length;
}

export function tail(file: string, lines = 15): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
