// `firedrill faults`: every fault (or preparation) the journal does not know to be reverted — the
// one list an operator must never miss — and `firedrill faults revert <id>`, the compensation
// retried by hand. Reads the results database only: it works with no worker and no Temporal.
import type { Command } from 'commander';
import type { DrillInput } from '../../activities/types.ts';
import { parseTargetKey } from '../../workflows/names.ts';
import type { DrillPlan } from '../drill/plan.ts';
import { openSession } from '../engine/session.ts';
import { UNDONE_STATES, type FaultJournal, type JournalEntry } from '../results/journal.ts';
import { PgFaultJournal } from '../results/journal-pg.ts';
import { resultsDatabaseUrl } from '../results/locate.ts';
import { UserError } from '../util/errors.ts';
import { createLogger } from '../util/log.ts';
import { sandboxNameArg } from '../util/names.ts';

const ago = (ms: number) => {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 120
    ? `${s} s ago`
    : s < 7_200
      ? `${Math.round(s / 60)} min ago`
      : `${(s / 3_600).toFixed(1)} h ago`;
};

/** One line per entry: what an on-call needs to act on it. */
export function describeEntry(e: JournalEntry): string {
  const where = parseTargetKey(e.target);
  const what = e.detail?.description ?? e.entry;
  const touched = e.detail?.touched?.length ? ` [${e.detail.touched.join(', ')}]` : '';
  const why = e.reason ? ` — ${e.reason}` : '';
  return `#${e.id}  ${e.state.toUpperCase().padEnd(9)} ${where ? `${where.target}@${where.place}` : e.target}  ${what}${touched}  (run ${e.runId}, ${e.drill}/${e.variant}, since ${new Date(e.updatedAt).toISOString()}, ${ago(e.updatedAt)})${why}`;
}

async function withJournal<T>(sandbox: string, work: (j: FaultJournal) => Promise<T>): Promise<T> {
  const journal = await PgFaultJournal.connect(resultsDatabaseUrl(sandbox));
  try {
    return await work(journal);
  } finally {
    await journal.close();
  }
}

/**
 * Undoes one journaled entry by hand, as the compensation would (the drill's own revert), and
 * frees the target once nothing of the run is left. Only a `left` entry unless forced: any other
 * state means the run's own workflow may still be reverting it.
 */
export async function revertByHand(
  journal: FaultJournal,
  id: number,
  opts: { force?: boolean; log?: (line: string) => void } = {},
): Promise<JournalEntry> {
  const say = opts.log ?? (() => {});
  const e = await journal.byId(id);
  if (!e) throw new UserError(`no fault #${id} in the journal`, 'list them with `firedrill faults`');
  if (e.state === 'reverted') {
    say(`#${id} is already reverted`);
    return e;
  }
  if (!e.detail || e.state === 'planned')
    throw new UserError(`#${id} was never issued (state ${e.state}): there is nothing to revert`);
  if (e.state !== 'left' && !opts.force)
    throw new UserError(
      `#${id} is ${e.state}: its run's workflow may still be reverting it`,
      'wait for the run to finish, or pass --force to revert it now as well (reverts are idempotent)',
    );
  const { input, plan } = e.input as { input: DrillInput; plan: DrillPlan };
  const log = createLogger({ component: 'faults', runId: e.runId });
  const session = await openSession(input, plan, log, new AbortController().signal, {
    journal,
    workflowId: e.workflowId,
  });
  await journal.update(e.runId, e.entry, { state: 'reverting', revertAttempt: true });
  try {
    await session.drill.revert(session.env, e.detail);
  } catch (err) {
    const reason = `revert by hand failed: ${(err as Error)?.message ?? err}`.slice(0, 500);
    await journal.update(e.runId, e.entry, { state: 'left', reason });
    throw new UserError(
      `#${id} is still in place: ${reason}`,
      `fix what the error names, then run \`firedrill faults revert ${id}\` again`,
    );
  }
  const done = await journal.update(e.runId, e.entry, {
    state: 'reverted',
    reason: 'reverted by hand (firedrill faults revert)',
  });
  session.env.mark('reverted', `by hand: ${e.detail.description} undone`);
  say(`#${id} reverted: ${e.detail.description}`);
  const rest = (await journal.entries(e.runId)).filter((x) => x.detail && UNDONE_STATES.includes(x.state));
  if (rest.length) {
    say(
      `run ${e.runId} still has ${rest.map((x) => `#${x.id}`).join(', ')} to revert; its target stays held`,
    );
  } else {
    await journal.releaseLock(e.target, e.runId);
    say(`target ${parseTargetKey(e.target)?.target ?? e.target} is free again`);
  }
  return done;
}

export function faultsCommands(program: Command): void {
  const faults = program
    .command('faults')
    .description(
      'faults not known to be reverted (left in place or in flight); `faults revert <id>` retries one',
    )
    .option(
      '--sandbox <name>',
      'local sandbox whose results database to read (unless FIREDRILL_DATABASE_URL)',
      sandboxNameArg('--sandbox'),
      'default',
    )
    .option('--json', 'print the entries as JSON')
    .action(async (opts: { sandbox: string; json?: boolean }) => {
      const [entries, locks] = await withJournal(opts.sandbox, async (j) => [
        await j.unreverted(),
        await j.locks(),
      ]);
      if (opts.json)
        return console.log(
          JSON.stringify({ faults: entries.map(({ input: _input, ...e }) => e), held: locks }),
        );
      for (const l of locks)
        console.log(
          `held     ${parseTargetKey(l.target) ? `${parseTargetKey(l.target)!.target}@${parseTargetKey(l.target)!.place}` : l.target} by run ${l.runId} (${l.drill}) since ${new Date(l.takenAt).toISOString()}`,
        );
      if (!entries.length) return console.log('no fault is known to be left in place');
      for (const e of entries) console.log(describeEntry(e));
      const left = entries.filter((e) => e.state === 'left');
      const inFlight = entries.length - left.length;
      if (left.length)
        console.log(
          `${left.length} left in place: fix the cause, then \`firedrill faults revert <id>\`${inFlight ? `; ${inFlight} other(s) belong to runs still in progress` : ''}`,
        );
      // Anything listed is something an operator must look at.
      process.exitCode = left.length ? 3 : 0;
    });

  faults
    .command('revert <id>')
    .description("retry a fault's compensation by hand (the drill's own revert), then free its target")
    .option('--force', 'revert an entry whose run may still be in progress (reverts are idempotent)')
    .action(async (id: string, opts: { force?: boolean }) => {
      // --sandbox belongs to `faults`: commander reads it on either side of `revert`.
      const { sandbox } = faults.opts<{ sandbox: string }>();
      if (!/^[1-9][0-9]{0,15}$/.test(id))
        throw new UserError(`"${id}" is not a fault id`, 'give the number `firedrill faults` prints after #');
      await withJournal(sandbox, (j) =>
        revertByHand(j, Number(id), { force: opts.force, log: (line) => console.log(line) }),
      );
    });
}
