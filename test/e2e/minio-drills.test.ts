// The MinIO drills end to end on the sandbox: 2 of 4 nodes killed (reads served, writes refused,
// restart, healing), one drive wiped (healing puts every object back on it, proven by reading
// every ledger object through the healed drive), the primary site destroyed and restored from the
// DR site (objects of the mirror's backlog reported lost), and the inputs refused before injection.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { planFor, startDrill } from '../../src/cli/run.ts';
import { parseSegment } from '../../src/systems/minio/segment.ts';
import { newRunId } from '../../src/util/runs.ts';
import { foldLedger, parseLedgerLog } from '../../src/measure/ledger.ts';
import type { DrillResult } from '../../src/measure/types.ts';
import { Sandbox } from '../../src/platform/local/sandbox.ts';
import { refusal, useEngine, type Engine } from './engine-harness.ts';
import { minioClient } from './sandbox-harness.ts';

process.env.FIREDRILL_MINIO_DR_SITE = 'on';
const engine = useEngine('fd5-minio-drills', ['minio']);
const markers = (r: DrillResult) => r.timeline.map((m) => m.marker);
const at = (r: DrillResult, marker: string) => Date.parse(r.timeline.find((m) => m.marker === marker)!.at);
const figures: string[] = [];

/** As the harness's refusal(), or on another sandbox than the engine's own. */
async function refusalOn(e: Engine, req: Parameters<Engine['run']>[0], sandbox?: string): Promise<string> {
  if (!sandbox) return refusal(e, req);
  try {
    const plan = await planFor(req);
    const input = {
      ...req,
      runId: newRunId(plan.drill, plan.variant),
      variant: plan.variant,
      platform: { kind: 'local' as const, sandbox },
      reportsDir: e.reportsDir,
    };
    const r = (await (await startDrill(e.client(), input, plan.component)).result()) as DrillResult;
    throw new Error(`expected a refusal, got verdict ${r.verdict}`);
  } catch (err) {
    return String((err as Error).cause ?? err);
  }
}

async function expectAllUp(): Promise<void> {
  const h = (await engine.sandbox().status()).minio!;
  expect(
    h.map((m) => m.up),
    JSON.stringify(h),
  ).toEqual([true, true, true, true]);
}

const client = (endpoint?: string) => minioClient(engine.sandbox().component('minio'), endpoint);

const ackedLedger = (r: DrillResult) =>
  foldLedger(parseLedgerLog(readFileSync(join(engine.reportsDir, r.runId, 'ledger.jsonl'), 'utf8'))).filter(
    (e) => e.outcome === 'ok',
  );

