// The worker's log lines go to their run's file (src/cli/run-log.ts), never to a path made from a
// run id that is not one.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { logFileFor, runLogDestination } from '../../src/cli/run-log.ts';
import { createLogger } from '../../src/util/log.ts';

describe('worker log per run', () => {
  it('a line naming a run goes to reports/<runId>/worker.log, any other to the fallback', () => {
    const line = (runId: string) => JSON.stringify({ level: 30, runId, msg: 'x' });
    expect(logFileFor(line('calibration-outage-1'), '/r', '/r/g/worker.log')).toBe(
      '/r/calibration-outage-1/worker.log',
    );
    expect(logFileFor(JSON.stringify({ level: 30, msg: 'worker started' }), '/r', '/f')).toBe('/f');
    for (const bad of ['../../etc', 'a/b', '.hidden', ''])
      expect(logFileFor(line(bad), '/r', '/f')).toBe('/f');
  });

  it('writes the JSON lines of a logger, scrubbed as always, into the run files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fd-runlog-'));
    const dest = runLogDestination({ runsDir: dir, fallback: join(dir, 'worker.log') });
    const log = createLogger({ component: 'worker' }, dest);
    log.info('starting');
    log.child({ runId: 'calibration-outage-2' }).info({ password: 'hunter2' }, 'fault injected');
    const run = readFileSync(join(dir, 'calibration-outage-2', 'worker.log'), 'utf8')
      .trim()
      .split('\n');
    expect(run).toHaveLength(1);
    expect(JSON.parse(run[0]!)).toMatchObject({ msg: 'fault injected', runId: 'calibration-outage-2' });
    expect(run[0]).not.toContain('hunter2');
    expect(JSON.parse(readFileSync(join(dir, 'worker.log'), 'utf8'))).toMatchObject({ msg: 'starting' });
    expect(dest.files().sort()).toEqual(
      [join(dir, 'calibration-outage-2', 'worker.log'), join(dir, 'worker.log')].sort(),
    );
  });
});
