// One way to build a Kafka client, for the sandbox's health checks and the drills alike.
import { Kafka, logLevel } from 'kafkajs';

export interface ClientProfile {
  clientId: string;
  brokers: string[];
  /**
   * drill: a broker of the bootstrap list may be the one that is down, so try the others quickly;
   * health: one quick answer or none (a health check must not retry for seconds).
   */
  profile: 'drill' | 'health';
}

export function kafkaClient({ clientId, brokers, profile }: ClientProfile): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: profile === 'drill' ? 5_000 : 2_000,
    retry: profile === 'drill' ? { retries: 5, initialRetryTime: 50, maxRetryTime: 500 } : { retries: 0 },
  });
}

/** The broker ids the cluster's controller knows right now. */
export async function registeredBrokers(brokers: string[]): Promise<number[]> {
  const admin = kafkaClient({ clientId: 'firedrill-health', brokers, profile: 'health' }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.map((b) => b.nodeId);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
