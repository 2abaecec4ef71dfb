// Structured logs (pino JSON). Secrets never reach them: anything under these paths is redacted,
// wherever a caller nests credentials; keys named like a secret at any depth, and the password of
// any user:password@ URL in a field or in the message, are scrubbed too.
import pino from 'pino';

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

const REDACTED = '[redacted]';
/** Keys whose values are secrets wherever they appear (compared case-insensitively). */
const SECRET_KEYS = new Set(
  [
    'password',
    'passwd',
    'secretKey',
    'secretAccessKey',
    'rootPassword',
    'credentials',
    'connectionString',
    'databaseUrl',
    'authorization',
    'apiKey',
  ].map((k) => k.toLowerCase()),
);
const URL_CREDENTIALS = /\/\/([^:/@\s]+):([^@/\s]+)@/g;

/** Copies `value` with secret-named keys redacted and URL passwords scrubbed, at any depth. */
export function scrubSecrets(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string')
    return value.includes('@') ? value.replace(URL_CREDENTIALS, `//$1:${REDACTED}@`) : value;
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  const proto = Object.getPrototypeOf(value);
  const plain = Array.isArray(value) || proto === Object.prototype || proto === null;
  if (!plain || seen.has(value)) return value; // errors, buffers, dates: left to pino's serializers
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => scrubSecrets(v, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = SECRET_KEYS.has(k.toLowerCase()) ? REDACTED : scrubSecrets(v, depth + 1, seen);
  return out;
}

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
            args.map((a) => (typeof a === 'string' ? scrubSecrets(a) : a)) as Parameters<typeof method>,
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

/** Removes user:password@ from URLs before they are logged or reported. */
export function scrubUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@/]+)@/, '//$1:[redacted]@');
}
