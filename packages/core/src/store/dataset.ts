// The dataset: Redis's keyspace and command semantics, with no I/O (DESIGN §2, §3). The master shell
// feeds it client commands with `execute` and propagates the effects it returns; a replica applies its
// master's stream with `applyReplicated` and serves reads with `execute`; snapshots stream it out
// while it keeps changing; `digest` fingerprints it exactly as Redis's DEBUG DIGEST.
//
// Time is an input: every call that may expire keys takes `now` (Unix ms). Nothing here reads a
// clock, sets a timer or draws random numbers.
//
// Deliberately left out (the shell's job): INFO, ROLE, WAIT, CONFIG, AUTH, REPLCONF, PSYNC and other
// server commands (see SHELL_COMMANDS); wrapping effects in MULTI/EXEC and inserting SELECTs in the
// replication stream (propagation.ts has the helpers); blocking commands; WATCH.
//
// One execution context is shared by all sessions (calls are synchronous): a command registered
// through options.commands must not call back into execute()/applyReplicated().
import type { ByteString } from '../bytes.ts'
import { error, OK, ZERO, type RespValue } from '../resp/value.ts'
import type { Effect, KeyRecord } from '../values.ts'
import { ActiveExpiry } from './active-expire.ts'
import type { ChangeListener, KeyChange } from './changes.ts'
import type { Command } from './command.ts'
import { createCommandTable, isShellCommand } from './command-table.ts'
import { CommandContext } from './context.ts'
import { datasetDigest, valueDigest } from './digest.ts'
import { Dispatcher, lookupCommand } from './dispatch.ts'
import { entrySize, entryToRecord, NO_EXPIRY, plainToEntry } from './entry.ts'
import { STORE_ERROR_CODES, StoreError } from './errors.ts'
import { Keyspace } from './keyspace.ts'
import { resolveDatasetOptions, type DatasetOptions, type DatasetRole } from './options.ts'
import { PONG, unknownCommand } from './replies.ts'
import { Session } from './session.ts'
import { SnapshotState, type SnapshotCursor } from './snapshot.ts'

/** The outcome of one `execute` call: one execution unit. */
export interface ExecResult {
  readonly reply: RespValue
  /**
   * What to propagate for this unit, in order, each with its database, already rewritten as Redis
   * propagates effects (REDIS.md §6). Empty for reads and for writes that changed nothing.
   */
  readonly effects: readonly Effect[]
  /**
   * True: the effects form one unit (wrap them in MULTI/EXEC when there are several). False: each is
   * propagated on its own (SCAN's lazy-expiry deletions, as Redis does). See wrapExecutionUnit().
   */
  readonly atomic: boolean
  /** Keys this unit wrote or deleted, and databases it flushed, in order. */
  readonly touched: readonly KeyChange[]
}

const NO_EFFECTS: readonly Effect[] = Object.freeze([])
const NO_CHANGES: readonly KeyChange[] = Object.freeze([])

/**
 * Commands of a Redis 7.0 replication stream that change nothing a dataset holds, with the reply
 * `applyReplicated` gives them. Their bytes still count in the offset (the caller's business).
 * - `ping`: the master's heartbeat (replicationCron); `replconf`: `REPLCONF GETACK *`, which the
 *   replica's shell answers with an ACK.
 * - `publish`, `spublish`: Redis propagates them so that its replicas' subscribers get the message
 *   (publishCommand: forceCommandPropagation(c, PROPAGATE_REPL)), even from a script's MULTI ... EXEC.
 *   Replicast has no Pub/Sub on this path: no subscriber, reply 0.
 * - `function`: FUNCTION LOAD / DELETE / FLUSH / RESTORE replicate Redis's function libraries.
 *   Replicast runs no functions (an FCALL's writes arrive as effects), and its RDB reader skips
 *   libraries with WARN_RDB_FUNCTION_SKIPPED.
 * Not here: SCRIPT LOAD/FLUSH and EVAL/FCALL, which Redis 7.0 never streams (effects replication).
 */
const REPLICATED_NO_OPS: ReadonlyMap<string, RespValue> = new Map<string, RespValue>([
  ['ping', PONG],
  ['replconf', OK],
  ['publish', ZERO],
  ['spublish', ZERO],
  ['function', OK],
])

function notDatasetCommand(argv: readonly ByteString[]): ReturnType<typeof error> {
  const name = argv[0] ?? ''
  if (isShellCommand(name)) {
    return error(`ERR '${name.toLowerCase()}' is a server command, not a dataset command: the server shell must handle it`)
  }
  return unknownCommand(argv)
}

