// Where the cores went during a bench: CPU seconds by process group (a worker, the calibration
// target, Temporal, PostgreSQL…), each group a root pid and all its descendants, from /proc. A
// process that exits between samples loses its last interval: sample often (every 1–2 s).
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second of /proc's utime and stime (USER_HZ: 100 on Linux). */
const TICKS = 100;

interface ProcStat {
  ppid: number;
  ticks: number;
}

function stat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: the fields start after the last ")".
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return undefined;
  }
}

/** Busy ticks of the whole machine (every core), from /proc/stat. */
function machineBusy(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return user! + nice! + system! + irq! + softirq! + steal!;
}

export class CpuTracker {
  /** Ticks of each pid when first seen (its use before the bench is not counted) and last seen. */
  private readonly seen = new Map<number, { group: string; first: number; last: number }>();
  private readonly roots = new Map<number, string>();
  private readonly busyAtStart = machineBusy();
  private started = false;

  /** Counts `pid` and its descendants as `group` from now on. */
  track(pid: number, group: string): void {
    this.roots.set(pid, group);
  }

  sample(): void {
    const procs = new Map<number, ProcStat>();
    for (const name of readdirSync('/proc')) {
      const pid = Number(name);
      if (!Number.isInteger(pid)) continue;
      const s = stat(pid);
      if (s) procs.set(pid, s);
    }
    const groupOf = (pid: number): string | undefined => {
      for (let p = pid, hops = 0; p > 1 && hops < 64; p = procs.get(p)?.ppid ?? 0, hops++) {
        const g = this.roots.get(p);
        if (g) return g;
      }
      return undefined;
    };
    for (const [pid, s] of procs) {
      const group = groupOf(pid);
      if (!group) continue;
      const known = this.seen.get(pid);
      // Seen at the first sample: it ran before; later: it is new, all its use counts.
      if (!known) this.seen.set(pid, { group, first: this.started ? 0 : s.ticks, last: s.ticks });
      else known.last = s.ticks;
    }
    this.started = true;
  }

  /** CPU seconds by group since the first sample, and the machine's total (every core). */
  totals(): { byGroup: Record<string, number>; machineSeconds: number } {
    const byGroup: Record<string, number> = {};
    for (const p of this.seen.values())
      byGroup[p.group] = (byGroup[p.group] ?? 0) + (p.last - p.first) / TICKS;
    for (const g of Object.keys(byGroup)) byGroup[g] = +byGroup[g]!.toFixed(1);
    return { byGroup, machineSeconds: +((machineBusy() - this.busyAtStart) / TICKS).toFixed(1) };
  }
}
