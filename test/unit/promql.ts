// Just enough PromQL reading for the monitoring tests: the metric names an expression selects.

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);

/** Metric names in a PromQL expression (label matchers, ranges, grouping lists and functions skipped). */
export function metricNames(expr: string): string[] {
  const e = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""') // strings
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\boffset\s+\S+/g, ' ');
  const names: string[] = [];
  for (const m of e.matchAll(/(?<![\w.$])[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const after = e.slice(m.index! + m[0].length).trimStart();
    if (after.startsWith('(')) continue; // a function or an aggregation
    if (KEYWORDS.has(m[0].toLowerCase())) continue;
    names.push(m[0]);
  }
  return names;
}

/** Every PromQL expression of a Grafana dashboard: panel targets (rows included) and variable queries. */
export function dashboardQueries(dashboard: {
  panels?: unknown[];
  templating?: { list?: unknown[] };
}): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  const walk = (panels: unknown[] | undefined) => {
    for (const p of (panels ?? []) as {
      title?: string;
      targets?: { expr?: string }[];
      panels?: unknown[];
    }[]) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ where: `panel "${p.title}"`, expr: t.expr });
      walk(p.panels);
    }
  };
  walk(dashboard.panels);
  for (const v of (dashboard.templating?.list ?? []) as {
    name: string;
    type: string;
    query?: string | { query?: string };
  }[]) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
    // label_values(metric, label) / query_result(expr): the metric or the expression.
    const lv = /^label_values\(\s*(.*?)\s*,\s*\w+\s*\)$/.exec(q);
    const qr = /^query_result\((.*)\)$/.exec(q);
    out.push({ where: `variable "${v.name}"`, expr: lv ? lv[1]! : qr ? qr[1]! : q });
  }
  return out;
}
