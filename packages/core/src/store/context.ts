// The execution context of one command: what a command in commands/ may read and do. It carries the
// caller's situation (session, `now`, and who is calling: a client of a master, a client of a
// replica, or the master's stream applied on a replica), decides expiry accordingly, forwards writes
// to the keyspace, and collects what the execution unit propagates.
//
// Expiry, as Redis decides it (expireIfNeeded, db.c; REDIS.md §6.1):
//   'master'          an expired key found by any lookup is deleted, and `DEL key` is propagated
//                     right away, before the command's own effect;
//   'replica-client'  an expired key looks absent, but stays (the master's DEL will remove it);
//   'replicated'      nothing is ever expired: the master decides.
// A key is expired when now > expireAt (strictly).
import type { ByteString } from '../bytes.ts'
import type { RespValue } from '../resp/value.ts'
import type { Effect } from '../values.ts'
import { NO_EXPIRY, stringEntry, type Entry, type StringEntry } from './entry.ts'
import type { Keyspace } from './keyspace.ts'
import { ScanCursors } from './scan-cursors.ts'
import type { Session } from './session.ts'

export const EXEC_MODES = Object.freeze(['master', 'replica-client', 'replicated'] as const)
export type ExecMode = (typeof EXEC_MODES)[number]

const DEL: ByteString = 'DEL'

/** Runs a session's queued transaction; provided by the dispatcher (EXEC calls it). */
export interface TransactionRunner {
  exec(ctx: CommandContext): RespValue
  discard(ctx: CommandContext): void
}

export class CommandContext {
  readonly keyspace: Keyspace
  readonly databases: number
  session!: Session
  now = 0
  mode: ExecMode = 'master'
  /** The argv of the command being executed. */
  argv: readonly ByteString[] = []
  /** Changes made by the current command (Redis's server.dirty delta). */
  dirty = 0
  #rewritten: readonly ByteString[] | null = null
  #prevented = false
  /** Effects of the current execution unit, in order (null until the first one). */
  effects: Effect[] | null = null
  /** False when the unit's effects must be propagated one by one (see Command flags). */
  atomic = true
  transactions!: TransactionRunner
  readonly scans = new ScanCursors()

  constructor(keyspace: Keyspace) {
    this.keyspace = keyspace
    this.databases = keyspace.dbs.length
  }

  get db(): number {
    return this.session.db
  }

  /** @internal Resets per-command state before `execute`. */
  beginCommand(argv: readonly ByteString[]): void {
    this.argv = argv
    this.dirty = 0
    this.#rewritten = null
    this.#prevented = false
  }

  /** @internal The argv to propagate for the command that just ran, or null. */
  propagatedArgv(): readonly ByteString[] | null {
    if (this.dirty === 0 || this.#prevented) return null
    return this.#rewritten ?? this.argv
  }

  /** The current command itself is not propagated (preventCommandPropagation; EXEC uses it). */
  preventPropagation(): void {
    this.#prevented = true
  }

  /** Propagate `argv` instead of what the client sent (rewriteClientCommandVector). */
  rewrite(argv: readonly ByteString[]): void {
    this.#rewritten = argv
  }

  /** Appends an effect to the unit now, in the current database (alsoPropagate). */
  propagate(argv: readonly ByteString[], db = this.session.db): void {
    if (this.mode !== 'master') return
    // Most units have one effect: an exact one-element array, not a `[]` that a push grows to 17.
    const effect = { db, argv }
    if (this.effects === null) this.effects = [effect]
    else this.effects.push(effect)
  }

  // ---- expiry ----------------------------------------------------------------------------------

  /** keyIsExpired: true when the key's TTL has passed for this caller (never when replicated). */
  isExpired(entry: Entry): boolean {
    return entry.expireAt !== NO_EXPIRY && this.mode !== 'replicated' && this.now > entry.expireAt
  }

  /**
   * expireIfNeeded: returns true when the key must be treated as absent. On a master the key is
   * deleted and the deletion propagated; on a replica it is only hidden.
   */
  expireIfNeeded(key: ByteString, entry: Entry): boolean {
    if (!this.isExpired(entry)) return false
    if (this.mode === 'master') {
      this.keyspace.delete(this.session.db, key, entry)
      this.propagate([DEL, key])
    }
    return true
  }

  /** lookupKeyRead/lookupKeyWrite: the live entry, or undefined when absent or expired. */
  lookup(key: ByteString): Entry | undefined {
    const entry = this.keyspace.get(this.session.db, key)
    if (entry === undefined) return undefined
    if (entry.expireAt !== NO_EXPIRY && this.expireIfNeeded(key, entry)) return undefined
    return entry
  }

  // ---- writes ----------------------------------------------------------------------------------

  /** dbAdd: `key` must be absent. */
  add(key: ByteString, entry: Entry): void {
    this.keyspace.insert(this.session.db, key, entry)
  }

  /** dbOverwrite: new value for an existing key, keeping its TTL and position. */
  overwrite(key: ByteString, old: Entry, entry: Entry): void {
    entry.expireAt = old.expireAt
    this.keyspace.replace(this.session.db, key, old, entry)
  }

  /**
   * setKey: add or overwrite; the TTL is removed unless `keepTtl`. `existing` is what the caller's
   * own lookup found (undefined when absent), so no second lookup (and no second expiry) happens.
   */
  setKey(key: ByteString, existing: Entry | undefined, entry: Entry, keepTtl: boolean): void {
    if (existing === undefined) {
      this.keyspace.insert(this.session.db, key, entry)
      return
    }
    entry.expireAt = keepTtl ? existing.expireAt : NO_EXPIRY
    this.keyspace.replace(this.session.db, key, existing, entry)
  }

  /**
   * setKey for a string value; returns the entry now stored. A string entry already there is
   * reused (a SET over a string is the common write, and this spares it an allocation).
   */
  setString(key: ByteString, existing: Entry | undefined, value: ByteString, keepTtl: boolean): StringEntry {
    if (existing !== undefined && existing.type === 'string') {
      this.keyspace.overwriteString(this.session.db, key, existing, value, keepTtl ? existing.expireAt : NO_EXPIRY)
      return existing
    }
    const entry = stringEntry(value)
    this.setKey(key, existing, entry, keepTtl)
    return entry
  }

  /** Must precede any in-place change of `entry`'s value. */
  modify(key: ByteString, entry: Entry): void {
    this.keyspace.touch(this.session.db, key, entry)
  }

  remove(key: ByteString, entry: Entry): void {
    this.keyspace.delete(this.session.db, key, entry)
  }

  setExpire(key: ByteString, entry: Entry, expireAt: number): void {
    this.keyspace.setExpire(this.session.db, key, entry, expireAt)
  }

  /** removeExpire: true when the key had a TTL. */
  removeExpire(key: ByteString, entry: Entry): boolean {
    if (entry.expireAt === NO_EXPIRY) return false
    this.keyspace.setExpire(this.session.db, key, entry, NO_EXPIRY)
    return true
  }
}
