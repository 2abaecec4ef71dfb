// Redis's configuration as the manifest gives it: the container's `--name value…` arguments read as
// redis.conf directives (what redis-server does with them), and the persistence they promise. Pure:
// the sandbox driver and the drill both read the manifest through here, so neither repeats it.

export interface Directive {
  name: string;
  /** Everything after the name, e.g. "900 1 300 10" for `--save "900 1 300 10"`. */
  value: string;
}

export interface Persistence {
  /** AOF on: every write is appended to the log before its reply is sent. */
  appendonly: boolean;
  /** always | everysec | no: how often the log is fsynced. */
  appendfsync: string;
  /** RDB save points as (seconds, changes) pairs; empty: no automatic snapshots. */
  savePoints: { seconds: number; changes: number }[];
}

export class RedisConfigError extends Error {
  override name = 'RedisConfigError';
}

/**
 * `["--appendonly", "yes", "--save", "900 1 300 10"]` → directives. As redis-server reads its
 * command line: `--name` starts a directive and every following word up to the next `--name` is
 * its value. Names are lower-cased (Redis's are case-insensitive).
 */
export function directivesFromArgs(args: readonly string[]): Directive[] {
  const out: Directive[] = [];
  for (const a of args) {
    if (a.startsWith('--') && a.length > 2) out.push({ name: a.slice(2).toLowerCase(), value: '' });
    else if (!out.length)
      throw new RedisConfigError(
        `container argument ${JSON.stringify(a)} comes before any --option (a config file path is not supported here)`,
      );
    else {
      const last = out[out.length - 1]!;
      last.value = last.value ? `${last.value} ${a}` : a;
    }
  }
  return out;
}

const yesNo = (name: string, value: string): boolean => {
  if (value === 'yes') return true;
  if (value === 'no') return false;
  throw new RedisConfigError(`--${name} ${JSON.stringify(value)}: expected yes or no`);
};

/** What the directives promise about durability, with Redis's defaults for what they leave out. */
export function persistenceOf(directives: readonly Directive[]): Persistence {
  // The last occurrence wins, as in redis.conf.
  const last = (name: string) => directives.filter((d) => d.name === name).at(-1)?.value;
  const appendonly = yesNo('appendonly', last('appendonly') ?? 'no');
  const appendfsync = last('appendfsync') ?? 'everysec';
  if (!['always', 'everysec', 'no'].includes(appendfsync))
    throw new RedisConfigError(
      `--appendfsync ${JSON.stringify(appendfsync)}: expected always, everysec or no`,
    );
  const save = last('save');
  // Redis 7's default when nothing says otherwise: 3600 1, 300 100, 60 10000.
  const words = (save ?? '3600 1 300 100 60 10000').split(/\s+/).filter(Boolean);
  if (words.length % 2 || words.some((w) => !/^\d+$/.test(w)))
    throw new RedisConfigError(`--save ${JSON.stringify(save)}: expected "<seconds> <changes>" pairs`);
  const savePoints: Persistence['savePoints'] = [];
  for (let i = 0; i < words.length; i += 2)
    savePoints.push({ seconds: Number(words[i]), changes: Number(words[i + 1]) });
  return { appendonly, appendfsync, savePoints };
}

/** Where the sandbox puts a server: these are its to set, never the manifest's. */
export const SANDBOX_OWNED = [
  'port',
  'bind',
  'dir',
  'logfile',
  'requirepass',
  'daemonize',
  'pidfile',
  'unixsocket',
  'dbfilename',
  'appenddirname',
  'appendfilename',
  'protected-mode',
  'supervised',
  'set-proc-title',
] as const;

/** The manifest's directives the sandbox keeps (persistence and the like) and those it replaces. */
export function splitDirectives(directives: readonly Directive[]): { kept: Directive[]; replaced: string[] } {
  const owned = new Set<string>(SANDBOX_OWNED);
  return {
    kept: directives.filter((d) => !owned.has(d.name)),
    replaced: directives.filter((d) => owned.has(d.name)).map((d) => d.name),
  };
}

/** redis.conf text: one directive a line, values quoted so that a newline cannot start another. */
export function confText(directives: readonly Directive[]): string {
  return directives
    .map((d) => {
      if (/[\r\n]/.test(d.value))
        throw new RedisConfigError(`--${d.name}: a value may not contain a newline`);
      // `save` takes its pairs as separate words; every other value is one (quoted) argument.
      const value = d.name === 'save' ? d.value : JSON.stringify(d.value);
      return `${d.name} ${value}`;
    })
    .join('\n')
    .concat('\n');
}

/** What AOF with this fsync policy promises to keep of acknowledged writes, in plain words. */
export function aofPromise(p: Persistence): { rpoMs: number | null; promise: string } {
  if (!p.appendonly)
    return {
      rpoMs: null,
      promise: 'AOF is off: only RDB snapshots persist, so a restart loses everything since the last one',
    };
  if (p.appendfsync === 'always')
    return {
      rpoMs: 0,
      promise: 'appendfsync always: each write is fsynced before its reply, nothing acknowledged is lost',
    };
  if (p.appendfsync === 'everysec')
    return {
      rpoMs: 1_000,
      promise:
        'appendfsync everysec: the log is fsynced once a second, so at most ~1 s of acknowledged writes can be lost (only by a crash of the machine; a killed process has already handed them to the kernel)',
    };
  return {
    rpoMs: null,
    promise: 'appendfsync no: the kernel decides when the log reaches the disk (about every 30 s)',
  };
}
