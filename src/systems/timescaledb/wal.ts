// PostgreSQL's WAL file naming: a segment is TTTTTTTTXXXXXXXXYYYYYYYY (timeline, then the segment
// number split into "log id" and the segment within it, 8 hex digits each); a timeline's history
// file TTTTTTTT.history lists the timelines it branched from.

export const hex8 = (n: number): string => n.toString(16).toUpperCase().padStart(8, '0');

/**
 * WAL segment file name holding the byte just before `lsn` ("0/5012345") on a timeline: an end
 * position such as pg_last_wal_replay_lsn() that falls on a segment boundary belongs to the
 * segment it closes, not to the next one.
 */
export function walSegmentName(timeline: number, lsn: string, segmentSize = 16 * 1024 * 1024): string {
  const [hi, lo] = lsn.split('/').map((h) => parseInt(h, 16)) as [number, number];
  const pos = BigInt(hi) * 0x1_0000_0000n + BigInt(lo);
  const segno = (pos > 0n ? pos - 1n : 0n) / BigInt(segmentSize);
  const perId = 0x1_0000_0000n / BigInt(segmentSize);
  return hex8(timeline) + hex8(Number(segno / perId)) + hex8(Number(segno % perId));
}

/** Every segment name on `timeline` from `from` to `to` (both inclusive), for a segment size. */
export function segmentRange(timeline: number, from: string, to: string, segmentSize: number): string[] {
  const perId = 0x1_0000_0000 / segmentSize;
  const segno = (name: string) => parseInt(name.slice(8, 16), 16) * perId + parseInt(name.slice(16, 24), 16);
  const out: string[] = [];
  for (let n = segno(from); n <= segno(to); n++)
    out.push(hex8(timeline) + hex8(Math.floor(n / perId)) + hex8(n % perId));
  return out;
}

/** The timeline a segment name is on. */
export const segmentTimeline = (segment: string): number => parseInt(segment.slice(0, 8), 16);

/** The current_setting('wal_segment_size') text ("16MB") in bytes. */
export function parseSegmentSize(setting: string): number {
  const m = /^(\d+)\s*(kB|MB|GB)?$/.exec(setting.trim());
  if (!m) throw new Error(`cannot read wal_segment_size "${setting}"`);
  return Number(m[1]) * ({ kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[m[2] ?? ''] ?? 1);
}

/** The timeline a history file says its timeline branched from (the last one it lists). */
export function parentTimeline(history: string): number {
  const last = history
    .trim()
    .split('\n')
    .filter((l) => /^\d+\t/.test(l))
    .at(-1)!;
  return Number(last.split('\t')[0]);
}
