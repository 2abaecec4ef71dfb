// Schedule input is refused before anything is created: cron, time zone, name, catch-up window,
// drills — each with a one-line UserError that names the fix.
import { describe, expect, it } from 'vitest';
import { validateSchedule } from '../../src/schedule/schedules.ts';
import {
  checkCron,
  checkScheduleName,
  checkTimezone,
  parseCatchupWindow,
  scheduleId,
  scheduleName,
} from '../../src/schedule/spec.ts';
import { UserError } from '../../src/util/errors.ts';

function refusal(fn: () => unknown): UserError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).not.toContain('\n');
    return err as UserError;
  }
  throw new Error('expected a refusal');
}

describe('cron', () => {
  it.each([
    ['0 3 * * *', '0 3 * * *'],
    ['  0   3 * *   MON ', '0 3 * * MON'],
    ['*/15 8-18 * * mon-fri', '*/15 8-18 * * mon-fri'],
    ['0 0 1,15 JAN-JUN/2 *', '0 0 1,15 JAN-JUN/2 *'],
    ['30 2 * * 0', '30 2 * * 0'],
    ['@daily', '@daily'],
    ['@WEEKLY', '@weekly'],
    ['@every 6h', '@every 6h'],
    ['0 3 29 2 *', '0 3 29 2 *'], // leap years only, but it does fire
    ['0 3 31 2 MON', '0 3 31 2 MON'], // day of week restricted too: cron fires on either
    ['0 3 30,31 1-2 *', '0 3 30,31 1-2 *'], // 30 and 31 January
    ['0 3 31 */2 *', '0 3 31 */2 *'], // January, March…
  ])('accepts %j', (input, normalised) => {
    expect(checkCron(input)).toBe(normalised);
  });

  it.each([
    ['', /empty/],
    ['banana', /1 field, not 5/],
    ['0 3 * *', /4 fields, not 5/],
    ['0 0 3 * * * *', /7 fields, not 5/],
    ['61 * * * *', /61 is outside 0-59 in the minute field/],
    ['0 24 * * *', /24 is outside 0-23 in the hour field/],
    ['0 0 0 * *', /0 is outside 1-31 in the day of month field/],
    ['0 0 * 13 *', /13 is outside 1-12 in the month field/],
    ['0 0 * * FUNDAY', /"FUNDAY" is not a number or a name/],
    ['0 0 * * 8', /outside 0-6 in the day of week field/],
    ['*/0 * * * *', /step "0"/],
    ['5/10 * * * *', /a step needs a range or \*/],
    ['10-5 * * * *', /runs backwards/],
    ['1,,2 * * * *', /empty list item/],
    ['@fortnightly', /not a known shorthand/],
    ['@every 0h', /interval of 0/],
    ['0 3 31 2 *', /day 31 of month FEB never comes, so the schedule would never fire/],
    ['0 3 30 FEB *', /day 30 of month FEB never comes/],
    ['0 0 31 4,6,9,11 *', /day 31 of month APR,JUN,SEP,NOV never comes/],
    ['0 0 30-31 2 *', /day 30,31 of month FEB never comes/],
  ])('refuses %j', (input, why) => {
    const err = refusal(() => checkCron(input));
    expect(err.message).toMatch(why);
    expect(err.message).toMatch(/^cannot parse cron/);
    expect(err.message).toMatch(/minute hour day-of-month month day-of-week/);
  });

  it('refuses a time zone inside the cron: the zone is --timezone', () => {
    expect(refusal(() => checkCron('CRON_TZ=Europe/Paris 0 3 * * *')).message).toMatch(/--timezone/);
  });
});

describe('time zone, name, catch-up window', () => {
  it('knows IANA zones and refuses the rest', () => {
    expect(checkTimezone('Europe/Paris')).toBe('Europe/Paris');
    expect(checkTimezone('UTC')).toBe('UTC');
    expect(refusal(() => checkTimezone('Mars/Olympus_Mons')).message).toMatch(
      /^unknown time zone "Mars\/Olympus_Mons"; give an IANA zone name/,
    );
  });

  it('names schedules safely', () => {
    expect(checkScheduleName('nightly-kafka_2')).toBe('nightly-kafka_2');
    expect(scheduleName(scheduleId('nightly'))).toBe('nightly');
    for (const bad of ['', '-x', 'a b', 'x/y', 'a'.repeat(64)]) refusal(() => checkScheduleName(bad));
  });

  it('parses the catch-up window and keeps it at or above 10 s', () => {
    expect(parseCatchupWindow('10m')).toBe(600_000);
    expect(refusal(() => parseCatchupWindow('5s')).message).toMatch(/minimum of 10s/);
    expect(refusal(() => parseCatchupWindow('soon')).message).toMatch(/cannot parse "soon"/);
  });
});

describe('validateSchedule', () => {
  const base = { name: 'nightly', cron: '0 3 * * *', reportsRoot: '/tmp/r' };

  it('builds the game-day request and the memo', async () => {
    const s = await validateSchedule({
      ...base,
      drills: 'calibration',
      timezone: 'Europe/Paris',
      sandbox: 'lab',
    });
    expect(s.id).toBe('firedrill-nightly');
    expect(s.catchupWindowMs).toBe(600_000);
    expect(s.request).toEqual({
      drills: ['calibration'],
      variants: 'default',
      sandbox: 'lab',
      reportsRoot: '/tmp/r',
      schedule: 'nightly',
    });
    expect(s.memo).toMatchObject({ cron: '0 3 * * *', timezone: 'Europe/Paris', drills: 'calibration' });
  });

  it('leaves the drill list open when none is given (the catalogue at each run)', async () => {
    const s = await validateSchedule({ ...base, variants: 'all' });
    expect(s.request.drills).toBeUndefined();
    expect(s.memo.drills).toBe('(all)');
  });

  it('refuses an unknown drill, a bad variants value and an empty list', async () => {
    await expect(validateSchedule({ ...base, drills: 'calibration,no-such-drill' })).rejects.toThrow(
      /^unknown drill "no-such-drill" in --drills; choose from: .*calibration/,
    );
    await expect(validateSchedule({ ...base, variants: 'some' })).rejects.toThrow(
      /--variants "some" is not default or all/,
    );
    await expect(validateSchedule({ ...base, drills: ' , ' })).rejects.toThrow(/--drills is empty/);
    await expect(validateSchedule({ ...base, timezone: 'Nowhere/Land' })).rejects.toBeInstanceOf(UserError);
  });
});
