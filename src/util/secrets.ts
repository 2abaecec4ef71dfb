// The one list of what a secret looks like, and the scrubber every writer uses: the logger, the
// result record (config snapshot) before it is stored, the results table, the evidence files of a
// run folder and the reports. A shape added here is redacted everywhere at once; each shape has
// its own unit test (test/unit/secrets.test.ts).

export const REDACTED = '[redacted]';

/** A key whose value is a secret wherever it appears (objects, env maps, JSON in a message). */
export interface KeyShape {
  name: string;
  /** Tested against the key lower-cased with `-`, `_` and `.` removed (MINIO_ROOT_PASSWORD → minirootpassword). */
  matches: (key: string) => boolean;
}

/** A secret inside free text (a message, an error, an argv element, a DSN). */
export interface TextShape {
  name: string;
  pattern: RegExp;
  /** The replacement, keeping what identifies the secret and dropping the secret itself. */
  replace: string | ((match: string, ...groups: string[]) => string);
}

const SECRET_KEY_SUFFIXES = [
  'password',
  'passwd',
  'secret',
  'secretkey',
  'secretaccesskey',
  'token',
  'apikey',
  'privatekey',
];
const SECRET_KEY_NAMES = new Set([
  'pwd',
  'credentials',
  'authorization',
  'connectionstring',
  'databaseurl',
  'clientkeydata', // a kubeconfig user's private key
  'cookie',
]);
export const normaliseKey = (key: string): string => key.toLowerCase().replace(/[-_.]/g, '');

export const KEY_SHAPES: readonly KeyShape[] = [
  {
    // password, rootPassword, MINIO_ROOT_PASSWORD, PGPASSWORD, secretKey, secretAccessKey,
    // token, bearerToken, apiKey… — but not password_encryption, secretName or passRate.
    name: 'secret-named key',
    matches: (k) => SECRET_KEY_SUFFIXES.some((s) => k.endsWith(s)) || SECRET_KEY_NAMES.has(k),
  },
];

export const isSecretKey = (key: string): boolean => {
  const k = normaliseKey(key);
  return KEY_SHAPES.some((s) => s.matches(k));
};

/** A name of an argv flag or env variable that carries a secret in what follows it. */
const SECRET_WORD = '[A-Za-z0-9_-]*(?:password|passwd|secret|token|api-?key)[A-Za-z0-9_-]*';

export const TEXT_SHAPES: readonly TextShape[] = [
  {
    // scheme://user:password@host — the password may itself hold "/" or "@": everything up to the
    // token's last "@" is userinfo (over-redacting a host beats leaking a password).
    name: 'URL password',
    pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@"'<>]*:)[^\s"'<>]*@/gi,
    replace: `$1${REDACTED}@`,
  },
  {
    // libpq DSN and query strings: "host=h password=s3cret dbname=d", "?password=x&", "'quoted'".
    name: 'DSN password',
    pattern: /\b(password|passwd|pwd)(\s*=\s*)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s&;,'"]+)/gi,
    replace: `$1$2${REDACTED}`,
  },
  {
    // argv "--password=s3cret", "--token=abc", env "MINIO_ROOT_PASSWORD=s3cret PGPASSWORD=x".
    name: 'flag or variable assignment',
    pattern: new RegExp(`(^|[\\s"'])(-{0,2}${SECRET_WORD})=([^\\s"']+)`, 'gi'),
    replace: `$1$2=${REDACTED}`,
  },
  {
    // "Authorization: Bearer eyJ…" in a message or a header dump (8+ characters: not prose).
    name: 'bearer token',
    pattern: /\b(Bearer)\s+[A-Za-z0-9._~+/=-]{8,}/g,
    replace: `$1 ${REDACTED}`,
  },
  {
    // JSON inside a message: {"password":"x"}, "bearerToken": "y", "client-key-data":"…".
    name: 'JSON secret field',
    pattern: /"([^"\\]{1,64})"(\s*:\s*)"(?:[^"\\]|\\.)*"/g,
    replace: (match, key, colon) => (isSecretKey(key!) ? `"${key}"${colon}"${REDACTED}"` : match),
  },
];

/** Every text shape applied in turn. */
export function scrubText(text: string): string {
  let out = text;
  for (const shape of TEXT_SHAPES)
    out = out.replace(shape.pattern, shape.replace as (substring: string, ...args: string[]) => string);
  return out;
}

/** An argv element that names a secret whose value is the next element ("--password", "s3cret"). */
const SECRET_FLAG = new RegExp(`^-{1,2}${SECRET_WORD}$`, 'i');

/**
 * A copy of `value` with every secret shape redacted, at any depth: secret-named keys (a
 * boolean or null under such a key says nothing and is kept), text shapes in every string, the
 * value after a secret flag in an argv array, and the message, stack and fields of errors.
 */
export function scrubSecrets<T>(value: T, depth = 0, seen = new WeakSet<object>()): T {
  if (typeof value === 'string') return scrubText(value) as T;
  if (value === null || typeof value !== 'object' || depth > 12) return value;
  if (seen.has(value)) return value;
  if (value instanceof Error) {
    seen.add(value);
    const fields = scrubSecrets({ ...value }, depth + 1, seen) as Record<string, unknown>;
    return {
      type: value.name,
      message: scrubText(value.message),
      ...(value.stack ? { stack: scrubText(value.stack) } : {}),
      ...fields,
    } as T;
  }
  const proto = Object.getPrototypeOf(value);
  if (!(Array.isArray(value) || proto === Object.prototype || proto === null)) return value; // dates, buffers
  seen.add(value);
  if (Array.isArray(value)) {
    return value.map((v, i) =>
      i > 0 &&
      typeof value[i - 1] === 'string' &&
      SECRET_FLAG.test(value[i - 1] as string) &&
      typeof v === 'string'
        ? REDACTED
        : scrubSecrets(v, depth + 1, seen),
    ) as T;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const secret = isSecretKey(k) && v !== null && typeof v !== 'boolean' && v !== undefined;
    // defineProperty: a "__proto__" key stays data instead of becoming the copy's prototype.
    Object.defineProperty(out, k, {
      value: secret ? REDACTED : scrubSecrets(v, depth + 1, seen),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out as T;
}
