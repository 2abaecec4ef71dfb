// The one Patroni client the sandbox driver and the drills share: every spelling Patroni has used
// for the primary (`master`, `primary`, `leader` in /cluster) counts as primary, and a standby in
// sync_state `sync` or `quorum` (quorum commit) counts as synchronous — the drills' old client
// did so, the driver's did not.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isPrimaryRole,
  isSyncState,
  judgeHealth,
  Patroni,
  syncStandbyOf,
  type ClusterMember,
  type PatroniStatus,
} from '../../src/systems/timescaledb/patroni.ts';

const member = (name: string, role: string, state = 'running'): ClusterMember => ({
  name,
  role,
  state,
  host: '127.0.0.1',
  port: 5432,
  api: `http://127.0.0.1/${name}`,
});

describe('Patroni roles and sync states', () => {
  it('counts leader, master and primary as the primary', () => {
    for (const role of ['leader', 'master', 'primary']) expect(isPrimaryRole(role), role).toBe(true);
    for (const role of ['replica', 'sync_standby', 'standby_leader', undefined])
      expect(isPrimaryRole(role), String(role)).toBe(false);
  });

  it('counts sync and quorum as synchronous', () => {
    expect(isSyncState('sync')).toBe(true);
    expect(isSyncState('quorum')).toBe(true);
    for (const s of ['async', 'potential', undefined]) expect(isSyncState(s), String(s)).toBe(false);
  });

  it('names a quorum standby the DCS lists as sync_standby, and no standby the DCS does not', () => {
    const status: PatroniStatus = {
      role: 'primary',
      state: 'running',
      replication: [
        { application_name: 'pg-1', state: 'streaming', sync_state: 'quorum' },
        { application_name: 'pg-2', state: 'streaming', sync_state: 'async' },
      ],
    };
    expect(syncStandbyOf(status, [member('pg-0', 'leader'), member('pg-1', 'sync_standby')])).toBe('pg-1');
    expect(syncStandbyOf(status, [member('pg-0', 'leader'), member('pg-1', 'replica')])).toBeUndefined();
  });

  it('judges a cluster led by a /cluster "leader" with a quorum standby healthy', () => {
    const members = [member('pg-0', 'leader'), member('pg-1', 'sync_standby'), member('pg-2', 'replica')];
    const status: PatroniStatus = {
      role: 'primary',
      state: 'running',
      timeline: 3,
      replication: [
        { application_name: 'pg-1', state: 'streaming', sync_state: 'quorum' },
        { application_name: 'pg-2', state: 'streaming', sync_state: 'async' },
      ],
    };
    const h = judgeHealth(['pg-0', 'pg-1', 'pg-2'], members, members[0], status);
    expect(h).toMatchObject({ leader: 'pg-0', leaderTimeline: 3, syncStandby: 'pg-1', healthy: true });
    expect(h.summary).toBe(
      'pg-0 primary (timeline 3); pg-1 replica streaming (sync); pg-2 replica streaming',
    );
  });
});

describe('Patroni client over REST', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.url === '/cluster')
        return json(200, {
          members: [
            {
              name: 'pg-0',
              role: 'leader',
              state: 'running',
              host: '127.0.0.1',
              port: 6000,
              api_url: `${base}/patroni`,
            },
            {
              name: 'pg-1',
              role: 'sync_standby',
              state: 'streaming',
              host: '127.0.0.1',
              port: 6001,
              api_url: 'http://127.0.0.1:1/patroni',
            },
          ],
        });
      if (req.url === '/patroni')
        return json(200, {
          role: 'primary',
          state: 'running',
          timeline: 2,
          replication: [{ application_name: 'pg-1', state: 'streaming', sync_state: 'quorum' }],
        });
      if (req.url === '/primary') return json(200, { role: 'primary' });
      json(404, {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('finds the leader of /cluster, its quorum standby, and the primary with its PostgreSQL address', async () => {
    const patroni = new Patroni([base], { expected: () => ['pg-0', 'pg-1'] });
    const h = await patroni.health();
    expect(h).toMatchObject({ leader: 'pg-0', streaming: ['pg-1'], syncStandby: 'pg-1', healthy: true });
    expect(await patroni.primary()).toEqual({ member: 'pg-0', host: '127.0.0.1', port: 6000 });
  });
});
