// A run's evidence folder against its record: found where the record says or under the reports
// folder (game days nest one level), its ledger hashed against evidence.ledgerSha256, and the
// report saying so in every format instead of rendering less.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkEvidence, evidenceFolders } from '../../src/results/evidence-check.ts';
import { buildReport, render } from '../../src/report/index.ts';
import { DAY, EPOCH, makeRun, samplesFor } from './report-fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'firedrill-evidence-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ledger = '{"id":0,"key":"k0","sha256":"x","tInvoke":1,"tAck":2,"outcome":"ok"}\n';
const sha = createHash('sha256').update(ledger).digest('hex');

/** A run whose folder is at <root>/<parent>/<runId>/ with the given ledger (none: no file). */
function runWithFolder(runId: string, parent: string | null, content: string | null, recordedSha = sha) {
  const dir = parent === null ? join(root, runId) : join(root, parent, runId);
  mkdirSync(dir, { recursive: true });
  if (content !== null) writeFileSync(join(dir, 'ledger.jsonl'), content);
  return makeRun({ runId, ledgerSha256: recordedSha });
}

describe('checkEvidence', () => {
  const intact = runWithFolder('intact-run', null, ledger);
  const nested = runWithFolder('nested-run', 'gameday-20261101T080000-ab12', ledger);
  const swapped = runWithFolder('swapped-run', null, ledger + ledger);
  const noLedger = runWithFolder('no-ledger-run', null, null);
  const noHash = runWithFolder('no-hash-run', null, null, null as unknown as string);
  const gone = makeRun({ runId: 'gone-run', ledgerSha256: sha });
  const folders = evidenceFolders([root, join(root, 'no-such-folder')]);
  const elsewhere = '/nonexistent-cwd';

  it('finds folders by run id, game-day folders included', () => {
    expect(folders.get('intact-run')).toBe(join(root, 'intact-run'));
    expect(folders.get('nested-run')).toBe(join(root, 'gameday-20261101T080000-ab12', 'nested-run'));
    expect(folders.has('gone-run')).toBe(false);
  });

  it('ok when the ledger hashes to the record, whether found by artifactsDir or by run id', () => {
    expect(checkEvidence(intact, folders, elsewhere)).toEqual({
      status: 'ok',
      dir: join(root, 'intact-run'),
      detail: '',
    });
    const byPath = { ...nested, evidence: { ...nested.evidence, artifactsDir: folders.get('nested-run')! } };
    expect(checkEvidence(byPath, new Map(), elsewhere).status).toBe('ok');
    expect(checkEvidence(noHash, folders, elsewhere).status).toBe('ok'); // nothing to hash
  });

  it('names a missing folder, a missing ledger and a ledger that is not the hashed one', () => {
    const missing = checkEvidence(gone, folders, elsewhere);
    expect(missing.status).toBe('missing');
    expect(missing.detail).toContain('evidence folder reports/gone-run/ is missing');
    const noFile = checkEvidence(noLedger, folders, elsewhere);
    expect(noFile.status).toBe('ledger-missing');
    expect(noFile.detail).toBe(
      `ledger.jsonl is missing from ${join(root, 'no-ledger-run')}; the record's ledger SHA-256 is ${sha.slice(0, 12)}…`,
    );
    const mismatch = checkEvidence(swapped, folders, elsewhere);
    expect(mismatch.status).toBe('ledger-mismatch');
    expect(mismatch.detail).toMatch(
      /has SHA-256 [0-9a-f]{12}… but the record says [0-9a-f]{12}…: it is not the ledger/,
    );
  });

  it('the report turns them into findings and says so in each run, in every format', () => {
    const runs = [intact, swapped, gone];
    const evidence = new Map(runs.map((r) => [r.runId, checkEvidence(r, folders, elsewhere)]));
    const model = buildReport(runs, samplesFor(runs), {
      since: EPOCH - DAY,
      until: EPOCH + DAY,
      generatedAt: new Date(EPOCH + DAY),
      evidence,
    });
    const kinds = model.findings.map((f) => [f.kind, f.severity, f.runId]);
    expect(kinds).toContainEqual(['evidence-mismatch', 'high', 'swapped-run']);
    expect(kinds).toContainEqual(['evidence-missing', 'medium', 'gone-run']);
    expect(kinds.filter(([k]) => String(k).startsWith('evidence-m'))).toHaveLength(2);
    expect(model.runs.find((r) => r.result.runId === 'intact-run')!.evidence?.status).toBe('ok');

    const md = render(model, 'md');
    expect(md).toContain('present; ledger SHA-256 verified');
    expect(md).toContain('**evidence folder reports/gone-run/ is missing');
    const html = render(model, 'html');
    expect(html).toContain('it is not the ledger this result was computed from');
    const junit = render(model, 'junit');
    expect(junit).toContain('name="evidence.status" value="ledger-mismatch"');
    expect(junit).toContain('name="evidence.status" value="missing"');
  });

  it('without checks (a model built off the disk) nothing is claimed either way', () => {
    const model = buildReport([gone], samplesFor([gone]), { since: EPOCH - DAY, until: EPOCH + DAY });
    expect(model.findings.some((f) => f.kind.startsWith('evidence-m'))).toBe(false);
    expect(render(model, 'md')).toContain('— not checked');
  });
});
