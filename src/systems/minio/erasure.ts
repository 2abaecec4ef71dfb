// MinIO's erasure coding: what a storage class means for the drives a read and a write need.

export interface ErasureLayout {
  storageClass: string;
  drives: number;
  parity: number;
  /** Drives (= nodes here) that must answer for a write; MinIO adds one when data = parity. */
  writeQuorum: number;
  readQuorum: number;
}

/** "EC:2" on 4 drives → parity 2, read quorum 2, write quorum 3. */
export function erasureLayout(storageClass: string | undefined, drives: number): ErasureLayout {
  // MinIO's own default when the class is unset: EC:4 from 16 drives down, EC:2 for 4–5, EC:1 below.
  const fallback = drives >= 6 ? Math.min(4, Math.floor(drives / 2)) : drives >= 4 ? 2 : drives >= 2 ? 1 : 0;
  let parity = fallback;
  if (storageClass) {
    const m = /^EC:(\d+)$/.exec(storageClass.trim());
    if (!m) throw new Error(`MINIO_STORAGE_CLASS_STANDARD "${storageClass}" is not of the form EC:<parity>`);
    parity = Number(m[1]);
  }
  if (parity > drives / 2)
    throw new Error(`EC:${parity} needs at least ${parity * 2} drives, the topology has ${drives}`);
  const data = drives - parity;
  return {
    storageClass: storageClass ?? `EC:${parity}`,
    drives,
    parity,
    writeQuorum: data === parity ? data + 1 : data,
    readQuorum: data,
  };
}
