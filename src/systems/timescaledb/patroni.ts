// The one Patroni REST client, for the sandbox driver and the drills alike: the primary is
// whichever member answers `GET /primary` 200, never a fixed host; `GET /cluster` names the
// members and their PostgreSQL addresses; `GET /patroni` is one member's own view (role, state,
// the primary's pg_stat_replication). Patroni has named the primary role `master`, `primary` and
// (in /cluster) `leader`, and a synchronous standby's sync_state `sync` or (quorum commit)
// `quorum`: every spelling counts.

/** One row of the primary's pg_stat_replication, as GET /patroni reports it. */
export interface ReplicationEntry {
  application_name: string;
  state: string;
  sync_state?: string;
}

/** One member's GET /patroni. */
export interface PatroniStatus {
  state?: string;
  role?: string;
  timeline?: number;
  postmaster_start_time?: string;
  replication?: ReplicationEntry[];
  patroni?: { version?: string };
  xlog?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Where the primary's PostgreSQL listens. */
export interface PrimaryRef {
  member: string;
  host: string;
  port: number;
}

/** One member as GET /cluster lists it. */
export interface ClusterMember {
  name: string;
  role: string;
  state: string;
  host: string;
  port: number;
  /** Its REST base URL (api_url without /patroni). */
  api: string;
  timeline?: number;
  lag?: number | string;
}

/** A member whose name and PostgreSQL address are known without asking (a driver's own state). */
export interface KnownMember {
  name: string;
  api: string;
  host: string;
  port: number;
}

/** The cluster as Patroni reports it, judged against the members the platform runs. */
export interface Health {
  /** The running primary (a primary role, state running), if any. */
  leader?: string;
  leaderTimeline?: number;
  /** When the leader's postmaster started (epoch ms). */
  leaderStartedAt?: number;
  /** Replicas the leader streams to (its pg_stat_replication). */
  streaming: string[];
  /** The replica the primary's commits wait for and that Patroni may promote (synchronous_mode). */
  syncStandby?: string;
  members: ClusterMember[];
  /** Every platform member: the leader, or a replica streaming from it. */
  healthy: boolean;
  /** Platform members that are neither the leader nor streaming. */
  lagging: string[];
  summary: string;
}

/** Patroni's names for the primary: `master` (before 3.0), `primary`, `leader` (GET /cluster). */
export const isPrimaryRole = (role?: string): boolean =>
  role === 'master' || role === 'primary' || role === 'leader';

/** A synchronous standby's sync_state: `sync`, or `quorum` under quorum commit (ANY n). */
export const isSyncState = (syncState?: string): boolean => syncState === 'sync' || syncState === 'quorum';

/** One REST call: status and body (parsed when it is JSON, the text otherwise). */
export async function patroniGet<T = unknown>(
  base: string,
  path: string,
  timeoutMs = 1_000,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: body as T };
}

/** Replicas a primary's GET /patroni shows streaming from it. */
export function streamingFrom(status: PatroniStatus | undefined): string[] {
  return (status?.replication ?? []).filter((r) => r.state === 'streaming').map((r) => r.application_name);
}

/**
 * The synchronous standby in both places Patroni keeps it: the primary's commits wait for it
 * (pg_stat_replication sync_state sync/quorum), and the DCS names it (/sync, shown as role
 * sync_standby in /cluster), which is what makes it eligible for promotion. Patroni sets the first
 * and writes the second ~2 s later.
 */
export function syncStandbyOf(
  primaryStatus: PatroniStatus | undefined,
  members: readonly { name: string; role?: string }[],
): string | undefined {
  return (primaryStatus?.replication ?? []).find(
    (r) =>
      r.state === 'streaming' &&
      isSyncState(r.sync_state) &&
      members.some((m) => m.name === r.application_name && m.role === 'sync_standby'),
  )?.application_name;
}

/** postmaster_start_time ("2026-01-02 03:04:05.678+00:00") in epoch ms, or undefined. */
export function postmasterStartedAt(status: PatroniStatus | undefined): number | undefined {
  const at = status?.postmaster_start_time
    ? Date.parse(status.postmaster_start_time.replace(' ', 'T'))
    : undefined;
  return Number.isFinite(at) ? at : undefined;
}

