// Coalesces applied changes into storage commits (DESIGN §5): the keys a batch of stream commands
// touched are written with their values at the end of the batch, together with the replication
// point (replid, offset, selected db) those values correspond to, in one storage transaction. So a
// key written a thousand times in a batch is stored once, a MULTI/EXEC (always inside one apply) is
// stored whole or not at all, and after a crash the store is exactly the master at its offset.
//
// Commits run one at a time, in order. While one runs, the next batch keeps collecting. A batch is
// committed when it holds `maxCommands` commands or `maxDelayMs` after its first change, whichever
// comes first.
import type { ByteString, Dataset, KeyChange } from '@replicast/core'
import type { ReplicaStorage, ReplicationMeta, StorageChange } from './storage/storage.ts'

export interface PersistPoint {
  readonly replid: string
  readonly offset: number
  readonly db: number
}

export interface PersisterHooks {
  persisted(point: PersistPoint): void
  failed(point: PersistPoint, error: unknown): void
}

const dirtyKey = (db: number, key: ByteString): string => `${db}\u0000${key}`

export class Persister {
  readonly #storage: ReplicaStorage
  readonly #hooks: PersisterHooks
  readonly #maxCommands: number
  readonly #maxDelayMs: number
  #dataset: Dataset
  /** Keys changed since the last commit began, with the db they belong to. */
  #dirty = new Map<string, { readonly db: number; readonly key: ByteString }>()
  /** Flushes since the last commit began, before every dirty key of their db. */
  #flushes: StorageChange[] = []
  #point: PersistPoint | null = null
  #commands = 0
  #timer: ReturnType<typeof setTimeout> | undefined
  #chain: Promise<void> = Promise.resolve()
  #generation = 0

  constructor(storage: ReplicaStorage, dataset: Dataset, hooks: PersisterHooks, options: { maxCommands: number; maxDelayMs: number }) {
    this.#storage = storage
    this.#dataset = dataset
    this.#hooks = hooks
    this.#maxCommands = options.maxCommands
    this.#maxDelayMs = options.maxDelayMs
  }

  /** The dataset whose values are stored (replaced after a full sync or a rollback). */
  set dataset(dataset: Dataset) {
    this.#dataset = dataset
  }

  /** Records what one applied batch changed and the point it brought the replica to. */
  record(changes: readonly KeyChange[], point: PersistPoint, commands: number): void {
    for (const change of changes) {
      if (change.kind === 'flush') {
        for (const [k, v] of this.#dirty) if (v.db === change.db) this.#dirty.delete(k)
        this.#flushes.push({ kind: 'flush-db', db: change.db })
      } else {
        this.#dirty.set(dirtyKey(change.db, change.key), { db: change.db, key: change.key })
      }
    }
    this.#point = point
    this.#commands += Math.max(1, commands)
    if (this.#commands >= this.#maxCommands) this.flush()
    else if (this.#timer === undefined) this.#timer = setTimeout(() => this.flush(), this.#maxDelayMs)
  }

  /** Commits what is pending now (values read from the dataset at this instant). */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    const point = this.#point
    if (point === null) return
    const changes: StorageChange[] = [...this.#flushes]
    for (const { db, key } of this.#dirty.values()) {
      const record = this.#dataset.getRecord(db, key)
      changes.push(record === undefined ? { kind: 'delete', db, key } : { kind: 'set', record })
    }
    this.#dirty = new Map()
    this.#flushes = []
    this.#point = null
    this.#commands = 0
    const meta: ReplicationMeta = { replid: point.replid, offset: point.offset, selectedDb: point.db }
    const generation = this.#generation
    this.enqueue(() => this.#storage.commit(changes, meta), point, generation)
  }

  /**
   * Runs a storage operation in commit order, reporting it as the durable `point`. An operation whose
   * generation was discarded before its turn (a commit failed, or a full sync replaced the data)
   * does not run: it builds on what failed, and storing it would make the stored offset claim
   * changes the store does not hold.
   */
  enqueue(operation: () => Promise<void>, point: PersistPoint, generation = this.#generation): Promise<void> {
    const run = this.#chain.then(async () => {
      if (generation !== this.#generation) return
      try {
        await operation()
      } catch (error) {
        if (generation === this.#generation) this.#hooks.failed(point, error)
        return
      }
      if (generation === this.#generation) this.#hooks.persisted(point)
    })
    this.#chain = run
    return run
  }

  /** Forgets what is pending (a rollback or a full sync replaces it) and ignores commits in flight. */
  discard(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#dirty = new Map()
    this.#flushes = []
    this.#point = null
    this.#commands = 0
    this.#generation++
  }

  /** Resolves when every commit queued so far has settled. */
  idle(): Promise<void> {
    return this.#chain
  }

  get pending(): boolean {
    return this.#point !== null
  }
}
