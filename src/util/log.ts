// Structured logs (pino JSON). Secrets never reach them: anything under these paths is redacted,
// wherever a caller nests credentials.
import pino from 'pino';

export const REDACT_PATHS = [
  'password', '*.password', '*.*.password', 'secretKey', '*.secretKey', '*.*.secretKey', 'rootPassword', '*.rootPassword',
  'credentials', '*.credentials', 'connectionString', '*.connectionString', 'databaseUrl', '*.databaseUrl',
  'authorization', '*.authorization', 'headers.authorization',
];

export function createLogger(bindings: Record<string, unknown> = {}, destination?: pino.DestinationStream): pino.Logger {
  return pino(
    {
      level: process.env.FIREDRILL_LOG_LEVEL ?? 'info',
      base: { app: 'firedrill', ...bindings },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination(2),
  );
}

/** Removes user:password@ from URLs before they are logged or reported. */
export function scrubUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@/]+)@/, '//$1:[redacted]@');
}