/**
 * Who leads and who streams from it, judged against the members expected: `leader` is the member
 * whose own GET /patroni (`status`) says it is a running primary.
 */
export function judgeHealth(
  expected: readonly string[],
  members: ClusterMember[],
  leader: ClusterMember | undefined,
  status: PatroniStatus | undefined,
): Health {
  const streaming = streamingFrom(status);
  const syncStandby = syncStandbyOf(status, members);
  const lagging = expected.filter((name) => name !== leader?.name && !streaming.includes(name));
  const describe = (name: string) => {
    const m = members.find((x) => x.name === name);
    if (name === leader?.name) return `${name} primary (timeline ${status?.timeline ?? '?'})`;
    if (streaming.includes(name)) return `${name} replica streaming${name === syncStandby ? ' (sync)' : ''}`;
    return m ? `${name} ${m.role} ${m.state}, not streaming` : `${name} not registered (down)`;
  };
  return {
    leader: leader?.name,
    leaderTimeline: status?.timeline,
    leaderStartedAt: postmasterStartedAt(status),
    streaming,
    syncStandby,
    members,
    healthy: leader !== undefined && lagging.length === 0,
    lagging,
    summary: leader
      ? expected.map(describe).join('; ')
      : `no running primary; ${expected.map(describe).join('; ')}`,
  };
}

export interface PatroniOptions {
  /** The members a healthy cluster has (the platform's), for health(). */
  expected?: () => string[];
  /** Members already known by REST URL: primary() then needs no GET /cluster to name them. */
  known?: KnownMember[];
}

/** A Patroni cluster reached through its members' REST APIs. */
export class Patroni {
  /** REST base URL → member, learnt from GET /cluster (ports never move) or given. */
  private readonly byUrl = new Map<string, KnownMember>();

  constructor(
    readonly urls: readonly string[],
    private readonly options: PatroniOptions = {},
  ) {
    for (const m of options.known ?? []) this.byUrl.set(m.api, m);
  }

  get<T = unknown>(base: string, path: string, timeoutMs = 1_000): Promise<{ status: number; body: T }> {
    return patroniGet<T>(base, path, timeoutMs);
  }

  /** GET /cluster from the member at `url`. */
  async clusterAt(url: string, timeoutMs = 1_000): Promise<ClusterMember[]> {
    const { status, body } = await this.get<{
      members?: (Omit<ClusterMember, 'api'> & { api_url: string })[];
    }>(url, '/cluster', timeoutMs);
    if (status !== 200 || !body.members) throw new Error(`GET ${url}/cluster: HTTP ${status}`);
    const members = body.members.map(({ api_url, ...m }) => ({
      ...m,
      api: (api_url ?? '').replace(/\/patroni$/, ''),
    }));
    for (const m of members) this.byUrl.set(m.api, { name: m.name, api: m.api, host: m.host, port: m.port });
    return members;
  }

  /** GET /cluster from the first member that answers. */
  async cluster(timeoutMs = 1_000): Promise<ClusterMember[]> {
    let last: unknown;
    for (const url of this.urls) {
      try {
        return await this.clusterAt(url, timeoutMs);
      } catch (err) {
        last = err;
      }
    }
    throw new Error(`no Patroni member answers GET /cluster (${(last as Error)?.message ?? 'no endpoints'})`);
  }

  private async memberAt(url: string): Promise<KnownMember> {
    if (!this.byUrl.has(url)) await this.cluster();
    const m = this.byUrl.get(url);
    if (!m) throw new Error(`${url} is not a member of the Patroni cluster`);
    return m;
  }

