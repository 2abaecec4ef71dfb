// One list of secret shapes (src/util/secrets.ts), a test per shape, and a test per place a secret
// could first be written: the logger, the result record's config snapshot, the results table, the
// evidence files of a run folder, the reports.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { getDrill } from '../../src/drill/catalogue.ts';
import { planRun } from '../../src/drill/validate.ts';
import { composeResult } from '../../src/engine/record.ts';
import { RunFiles } from '../../src/engine/run-files.ts';
import { render, buildReport, FORMATS } from '../../src/report/index.ts';
import { ResultStore } from '../../src/results/store.ts';
import { loadTopology } from '../../src/topology/load.ts';
import { createLogger } from '../../src/util/log.ts';
import { REDACTED, scrubSecrets, scrubText } from '../../src/util/secrets.ts';
import { EPOCH, makeRun } from './report-fixtures.ts';

/** Every secret value below contains this, so one check finds any leak. */
const S = 'Zs3cret';

describe('secret shapes, one test each', () => {
  it('a URL password containing "/"', () =>
    expect(scrubText(`postgresql://app:pa/${S}@127.0.0.1:5432/ledger`)).toBe(
      `postgresql://app:${REDACTED}@127.0.0.1:5432/ledger`,
    ));
  it('a URL password containing "@"', () =>
    expect(scrubText(`cannot reach http://admin:p@${S}@127.0.0.1:9000 now`)).toBe(
      `cannot reach http://admin:${REDACTED}@127.0.0.1:9000 now`,
    ));
  it('a URL with an empty user and a password', () =>
    expect(scrubText(`redis://:${S}@h:6379`)).toBe(`redis://:${REDACTED}@h:6379`));
  it('a "token" key', () =>
    expect(scrubSecrets({ auth: { token: S, user: 'drills' } })).toEqual({
      auth: { token: REDACTED, user: 'drills' },
    }));
  it('a "bearerToken" key, and a bearer token in a message', () => {
    expect(scrubSecrets({ bearerToken: S })).toEqual({ bearerToken: REDACTED });
    expect(scrubText(`401 for Authorization: Bearer eyJ${S}.abc.def`)).toBe(
      `401 for Authorization: Bearer ${REDACTED}`,
    );
  });
  it('a kubeconfig "client-key-data", as a key and as JSON in a message', () => {
    const user = { name: 'admin', user: { 'client-certificate-data': 'Q0VSVA==', 'client-key-data': S } };
    expect(scrubSecrets(user)).toEqual({
      name: 'admin',
      user: { 'client-certificate-data': 'Q0VSVA==', 'client-key-data': REDACTED },
    });
    expect(scrubText(`bad user {"client-key-data":"${S}","name":"admin"}`)).toBe(
      `bad user {"client-key-data":"${REDACTED}","name":"admin"}`,
    );
  });
  it('MINIO_ROOT_PASSWORD and PGPASSWORD in an env map, and as assignments in a text', () => {
    expect(
      scrubSecrets({
        env: { MINIO_ROOT_USER: 'firedrill', MINIO_ROOT_PASSWORD: S, PGPASSWORD: S, PGPORT: '5432' },
      }),
    ).toEqual({
      env: {
        MINIO_ROOT_USER: 'firedrill',
        MINIO_ROOT_PASSWORD: REDACTED,
        PGPASSWORD: REDACTED,
        PGPORT: '5432',
      },
    });
    expect(scrubText(`env MINIO_ROOT_PASSWORD=${S} PGPASSWORD=${S} minio server`)).toBe(
      `env MINIO_ROOT_PASSWORD=${REDACTED} PGPASSWORD=${REDACTED} minio server`,
    );
  });
  it('--password= in an argv array, and --password followed by its value', () => {
    expect(scrubSecrets(['pgbackrest', `--password=${S}`, '--stanza=timescaledb'])).toEqual([
      'pgbackrest',
      `--password=${REDACTED}`,
      '--stanza=timescaledb',
    ]);
    expect(scrubSecrets(['mc', 'alias', '--password', S, '--token', S, '--insecure'])).toEqual([
      'mc',
      'alias',
      '--password',
      REDACTED,
      '--token',
      REDACTED,
      '--insecure',
    ]);
  });
  it('a DSN password=, bare or quoted', () => {
    expect(scrubText(`host=127.0.0.1 port=5432 user=app password=${S} dbname=ledger`)).toBe(
      `host=127.0.0.1 port=5432 user=app password=${REDACTED} dbname=ledger`,
    );
    expect(scrubText(`host=h password='se ${S} cret' sslmode=disable`)).toBe(
      `host=h password=${REDACTED} sslmode=disable`,
    );
    expect(scrubText(`jdbc:postgresql://h/db?user=app&password=${S}&ssl=true`)).toBe(
      `jdbc:postgresql://h/db?user=app&password=${REDACTED}&ssl=true`,
    );
  });
  it("credentials inside an error's message, stack and fields", () => {
    const err = Object.assign(new Error(`connect ECONNREFUSED postgresql://app:${S}@10.0.0.5:5432/ledger`), {
      code: 'ECONNREFUSED',
      config: { password: S },
    });
    const scrubbed = scrubSecrets({ err }) as unknown as { err: Record<string, unknown> };
    expect(scrubbed.err).toMatchObject({
      type: 'Error',
      code: 'ECONNREFUSED',
      message: `connect ECONNREFUSED postgresql://app:${REDACTED}@10.0.0.5:5432/ledger`,
      config: { password: REDACTED },
    });
    expect(JSON.stringify(scrubbed)).not.toContain(S);
    expect(scrubText(`HTTP 400: {"password": "${S}", "user": "app"}`)).toBe(
      `HTTP 400: {"password": "${REDACTED}", "user": "app"}`,
    );
  });
  it('keeps what only looks close: settings, names, counts, URLs without credentials', () => {
    const kept = {
      password_encryption: 'scram-sha-256',
      secretName: 'minio-root',
      passRate: 0.5,
      maxTokens: 10,
      tls: { token: false, password: null },
      endpoint: 'http://127.0.0.1:9000/path',
      note: 'Bearer of bad news',
    };
    expect(scrubSecrets(kept)).toEqual(kept);
  });
  it('keeps a "__proto__" key as data', () => {
    const out = scrubSecrets(JSON.parse(`{"__proto__": {"password": "${S}"}}`)) as object;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toBe(`{"__proto__":{"password":"${REDACTED}"}}`);
  });
});

