// What the metrics know before the first drill of this worker: every drill's targets (from the
// catalogue and the topology model) and the last results on record (from the results database), so
// a restarted worker does not look as if no drill had ever met its objective.
import { loadCatalogue } from '../drill/catalogue.ts';
import { resolveTargets } from '../drill/validate.ts';
import { ResultStore } from '../results/store.ts';
import { loadTopology } from '../topology/load.ts';
import type { DrillMetrics, DrillTargets } from './drill-metrics.ts';

export async function catalogueTargets(): Promise<DrillTargets[]> {
  const topology = loadTopology();
  return [...(await loadCatalogue()).values()].map((d) => {
    const t = resolveTargets(d, topology);
    return { drill: d.name, variants: Object.keys(d.variants), rtoMs: t.rtoMs, rpoMs: t.rpoMs };
  });
}

/** Seeds the "last" gauges from the runs of the last `days` days. */
export async function seedFromResults(
  metrics: DrillMetrics,
  databaseUrl: string,
  days = 30,
): Promise<number> {
  const store = await ResultStore.connect(databaseUrl);
  try {
    const runs = await store.runs({ since: new Date(Date.now() - days * 86_400_000) });
    metrics.seed(runs);
    return runs.length;
  } finally {
    await store.close();
  }
}
