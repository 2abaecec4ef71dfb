// Structured logs (pino JSON). Secrets never reach them: anything under these paths is redacted,
// wherever a caller nests credentials; every shape of src/util/secrets.ts (secret-named keys at
// any depth, URL passwords, DSN and argv passwords, tokens, errors' messages) is scrubbed too, in
// fields, bindings and the message.
import pino from 'pino';
import { REDACTED, scrubSecrets, scrubText } from './secrets.ts';

export const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'secretKey',
  '*.secretKey',
  '*.*.secretKey',
  'rootPassword',
  '*.rootPassword',
  'credentials',
  '*.credentials',
  'connectionString',
  '*.connectionString',
  'databaseUrl',
  '*.databaseUrl',
  'authorization',
  '*.authorization',
  'headers.authorization',
];

export function createLogger(
  bindings: Record<string, unknown> = {},
  destination?: pino.DestinationStream,
): pino.Logger {
  const logger = pino(
    {
      level: process.env.FIREDRILL_LOG_LEVEL ?? 'info',
      base: { app: 'firedrill', ...bindings },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      formatters: {
        log: (obj) => scrubSecrets(obj) as Record<string, unknown>,
        bindings: (b) => scrubSecrets(b) as pino.Bindings,
      },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            // Strings and errors passed positionally (log.error(err)) are scrubbed like fields.
            args.map((a) =>
              typeof a === 'string' || a instanceof Error ? scrubSecrets(a) : a,
            ) as Parameters<typeof method>,
          );
        },
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination(2),
  );
  // pino formats a child's bindings without formatters.bindings: scrub them on the way in. Children
  // inherit this method (they are created with Object.create(parent)).
  const child = logger.child;
  logger.child = function (this: pino.Logger, b, opts) {
    return child.call(this, scrubSecrets(b) as pino.Bindings, opts);
  } as typeof logger.child;
  return logger;
}

/** Removes user:password@ (and every other secret shape) from a URL before it is shown. */
export function scrubUrl(url: string): string {
  return scrubText(url);
}
