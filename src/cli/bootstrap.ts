// What `run` and `gameday` need before a workflow can start: the sandbox components the drills
// use (plus the results database and Temporal), and a worker — unless told where they are.
import { Client, Connection } from '@temporalio/client';
import type pino from 'pino';
import { Sandbox } from '../platform/local/sandbox.ts';
import { COMPONENTS, type ComponentName } from '../platform/local/types.ts';
import { startWorker, type RunningWorker } from '../../worker/worker.ts';
import { createLogger } from '../util/log.ts';
import { ensureInstalled } from './setup.ts';
import { heldTargets } from '../results/held.ts';
import { resultsDatabaseUrl } from '../results/locate.ts';

export interface Bootstrapped {
  client: Client;
  sandbox: string;
  worker?: RunningWorker;
  close(): Promise<void>;
}

export async function bootstrap(opts: {
  sandbox: string;
  needs: string[];
  externalWorker?: boolean;
  quiet?: boolean;
  /** Where the in-process worker logs (default stderr): `run` and `gameday` give a file per run. */
  log?: pino.DestinationStream;
}): Promise<Bootstrapped> {
  const say = (m: string) => opts.quiet || console.error(`  ${m}`);
  const external = process.env.TEMPORAL_ADDRESS;
  const only = COMPONENTS.filter(
    (c) => c === 'results' || (!external && c === 'temporal') || opts.needs.includes(c),
  ) as ComponentName[];
  ensureInstalled();
  const started = Date.now();
  // A component a drill holds is left as it is: a member down there may be its fault.
  const held = heldTargets(opts.sandbox, () => resultsDatabaseUrl(opts.sandbox));
  const sandbox = await Sandbox.ensure({ name: opts.sandbox, only, log: say, heldBy: held.heldBy }).finally(
    () => held.close(),
  );
  say(
    `sandbox "${opts.sandbox}" ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${only.join(', ')})`,
  );
  const address = external ?? sandbox.endpoints().temporal!.address!;
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
  const worker =
    opts.externalWorker || process.env.FIREDRILL_EXTERNAL_WORKER
      ? undefined
      : await startWorker({
          address,
          namespace: process.env.TEMPORAL_NAMESPACE,
          log: createLogger({ component: 'worker' }, opts.log),
        });
  return {
    client,
    sandbox: opts.sandbox,
    worker,
    async close() {
      await worker?.stop();
      await connection.close();
    },
  };
}
