// The file adapter's in-memory index: every record of the current generation, by db and key, held as
// frozen KeyRecords (file.ts explains why records rather than file positions).
//
// Compaction needs a point-in-time image of the index while commits go on. Instead of copying a
// million entries, the index freezes its base maps and takes further changes in an overlay; the
// compactor reads the frozen base at leisure, and `endOverlay()` folds the overlay back in. Reads see
// the overlay first:
//
//   get(db, key):  overlay entry (a record, or null = deleted)  ─► else: overlay db flushed? absent
//                  ─► else: flush-all in the overlay? absent  ─► else: the base
//
// Deliberately left out: expiry (records keep their expireAt; the replica never expires by itself).
import type { ByteString, KeyRecord } from '@replicast/core'

type DbMap = Map<ByteString, KeyRecord>
/** db → key → record; a db without keys has no entry. */
export type IndexBase = ReadonlyMap<number, ReadonlyMap<ByteString, KeyRecord>>

interface OverlayDb {
  /** The db was flushed after the overlay began: the base has nothing for it. */
  readonly cleared: boolean
  /** Records set (or null: deleted) after the overlay began. */
  readonly entries: Map<ByteString, KeyRecord | null>
}

interface Overlay {
  clearedAll: boolean
  readonly dbs: Map<number, OverlayDb>
}

export class RecordIndex {
  #base = new Map<number, DbMap>()
  #overlay: Overlay | null = null

  get(db: number, key: ByteString): KeyRecord | undefined {
    const overlay = this.#overlay
    if (overlay !== null) {
      const odb = overlay.dbs.get(db)
      if (odb !== undefined) {
        const entry = odb.entries.get(key)
        if (entry !== undefined) return entry ?? undefined
        if (odb.cleared) return undefined
      } else if (overlay.clearedAll) {
        return undefined
      }
    }
    return this.#base.get(db)?.get(key)
  }

  has(db: number, key: ByteString): boolean {
    return this.get(db, key) !== undefined
  }

  set(record: KeyRecord): void {
    if (this.#overlay !== null) {
      this.#overlayDb(record.db).entries.set(record.key, record)
      return
    }
    let keys = this.#base.get(record.db)
    if (keys === undefined) this.#base.set(record.db, (keys = new Map()))
    keys.set(record.key, record)
  }

  delete(db: number, key: ByteString): void {
    if (this.#overlay !== null) {
      this.#overlayDb(db).entries.set(key, null)
      return
    }
    const keys = this.#base.get(db)
    if (keys === undefined) return
    keys.delete(key)
    if (keys.size === 0) this.#base.delete(db)
  }

  flushDb(db: number): void {
    if (this.#overlay !== null) this.#overlay.dbs.set(db, { cleared: true, entries: new Map() })
    else this.#base.delete(db)
  }

  flushAll(): void {
    if (this.#overlay !== null) {
      this.#overlay.dbs.clear()
      this.#overlay.clearedAll = true
    } else {
      this.#base.clear()
    }
  }

  /** Every record, in batches of up to `size` (the current view: overlay over base). */
  *batches(size: number): Generator<KeyRecord[]> {
    let batch: KeyRecord[] = []
    for (const record of this.#records()) {
      batch.push(record)
      if (batch.length === size) {
        yield batch
        batch = []
      }
    }
    if (batch.length > 0) yield batch
  }

  *#records(): Generator<KeyRecord> {
    const overlay = this.#overlay
    for (const [db, keys] of this.#base) {
      const odb = overlay?.dbs.get(db)
      if (odb?.cleared || (odb === undefined && overlay?.clearedAll)) continue
      for (const [key, record] of keys) if (odb === undefined || !odb.entries.has(key)) yield record
    }
    if (overlay === null) return
    for (const odb of overlay.dbs.values()) for (const record of odb.entries.values()) if (record !== null) yield record
  }

  /**
   * Freezes the base and sends later changes to an overlay. Returns the frozen base: it does not
   * change until `endOverlay()`, so it can be read across awaits.
   */
  beginOverlay(): IndexBase {
    if (this.#overlay !== null) throw new Error('RecordIndex: an overlay is already active')
    this.#overlay = { clearedAll: false, dbs: new Map() }
    return this.#base
  }

  /** Folds the overlay into the base. */
  endOverlay(): void {
    const overlay = this.#overlay
    if (overlay === null) return
    this.#overlay = null
    if (overlay.clearedAll) this.#base.clear()
    for (const [db, odb] of overlay.dbs) {
      let keys = odb.cleared ? undefined : this.#base.get(db)
      if (keys === undefined) this.#base.set(db, (keys = new Map()))
      for (const [key, record] of odb.entries) {
        if (record === null) keys.delete(key)
        else keys.set(key, record)
      }
      if (keys.size === 0) this.#base.delete(db)
    }
  }

  #overlayDb(db: number): OverlayDb {
    const overlay = this.#overlay!
    let odb = overlay.dbs.get(db)
    if (odb === undefined) overlay.dbs.set(db, (odb = { cleared: overlay.clearedAll, entries: new Map() }))
    return odb
  }
}
