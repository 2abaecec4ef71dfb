// Puts the host back as it was before the real test node started (host-state.ts recorded it):
// processes, mounts, netfilter rules, links, cgroups, sysctls and default paths. Used by stop(),
// after a failed start, and for a node left over by a crashed run (its record is on disk).
//
// Only what a node makes is removed: KUBE-* iptables chains and the rules that jump to them, the
// kube-proxy and firedrill nft tables, iptables-nft tables that did not exist before and are now
// empty, kubepods cgroups, mounts under the node's folder or the runtime's default paths, and
// links on the node's bridge. Anything else that differs is reported by the check, not touched.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../../util/wait.ts';
import { markedProcesses, sweep } from '../local/process.ts';
import {
  NODE_DEFAULT_PATHS,
  diffHostState,
  normaliseIptablesSave,
  readHostState,
  readMounts,
  type HostState,
  type HostStateDiff,
} from './host-state.ts';

export interface NodeTeardown {
  dir: string;
  bridge: string;
  marker: string;
  forwardTable: string;
  before: HostState;
  log: (m: string) => void;
}

function sh(cmd: string, args: string[]): { ok: boolean; out: string } {
  try {
    return {
      ok: true,
      out: execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    };
  } catch (err) {
    return { ok: false, out: String((err as { stderr?: string }).stderr ?? err) };
  }
}

