// MinIO's layout on a drive: every object of a bucket is a directory holding its xl.meta, under
// <drive>/<bucket>/<key>; the drive's own state is in <drive>/.minio.sys.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The object keys present on a drive under `dir` (a bucket's directory), unsorted. */
export function objectsOnDrive(dir: string, prefix = '', out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (e === 'xl.meta') out.push(prefix.slice(0, -1));
    else if (statSync(p).isDirectory()) objectsOnDrive(p, `${prefix}${e}/`, out);
  }
  return out;
}

/** Whether the drive was never formatted (or was wiped): no .minio.sys/format.json. */
export const driveBlank = (drive: string) => !existsSync(join(drive, '.minio.sys', 'format.json'));
