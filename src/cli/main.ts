// firedrill: chaos and disaster-recovery drills with measured RTO/RPO.
import { Command } from 'commander';
import { UserError } from '../util/errors.ts';
import { gamedayCommand } from './gameday.ts';
import { runCommand } from './run.ts';
import { sandboxCommands } from './sandbox.ts';
import { setupCommand } from './setup.ts';
import { scrubText } from '../util/secrets.ts';

const program = new Command('firedrill')
  .description('chaos and disaster-recovery drills that measure RTO and RPO against their targets')
  .showHelpAfterError();
setupCommand(program);
sandboxCommands(program);
runCommand(program);
gamedayCommand(program);
(await import('./report.ts')).reportCommand(program);
(await import('./results.ts')).resultsCommands(program);
(await import('./schedule.ts')).scheduleCommands(program);
(await import('./deploy.ts')).deployCommand(program);
(await import('./faults.ts')).faultsCommands(program);
(await import('./cluster.ts')).clusterCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof UserError) {
    console.error(`firedrill: ${scrubText(err.message)}`); // a message may quote a failing URL or DSN
    process.exit(2);
  }
  throw err;
}