/** Something carrying every shape at once. */
const everyShape = () => ({
  database: `postgresql://app:p/@${S}@127.0.0.1:5432/results`,
  dsn: `host=h user=app password=${S}`,
  kube: { token: S, bearerToken: S, 'client-key-data': S },
  env: { MINIO_ROOT_PASSWORD: S, PGPASSWORD: S },
  argv: ['pgbackrest', `--password=${S}`, '--token', S],
  error: `request failed: {"secretKey":"${S}"}`,
});

describe('every place a secret could first be written', () => {
  it('the logger: fields, bindings, the message and a logged error', () => {
    const lines: string[] = [];
    const dest = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = createLogger({ component: 'test' }, dest).child({ connection: `host=h password=${S}` });
    log.info(everyShape(), `connecting to postgresql://app:a/b@${S}@h/db`);
    log.error({ err: new Error(`auth failed with token=${S}`) }, 'failed');
    log.error(new Error(`postgresql://app:${S}@h/db refused`));
    expect(lines).toHaveLength(3);
    expect(lines.join('\n')).not.toContain(S);
    expect(lines.join('\n')).toContain(REDACTED);
  });

  it("the result record's config snapshot, as composed before it is stored", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'firedrill-secrets-'));
    const plan = planRun(await getDrill('calibration'), { drill: 'calibration' }, loadTopology());
    const files = RunFiles.for(dir, 'calibration-outage-secrets');
    const result = composeResult({
      runId: 'calibration-outage-secrets',
      platform: 'local',
      plan,
      files,
      outcome: { injected: false, verify: null },
      config: everyShape(),
      versions: {},
      startedAt: Date.now() - 1_000,
    });
    expect(JSON.stringify(result.evidence.config)).not.toContain(S);
    expect((result.evidence.config as { env: Record<string, string> }).env.PGPASSWORD).toBe(REDACTED);
  });

  it('the evidence files of a run folder (result.json, markers, canary samples)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'firedrill-secrets-'));
    const files = RunFiles.for(dir, 'run-1');
    files.writeJson('result.json', { evidence: { config: everyShape() } });
    files.mark('T0', 1, `killed with MINIO_ROOT_PASSWORD=${S}`);
    files.canary({ at: 1, end: 2, ok: false, error: `connect postgresql://app:${S}@h/db` });
    for (const name of readdirSync(files.dir))
      expect(readFileSync(join(files.dir, name), 'utf8'), name).not.toContain(S);
    expect(readdirSync(files.dir).sort()).toEqual(['canary.jsonl', 'markers.jsonl', 'result.json']);
  });

  it('the results table: nothing a query sends holds a secret', async () => {
    const sent: unknown[] = [];
    const client = {
      query: async (sql: string, params?: unknown[]) => {
        sent.push(sql, params);
        return { rows: [] };
      },
      release: () => {},
    };
    const Store = ResultStore as unknown as new (pool: unknown) => ResultStore;
    const store = new Store({ connect: async () => client });
    const run = makeRun({ config: everyShape() });
    const leaky = { ...run, reason: `BREACHED after postgresql://app:${S}@h/db refused` };
    await store.saveRun(leaky, [{ at: EPOCH, end: EPOCH + 5, ok: false, error: `token=${S}` }]);
    expect(sent.length).toBeGreaterThan(4);
    expect(JSON.stringify(sent)).not.toContain(S);
    expect(JSON.stringify(sent)).toContain(REDACTED);
  });

  it('the reports, in every format', () => {
    const run = makeRun({ config: everyShape() });
    const model = buildReport([run], new Map(), {
      since: EPOCH - 86_400_000,
      until: EPOCH + 86_400_000,
      source: `postgresql://app:${S}@h/results`,
    });
    for (const format of FORMATS) expect(render(model, format), format).not.toContain(S);
  });
});
