// One real sandbox per test file: booted in beforeAll, torn down in afterAll, with a name of its
// own so files never share processes by accident, and a fresh history (results, Temporal): the
// machine's FIREDRILL_HOME outlives test runs, and a file must pass alone and in any order.
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll } from 'vitest';
import { Sandbox } from '../../src/platform/local/sandbox.ts';
import type { ComponentName, ComponentState } from '../../src/platform/local/types.ts';

export function useSandbox(name: string, only: ComponentName[]): { get: () => Sandbox } {
  let sandbox: Sandbox | undefined;
  beforeAll(async () => {
    if (Sandbox.exists({ name })) await Sandbox.open({ name }).down(); // left over from a crashed run
    sandbox = await Sandbox.up({
      name,
      only,
      deleteHistory: true,
      log: (m) => console.log(`[sandbox ${name}] ${m}`),
    });
  });
  afterAll(async () => {
    await sandbox?.down();
  });
  return {
    get: () => {
      if (!sandbox) throw new Error('sandbox did not start');
      return sandbox;
    },
  };
}

/**
 * An S3 client for the sandbox's MinIO (its S3 endpoint, or one node's), as root. One attempt per
 * request: a refused write must show up as refused, not be retried into a timeout.
 */
export function minioClient(minio: ComponentState, endpoint?: string): S3Client {
  return new S3Client({
    endpoint: endpoint ?? minio.endpoints.s3,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: {
      accessKeyId: String(minio.info.rootUser),
      secretAccessKey: String(minio.info.rootPassword),
    },
    maxAttempts: 1,
  });
}
