// Which Kafka errors mean "the broker refused the write before appending it" (definitely not
// written) — everything else leaves a write's outcome unknown.

const DEFINITE = new Set([
  'NOT_ENOUGH_REPLICAS',
  'NOT_LEADER_FOR_PARTITION',
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
  'UNKNOWN_TOPIC_OR_PARTITION',
]);

type Chained = { type?: string; code?: string; name?: string; cause?: unknown; originalError?: unknown };

/** kafkajs wraps a broker's answer in retry and protocol errors: look a few levels down. */
function errorChain(err: unknown): Chained[] {
  const out: Chained[] = [];
  for (let e = err as Chained | undefined, i = 0; e && i < 5; i++) {
    out.push(e);
    e = (e.cause ?? e.originalError) as Chained | undefined;
  }
  return out;
}

export function isDefiniteWriteFailure(err: unknown): boolean {
  return errorChain(err).some((e) => (e.type && DEFINITE.has(e.type)) || e.code === 'ECONNREFUSED');
}
