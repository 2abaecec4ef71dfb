// What a real Kubernetes node changes on the host, recorded before it starts so that stopping it
// can put everything back and a check can prove it did: sysctls, netfilter rules (nftables, and
// iptables as iptables-save prints them), network links, routes and addresses, mounts, cgroup
// directories, and the well-known paths a container runtime, CNI or kubelet creates by default.
//
// Reading is done here (it needs the host); comparing is pure (diffHostState), so a unit test can
// plant a change and see it reported.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface HostState {
  /** Every readable sysctl except counters that change on their own (see VOLATILE_SYSCTLS). */
  sysctls: Record<string, string>;
  /** `nft list ruleset`, which also shows iptables-nft's tables. */
  nftRuleset: string;
  /** `iptables-save` / `ip6tables-save` without comments and counters ('' when not installed). */
  iptables: { ip: string; ip6: string };
  links: string[];
  addresses: string[];
  routes: string[];
  /** Mount points (with their file system type) from /proc/self/mountinfo. */
  mounts: string[];
  /** Every directory under every cgroup hierarchy, as `<hierarchy>/<path>`. */
  cgroups: string[];
  /** Which of NODE_DEFAULT_PATHS exist. */
  paths: string[];
}

/** Paths a node's components create when not told otherwise; firedrill's node is told otherwise. */
export const NODE_DEFAULT_PATHS = [
  '/run/containerd',
  '/var/lib/containerd',
  '/opt/containerd',
  '/etc/containerd',
  '/run/netns',
  '/var/run/netns',
  '/var/lib/cni',
  '/etc/cni',
  '/opt/cni',
  '/run/nri',
  '/var/run/nri',
  '/var/lib/kubelet',
  '/var/log/pods',
  '/var/log/containers',
  '/etc/kubernetes',
  '/run/runc',
  '/run/xtables.lock',
] as const;

/** Sysctls that count or randomise on their own: comparing them says nothing about the node. */
export const VOLATILE_SYSCTLS: RegExp[] = [
  /^kernel\.random\./,
  /^kernel\.ns_last_pid$/,
  /^kernel\.pty\.nr$/,
  /^kernel\.tainted$/,
  /^fs\.(dentry-state|inode-nr|inode-state|file-nr|aio-nr|dentry-negative)$/,
  /^fs\.quota\./,
  /^net\.netfilter\.nf_conntrack_count$/,
  /^vm\.(stat_refresh|drop_caches|compact_memory)$/,
];

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

export function readSysctls(root = '/proc/sys'): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, prefix: string) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const e of entries) {
      const path = join(dir, e);
      const key = prefix ? `${prefix}.${e}` : e;
      let st;
      try {
        st = statSync(path);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(path, key);
      else if (st.mode & 0o444 && !VOLATILE_SYSCTLS.some((re) => re.test(key))) {
        try {
          out[key] = readFileSync(path, 'utf8').trim().replace(/\s+/g, ' ');
        } catch {
          /* write-only or refused: nothing to compare */
        }
      }
    }
  };
  walk(root, '');
  return out;
}

/** iptables-save output reduced to what a rule is: no comments, no packet/byte counters. */
export function normaliseIptablesSave(text: string): string {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]/g, ''))
    .join('\n');
}

/**
 * cgroups of whatever manages this process, as `<hierarchy>/<top directory>`: when this process
 * lives below the top level of a hierarchy (say memory:/process_api/<id>), its manager makes and
 * removes siblings there for its own reasons. The node never touches them (the kubelet works at
 * /kubepods), so they are recorded but not descended into.
 */
export function managedCgroupDirs(procSelfCgroup: string): string[] {
  const out: string[] = [];
  for (const line of procSelfCgroup.split('\n').filter(Boolean)) {
    const [, controllers, path] = line.split(':');
    const top = path?.split('/').filter(Boolean);
    if (!top || top.length < 2) continue;
    const hierarchy = controllers === '' ? 'unified' : controllers!.replace(/^name=/, '');
    out.push(`${hierarchy}/${top[0]}`);
  }
  return out;
}

