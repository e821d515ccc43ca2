// Point-in-time snapshots without stopping writes (DESIGN §3): the dataset keeps taking commands while
// a cursor walks it in slices, and the cursor still yields the image of the moment it began.
//
// How (copy-on-write, per key, O(changes) extra memory):
// - Each key's entry carries `seq`, its insertion stamp; a database's Map iterates in `seq` order.
//   A cursor remembers `startSeq` (keys with a larger stamp were born after it began: not in the
//   image) and `position` (the stamp of the last key it visited in the current database).
// - Before any key is changed or deleted, the keyspace asks every open cursor to `preserve` it. A
//   cursor keeps a copy only if the key is in its image and not visited yet, and only the first time.
// - Visiting a key yields the preserved copy when there is one, else the live value (unchanged since
//   the beginning, by construction). Preserved copies of keys that were deleted (or deleted and
//   created again, which moves them to the end with a new stamp) are yielded when the database ends.
// - FLUSHDB replaces a database's Map instead of clearing it; a cursor that still has to read the old
//   Map keeps it, frozen, as its image. So a flush costs O(1) even while snapshots are open.
//
//      begin ──► db 0 entries (in seq order) ──► db 0 preserved leftovers ──► db 1 … ──► null (done)
import type { ByteString } from '../bytes.ts'
import type { KeyRecord } from '../values.ts'
import { entryToRecord, type Entry } from './entry.ts'
import type { Keyspace } from './keyspace.ts'

/** Reads a point-in-time image of the dataset in slices. */
export interface SnapshotCursor {
  /**
   * Up to `maxKeys` more records of the image (possibly fewer, even none, when keys created after
   * the snapshot began had to be skipped), or null once every record was returned.
   */
  next(maxKeys: number): KeyRecord[] | null
  /** Stops the cursor and releases what it preserved. Idempotent; a finished cursor closes itself. */
  close(): void
  /** False once `next` returned null or `close` was called. */
  readonly open: boolean
  /** Old values currently kept for this cursor by copy-on-write (a gauge of its extra memory). */
  readonly preservedKeys: number
}

export class SnapshotState implements SnapshotCursor {
  readonly #keyspace: Keyspace
  readonly #startSeq: number
  readonly #maps: Map<ByteString, Entry>[]
  readonly #preserved: (Map<ByteString, KeyRecord> | null)[]
  #db = 0
  #position = 0
  #iterator: Iterator<[ByteString, Entry]> | null = null
  #leftovers: Iterator<KeyRecord> | null = null
  #done = false

  constructor(keyspace: Keyspace) {
    this.#keyspace = keyspace
    this.#startSeq = keyspace.seq
    this.#maps = keyspace.dbs.map((db) => db.dict)
    this.#preserved = keyspace.dbs.map(() => null)
    keyspace.snapshots.add(this)
    if (this.#maps.length === 0) this.#finish()
  }

  get open(): boolean {
    return !this.#done
  }

  get preservedKeys(): number {
    let count = 0
    for (const preserved of this.#preserved) count += preserved?.size ?? 0
    return count
  }

  /** Called by the keyspace before `entry` (the live value of `key` in `db`) changes or goes away. */
  preserve(keyspace: Keyspace, db: number, key: ByteString, entry: Entry): void {
    if (db < this.#db) return
    if (entry.seq > this.#startSeq) return
    if (db === this.#db && entry.seq <= this.#position) return
    // A flush since the snapshot began detached our Map: it is frozen, nothing to keep.
    if (keyspace.dbs[db]!.dict !== this.#maps[db]) return
    let preserved = this.#preserved[db]
    if (preserved === null || preserved === undefined) {
      preserved = new Map()
      this.#preserved[db] = preserved
    }
    if (!preserved.has(key)) preserved.set(key, entryToRecord(db, key, entry))
  }

  next(maxKeys: number): KeyRecord[] | null {
    if (this.#done) return null
    const out: KeyRecord[] = []
    let budget = Math.max(1, maxKeys)
    while (budget > 0 && !this.#done) {
      if (this.#leftovers !== null) {
        const leftover = this.#leftovers.next()
        if (leftover.done === true) {
          this.#leftovers = null
          this.#preserved[this.#db] = null
          this.#nextDb()
          continue
        }
        out.push(leftover.value)
        budget--
        continue
      }
      if (this.#iterator === null) this.#iterator = this.#maps[this.#db]!.entries()
      const step = this.#iterator.next()
      if (step.done === true) {
        this.#iterator = null
        const preserved = this.#preserved[this.#db]
        if (preserved !== null && preserved !== undefined && preserved.size > 0) this.#leftovers = preserved.values()
        else this.#nextDb()
        continue
      }
      budget--
      const [key, entry] = step.value
      this.#position = entry.seq
      if (entry.seq > this.#startSeq) continue
      const preserved = this.#preserved[this.#db]
      const saved = preserved?.get(key)
      if (saved !== undefined) {
        preserved!.delete(key)
        out.push(saved)
      } else {
        out.push(entryToRecord(this.#db, key, entry))
      }
    }
    return out.length === 0 && this.#done ? null : out
  }

  #nextDb(): void {
    this.#maps[this.#db] = new Map()
    this.#db++
    this.#position = 0
    if (this.#db >= this.#maps.length) this.#finish()
  }

  #finish(): void {
    this.#done = true
    this.#keyspace.snapshots.delete(this)
    this.#iterator = null
    this.#leftovers = null
    this.#preserved.fill(null)
  }

  close(): void {
    if (!this.#done) this.#finish()
  }
}
