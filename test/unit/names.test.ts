// Names that become paths: a sandbox name, a run id. `sandbox up --name ../../..` once resolved
// to /var and deleted it; a run id of ".." named the folder above reports/. Refused, naming the
// field, before anything is written or deleted — and nothing outside the root is touched.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { planGameDay } from '../../src/gameday/plan.ts';
import { runCommand } from '../../src/cli/run.ts';
import { newRunId } from '../../src/util/runs.ts';
import { sandboxCommands } from '../../src/cli/sandbox.ts';
import { RunFiles } from '../../src/engine/run-files.ts';
import { Sandbox } from '../../src/platform/local/sandbox.ts';
import { validateSchedule } from '../../src/schedule/schedules.ts';
import { UserError } from '../../src/util/errors.ts';
import { checkRunId, checkSandboxName, insideRoot, RUN_ID } from '../../src/util/names.ts';

const HOSTILE = [
  '../../..',
  '..',
  '.',
  '',
  ' ',
  'a/b',
  '/etc',
  'Default',
  'café',
  'a'.repeat(42),
  '-x',
  'a\0b',
];

describe('sandbox names', () => {
  it.each(HOSTILE)('refuses %j, naming the field and the rule', (name) => {
    expect(() => checkSandboxName(name, '--name')).toThrow(UserError);
    expect(() => checkSandboxName(name, '--name')).toThrow(
      /^--name ".*" is not a sandbox name; use 1 to 41 lower-case letters, digits or dashes/s,
    );
  });
  it.each(['default', 'ci-2', 'e2e-durability', 'a'.repeat(41)])('accepts %j', (name) =>
    expect(checkSandboxName(name)).toBe(name),
  );
  it('names the worker variable when FIREDRILL_SANDBOX is wrong', () =>
    expect(() => checkSandboxName('../x', 'FIREDRILL_SANDBOX')).toThrow(/^FIREDRILL_SANDBOX "..\/x"/));

  it('Sandbox.up with a traversal name deletes nothing outside the sandboxes folder', async () => {
    const home = mkdtempSync(join(tmpdir(), 'firedrill-names-'));
    mkdirSync(join(home, 'victim'));
    writeFileSync(join(home, 'victim', 'keep'), 'precious');
    mkdirSync(join(home, 'sandboxes', 'other'), { recursive: true });
    for (const name of ['../victim', '..', ''])
      await expect(Sandbox.up({ name, home, only: [] })).rejects.toThrow(/is not a sandbox name/);
    expect(existsSync(join(home, 'victim', 'keep'))).toBe(true);
    expect(readdirSync(join(home, 'sandboxes'))).toEqual(['other']);
  });
  it('Sandbox.dirFor refuses the root of all sandboxes', () => {
    expect(() => Sandbox.dirFor('', '/tmp/h')).toThrow(/is not a sandbox name/);
    expect(Sandbox.dirFor('default', '/tmp/h')).toBe('/tmp/h/sandboxes/default');
  });
  it('Sandbox.open refuses a sandbox.json that names another folder (down would act there)', () => {
    const home = mkdtempSync(join(tmpdir(), 'firedrill-names-'));
    mkdirSync(join(home, 'sandboxes', 'default'), { recursive: true });
    writeFileSync(
      join(home, 'sandboxes', 'default', 'sandbox.json'),
      JSON.stringify({ id: 'x', name: 'default', dir: '/var', createdAt: '', components: {} }),
    );
    expect(() => Sandbox.open({ name: 'default', home })).toThrow(/names the folder \/var, not its own/);
  });

  it.each([
    [sandboxCommands, ['sandbox', 'up', '--name', '../../..'], /^--name "..\/..\/.."/],
    [sandboxCommands, ['sandbox', 'down', '--name', ''], /^--name ""/],
    [runCommand, ['run', 'calibration', '--sandbox', '../x', '--dry-run'], /^--sandbox "..\/x"/],
  ] as const)(
    'the CLI refuses it while parsing the flags, before any action: %#',
    async (add, argv, message) => {
      const program = new Command().exitOverride();
      let acted = false;
      add(program);
      program.commands.forEach((c) => c.hook('preAction', () => void (acted = true)));
      await expect(program.parseAsync(['node', 'firedrill', ...argv])).rejects.toThrow(message);
      expect(acted).toBe(false);
    },
  );
});

describe('sandbox names from a game day and a schedule', () => {
  it('planGameDay refuses --sandbox ../x before planning anything', async () =>
    await expect(planGameDay({ sandbox: '../x' })).rejects.toThrow(
      /^--sandbox "..\/x" is not a sandbox name/,
    ));
  it('a schedule refuses --sandbox "" before the server is asked', async () =>
    await expect(
      validateSchedule({ name: 'nightly', cron: '@daily', sandbox: '', reportsRoot: '/tmp/wt13-reports' }),
    ).rejects.toThrow(/^--sandbox "" is not a sandbox name/));
});

describe('run ids', () => {
  it.each(['..', '.', '', '../x', 'a/b', '.hidden', '-rf', 'a b', 'x'.repeat(161)])('refuses %j', (id) =>
    expect(() => checkRunId(id)).toThrow(/is not a run id/),
  );
  it.each([
    'timescaledb-failover-postgres-crash-20261201T091758-ab12', // what newRunId makes today
    'calibration-outage-1', // older ids, still in result databases
    'gameday-20261130T030000-0f3e',
    'kafka_broker_kill.leader.7',
  ])('accepts %j', (id) => expect(checkRunId(id)).toBe(id));
  it('newRunId makes valid ids', () => expect(newRunId('kafka-broker-kill', 'two-of-three')).toMatch(RUN_ID));

  it('RunFiles.for refuses traversal and creates nothing outside reports/', () => {
    const root = mkdtempSync(join(tmpdir(), 'firedrill-runs-'));
    const reports = join(root, 'reports');
    mkdirSync(reports);
    for (const id of ['..', '../escaped', '.'])
      expect(() => RunFiles.for(reports, id)).toThrow(/is not a run id/);
    expect(readdirSync(root)).toEqual(['reports']);
    const files = RunFiles.for(reports, 'calibration-outage-1');
    expect(files.dir).toBe(join(reports, 'calibration-outage-1'));
    expect(() => files.path('../../x')).toThrow(/is not inside/);
  });
});

describe('insideRoot', () => {
  it.each([[''], ['..'], ['../x'], ['/etc'], ['a/../..'], ['a/../../b']])('refuses %j', (part) =>
    expect(() => insideRoot('/srv/reports', part)).toThrow(
      /refusing the path .* it is not inside \/srv\/reports/,
    ),
  );
  it('accepts a path below the root, resolved', () =>
    expect(insideRoot('/srv/reports/', 'a/./b')).toBe('/srv/reports/a/b'));
  it('is not fooled by a sibling that shares the prefix', () =>
    expect(() => insideRoot('/srv/reports', '../reports-old/x')).toThrow(/not inside/));
});
