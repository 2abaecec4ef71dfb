// `firedrill results export|import`: the results history as a portable archive (JSON lines), to
// keep it as long as an auditor asks and to move it to another machine or database.
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import { endLine, headerLine, readArchive, runLine } from '../results/archive.ts';
import { resultsDatabaseUrl } from '../results/locate.ts';
import { ResultStore, type ImportOutcome } from '../results/store.ts';
import { UserError } from '../util/errors.ts';
import { parseInstant } from './report.ts';

/** Writes to stdout, waiting when the pipe is full: a year of runs is more than its buffer. */
async function write(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}

export function resultsCommands(program: Command): void {
  const results = program
    .command('results')
    .description('the results history: export it as a portable archive, import one');

  results
    .command('export')
    .description('write runs, with their markers and canary samples, to stdout as JSON lines')
    .option('--since <when>', 'first run: a duration back from now (30d) or an ISO date (default: all)')
    .option('--until <when>', 'last run (default: now)')
    .option('--drill <name>', 'only this drill')
    .option(
      '--sandbox <name>',
      'local sandbox whose results database to read (unless FIREDRILL_DATABASE_URL)',
      'default',
    )
    .action(async (opts: { since?: string; until?: string; drill?: string; sandbox: string }) => {
      const now = new Date();
      const since = opts.since ? parseInstant(opts.since, now, '--since') : undefined;
      const until = opts.until ? parseInstant(opts.until, now, '--until') : undefined;
      if (since && until && since > until)
        throw new UserError(
          `--since ${since.toISOString()} is after --until ${until.toISOString()}`,
          'swap them',
        );
      if (process.stdout.isTTY)
        throw new UserError(
          'the archive goes to stdout, which is a terminal',
          'redirect it: `firedrill results export > history.jsonl`',
        );
      const store = await ResultStore.connect(resultsDatabaseUrl(opts.sandbox));
      try {
        const runs = (await store.runs({ since, drill: opts.drill })).filter(
          (r) => !until || Date.parse(r.startedAt) <= until.getTime(),
        );
        await write(
          headerLine({
            exportedAt: now.toISOString(),
            period: {
              since: since?.toISOString() ?? null,
              until: until?.toISOString() ?? null,
              drill: opts.drill ?? null,
            },
            runs: runs.length,
          }),
        );
        for (const r of runs) await write(runLine(await store.storedRun(r)));
        await write(endLine(runs.length));
        console.error(`exported ${runs.length} run(s) from ${store.source}`);
      } finally {
        await store.close();
      }
    });

  results
    .command('import <file>')
    .description('add the runs of an archive that this results database does not have (never replaces one)')
    .option(
      '--sandbox <name>',
      'local sandbox whose results database to write (unless FIREDRILL_DATABASE_URL)',
      'default',
    )
    .action(async (file: string, opts: { sandbox: string }) => {
      if (!existsSync(file))
        throw new UserError(`no archive at ${file}`, 'give the file `firedrill results export` wrote');
      const archive = await readArchive(file); // every line checked before anything is stored
      const store = await ResultStore.connect(resultsDatabaseUrl(opts.sandbox));
      const counts: Record<ImportOutcome, number> = { added: 0, present: 0, differs: 0 };
      const differing: string[] = [];
      try {
        for await (const run of archive.runs()) {
          const outcome = await store.importRun(run);
          counts[outcome]++;
          if (outcome === 'differs') differing.push(run.result.runId);
        }
      } finally {
        await store.close();
      }
      console.log(
        `imported ${counts.added} run(s) into ${store.source}; ${counts.present} already there` +
          (counts.differs
            ? `; ${counts.differs} already there with another record, kept as recorded here`
            : ''),
      );
      for (const id of differing) console.log(`  kept: ${id}`);
    });
}
