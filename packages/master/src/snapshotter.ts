// Point-in-time snapshots for full syncs: Redis's BGSAVE, without fork. The dataset's copy-on-write
// cursor yields the image of the moment the snapshot began; this file serializes it to RDB in
// slices of at most `sliceMs`, yielding to the event loop between slices, so clients and replicas
// keep being served while a large snapshot is made.
//
// Snapshots are shared (DESIGN §3): a full sync that arrives while one is being made attaches to it,
// and one that arrives after it is finished reuses it while the backlog still holds the stream since
// its offset (and for at most `reuseMs`). A thousand browsers arriving at once cost one snapshot.
//
// The RDB is kept in memory as a list of chunks, so its length is known before the first byte is sent
// (the WebSocket link announces it for progress bars; `$<len>` for redis-server replicas). Memory is
// about the RDB's size while a snapshot is alive. Strings are LZF-compressed as with Redis's default
// `rdbcompression yes`: a DEBUG POPULATE-like dataset's RDB is a third of its plain size (114 → 36 MB
// for 1,000,000 keys of 100 bytes), for about the same time to write it, and the 78 MB of buffers
// not allocated are what most often made V8 run whole-heap collections during a full sync
// (bench/replication.ts (d)). Each chunk is sent without copying it: see SNAPSHOT_CHUNK_HEADROOM_BYTES.
//
// How the last snapshot ended (`lastStatus`, INFO's rdb_last_bgsave_status) is kept here, where the
// difference between a failure and an abandon is known: a build the master gives up on purpose
// (abort, a full sync of another history, stop) is not a failed one, as Redis does not count a
// BGSAVE child it kills itself (killRDBChild's SIGUSR1 leaves lastbgsave_status alone,
// backgroundSaveDoneHandlerDisk, rdb.c).
//
// Deliberately left out: sending (replica-link.ts), persistence to disk.
import type { BacklogReader, Dataset, ReplicationBacklog, ReplId, SnapshotCursor } from '@replicast/core'
import { RdbWriter } from '@replicast/core'

export type SnapshotStatus = 'building' | 'ready' | 'failed'

export interface Snapshot {
  readonly id: string
  readonly replid: ReplId
  /** The replication offset the image corresponds to: the stream continues after it. */
  readonly offset: number
  readonly status: SnapshotStatus
  /** The RDB, complete once `status` is 'ready'; each chunk with SNAPSHOT_CHUNK_HEADROOM_BYTES of headroom. */
  readonly chunks: readonly Uint8Array[]
  readonly length: number
  readonly keys: number
  readonly startedAt: number
  readonly finishedAt: number | null
  readonly error: unknown
  /** Resolves when the snapshot is ready; rejects when it failed. */
  readonly done: Promise<Snapshot>
}

export interface SnapshotterOptions {
  /** Longest synchronous slice of serialization, in ms. */
  readonly sliceMs: number
  /** How long a finished snapshot may be reused by later full syncs, in ms. */
  readonly reuseMs: number
  /** Aux fields to add (redis-ver, ...), evaluated when a snapshot starts. */
  readonly aux: () => Readonly<Record<string, string | number>>
  readonly now: () => number
  /** Gives the event loop a turn between slices. */
  readonly yieldToLoop: () => Promise<void>
  /**
   * The stream's selected database at the snapshot's offset, written as `repl-stream-db` (Redis's
   * rdbPopulateSaveInfo). 0 for a master that SELECTs first after every snapshot; the upstream's
   * database for a master relaying a Redis stream. @default () => 0
   */
  readonly streamDb?: () => number
}

// Keys serialized between two clock reads: reading the clock per key would cost more than the work.
const KEYS_PER_CLOCK_READ = 256
// The writer's output is taken in chunks of about this size, so that sending can start per chunk.
const CHUNK_BYTES = 1024 * 1024

/**
 * Every chunk of a snapshot comes with this many bytes of headroom: `chunk.byteOffset` is at least
 * this, and the bytes just before the chunk in its buffer belong to no one else. A transport may
 * write a frame header there and send header and chunk as one view, without copying the chunk (the
 * WebSocket transport writes its one-byte SNAPSHOT_CHUNK kind). Links sending the same snapshot write
 * the same header bytes, so they do not disturb each other.
 */
export const SNAPSHOT_CHUNK_HEADROOM_BYTES = 1

