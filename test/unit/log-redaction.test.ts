// Logs are pino JSON with the run and workflow ids bound; secrets never reach them — neither a
// password nested deep in an object nor one inside a URL, in a field, a binding or the message.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/util/log.ts';

function capture() {
  const lines: string[] = [];
  const dest = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  return {
    dest,
    records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    raw: () => lines.join('\n'),
  };
}

describe('log redaction', () => {
  it('redacts a password nested in an object, at any depth', () => {
    const out = capture();
    const log = createLogger({ component: 'test' }, out.dest);
    log.info(
      {
        results: { db: { connection: { user: 'firedrill', password: 'hunter2-deep' } } },
        minio: { rootPassword: 'minio-secret' },
      },
      'connecting',
    );
    const [rec] = out.records();
    expect(rec!.results).toEqual({ db: { connection: { user: 'firedrill', password: '[redacted]' } } });
    expect(rec!.minio).toEqual({ rootPassword: '[redacted]' });
    expect(out.raw()).not.toMatch(/hunter2|minio-secret/);
  });

  it('redacts the password of a URL in a field, in a child binding and in the message', () => {
    const out = capture();
    const log = createLogger({ component: 'test' }, out.dest);
    log.child({ endpoint: 'http://admin:child-secret@127.0.0.1:9000' }).warn(
      {
        target: 'postgresql://firedrill:url-secret@127.0.0.1:5432/results',
        list: ['s3://k:list-secret@h/b'],
      },
      'cannot reach postgresql://firedrill:msg-secret@127.0.0.1:5432/results',
    );
    const [rec] = out.records();
    expect(rec!.target).toBe('postgresql://firedrill:[redacted]@127.0.0.1:5432/results');
    expect(rec!.endpoint).toBe('http://admin:[redacted]@127.0.0.1:9000');
    expect(rec!.list).toEqual(['s3://k:[redacted]@h/b']);
    expect(rec!.msg).toBe('cannot reach postgresql://firedrill:[redacted]@127.0.0.1:5432/results');
    expect(out.raw()).not.toMatch(/secret/);
  });

  it('binds the run and workflow ids as JSON fields, as the activities do', () => {
    const out = capture();
    createLogger({ component: 'worker' }, out.dest)
      .child({
        runId: 'calibration-outage-1',
        drill: 'calibration',
        workflowId: 'firedrill-target-local-x-calibration',
      })
      .info('drill planned');
    expect(out.records()[0]).toMatchObject({
      app: 'firedrill',
      component: 'worker',
      runId: 'calibration-outage-1',
      workflowId: 'firedrill-target-local-x-calibration',
      msg: 'drill planned',
      level: 30,
    });
  });
});
