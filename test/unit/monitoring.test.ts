// deploy/monitoring: the Grafana dashboard parses and every query in it — like every alert rule —
// names only metrics the worker really exports (names taken from the prom-client registry).
// promtool's own checks of the rules are in test/e2e/monitoring.test.ts.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { VERDICTS } from '../../src/measure/types.ts';
import { DrillMetrics } from '../../src/metrics/drill-metrics.ts';
import { dashboardQueries, metricNames } from './promql.ts';

const file = (p: string) =>
  readFileSync(fileURLToPath(new URL(`../../deploy/monitoring/${p}`, import.meta.url)), 'utf8');
let exported: Set<string>;

beforeAll(async () => {
  exported = await new DrillMetrics().exportedNames();
});

describe('PromQL reader', () => {
  it('finds the metrics and nothing else', () => {
    expect(
      metricNames(
        'histogram_quantile(0.95, sum by (le, phase) (increase(a_bucket{drill=~"$drill", x="y{z}"}[$__range])))',
      ),
    ).toEqual(['a_bucket']);
    expect(
      metricNames(
        'max by (drill) (b) / on (drill) group_left max by (drill) (c) > 7 * 86400 or d unless on (drill) e offset 1h',
      ),
    ).toEqual(['b', 'c', 'd', 'e']);
    expect(metricNames('time() - max(f) > 1e3')).toEqual(['f']);
  });
});

describe('Grafana dashboard', () => {
  const dashboard = JSON.parse(file('grafana-dashboard.json'));
  const queries = dashboardQueries(dashboard);

  it('parses, and covers faults left in place, verdicts, RTO vs target, RPO, in-progress and phase durations', () => {
    expect(dashboard.uid).toBe('firedrill-drills');
    expect(queries.length).toBeGreaterThanOrEqual(10);
    const all = queries.map((q) => q.expr).join('\n');
    for (const m of [
      'firedrill_faults_left',
      'firedrill_drill_last_verdict',
      'firedrill_drill_runs_total',
      'firedrill_drill_last_rto_service_seconds',
      'firedrill_drill_target_rto_seconds',
      'firedrill_drill_last_rpo_seconds',
      'firedrill_drill_last_rpo_lost_writes',
      'firedrill_drills_in_progress',
      'firedrill_drill_phase_duration_seconds_bucket',
    ])
      expect(all).toContain(m);
    const ids = new Set<number>();
    const walk = (ps: { id: number; panels?: unknown[] }[]) =>
      ps.forEach((p) => (expect(ids.has(p.id)).toBe(false), ids.add(p.id), walk((p.panels ?? []) as never)));
    walk(dashboard.panels);
  });

  it('shows faults left in place first, and colours every verdict of the last-verdict table', () => {
    type Panel = { title: string; gridPos: { y: number }; targets?: { expr: string }[] };
    const panels = dashboard.panels as Panel[];
    const left = panels.find((p) => p.title === 'Faults left in place')!;
    expect(left.targets!.map((t) => t.expr).join('\n')).toContain('firedrill_faults_left');
    const others = panels.filter((p) => p !== left && p.targets?.length);
    expect(Math.min(...others.map((p) => p.gridPos.y))).toBeGreaterThan(left.gridPos.y);
    const table = JSON.stringify(panels.find((p) => p.title === 'Last verdict per drill'));
    for (const v of VERDICTS) expect(table, v).toContain(`"${v}":{"color"`);
  });

  it('names only metrics the worker exports', () => {
    for (const q of queries) {
      const names = metricNames(q.expr);
      expect(names.length, `${q.where}: ${q.expr}`).toBeGreaterThan(0);
      for (const n of names)
        expect(exported.has(n), `${q.where} uses ${n}, which the worker does not export`).toBe(true);
    }
  });
});

describe('alert rules', () => {
  interface Rule {
    alert: string;
    expr: string;
    for?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  }
  const rules = (parse(file('alerts.yml')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

  it('has DrillBreached, FiredrillFaultLeftInPlace and NoMetRunIn7Days, over exported metrics only', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual([
      'DrillBreached',
      'FiredrillFaultLeftInPlace',
      'NoMetRunIn7Days',
    ]);
    for (const r of rules)
      for (const n of metricNames(r.expr)) expect(exported.has(n), `${r.alert} uses ${n}`).toBe(true);
  });

  it('FiredrillFaultLeftInPlace: critical at once on firedrill_faults_left > 0, naming the target and the commands', () => {
    const r = rules.find((x) => x.alert === 'FiredrillFaultLeftInPlace')!;
    expect(metricNames(r.expr)).toEqual(['firedrill_faults_left']);
    expect(r.expr).toMatch(/\) > 0$/);
    expect(r.for).toBeUndefined();
    expect(r.labels).toEqual({ severity: 'critical' });
    const text = `${r.annotations!.summary} ${r.annotations!.description}`;
    expect(text).toContain('{{ $labels.target }}');
    expect(text).toContain('`firedrill faults`');
    expect(text).toContain('`firedrill faults revert <id>`');
  });

  it('a misspelt metric would be caught', () => {
    expect(metricNames('sum(firedrill_drill_run_total)').every((n) => exported.has(n))).toBe(false);
  });
});
