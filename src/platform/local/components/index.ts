import type { ComponentDriver, ComponentName } from '../types.ts';
import { calibration } from './calibration.ts';
import { kafka } from './kafka.ts';
import { milvus } from './milvus.ts';
import { minio } from './minio.ts';
import { redis } from './redis.ts';
import { results } from './results.ts';
import { temporal } from './temporal.ts';
import { timescaledb } from './timescaledb.ts';

export const drivers: Record<ComponentName, ComponentDriver> = {
  kafka,
  timescaledb,
  minio,
  milvus,
  redis,
  temporal,
  results,
  calibration,
};