/** Splits an iptables-save rule into arguments (it double-quotes arguments with spaces). */
export function splitRule(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const m of line.matchAll(re)) out.push(m[1] !== undefined ? m[1].replace(/\\"/g, '"') : m[2]!);
  return out;
}

/**
 * The iptables commands that undo a node's chains: delete every rule added since `before` that
 * is in or jumps to a KUBE-* chain, then flush and delete the KUBE-* chains added since.
 */
export function iptablesUndo(before: string, after: string): string[][] {
  const seen = new Set(before.split('\n'));
  const rules: string[][] = [];
  const chains: string[][] = [];
  let table = '';
  for (const line of after.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    else if (seen.has(line)) continue;
    else if (line.startsWith(':KUBE-')) chains.push(['-t', table, line.slice(1).split(' ')[0]!]);
    else if (line.startsWith('-A ') && /(^-A KUBE-|\s-[jg] KUBE-)/.test(line)) {
      const args = splitRule(line);
      rules.push(['-t', table, '-D', ...args.slice(1)]);
    }
  }
  return [
    ...rules,
    ...chains.map(([t, tn, c]) => [t!, tn!, '-F', c!]),
    ...chains.map(([t, tn, c]) => [t!, tn!, '-X', c!]),
  ];
}

const underAny = (path: string, prefixes: string[]) =>
  prefixes.some((p) => path === p || path.startsWith(`${p}/`));

/** Stops every process and undoes what the node changed; returns how the host now differs. */
export async function restoreHost(t: NodeTeardown): Promise<HostStateDiff> {
  const did = (m: string) => t.log(`teardown: ${m}`);

  // 1. Processes: kubelet, kube-proxy, containerd, every shim and container process.
  const killed = await sweep(t.marker);
  if (killed) did(`ended ${killed} remaining process(es)`);
  if (markedProcesses(t.marker).length) throw new Error(`processes of ${t.marker} survived SIGKILL`);

  // 2. Mounts the node made: under its folder, or where a runtime mounts by default.
  const prefixes = [t.dir, '/run/netns', '/var/run/netns', '/run/containerd', '/var/lib/kubelet'];
  const known = new Set(t.before.mounts.map((m) => m.split(' ')[0]));
  for (let pass = 0; pass < 5; pass++) {
    const ours = readMounts()
      .map((m) => m.mountPoint)
      .filter((m) => !known.has(m) && underAny(m, prefixes))
      .sort((a, b) => b.length - a.length);
    if (!ours.length) break;
    for (const m of ours) {
      if (!sh('umount', [m]).ok) sh('umount', ['-l', m]);
    }
    did(`unmounted ${ours.length} mount(s)`);
  }

  // 3. Netfilter: the node's nft tables, kubelet's KUBE-* iptables chains, then empty new tables.
  const tablesBefore = new Set(t.before.nftRuleset.split('\n').filter((l) => l.startsWith('table ')));
  const ownTables = [`inet ${t.forwardTable}`, 'ip kube-proxy', 'ip6 kube-proxy'];
  for (const table of ownTables) {
    if (tablesBefore.has(`table ${table} {`)) continue;
    if (sh('nft', ['delete', 'table', ...table.split(' ')]).ok) did(`deleted nft table ${table}`);
  }
  for (const [bin, saved] of [
    ['iptables', t.before.iptables.ip],
    ['ip6tables', t.before.iptables.ip6],
  ] as const) {
    const now = normaliseIptablesSave(sh(`${bin}-save`, []).out);
    const undo = iptablesUndo(saved, now);
    for (const args of undo) sh(bin, ['-w', ...args]);
    if (undo.length) did(`${bin}: ${undo.length} command(s) to remove KUBE-* chains`);
  }
  const ruleset = sh('nft', ['-j', 'list', 'ruleset']);
  if (ruleset.ok) {
    const items = (
      JSON.parse(ruleset.out) as {
        nftables: Record<string, { family: string; name?: string; table?: string }>[];
      }
    ).nftables;
    for (const it of items) {
      const table = it.table;
      if (!table) continue;
      const key = `${table.family} ${table.name}`;
      if (tablesBefore.has(`table ${key} {`)) continue;
      const hasRules = items.some(
        (x) => x.rule && x.rule.family === table.family && x.rule.table === table.name,
      );
      if (!hasRules && sh('nft', ['delete', 'table', table.family, table.name!]).ok)
        did(`deleted empty nft table ${key}`);
    }
  }

  // 4. Links: veths still on the node's bridge (their pods are gone), then the bridge itself.
  const linksBefore = new Set(t.before.links);
  for (const line of sh('ip', ['-o', 'link', 'show', 'master', t.bridge]).out.split('\n').filter(Boolean)) {
    const link = line.split(': ')[1]!.split('@')[0]!;
    if (!linksBefore.has(link)) sh('ip', ['link', 'delete', link]);
  }
  if (!linksBefore.has(t.bridge) && sh('ip', ['link', 'delete', t.bridge]).ok)
    did(`deleted bridge ${t.bridge}`);

  // 5. cgroups: the kubelet's kubepods trees (deepest first; retried while exits settle).
  const cgBefore = new Set(t.before.cgroups);
  for (let pass = 0; pass < 20; pass++) {
    const ours = readHostState()
      .cgroups.filter((c) => !cgBefore.has(c) && c.split('/').some((part) => part.startsWith('kubepods')))
      .sort((a, b) => b.split('/').length - a.split('/').length);
    if (!ours.length) break;
    let failed = 0;
    for (const c of ours) {
      try {
        rmdirSync(join('/sys/fs/cgroup', c));
      } catch {
        failed++;
      }
    }
    if (!failed) {
      did(`removed ${ours.length} cgroup(s)`);
      break;
    }
    await sleep(250);
  }

  // 6. sysctls the node changed (kubelet's kernel tunables, the bridge plugin's ip_forward).
  const now = readHostState();
  for (const { key, before, after } of diffHostState(t.before, now).sysctls) {
    if (before === undefined || after === undefined) continue; // an interface's, gone with it
    try {
      writeFileSync(join('/proc/sys', ...key.split('.')), before);
      did(`sysctl ${key} ${after} -> ${before}`);
    } catch {
      /* read-only: reported by the check */
    }
  }

  // 7. Default paths a component created although told otherwise, once nothing is mounted there.
  const mountsNow = readMounts().map((m) => m.mountPoint);
  for (const path of NODE_DEFAULT_PATHS) {
    if (t.before.paths.includes(path) || !existsSync(path)) continue;
    if (mountsNow.some((m) => underAny(m, [path]))) continue;
    rmSync(path, { recursive: true, force: true });
    did(`removed ${path}`);
  }

  // 8. The node's folder (nothing is mounted in it any more), keeping its logs, and keeping the
  // record of the host as it was if something still differs (the next start retries from it).
  const diff = diffHostState(t.before, readHostState());
  if (existsSync(t.dir) && !readMounts().some((m) => underAny(m.mountPoint, [t.dir]))) {
    for (const e of readdirSync(t.dir)) {
      if (e === 'logs' || (e === 'host-before.json' && diff.lines.length)) continue;
      rmSync(join(t.dir, e), { recursive: true, force: true });
    }
  }
  return diff;
}
