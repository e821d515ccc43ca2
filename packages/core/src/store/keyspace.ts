// The databases and every primitive that changes them. All writes go through here so that three
// things happen for each of them without the commands having to remember: open snapshot cursors get
// the old value first (copy-on-write, snapshot.ts), the volatile-key index used by active expiry
// stays exact, and the change is recorded for subscribers (changes.ts).
//
// Deliberately left out: expiry decisions (context.ts decides whether a key is expired for the
// caller at hand), replies and propagation.
import type { ByteString } from '../bytes.ts'
import type { KeyChange } from './changes.ts'
import { NO_EXPIRY, type Entry } from './entry.ts'
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
  /** Changes since the last `takeChanges()`. */
  #changes: KeyChange[] = []

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
    if (changes.length > 0) this.#changes = []
    return changes
  }

  get hasChanges(): boolean {
    return this.#changes.length > 0
  }

  #recordKey(db: number, key: ByteString): void {
    const changes = this.#changes
    const last = changes[changes.length - 1]
    if (last !== undefined && last.kind === 'key' && last.db === db && last.key === key) return
    changes.push({ kind: 'key', db, key })
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
    this.#changes.push({ kind: 'flush', db })
  }

  keyCount(): number {
    let count = 0
    for (const database of this.dbs) count += database.dict.size
    return count
  }
}
