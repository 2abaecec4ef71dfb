// firedrill: chaos and disaster-recovery drills with measured RTO/RPO.
import { Command } from 'commander';
import { UserError } from '../util/errors.ts';
import { gamedayCommand } from './gameday.ts';
import { runCommand } from './run.ts';
import { sandboxCommands } from './sandbox.ts';
import { setupCommand } from './setup.ts';
import { scrubText } from '../util/secrets.ts';

// The AWS SDK (MinIO's client) warns on every run under Node < 22 that its releases from January
// 2027 will need Node 22. firedrill pins its SDK version through the lockfile and states the Node
// versions it is tested on (README, engines); this is the SDK's documented switch for that warning
// (read when a client is made). An operator who sets it otherwise keeps their choice.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

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