function cgroupDirs(root = '/sys/fs/cgroup'): string[] {
  const out: string[] = [];
  let managed: Set<string>;
  try {
    managed = new Set(managedCgroupDirs(readFileSync('/proc/self/cgroup', 'utf8')));
  } catch {
    managed = new Set();
  }
  const walk = (dir: string, rel: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const r = `${rel}/${e.name}`;
      out.push(r);
      if (!managed.has(r)) walk(join(dir, e.name), r);
    }
  };
  let hierarchies: string[] = [];
  try {
    hierarchies = readdirSync(root);
  } catch {
    return out;
  }
  for (const h of hierarchies) walk(join(root, h), h);
  return out.sort();
}

export function readMounts(): { mountPoint: string; fsType: string }[] {
  // mountinfo: id parent major:minor root mount-point options ... - fstype source super-options
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [left, right] = line.split(' - ');
      const mountPoint = left!.split(' ')[4]!.replace(/\\040/g, ' ');
      return { mountPoint, fsType: right?.split(' ')[0] ?? '' };
    });
}

export function readHostState(): HostState {
  const iptablesSave = (bin: string) => normaliseIptablesSave(run(bin, []));
  return {
    sysctls: readSysctls(),
    nftRuleset: run('nft', ['list', 'ruleset']),
    iptables: { ip: iptablesSave('iptables-save'), ip6: iptablesSave('ip6tables-save') },
    links: run('ip', ['-o', 'link', 'show'])
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(': ')[1]!.split('@')[0]!)
      .sort(),
    addresses: run('ip', ['-o', 'addr', 'show'])
      .split('\n')
      .filter(Boolean)
      .map((l) => l.replace(/^\d+:\s+/, '').replace(/\s+valid_lft.*$/, ''))
      .sort(),
    // `ip route show table all` lists IPv4 and IPv6 routes, the local tables included.
    routes: run('ip', ['route', 'show', 'table', 'all'])
      .split('\n')
      .filter(Boolean)
      .map((r) => r.replace(/\s+expires \S+/, '').trim())
      .sort(),
    mounts: readMounts()
      .map((m) => `${m.mountPoint} ${m.fsType}`)
      .sort(),
    cgroups: cgroupDirs(),
    paths: NODE_DEFAULT_PATHS.filter((p) => existsSync(p)),
  };
}

export interface HostStateDiff {
  /** Human-readable lines, one per difference; empty when the host is as it was. */
  lines: string[];
  sysctls: { key: string; before: string | undefined; after: string | undefined }[];
}

function setDiff(what: string, before: string[], after: string[], lines: string[]): void {
  const b = new Set(before);
  const a = new Set(after);
  for (const x of after) if (!b.has(x)) lines.push(`${what} added: ${x}`);
  for (const x of before) if (!a.has(x)) lines.push(`${what} removed: ${x}`);
}

export function diffHostState(before: HostState, after: HostState): HostStateDiff {
  const lines: string[] = [];
  const sysctls: HostStateDiff['sysctls'] = [];
  for (const key of new Set([...Object.keys(before.sysctls), ...Object.keys(after.sysctls)])) {
    const b = before.sysctls[key];
    const a = after.sysctls[key];
    if (b !== a) {
      sysctls.push({ key, before: b, after: a });
      lines.push(`sysctl ${key}: ${b ?? '(absent)'} -> ${a ?? '(absent)'}`);
    }
  }
  setDiff('nft rule', before.nftRuleset.split('\n'), after.nftRuleset.split('\n'), lines);
  setDiff('iptables rule', before.iptables.ip.split('\n'), after.iptables.ip.split('\n'), lines);
  setDiff('ip6tables rule', before.iptables.ip6.split('\n'), after.iptables.ip6.split('\n'), lines);
  setDiff('link', before.links, after.links, lines);
  setDiff('address', before.addresses, after.addresses, lines);
  setDiff('route', before.routes, after.routes, lines);
  setDiff('mount', before.mounts, after.mounts, lines);
  setDiff('cgroup', before.cgroups, after.cgroups, lines);
  setDiff('path', before.paths, after.paths, lines);
  return { lines, sysctls };
}