  /**
   * The one member whose GET /primary answers 200, with its PostgreSQL address. Asks `hint` (the
   * last primary seen) first and every member only when it is not primary (any more).
   */
  async primary(hint?: string, timeoutMs = 500): Promise<PrimaryRef> {
    const ask = (url: string) =>
      this.get(url, '/primary', timeoutMs).then(
        (r) => r.status,
        () => 0,
      );
    const hinted = hint ? [...this.byUrl.values()].find((m) => m.name === hint)?.api : undefined;
    if (hinted && (await ask(hinted)) === 200) {
      const m = this.byUrl.get(hinted)!;
      return { member: m.name, host: m.host, port: m.port };
    }
    const answers = await Promise.all(this.urls.map(async (url) => ({ url, status: await ask(url) })));
    const primaries = answers.filter((a) => a.status === 200);
    if (primaries.length !== 1) {
      const seen = answers
        .map((a) => `${this.byUrl.get(a.url)?.name ?? a.url}: ${a.status || 'unreachable'}`)
        .join(', ');
      throw new Error(
        `${primaries.length ? 'more than one' : 'no'} member answers GET /primary 200 (${seen})`,
      );
    }
    const m = await this.memberAt(primaries[0]!.url);
    return { member: m.name, host: m.host, port: m.port };
  }

  /** The cluster-wide (DCS) configuration: ttl, loop_wait, synchronous_mode… */
  async config(): Promise<Record<string, unknown>> {
    let last: unknown;
    for (const url of this.urls) {
      try {
        const { status, body } = await this.get<Record<string, unknown>>(url, '/config');
        if (status === 200) return body;
      } catch (err) {
        last = err;
      }
    }
    throw new Error(`no Patroni member answers GET /config (${(last as Error)?.message ?? ''})`);
  }

  /** One member's own view (GET /patroni), by its REST URL or as /cluster lists it. */
  async status(member: { api: string } | string, timeoutMs = 1_000): Promise<PatroniStatus> {
    const url = typeof member === 'string' ? member : member.api;
    return (await this.get<PatroniStatus>(url, '/patroni', timeoutMs)).body;
  }

  /** Who leads, who streams from it, judged against every member expected (the platform's). */
  async health(expected: readonly string[] = this.options.expected?.() ?? []): Promise<Health> {
    const members = await this.cluster();
    let leader: ClusterMember | undefined;
    let status: PatroniStatus | undefined;
    for (const c of members.filter((m) => isPrimaryRole(m.role))) {
      const s = await this.status(c).catch(() => undefined);
      if (s && isPrimaryRole(s.role) && s.state === 'running') {
        leader = c;
        status = s;
        break;
      }
    }
    return judgeHealth(expected, members, leader, status);
  }

  /** Re-initialises a member from the leader (Patroni wipes its data and clones it again). */
  async reinitialize(name: string): Promise<void> {
    const m = (await this.cluster()).find((x) => x.name === name);
    if (!m) throw new Error(`${name} is not registered with Patroni: it cannot be re-initialised`);
    const res = await fetch(`${m.api}/reinitialize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ force: true }),
      signal: AbortSignal.timeout(5_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`POST ${m.api}/reinitialize: HTTP ${res.status} ${text}`);
  }

  /**
   * Wakes the HA loop of the member at `url` now instead of after up to loop_wait: Patroni runs a
   * cycle after any PATCH /config, and this one sets loop_wait to what it already is, so the DCS
   * is not changed.
   */
  async nudge(url: string, loopWait: unknown): Promise<void> {
    const res = await fetch(`${url}/config`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ loop_wait: loopWait }),
      signal: AbortSignal.timeout(2_000),
    });
    await res.text();
  }
}

/** Patroni's settings that govern a failover, for the evidence. */
export async function failoverSettings(patroni: Patroni): Promise<Record<string, unknown>> {
  const config = await patroni.config();
  const postgresql = (config.postgresql ?? {}) as {
    use_pg_rewind?: boolean;
    parameters?: Record<string, unknown>;
  };
  return {
    ttl: config.ttl,
    loop_wait: config.loop_wait,
    retry_timeout: config.retry_timeout,
    synchronous_mode: config.synchronous_mode ?? false,
    synchronous_mode_strict: config.synchronous_mode_strict ?? false,
    maximum_lag_on_failover: config.maximum_lag_on_failover,
    use_pg_rewind: postgresql.use_pg_rewind ?? false,
    archive_timeout: postgresql.parameters?.archive_timeout,
  };
}
