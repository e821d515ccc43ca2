// The file adapter's pointer to its current files, and the small fs helpers the adapter's parts share.
//
// MANIFEST is two lines: a JSON object, then the CRC-64/Jones of that line in hex. It names the
// current snapshot and logs; a file the manifest does not name is not part of the store (a half-
// written full sync or compaction) and is deleted on open. It is replaced only by writing
// MANIFEST.tmp, fsyncing it, renaming it over MANIFEST and fsyncing the directory: after a crash the
// manifest is either the old one or the new one, never a mix (rename(2) is atomic).
//
//   { "format": "replicast-file-storage", "version": 1, "generation": 3,
//     "snapshot": "snapshot-000012.rdb" | null, "logs": ["log-000013.log"], "nextFile": 14 }
import { open, rename, rm, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { Crc64 } from '@replicast/core'
import { StorageCorruptError, StorageError, StorageQuotaError } from './storage.ts'

export const MANIFEST_NAME = 'MANIFEST'
const MANIFEST_TMP = 'MANIFEST.tmp'
const FORMAT = 'replicast-file-storage'
const VERSION = 1

export interface Manifest {
  /** Bumped by every full sync; compaction keeps it. */
  readonly generation: number
  readonly snapshot: string | null
  /** Replayed in order after the snapshot; appends go to the last one. */
  readonly logs: readonly string[]
  /** The number for the next file name, so names are never reused. */
  readonly nextFile: number
}

/** Names of the files the adapter owns (anything else in the directory is left alone). */
export const OWN_FILE = /^(?:snapshot-\d{6,}\.rdb|log-\d{6,}\.log|MANIFEST\.tmp)$/
const SNAPSHOT_NAME = /^snapshot-\d{6,}\.rdb$/
const LOG_NAME = /^log-\d{6,}\.log$/

export const snapshotName = (n: number) => `snapshot-${String(n).padStart(6, '0')}.rdb`
export const logName = (n: number) => `log-${String(n).padStart(6, '0')}.log`
/** The number in a file name made by snapshotName or logName. */
export const fileNumber = (name: string) => Number(/\d+/.exec(name)?.[0] ?? -1)

function checksum(text: string): string {
  return new Crc64().update(new TextEncoder().encode(text)).value.toString(16).padStart(16, '0')
}

/** Reads MANIFEST; null when there is none (a new store). */
export async function readManifest(dir: string): Promise<Manifest | null> {
  const path = join(dir, MANIFEST_NAME)
  let text: string
  try {
    const handle = await open(path, 'r')
    try {
      text = await handle.readFile('utf8')
    } finally {
      await handle.close()
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw fsError(error, `reading ${path}`)
  }
  const [json = '', sum = '', rest] = text.split('\n')
  const corrupt = (detail: string) =>
    new StorageCorruptError(`${path} is damaged (${detail}); delete the storage directory and let the replica full-sync.`, { path })
  if (rest !== '' || checksum(json) !== sum) throw corrupt('its checksum does not match')
  let parsed: Record<string, unknown>
  try {
    parsed = JSON.parse(json) as Record<string, unknown>
  } catch {
    throw corrupt('it is not JSON')
  }
  const { format, version, generation, snapshot, logs, nextFile } = parsed
  if (format !== FORMAT || version !== VERSION) {
    throw new StorageError(`${path} is of format ${String(format)} version ${String(version)}; this version reads ${FORMAT} ${VERSION}.`)
  }
  if (
    !Number.isSafeInteger(generation) || !Number.isSafeInteger(nextFile) ||
    !(snapshot === null || (typeof snapshot === 'string' && SNAPSHOT_NAME.test(snapshot))) ||
    !Array.isArray(logs) || logs.length === 0 || !logs.every((name) => typeof name === 'string' && LOG_NAME.test(name))
  ) {
    throw corrupt('its fields are not those of a manifest')
  }
  return { generation: generation as number, snapshot, logs: logs as string[], nextFile: nextFile as number }
}

/** Replaces MANIFEST atomically and durably (write temp, fsync, rename, fsync the directory). */
export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  const json = JSON.stringify({ format: FORMAT, version: VERSION, ...manifest })
  const tmp = join(dir, MANIFEST_TMP)
  try {
    const handle = await open(tmp, 'w')
    try {
      await handle.writeFile(`${json}\n${checksum(json)}\n`)
      await handle.datasync()
    } finally {
      await handle.close()
    }
    await rename(tmp, join(dir, MANIFEST_NAME))
    await syncDir(dir)
  } catch (error) {
    await rm(tmp, { force: true }).catch(() => {})
    throw fsError(error, `writing ${join(dir, MANIFEST_NAME)}`)
  }
}

/** Makes renames and new names in `dir` durable. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Writes all of `bytes` at `position` (a positional write may write less than asked). */
export async function writeAll(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + done)
    done += bytesWritten
  }
}

/** Maps an fs failure to a StorageError: ENOSPC and EDQUOT become StorageQuotaError. */
export function fsError(error: unknown, doing: string): StorageError {
  if (error instanceof StorageError) return error
  const code = (error as NodeJS.ErrnoException | null)?.code
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    const what = code === 'ENOSPC' ? 'The disk is full' : 'The disk quota of this user is used up'
    return new StorageQuotaError(
      `${what} (${code}) while ${doing}; nothing of it was stored and the previous state is intact. ` +
        'Free disk space; the replica can then resume where it stopped.',
      { limit: 'disk' },
      { cause: error },
    )
  }
  const detail = error instanceof Error ? error.message : String(error)
  return new StorageError(`File storage failed while ${doing}: ${detail}`, { cause: error })
}
