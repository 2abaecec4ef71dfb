// What pgBackRest says, read: `pgbackrest info --output=json` as a BackupInventory, `repo-ls
// archive/<stanza> --recurse --output=json` as the archived WAL segments, and the archive_command
// that pushes WAL to the repository.
import type { ArchivedWal, BackupInventory } from './actions.ts';

/** One stanza of `pgbackrest info --output=json`, the fields read. */
interface InfoJson {
  name: string;
  status: { code: number; message: string };
  archive?: { id: string; min?: string | null; max?: string | null }[];
  backup?: {
    label: string;
    type: string;
    prior?: string | null;
    timestamp: { start: number; stop: number };
    archive: { start: string; stop: string };
    lsn?: { start: string; stop: string };
    info?: { size?: number };
  }[];
}

/** The stanza's backups and archive range from `pgbackrest info --output=json`. */
export function parseInventory(stdout: string, stanza: string, repoPath: string): BackupInventory {
  const found = (JSON.parse(stdout) as InfoJson[]).find((s) => s.name === stanza);
  if (!found) throw new Error(`pgbackrest info does not list stanza ${stanza}`);
  return {
    stanza,
    repoPath,
    status: found.status,
    backups: (found.backup ?? []).map((b) => ({
      label: b.label,
      type: b.type,
      prior: b.prior ?? null,
      startedAt: b.timestamp.start * 1000,
      stoppedAt: b.timestamp.stop * 1000,
      walStart: b.archive.start,
      walStop: b.archive.stop,
      lsnStart: b.lsn?.start ?? '',
      lsnStop: b.lsn?.stop ?? '',
      sizeBytes: b.info?.size ?? null,
    })),
    archive: (found.archive ?? []).map((a) => ({ id: a.id, min: a.min ?? null, max: a.max ?? null })),
  };
}

/** The repository's newest archived segment over every archive id, or null. */
export function archiveMax(inventory: BackupInventory): string | null {
  return (
    inventory.archive
      .map((a) => a.max)
      .filter((m): m is string => !!m)
      .sort()
      .at(-1) ?? null
  );
}

/** `repo-ls archive/<stanza> --recurse --output=json`: segment names per archive id, sorted. */
export function parseArchivedWal(stdout: string): ArchivedWal {
  const out: ArchivedWal = {};
  for (const [path, entry] of Object.entries(JSON.parse(stdout) as Record<string, { type: string }>)) {
    if (entry.type !== 'file') continue;
    const [id, ...rest] = path.split('/');
    if (!/^\d+-\d+$/.test(id!)) continue; // archive.info and its copy
    const file = rest.at(-1) ?? '';
    const bucket = (out[id!] ??= { segments: [], partial: [], history: [] });
    let m: RegExpExecArray | null;
    if ((m = /^([0-9A-F]{24})-[0-9a-f]{40}/.exec(file))) bucket.segments.push(m[1]!);
    else if ((m = /^([0-9A-F]{24})\.partial-/.exec(file))) bucket.partial.push(m[1]!);
    else if ((m = /^([0-9A-F]{8})\.history$/.exec(file))) bucket.history.push(m[1]!);
  }
  for (const b of Object.values(out)) for (const list of Object.values(b)) list.sort();
  return out;
}

/** PostgreSQL's archive_command pushing each WAL segment to the stanza's repository. */
export const archivePushCommand = (pgbackrest: string, config: string, stanza: string): string =>
  `${pgbackrest} --config=${config} --stanza=${stanza} archive-push %p`;
