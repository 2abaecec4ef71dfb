// Where the results database is: FIREDRILL_DATABASE_URL, or the sandbox's own `results` server.
import { Sandbox } from '../platform/local/sandbox.ts';
import { resultsUrl } from '../platform/local/components/results.ts';
import { UserError } from '../util/errors.ts';

export function resultsDatabaseUrl(sandbox = 'default'): string {
  if (process.env.FIREDRILL_DATABASE_URL) return process.env.FIREDRILL_DATABASE_URL;
  if (!Sandbox.exists({ name: sandbox })) {
    throw new UserError(
      `no results database: FIREDRILL_DATABASE_URL is not set and sandbox "${sandbox}" is not up`,
      'run `firedrill sandbox up` or set FIREDRILL_DATABASE_URL',
    );
  }
  return resultsUrl(Sandbox.open({ name: sandbox }).component('results'));
}
