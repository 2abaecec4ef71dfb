// Temporal dev server (Temporal CLI `server start-dev`) with a SQLite file, so workflows survive
// a server restart: the durability drills restart it mid-drill on purpose. The file is in the
// sandbox's history folder, so schedules and running workflows also survive `down` and `up`.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Connection } from '@temporalio/client';
import { launchMember, waitHealthy } from '../members.ts';
import { HOST } from '../ports.ts';
import { requireInstalled } from '../toolchain.ts';
import type { ComponentDriver, MemberHealth } from '../types.ts';

export const TEMPORAL_NAMESPACE = 'default';

async function answers(address: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1_000 });
  try {
    await connection.workflowService.getSystemInfo({});
    return true;
  } finally {
    await connection.close();
  }
}

export const temporal: ComponentDriver = {
  name: 'temporal',

  async prepare(ctx) {
    const binary = requireInstalled(
      `Temporal CLI ${ctx.toolchain.versions.TEMPORAL_CLI_VERSION}`,
      ctx.toolchain.temporal,
    );
    const dataDir = join(ctx.dir, 'temporal'); // its log: disposable
    mkdirSync(dataDir, { recursive: true });
    const database = join(ctx.history, 'temporal', 'temporal.db');
    mkdirSync(dirname(database), { recursive: true, mode: 0o700 }); // workflow inputs and history
    const ports = {
      frontend: await ctx.ports.allocate('temporal frontend'),
      http: await ctx.ports.allocate('temporal http'),
      metrics: await ctx.ports.allocate('temporal metrics'),
    };
    const member = {
      name: 'temporal-0',
      index: 0,
      ports,
      dataDir,
      pids: {},
      processes: [
        {
          name: 'temporal-0',
          command: binary,
          args: [
            'server',
            'start-dev',
            '--headless',
            '--ip',
            HOST,
            '--port',
            String(ports.frontend),
            '--http-port',
            String(ports.http),
            '--metrics-port',
            String(ports.metrics),
            '--db-filename',
            database,
            '--namespace',
            TEMPORAL_NAMESPACE,
            '--log-level',
            'warn',
            // An activity scheduled by a workflow task goes straight back to the worker that
            // completed it instead of waiting for that worker's next poll: one hand-off less for
            // each of a drill's ~10 sequential steps (off by default in the server).
            '--dynamic-config-value',
            'system.enableActivityEagerExecution=true',
          ],
          logFile: join(dataDir, 'server.log'),
          cwd: dataDir,
        },
      ],
    };
    return {
      component: 'temporal',
      members: [member],
      endpoints: { address: `${HOST}:${ports.frontend}`, namespace: TEMPORAL_NAMESPACE },
      info: { version: ctx.toolchain.versions.TEMPORAL_CLI_VERSION, database },
    };
  },

  async start(ctx, state) {
    for (const m of state.members) await this.startMember(ctx, state, m);
  },

  async startMember(ctx, state, member) {
    launchMember(ctx, member);
    await waitHealthy(member, 'the frontend to answer GetSystemInfo', () =>
      answers(state.endpoints.address!),
    );
  },

  async health(_ctx, state): Promise<MemberHealth[]> {
    const ok = await answers(state.endpoints.address!).catch((e: Error) => e.message);
    return [{ member: 'temporal-0', up: ok === true, detail: ok === true ? 'frontend answers' : String(ok) }];
  },
};
