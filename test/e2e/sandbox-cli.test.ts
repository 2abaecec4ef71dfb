// The sandbox CLI's refusals: each is one line naming the problem and the fix, exit code 2, and
// nothing half-started is left running.
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { markedProcesses } from '../../src/platform/local/process.ts';
import { Sandbox } from '../../src/platform/local/sandbox.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NAME = 'e2e-cli';
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, FIREDRILL_LOG_LEVEL: 'warn' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr.trim() };
};
const idOf = () => `${NAME}@${Sandbox.dirFor(NAME)}`;

afterAll(() => {
  if (Sandbox.exists({ name: NAME })) cli('sandbox', 'down', '--name', NAME);
});

describe('sandbox CLI', () => {
  it('refuses an unknown component and lists the valid ones', () => {
    const r = cli('sandbox', 'up', '--only', 'kafak', '--name', NAME);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      'firedrill: unknown component "kafak" in --only; choose from: results, temporal, kafka, timescaledb, minio, milvus, redis, calibration',
    );
    expect(markedProcesses(idOf())).toEqual([]);
  });

  it('refuses a port that is already taken, and leaves nothing running', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(24_777, '127.0.0.1', r));
    try {
      const r = cli(
        'sandbox',
        'up',
        '--only',
        'calibration,temporal',
        '--port-base',
        '24777',
        '--name',
        NAME,
      );
      expect(r.code).toBe(2);
      expect(r.err).toMatch(
        /^firedrill: port 24777 \(for temporal frontend\) is already in use on 127\.0\.0\.1; .*--port-base$/,
      );
      expect(r.err.split('\n')).toHaveLength(1);
      expect(markedProcesses(idOf())).toEqual([]);
    } finally {
      blocker.close();
    }
  });

  it('starts, prints endpoints as JSON, refuses a second start, and stops everything', () => {
    const up = cli('sandbox', 'up', '--only', 'calibration', '--name', NAME, '--json');
    expect(up.code, up.err).toBe(0);
    const json = JSON.parse(up.out.trim().split('\n').at(-1)!);
    expect(json.endpoints.calibration.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(markedProcesses(idOf()).length).toBeGreaterThan(0);

    const again = cli('sandbox', 'up', '--only', 'calibration', '--name', NAME);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(
      /^firedrill: sandbox "e2e-cli" is already up \(\d+ processes, e\.g\. pid \d+\); use it as it is, or run `firedrill sandbox down` first$/,
    );

    const status = cli('sandbox', 'status', '--name', NAME, '--json');
    expect(JSON.parse(status.out).health.calibration[0].up).toBe(true);

    const down = cli('sandbox', 'down', '--name', NAME);
    expect(down.code).toBe(0);
    expect(markedProcesses(idOf())).toEqual([]);
  });
});