describe('minio-restore', { timeout: 900_000 }, () => {
  it('two-node-loss: reads served, writes refused, restart, healing; nothing acknowledged lost', async () => {
    const r = await engine.run({ drill: 'minio-restore', variant: 'two-node-loss' });
    expect(r.verdict, r.reason).toBe('MET');
    const m = markers(r);
    expect(m).toEqual(
      expect.arrayContaining([
        'T0',
        'reads-served',
        'writes-refused',
        'T_detect',
        'nodes-restarted',
        'healed',
        'T_service',
        'T_full',
      ]),
    );
    expect(at(r, 'reads-served')).toBeGreaterThanOrEqual(at(r, 'T0'));
    expect(at(r, 'writes-refused')).toBeLessThan(at(r, 'nodes-restarted'));
    // Writes come back as soon as the first restarted node completes the write quorum (3 of 4),
    // which can be before the second one is up: service recovers after the restart began.
    expect(at(r, 'T_service')).toBeGreaterThan(at(r, 'remediation'));
    expect(at(r, 'T_full')).toBeGreaterThanOrEqual(at(r, 'nodes-restarted'));
    expect(r.rpo.acked).toBeGreaterThanOrEqual(100);
    expect(r.rpo.lost).toBe(0);
    expect(r.rpo.corrupted).toBe(0);
    expect(r.evidence.config).toMatchObject({ storageClass: 'EC:2', writeQuorum: 3, readQuorum: 2 });
    figures.push(
      `two-node-loss: RTO service ${r.rto.serviceMs} ms, full ${r.rto.fullMs} ms; acked ${r.rpo.acked}, lost ${r.rpo.lost}`,
    );
    await expectAllUp();
  });

  it('drive-wipe: healing restores every object on the wiped drive, byte for byte', async () => {
    const r = await engine.run({ drill: 'minio-restore', variant: 'drive-wipe' });
    expect(r.verdict, r.reason).toBe('MET');
    expect(markers(r)).toEqual(
      expect.arrayContaining(['drive-wiped', 'nodes-restarted', 'healed', 'T_full']),
    );
    expect(r.rpo.lost).toBe(0);
    expect(r.rpo.corrupted).toBe(0);
    await expectAllUp();
    // The checksum proof of the healing: with minio-1 and minio-2 down, every segment object is read
    // from minio-0 and the healed minio-3 (2 data shards needed of 4): every acknowledged record in
    // it must match its SHA-256.
    const ledger = ackedLedger(r);
    const segments = new Map<string, typeof ledger>();
    for (const e of ledger) {
      const segment = e.position!.split(' ')[0]!;
      segments.set(segment, [...(segments.get(segment) ?? []), e]);
    }
    expect(segments.size).toBeGreaterThan(0);
    expect(segments.size).toBeLessThan(ledger.length); // records share segment objects
    const sb = engine.sandbox();
    await sb.kill('minio', 1);
    await sb.kill('minio', 2);
    try {
      const c = client();
      let checked = 0;
      for (const [segment, entries] of segments) {
        const obj = await c.send(new GetObjectCommand({ Bucket: 'firedrill-ledger', Key: segment }));
        const found = new Map(
          parseSegment(segment, await obj.Body!.transformToByteArray()).map((x) => [x.key, x.sha256]),
        );
        for (const e of entries) {
          expect(found.get(e.key), e.key).toBe(e.sha256);
          checked++;
        }
      }
      expect(checked).toBe(r.rpo.acked);
      figures.push(
        `drive-wipe: RTO service ${r.rto.serviceMs ?? 'n/a'} ms, full (healed) ${r.rto.fullMs} ms; ${checked} records in ${segments.size} segment objects read through the healed drive, checksums equal; lost ${r.rpo.lost}`,
      );
    } finally {
      await engine.sandbox().restart('minio');
    }
    await expectAllUp();
  });

  it('site-restore: the primary is rebuilt from the DR site; the mirror backlog is reported lost', async () => {
    const r = await engine.run({ drill: 'minio-restore', variant: 'site-restore' });
    expect(['MET', 'BREACHED']).toContain(r.verdict);
    expect(markers(r)).toEqual(
      expect.arrayContaining([
        'T0',
        'T_detect',
        'nodes-restarted',
        'restore-started',
        'restored',
        'T_service',
        'T_full',
        'T_verified',
      ]),
    );
    // Fully recovered only once the copy back from the DR site is complete.
    expect(at(r, 'T_full')).toBeGreaterThanOrEqual(at(r, 'restored'));
    expect(r.rpo.recoveryPointAt).not.toBeNull();
    const rp = Date.parse(r.rpo.recoveryPointAt!);
    const t0 = at(r, 'T0');
    expect(rp).toBeLessThan(t0);
    // Only objects acknowledged after the last mirrored listing can be lost, none before it. That
    // includes writes acknowledged between T0 (marked just before the fault command) and the moment
    // the primary's nodes were really gone: those are lost too, and counted.
    const afterListing = ackedLedger(r).filter((e) => e.tAck! >= rp);
    expect(r.rpo.lost).toBeLessThanOrEqual(afterListing.length);
    if (r.rpo.lost > 0) {
      expect(r.verdict).toBe('BREACHED');
      expect(r.rpo.seconds! * 1000).toBeLessThanOrEqual(t0 - rp + 1_000);
    }
    expect(r.rpo.corrupted).toBe(0);
    figures.push(
      `site-restore: RTO service ${r.rto.serviceMs} ms, full ${r.rto.fullMs} ms; lost ${r.rpo.lost} of ${r.rpo.acked} (RPO ${r.rpo.seconds} s; T0 − last mirrored listing ${((t0 - rp) / 1000).toFixed(3)} s); verdict ${r.verdict}`,
    );
    await expectAllUp();
  });

  it('refuses a bucket that does not exist and a DR site that is not configured', async () => {
    expect(
      await refusalOn(engine, { drill: 'minio-restore', options: { bucket: 'no-such-bucket' } }),
    ).toMatch(/bucket "no-such-bucket" does not exist/);
    delete process.env.FIREDRILL_MINIO_DR_SITE;
    // With its own results database: the run's lock and fault journal live there.
    const noDr = await Sandbox.up({
      name: 'fd5-minio-nodr',
      only: ['results', 'minio'],
      deleteHistory: true,
      log: () => {},
    });
    try {
      expect(
        await refusalOn(engine, { drill: 'minio-restore', variant: 'site-restore' }, 'fd5-minio-nodr'),
      ).toMatch(/DR site is not configured/);
    } finally {
      await noDr.down();
    }
    await expectAllUp();
    console.log(`[fd5-minio] ${figures.join('\n[fd5-minio] ')}`);
  });
});
