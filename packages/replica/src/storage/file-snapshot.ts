// The file adapter's snapshot files: plain RDB (REDIS0010, written by the core's RdbWriter) that
// `redis-check-rdb` accepts and a Redis can load, with the replication state in the AUX fields Redis
// itself uses for a restartable replica (REDIS.md §4.1): `repl-id`, `repl-offset`, `repl-stream-db`.
//
// A full sync learns its final meta only at its end, after every key has been written, so the
// replication AUX fields go at the end of the file, after the keys and before EOF: Redis's loader,
// redis-check-rdb and our RdbReader accept AUX anywhere in the body (rdbLoadRioWithLoadingCtx reads
// opcodes in one loop). The pieces are all encoded by the core (the RdbWriter writes the header and
// the keys; a second RdbWriter encodes the AUX fields), and this file computes the CRC-64 over the
// whole, as the writer would, because the writer's own CRC does not see the AUX bytes.
//
//   "REDIS0010" AUX replicast-storage AUX ctime  (SELECTDB? key)*  AUX repl-stream-db AUX repl-id
//   AUX repl-offset  EOF  crc64le
import { open, rm, type FileHandle } from 'node:fs/promises'
import { Crc64, RdbOpcodes, RdbReader, RdbWriter } from '@replicast/core'
import type { KeyRecord } from '@replicast/core'
import { fsError, writeAll } from './file-manifest.ts'
import { freezeRecord, MAX_DB_INDEX } from './input.ts'
import { StorageCorruptError, StorageError, type ReplicationMeta } from './storage.ts'

/** Databases a snapshot may hold (the RDB writer and reader refuse others). */
const DATABASES = MAX_DB_INDEX + 1
/** Take the writer's bytes and write them out once this much is buffered. */
export const SNAPSHOT_FLUSH_BYTES = 1 << 20
const READ_CHUNK_BYTES = 1 << 20

/** Called before bytes are appended to a file: throws (a StorageQuotaError) to refuse them. */
export type Reserve = (bytes: number) => void

/** A snapshot being written. Not safe for concurrent calls: the owner serializes them. */
export class SnapshotFile {
  readonly path: string
  readonly #handle: FileHandle
  readonly #writer = new RdbWriter({ databases: DATABASES })
  readonly #crc = new Crc64()
  readonly #reserve: Reserve
  #size = 0
  #closed = false

  private constructor(path: string, handle: FileHandle, reserve: Reserve) {
    this.path = path
    this.#handle = handle
    this.#reserve = reserve
    this.#writer.writeHeader({ 'replicast-storage': '1', ctime: Math.floor(Date.now() / 1000) })
  }

  /** Creates the file (it must not exist). */
  static async create(path: string, reserve: Reserve): Promise<SnapshotFile> {
    try {
      return new SnapshotFile(path, await open(path, 'wx'), reserve)
    } catch (error) {
      throw fsError(error, `creating ${path}`)
    }
  }

  /** Bytes in the file so far. */
  get size(): number {
    return this.#size
  }

  /** Bytes encoded but not yet written. */
  get buffered(): number {
    return this.#writer.bytesWritten - this.#size
  }

  /** Encodes one record (buffered; `flush` writes it). The record must be checked already. */
  writeKey(record: KeyRecord): void {
    this.#writer.writeKey(record)
  }

  /** Writes what is buffered. */
  async flush(): Promise<void> {
    await this.#append(this.#writer.take())
  }

  /** Writes the AUX fields of `meta`, EOF and the checksum, makes the file durable and closes it. */
  async finish(meta: ReplicationMeta): Promise<void> {
    await this.flush()
    const aux = new RdbWriter()
    aux.writeHeader({ 'repl-stream-db': meta.selectedDb, 'repl-id': meta.replid, 'repl-offset': meta.offset })
    const fields = aux.take().subarray(RdbOpcodes.RDB_HEADER_BYTES)
    const tail = new Uint8Array(fields.length + 1 + RdbOpcodes.RDB_CHECKSUM_BYTES)
    tail.set(fields)
    tail[fields.length] = RdbOpcodes.RDB_OPCODE_EOF
    this.#crc.update(tail, 0, fields.length + 1)
    this.#crc.writeLE(tail, fields.length + 1)
    this.#reserve(tail.length)
    try {
      await writeAll(this.#handle, tail, this.#size)
      this.#size += tail.length
      await this.#handle.datasync()
    } catch (error) {
      throw fsError(error, `writing ${this.path}`)
    }
    await this.close()
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#handle.close()
  }

  /** Closes and deletes the file. Never throws: what is left is deleted on the next open. */
  async discard(): Promise<void> {
    await this.close().catch(() => {})
    await rm(this.path, { force: true }).catch(() => {})
  }

  async #append(bytes: Uint8Array): Promise<void> {
    if (bytes.length === 0) return
    this.#crc.update(bytes)
    this.#reserve(bytes.length)
    try {
      await writeAll(this.#handle, bytes, this.#size)
    } catch (error) {
      throw fsError(error, `writing ${this.path}`)
    }
    this.#size += bytes.length
  }
}

/**
 * Reads a snapshot: every record (frozen) goes to `onRecord`; returns the meta from its AUX fields.
 * A file that fails its checksum or format is a StorageCorruptError: it was complete and fsynced
 * before the manifest named it, so no crash can explain it.
 */
export async function readSnapshot(path: string, onRecord: (record: KeyRecord) => void): Promise<ReplicationMeta> {
  const reader = new RdbReader({ databases: DATABASES })
  const aux = new Map<string, string>()
  let handle: FileHandle
  try {
    handle = await open(path, 'r')
  } catch (error) {
    throw fsError(error, `opening ${path}`)
  }
  try {
    for (;;) {
      // A fresh buffer per read: the reader keeps chunks until it has consumed them.
      const chunk = new Uint8Array(READ_CHUNK_BYTES)
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null)
      if (bytesRead === 0) break
      for (const event of reader.push(chunk.subarray(0, bytesRead))) {
        if (event.kind === 'key') onRecord(freezeRecord(event.record))
        else if (event.kind === 'aux') aux.set(event.key, event.value)
      }
    }
    reader.finish()
  } catch (error) {
    if (error instanceof StorageError) throw error
    if (error instanceof Error && 'offset' in error) {
      throw new StorageCorruptError(`${path} is damaged: ${error.message}. Delete the storage directory; the replica will full-sync.`, {
        path,
        position: (error as { offset: number }).offset,
      }, { cause: error })
    }
    throw fsError(error, `reading ${path}`)
  } finally {
    await handle.close()
  }
  const replid = aux.get('repl-id')
  const offset = Number(aux.get('repl-offset'))
  const selectedDb = Number(aux.get('repl-stream-db'))
  if (replid === undefined || !Number.isSafeInteger(offset) || !Number.isSafeInteger(selectedDb)) {
    throw new StorageCorruptError(`${path} lacks the repl-id, repl-offset and repl-stream-db AUX fields every snapshot of this store has.`, { path })
  }
  return { replid, offset, selectedDb }
}
