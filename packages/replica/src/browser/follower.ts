// A follower tab's copy of the replica: the data the leader tab stored, kept current from the leader's
// broadcasts (tab-protocol.ts), with the leader's status. It serves the same reads as a Replica.
//
//   start ──► load the stored state (its own reader worker, one consistent IndexedDB snapshot at point P)
//         ──► apply broadcast commits whose `prev` is P (P moves on); skip those already in the snapshot
//   a commit that does not build on P (missed messages) or a full-sync switch ──► reload; the old copy
//   stays readable until the new one is loaded
//
// The copy is always exactly the stored data at `point`: a follower never shows what a crash of the
// leader could take back.
//
// Deliberately left out: the link to the master (the leader's), and writes of any kind.
import { Dataset, readRdbValue, type ByteString, type KeyChange, type KeyRecord, type RespValue } from '@replicast/core'
import { readBeforeLoad } from '../reads.ts'
import type { ReplicationMeta } from '../storage/storage.ts'
import { toReplicaChange, type ReplicaChange } from '../subscriptions.ts'
import { readPacked } from '../storage/record-codec.ts'
import { samePoint, type TabMessage, type TabPoint } from './tab-protocol.ts'
import type { WorkerReader } from './worker-storage.ts'

export interface FollowerHooks {
  /** A change to the copy (key written or deleted, db flushed, or 'resync' after a reload). */
  change(change: ReplicaChange): void
  /** The copy's point moved (after a commit or a reload). */
  moved(): void
  error(error: Error): void
}

export class FollowerCopy {
  readonly #reader: WorkerReader
  readonly #hooks: FollowerHooks
  #dataset = new Dataset({ role: 'replica' })
  #session = this.#dataset.createSession()
  #readSession = this.#dataset.createSession()
  #point: ReplicationMeta | null = null
  #loaded = false
  #loading: Promise<void> | null = null
  /** Messages that arrived during a (re)load, handled after it. */
  #held: TabMessage[] | null = null
  #reloadAgain = false
  #closed = false
  #opened: Promise<ReplicationMeta | null>

  constructor(reader: WorkerReader, hooks: FollowerHooks) {
    this.#reader = reader
    this.#hooks = hooks
    this.#opened = reader.open()
    this.#opened.catch(() => {})
  }

  /** Loads the stored state, then follows. Reads are served (from IndexedDB, key by key) meanwhile. */
  start(): void {
    this.#reload()
  }

  /** The stored point the copy shows (null: nothing stored yet). */
  get point(): ReplicationMeta | null {
    return this.#point
  }

  get loaded(): boolean {
    return this.#loaded
  }

  /** The loaded dataset (for a leader taking over: served until its own replica is ready). */
  get dataset(): Dataset {
    return this.#dataset
  }

  /** Resolves once the first load is done. */
  get ready(): Promise<void> {
    return this.#loading ?? Promise.resolve()
  }

  handle(message: TabMessage): void {
    if (this.#closed) return
    if (message.kind !== 'commit' && message.kind !== 'switch') return
    if (this.#held !== null) {
      this.#held.push(message)
      return
    }
    const point: TabPoint | null = this.#point === null ? null : { replid: this.#point.replid, offset: this.#point.offset }
    if (message.kind === 'switch') {
      if (!samePoint(point, message.point)) this.#reload()
      return
    }
    if (samePoint(point, message.prev)) {
      this.#apply(message)
      return
    }
    // Already in the snapshot we loaded (it was committed before our read began)?
    if (point !== null && message.point.replid === point.replid && message.point.offset <= point.offset) return
    this.#reload()
  }

  #apply(message: Extract<TabMessage, { kind: 'commit' }>): void {
    const dataset = this.#dataset
    const session = this.#session
    const changes: KeyChange[] = []
    const off = dataset.subscribe((c) => { for (const change of c) changes.push(change) })
    try {
      for (const entry of readPacked(message.batch)) {
        switch (entry.kind) {
          case 'set': {
            const record: KeyRecord = { db: entry.db, key: entry.key, value: readRdbValue(entry.value), expireAt: entry.expireAt }
            dataset.loadRecord(record)
            break
          }
          case 'delete':
            session.db = entry.db
            dataset.applyReplicated(session, ['DEL', entry.key], Date.now())
            break
          case 'flush-db':
            session.db = entry.db
            dataset.applyReplicated(session, ['FLUSHDB'], Date.now())
            break
          case 'flush-all':
            dataset.applyReplicated(session, ['FLUSHALL'], Date.now())
            break
        }
      }
    } catch (error) {
      off()
      this.#hooks.error(error instanceof Error ? error : new Error(String(error)))
      this.#reload()
      return
    }
    off()
    this.#point = { replid: message.point.replid, offset: message.point.offset, selectedDb: this.#point?.selectedDb ?? -1 }
    for (const change of changes) this.#hooks.change(toReplicaChange(change))
    this.#hooks.moved()
  }

  #reload(): void {
    if (this.#closed) return
    if (this.#held !== null) {
      this.#reloadAgain = true
      return
    }
    this.#held = []
    this.#loading = (async () => {
      try {
        await this.#opened
        const dataset = new Dataset({ role: 'replica' })
        const meta = await this.#reader.load((records) => dataset.loadRecords(records))
        if (this.#closed) return
        this.#dataset = dataset
        this.#session = dataset.createSession()
        this.#readSession = dataset.createSession()
        this.#point = meta
        this.#loaded = true
        this.#hooks.change({ kind: 'resync', db: -1, key: null, keyBytes: null })
        this.#hooks.moved()
      } catch (error) {
        if (!this.#closed) this.#hooks.error(error instanceof Error ? error : new Error(String(error)))
      } finally {
        const held = this.#held ?? []
        this.#held = null
        const again = this.#reloadAgain
        this.#reloadAgain = false
        if (again) this.#reload()
        else for (const message of held) this.handle(message)
      }
    })()
  }

  /** Runs a read command against the copy (before it is loaded: key by key from IndexedDB). */
  async read(argv: ByteString[], db: number): Promise<RespValue> {
    if (!this.#loaded) {
      const reply = await readBeforeLoad(argv, db, {
        get: async (db, key) => {
          await this.#opened
          return this.#reader.get(db, key)
        },
        loaded: () => this.#loaded,
        whenLoaded: async () => {
          await this.#loading
        },
      })
      if (reply !== null) return reply
    }
    const session = this.#readSession
    session.db = db
    return this.#dataset.execute(session, argv, Date.now()).reply
  }

  digest(): string {
    return this.#dataset.digest()
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#reader.close().catch(() => {})
  }
}