export class Dataset {
  /** Number of databases. */
  readonly databases: number
  readonly #keyspace: Keyspace
  readonly #ctx: CommandContext
  readonly #dispatcher: Dispatcher
  readonly #table: ReadonlyMap<string, Command>
  readonly #expiry: ActiveExpiry
  readonly #listeners = new Set<ChangeListener>()
  readonly #reportTouched: boolean
  #role: DatasetRole

  constructor(options?: DatasetOptions) {
    const resolved = resolveDatasetOptions(options)
    this.databases = resolved.databases
    this.#role = resolved.role
    this.#reportTouched = resolved.reportTouched
    this.#keyspace = new Keyspace(resolved.databases)
    this.#ctx = new CommandContext(this.#keyspace)
    this.#table = createCommandTable(resolved.commands)
    this.#dispatcher = new Dispatcher(this.#table, this.#ctx, notDatasetCommand)
    this.#expiry = new ActiveExpiry(this.#keyspace)
  }

  /** 'master' or 'replica'; assign to promote or demote. */
  get role(): DatasetRole {
    return this.#role
  }

  set role(role: DatasetRole) {
    resolveDatasetOptions({ role })
    this.#role = role
  }

  /** A new client session: database 0, no transaction. */
  createSession(): Session {
    return new Session()
  }

