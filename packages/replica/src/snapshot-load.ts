// One full sync's snapshot on its way in: the RDB the master streams is parsed into a shadow dataset
// (what the replica switches to at snapshot-end) and, with storage, written to a new generation of
// the store in batches, which becomes the stored data only when committed at the snapshot's point.
// Until then the replica's current dataset and store are untouched, so a snapshot that fails to parse
// or to store replaces nothing.
//
//   snapshot-begin ──► new SnapshotLoad(storage.beginFullSync())
//   snapshot-chunk ──► push: RdbReader ► shadow Dataset + batch ─(every batchRecords)─► writer.write
//   snapshot-end ────► finish ─error─► abort (the replica rolls back)
//                             └─ok──► the replica switches to `dataset`; commit(point) once the earlier
//                                     commits are done (the Persister's queue)
//   snapshot-abort ──► abort
//
// Deliberately left out: the switch itself and what the machine is told (replica.ts does both).
import { Dataset, RdbReader, type KeyRecord } from '@replicast/core'
import type { PersistPoint } from './persister.ts'
import type { FullSyncWriter } from './storage/storage.ts'

export class SnapshotLoad {
  /** The snapshot's data as parsed so far. */
  readonly dataset = new Dataset({ role: 'replica' })
  readonly #reader = new RdbReader()
  /** Null without storage. */
  readonly #writer: Promise<FullSyncWriter> | null
  readonly #batchRecords: number
  /** Storage writes of the snapshot's records, in order. */
  #writes: Promise<void>
  #batch: KeyRecord[] = []
  #error: unknown = null

  /** `writer` is storage.beginFullSync()'s, or null for a replica without storage. */
  constructor(writer: Promise<FullSyncWriter> | null, batchRecords: number) {
    this.#writer = writer
    this.#batchRecords = batchRecords
    this.#writes = writer === null ? Promise.resolve() : writer.then(() => undefined)
  }

  /** Parses the next bytes of the RDB; after an error, the rest is ignored (finish reports it). */
  push(bytes: Uint8Array): void {
    if (this.#error !== null) return
    try {
      for (const event of this.#reader.push(bytes)) {
        if (event.kind !== 'key') continue
        this.dataset.loadRecord(event.record)
        if (this.#writer === null) continue
        this.#batch.push(event.record)
        if (this.#batch.length >= this.#batchRecords) this.#writeBatch()
      }
    } catch (error) {
      this.#error = error
    }
  }

  /**
   * The RDB is all in: returns what spoiled the load (a parse error, a truncated RDB), having
   * abandoned the store's new generation, or null when `dataset` is complete.
   */
  finish(): unknown {
    if (this.#error === null) {
      try {
        this.#reader.finish()
      } catch (error) {
        this.#error = error
      }
    }
    if (this.#error !== null) {
      this.abort()
      return this.#error
    }
    this.#writeBatch()
    return null
  }

  /** Makes the written generation the stored data at `point`, after every write of it (after finish). */
  async commit(point: PersistPoint): Promise<void> {
    if (this.#writer === null) return
    await this.#writes
    await (await this.#writer).commit({ replid: point.replid, offset: point.offset, selectedDb: point.db })
  }

  /** Abandons the store's new generation; the stored data stays as it was. */
  abort(): void {
    void this.#writer?.then((w) => w.abort(), () => undefined)
  }

  #writeBatch(): void {
    const batch = this.#batch
    const writer = this.#writer
    this.#batch = []
    if (batch.length === 0 || writer === null) return
    this.#writes = this.#writes.then(async () => (await writer).write(batch))
  }
}
