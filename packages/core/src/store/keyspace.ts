// The databases and every primitive that changes them. All writes go through here so that three
// things happen for each of them without the commands having to remember: open snapshot cursors get
// the old value first (copy-on-write, snapshot.ts), the volatile-key index used by active expiry
// stays exact, and the change is recorded for subscribers (changes.ts) while anyone reads them.
//
// Deliberately left out: expiry decisions (context.ts decides whether a key is expired for the
// caller at hand), replies and propagation.
import type { ByteString } from '../bytes.ts'
import type { KeyChange } from './changes.ts'
import { NO_EXPIRY, type Entry, type StringEntry } from './entry.ts'
import type { SnapshotState } from './snapshot.ts'

export class Database {
  /** Keys in insertion order; each entry's `seq` increases along that order (see entry.ts). */
  dict = new Map<ByteString, Entry>()
  /** Keys that have a TTL: the sample space of active expiry. */
  volatile = new Set<ByteString>()
  /** Active expiry's position in `volatile` (Set iterators survive inserts and deletes). */
  expireCursor: Iterator<ByteString> | null = null

  constructor(readonly index: number) {}
}

export class Keyspace {
  readonly dbs: readonly Database[]
  /** Stamp given to the next inserted key. Snapshots remember where it stood when they began. */
  #seq = 0
  readonly snapshots = new Set<SnapshotState>()
  /**
   * Changes since the last `takeChanges()`, null for none: a unit's list starts as an exact
   * one-element array (most units change one key), not a `[]` that a push grows to 17.
   */
  #changes: KeyChange[] | null = null
  /** False while nobody will read the changes: writes then skip making change records. */
  recordChanges = true

  constructor(databases: number) {
    const dbs: Database[] = []
    for (let i = 0; i < databases; i++) dbs.push(new Database(i))
    this.dbs = dbs
  }

  get seq(): number {
    return this.#seq
  }

  takeChanges(): KeyChange[] {
    const changes = this.#changes
    this.#changes = null
    return changes ?? []
  }

  get hasChanges(): boolean {
    return this.#changes !== null
  }

  #record(change: KeyChange): void {
    if (this.#changes === null) this.#changes = [change]
    else this.#changes.push(change)
  }

  #recordKey(db: number, key: ByteString): void {
    if (!this.recordChanges) return
    const changes = this.#changes
    if (changes !== null) {
      const last = changes[changes.length - 1]!
      if (last.kind === 'key' && last.db === db && last.key === key) return
    }
    this.#record({ kind: 'key', db, key })
  }

  /** Gives open snapshots the chance to keep the value `entry` has before it changes. */
  #beforeChange(db: number, key: ByteString, entry: Entry): void {
    for (const snapshot of this.snapshots) snapshot.preserve(this, db, key, entry)
  }

  get(db: number, key: ByteString): Entry | undefined {
    return this.dbs[db]!.dict.get(key)
  }

  /** Adds a key that does not exist. */
  insert(db: number, key: ByteString, entry: Entry): void {
    const database = this.dbs[db]!
    entry.seq = ++this.#seq
    database.dict.set(key, entry)
    if (entry.expireAt !== NO_EXPIRY) database.volatile.add(key)
    this.#recordKey(db, key)
  }

  /** Puts `entry` in place of `old` under the same key, keeping the key's position (dbOverwrite). */
  replace(db: number, key: ByteString, old: Entry, entry: Entry): void {
    if (this.snapshots.size > 0) this.#beforeChange(db, key, old)
    const database = this.dbs[db]!
    entry.seq = old.seq
    database.dict.set(key, entry)
    if (entry.expireAt !== NO_EXPIRY) database.volatile.add(key)
    else if (old.expireAt !== NO_EXPIRY) database.volatile.delete(key)
    this.#recordKey(db, key)
  }

  /**
   * Gives an existing string entry a new value and expiry in place (SET over a string). Same
   * outcome as `replace` with a new entry, without allocating one or storing it in the Map again:
   * nothing outside the keyspace holds entries, and open snapshots copy the old value first.
   */
  overwriteString(db: number, key: ByteString, entry: StringEntry, value: ByteString, expireAt: number): void {
    if (this.snapshots.size > 0) this.#beforeChange(db, key, entry)
    entry.value = value
    if (expireAt !== entry.expireAt) {
      const database = this.dbs[db]!
      if (expireAt !== NO_EXPIRY) database.volatile.add(key)
      else database.volatile.delete(key)
      entry.expireAt = expireAt
    }
    this.#recordKey(db, key)
  }

  /** Must be called before `entry`'s value is changed in place. */
  touch(db: number, key: ByteString, entry: Entry): void {
    if (this.snapshots.size > 0) this.#beforeChange(db, key, entry)
    this.#recordKey(db, key)
  }

  delete(db: number, key: ByteString, entry: Entry): void {
    if (this.snapshots.size > 0) this.#beforeChange(db, key, entry)
    const database = this.dbs[db]!
    database.dict.delete(key)
    if (entry.expireAt !== NO_EXPIRY) database.volatile.delete(key)
    this.#recordKey(db, key)
  }

  /** Sets (or with NO_EXPIRY removes) the absolute expiry of an existing key. */
  setExpire(db: number, key: ByteString, entry: Entry, expireAt: number): void {
    if (this.snapshots.size > 0) this.#beforeChange(db, key, entry)
    const database = this.dbs[db]!
    entry.expireAt = expireAt
    if (expireAt !== NO_EXPIRY) database.volatile.add(key)
    else database.volatile.delete(key)
    this.#recordKey(db, key)
  }

  /**
   * Empties a database in O(1): the old Map is replaced, not cleared, so snapshot cursors that still
   * have to read it keep it as their frozen image.
   */
  flush(db: number): void {
    const database = this.dbs[db]!
    database.dict = new Map()
    database.volatile = new Set()
    database.expireCursor = null
    if (this.recordChanges) this.#record({ kind: 'flush', db })
  }

  keyCount(): number {
    let count = 0
    for (const database of this.dbs) count += database.dict.size
    return count
  }
}