  /** True when `execute` runs `name` (built-in or registered through options.commands). */
  hasCommand(name: string): boolean {
    return lookupCommand(this.#table, name) !== undefined
  }

  /** Listens to every change (execute, applyReplicated, activeExpireCycle, loads, clear). */
  subscribe(listener: ChangeListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  // Change records cost an object per written key: make them only for someone who reads them,
  // `touched` (execute only) or a listener.
  #recordChanges(forExecute: boolean): void {
    this.#keyspace.recordChanges = this.#listeners.size > 0 || (forExecute && this.#reportTouched)
  }

  #flushChanges(): readonly KeyChange[] {
    if (!this.#keyspace.hasChanges) return NO_CHANGES
    const changes = this.#keyspace.takeChanges()
    if (this.#listeners.size > 0) for (const listener of this.#listeners) listener(changes)
    return changes
  }

  /**
   * Runs one client command (or, for EXEC, a whole transaction). Replies, errors and effects are
   * Redis 7.0's. On a replica, writes answer READONLY and expired keys read as absent.
   */
  execute(session: Session, argv: readonly ByteString[], now: number): ExecResult {
    const ctx = this.#ctx
    ctx.session = session
    ctx.now = now
    ctx.mode = this.#role === 'master' ? 'master' : 'replica-client'
    ctx.effects = null
    ctx.atomic = true
    this.#recordChanges(true)
    const reply = this.#dispatcher.process(session, argv)
    const effects = ctx.effects ?? NO_EFFECTS
    const atomic = ctx.atomic
    ctx.effects = null
    const touched = this.#flushChanges()
    return { reply, effects, atomic, touched }
  }

  /**
   * Applies one command of the master's replication stream: no key is ever expired by us (the
   * master sends DELs), writes are allowed, SELECT switches `session.db`, MULTI ... EXEC applies the
   * transaction at EXEC. The dataset-neutral commands Redis streams (REPLICATED_NO_OPS: PING,
   * REPLCONF, PUBLISH, SPUBLISH, FUNCTION) are consumed with no effect. Errors come back as error
   * replies, for the caller to count and report (Redis logs them and goes on:
   * propagation-error-behavior ignore); one inside MULTI does not cost the rest of the transaction.
   */
  applyReplicated(session: Session, argv: readonly ByteString[], now: number): RespValue {
    // Only names of 4, 7 or 8 characters can be no-ops: the rest need no lowercased copy.
    const length = argv.length > 0 ? argv[0]!.length : 0
    if (length === 4 || length === 7 || length === 8) {
      const noOp = REPLICATED_NO_OPS.get(argv[0]!.toLowerCase())
      if (noOp !== undefined) return noOp
    }
    const ctx = this.#ctx
    ctx.session = session
    ctx.now = now
    ctx.mode = 'replicated'
    ctx.effects = null
    ctx.atomic = true
    this.#recordChanges(false)
    const queueFailed = session.queueFailed
    const reply = this.#dispatcher.process(session, argv)
    // Redis flags a transaction whose command was refused while queueing, and EXEC then drops all of
    // it (processCommand → rejectCommand → flagTransaction). Redis never streams a command its own
    // replicas refuse; one Replicast refuses (a command it does not implement, in a script's
    // MULTI ... EXEC) is reported by the caller, and the rest of the transaction still applies, so
    // the dataset differs from Redis's only where that command wrote.
    if (reply.kind === 'error' && session.queue !== null) session.queueFailed = queueFailed
    ctx.effects = null
    this.#flushChanges()
    return reply
  }

  /**
   * Master only: examines up to `maxKeys` keys with a TTL (resuming where the last call stopped)
   * and deletes the expired ones. Returns their `DEL key` effects; each is its own unit (never wrap
   * them together). Returns nothing on a replica.
   */
  activeExpireCycle(now: number, maxKeys: number): Effect[] {
    if (this.#role !== 'master') return []
    this.#recordChanges(false)
    const effects = this.#expiry.cycle(now, maxKeys)
    this.#flushChanges()
    return effects
  }

  /** DEBUG DIGEST: 40 hex characters, equal to a real redis-server's for the same data. */
  digest(): string {
    return datasetDigest(this.#keyspace)
  }

  /** DEBUG DIGEST-VALUE of one key (expired or not), 40 zeros when absent. */
  digestValue(db: number, key: ByteString): string {
    this.#checkDb(db)
    return valueDigest(this.#keyspace.get(db, key))
  }

  /**
   * A point-in-time image of the whole dataset, read in slices while writes continue (copy-on-write;
   * see snapshot.ts). Several may be open at once; close the ones you abandon.
   */
  beginSnapshot(): SnapshotCursor {
    return new SnapshotState(this.#keyspace)
  }

  /**
   * Stores a record as is (replacing the key if present), expired or not: loading never expires.
   * An empty collection stores nothing (Redis skips empty keys when loading) but removes the key.
   */
  loadRecord(record: KeyRecord): void {
    this.#recordChanges(false)
    this.#load(record)
    this.#flushChanges()
  }

  /** Many records, one change notification. */
  loadRecords(records: Iterable<KeyRecord>): void {
    this.#recordChanges(false)
    for (const record of records) this.#load(record)
    this.#flushChanges()
  }

  #load(record: KeyRecord): void {
    this.#checkDb(record.db)
    if (record.value.type === 'zset') {
      for (const [, score] of record.value.entries) {
        if (Number.isNaN(score)) {
          throw new StoreError(STORE_ERROR_CODES.INVALID_RECORD, `Record for key ${JSON.stringify(record.key)} in db ${record.db} has a NaN score; sorted-set scores must be numbers.`)
        }
      }
    }
    const entry = plainToEntry(record.value)
    entry.expireAt = record.expireAt ?? NO_EXPIRY
    const keyspace = this.#keyspace
    const existing = keyspace.get(record.db, record.key)
    if (entrySize(entry) === 0) {
      if (existing !== undefined) keyspace.delete(record.db, record.key, existing)
      return
    }
    if (existing !== undefined) keyspace.replace(record.db, record.key, existing, entry)
    else keyspace.insert(record.db, record.key, entry)
  }

  /** The stored record of a key, expired or not, or undefined. */
  getRecord(db: number, key: ByteString): KeyRecord | undefined {
    this.#checkDb(db)
    const entry = this.#keyspace.get(db, key)
    return entry === undefined ? undefined : entryToRecord(db, key, entry)
  }

  /** Every stored record, database by database (expired keys included). Do not write while iterating. */
  *records(): IterableIterator<KeyRecord> {
    for (const database of this.#keyspace.dbs) {
      for (const [key, entry] of database.dict) yield entryToRecord(database.index, key, entry)
    }
  }

  /** Empties every database (FLUSHALL without propagation). */
  clear(): void {
    this.#recordChanges(false)
    for (let db = 0; db < this.databases; db++) {
      this.#keyspace.flush(db)
      this.#ctx.scans.forget(db)
    }
    this.#flushChanges()
  }

  /** Keys stored in `db`, expired or not (DBSIZE). */
  dbsize(db: number): number {
    this.#checkDb(db)
    return this.#keyspace.dbs[db]!.dict.size
  }

  /** Keys with a TTL in `db` (INFO keyspace's `expires`). */
  expiresCount(db: number): number {
    this.#checkDb(db)
    return this.#keyspace.dbs[db]!.volatile.size
  }

  /** Keys stored in all databases. */
  keyCount(): number {
    return this.#keyspace.keyCount()
  }

  #checkDb(db: number): void {
    if (!Number.isInteger(db) || db < 0 || db >= this.databases) {
      throw new StoreError(STORE_ERROR_CODES.DB_OUT_OF_RANGE, `Database ${db} does not exist; this dataset has databases 0 to ${this.databases - 1}.`)
    }
  }
}