class SnapshotBuild implements Snapshot {
  status: SnapshotStatus = 'building'
  chunks: Uint8Array[] = []
  length = 0
  keys = 0
  finishedAt: number | null = null
  error: unknown = null
  readonly done: Promise<Snapshot>
  resolve!: (s: Snapshot) => void
  reject!: (e: unknown) => void

  constructor(readonly id: string, readonly replid: ReplId, readonly offset: number, readonly startedAt: number) {
    this.done = new Promise<Snapshot>((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
    // A failure is reported to every waiter through the links; nobody may be waiting yet.
    this.done.catch(() => undefined)
  }
}

export class Snapshotter {
  readonly #dataset: Dataset
  readonly #options: SnapshotterOptions
  #current: SnapshotBuild | null = null
  // The building snapshot's own pin on the backlog at its offset: links attached to it come and go,
  // and one that attaches later must still find the stream since the offset.
  #pin: BacklogReader | null = null
  #cursor: SnapshotCursor | null = null
  #sequence = 0
  #stopped = false
  #lastStatus: 'ok' | 'err' = 'ok'
  /** Snapshots started since creation (INFO's rdb_bgsave counters). */
  started = 0
  lastDurationMs = 0
  lastBytes = 0

  /**
   * How the last snapshot that ended on its own ended (INFO's rdb_last_bgsave_status): 'err' when
   * the RDB could not be made (the writer, the dataset's cursor or the aux fields threw, or no
   * snapshot could be started). A build abandoned on purpose (abort, a full sync of another
   * replication ID, stop) leaves it as it was. 'ok' before the first, as Redis before its first BGSAVE.
   */
  get lastStatus(): 'ok' | 'err' {
    return this.#lastStatus
  }

  constructor(dataset: Dataset, options: SnapshotterOptions) {
    this.#dataset = dataset
    this.#options = options
  }

  /** The snapshot being built or kept for reuse, if any. */
  get current(): Snapshot | null {
    return this.#current
  }

  /**
   * A snapshot for a new full sync: the one being built, a finished one the backlog still covers, or
   * a new one at `masterReplOffset` (then `beforeStart` runs first, synchronously, to reset the
   * propagator's selected database as Redis does at every full-resync setup).
   */
  acquire(replid: ReplId, backlog: ReplicationBacklog, beforeStart: () => void): Snapshot {
    const current = this.#current
    const now = this.#options.now()
    if (current !== null && current.replid === replid && current.status !== 'failed') {
      if (current.status === 'building') return current
      if (backlog.covers(current.offset) && now - (current.finishedAt ?? now) <= this.#options.reuseMs) return current
    }
    // A build of another history (the replication ID changed while it ran) is of no use to anyone:
    // abandon it, so that the links waiting on it hear `snapshot-failed` and retry, instead of
    // waiting on a `done` that would never settle.
    if (current !== null && current.status === 'building') {
      this.#cursor?.close()
      this.#cursor = null
      this.#abandon(current, new Error(`Snapshot ${current.id} of replication ID ${current.replid} was abandoned: a full sync for replication ID ${replid} started while it was being made.`))
    }
    try {
      beforeStart()
      this.#unpin()
      this.#pin = backlog.openReader(backlog.masterReplOffset)
    } catch (error) {
      // Redis: a BGSAVE that cannot fork is a failed one (rdbSaveBackground sets lastbgsave_status).
      this.#lastStatus = 'err'
      throw error
    }
    return this.#start(replid, backlog.masterReplOffset, now)
  }

  /** Drops a finished snapshot once it can no longer be reused, to free its memory. */
  release(backlog: ReplicationBacklog): void {
    const current = this.#current
    if (current === null) {
      this.#unpin()
      return
    }
    if (current.status === 'building') return
    const now = this.#options.now()
    if (current.status === 'failed' || !backlog.covers(current.offset) || now - (current.finishedAt ?? now) > this.#options.reuseMs) {
      this.#current = null
      this.#unpin()
    }
  }

  #unpin(): void {
    this.#pin?.close()
    this.#pin = null
  }

  /**
   * Drops the current snapshot, building or kept for reuse, and its pin on the backlog; later
   * full syncs start a new one. For a master whose history ends (upstream mode: a full sync from
   * Redis replaces the dataset, IDs and backlog).
   */
  abort(reason: string): void {
    this.#cursor?.close()
    this.#cursor = null
    const current = this.#current
    if (current !== null && current.status === 'building') this.#abandon(current, new Error(reason))
    this.#current = null
    this.#unpin()
  }

  /** Stops a snapshot in progress (the master is closing). */
  stop(): void {
    this.#stopped = true
    this.#cursor?.close()
    this.#cursor = null
    const current = this.#current
    if (current !== null && current.status === 'building') this.#abandon(current, new Error('The master closed while a snapshot was being made.'))
    this.#current = null
    this.#unpin()
  }

  #start(replid: ReplId, offset: number, now: number): Snapshot {
    // No cursor is open here: a building snapshot is either returned by acquire() or failed there.
    const build = new SnapshotBuild(`snapshot-${++this.#sequence}`, replid, offset, now)
    this.#current = build
    this.started++
    // The cursor must begin in the same synchronous turn as `offset` was read: the image is the
    // dataset at exactly that offset, and every later write is in the stream after it.
    let cursor: SnapshotCursor
    const writer = new RdbWriter({ compression: true })
    try {
      cursor = this.#dataset.beginSnapshot()
      this.#cursor = cursor
      writer.writeHeader({
        ...this.#options.aux(),
        'repl-stream-db': this.#options.streamDb?.() ?? 0,
        'repl-id': replid,
        'repl-offset': offset,
        'aof-base': 0,
      })
    } catch (error) {
      // Settle the build now: left 'building', every later full sync would wait on it forever.
      this.#cursor?.close()
      this.#cursor = null
      this.#fail(build, error)
      return build
    }
    void this.#run(build, cursor, writer)
    return build
  }

  async #run(build: SnapshotBuild, cursor: SnapshotCursor, writer: RdbWriter): Promise<void> {
    const { sliceMs, now, yieldToLoop } = this.#options
    try {
      for (;;) {
        const sliceEnd = now() + sliceMs
        let finished = false
        do {
          const records = cursor.next(KEYS_PER_CLOCK_READ)
          if (records === null) {
            finished = true
            break
          }
          // writeKey emits SELECTDB when the database changes.
          for (const record of records) if (writer.writeKey(record)) build.keys++
          if (writer.bytesWritten - build.length >= CHUNK_BYTES) this.#take(build, writer)
        } while (now() < sliceEnd)
        if (finished) break
        await yieldToLoop()
        if (this.#stopped || this.#cursor !== cursor) {
          // Whoever took the cursor away (stop, abort, acquire) abandoned the build; never leave it unsettled.
          cursor.close()
          if (build.status === 'building') this.#abandon(build, new Error(`Snapshot ${build.id} was abandoned before it was finished.`))
          return
        }
      }
      writer.writeEnd()
      this.#take(build, writer)
      build.status = 'ready'
      build.finishedAt = now()
      this.lastDurationMs = build.finishedAt - build.startedAt
      this.lastBytes = build.length
      this.#lastStatus = 'ok'
      if (this.#cursor === cursor) this.#cursor = null
      // Once built, a snapshot is reused only while the backlog holds its offset on its own: a pin
      // kept for reuse would grow the backlog with every write until the snapshot is dropped.
      if (this.#current === build) this.#unpin()
      build.resolve(build)
    } catch (error) {
      cursor.close()
      if (this.#cursor === cursor) this.#cursor = null
      this.#fail(build, error)
    }
  }

  #take(build: SnapshotBuild, writer: RdbWriter): void {
    const chunk = writer.take(SNAPSHOT_CHUNK_HEADROOM_BYTES)
    if (chunk.length === 0) return
    build.chunks.push(chunk)
    build.length += chunk.length
  }

  /** The snapshot could not be made: a genuine failure, counted in `lastStatus`. */
  #fail(build: SnapshotBuild, error: unknown): void {
    this.#lastStatus = 'err'
    this.#settleFailed(build, error)
  }

  /** The master gave the build up on purpose: its waiters hear why, `lastStatus` does not change. */
  #abandon(build: SnapshotBuild, error: unknown): void {
    this.#settleFailed(build, error)
  }

  #settleFailed(build: SnapshotBuild, error: unknown): void {
    build.status = 'failed'
    build.error = error
    build.finishedAt = this.#options.now()
    if (this.#current === build) {
      this.#current = null
      this.#unpin()
    }
    build.reject(error)
  }
}
