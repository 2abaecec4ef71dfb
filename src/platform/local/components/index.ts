import type { ComponentDriver, ComponentName } from '../types.ts';
import { kafka } from './kafka.ts';
import { milvus } from './milvus.ts';
import { minio } from './minio.ts';
import { temporal } from './temporal.ts';

export const drivers: Record<ComponentName, ComponentDriver> = {
  kafka,
  minio,
  milvus,
  temporal,
} as Record<ComponentName, ComponentDriver>;
