// The calibration target as a sandbox component: a real process, reached over real HTTP.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchMember, waitHealthy } from '../members.ts';
import { HOST } from '../ports.ts';
import type { ComponentDriver, MemberHealth } from '../types.ts';

const MAIN = fileURLToPath(new URL('../../../systems/calibration/main.ts', import.meta.url));

async function healthy(url: string): Promise<boolean> {
  const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
  return res.ok;
}

export const calibration: ComponentDriver = {
  name: 'calibration',

  async prepare(ctx) {
    const dir = join(ctx.dir, 'calibration');
    mkdirSync(dir, { recursive: true });
    const port = await ctx.ports.allocate('calibration http');
    return {
      component: 'calibration',
      members: [
        {
          name: 'calibration-0',
          index: 0,
          ports: { http: port },
          dataDir: dir,
          pids: {},
          processes: [
            {
              name: 'calibration-0',
              command: process.execPath,
              args: ['--import', 'tsx', MAIN, String(port)],
              logFile: join(dir, 'server.log'),
              cwd: fileURLToPath(new URL('../../../..', import.meta.url)),
            },
          ],
        },
      ],
      endpoints: { url: `http://${HOST}:${port}` },
      info: {},
    };
  },

  async start(ctx, state) {
    await this.startMember(ctx, state, state.members[0]!);
  },

  async startMember(ctx, state, member) {
    launchMember(ctx, member);
    await waitHealthy(member, 'the calibration target to answer', () => healthy(state.endpoints.url!));
  },

  async health(_ctx, state): Promise<MemberHealth[]> {
    const ok = await healthy(state.endpoints.url!).catch(() => false);
    return [{ member: 'calibration-0', up: ok, detail: ok ? 'answers /health' : 'no answer' }];
  },
};
