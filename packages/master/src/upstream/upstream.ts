// Upstream mode (DESIGN §7): a Replicast master that is a replica of a real Redis. Redis holds the
// data and its high availability; Replicast nodes fan it out to browsers. This is the shell around
// the pure link machine (upstream-machine.ts): it owns the TCP socket, the clock, the RDB reader,
// and performs the machine's actions on the master.
//
//   Redis ──TCP──► stepUpstream ──rdb-chunk──► RdbReader ──► master.dataset (emptied first)
//                               ──apply──────► backlog.append(bytes, UNCHANGED) + dataset.applyReplicated
//                               ──adopt / continue──► master IDs, backlog rebase, replica links dropped
//
// ONE HISTORY, REDIS'S. The master's replication identity is Redis's: its replid is Redis's replid,
// its master_repl_offset is Redis's offset, and its backlog holds Redis's stream bytes exactly as
// they came (they are never re-propagated through the Propagator: no SELECT, ping or expiry DEL of
// ours enters the stream). A replica of this node therefore holds a position in Redis's history,
// and can PSYNC with it on ANY Replicast node that follows the same Redis. How the IDs, the offset
// and the backlog move:
//
//   event (from Redis)                  master IDs                               backlog              our replicas
//   ─────────────────────────────────────────────────────────────────────────────────────────────────────────────────
//   bulk header after +FULLRESYNC R S   unchanged until loaded                   unchanged            all dropped; PSYNC
//     (the dataset is emptied)                                                                         refused (-LOADING)
//   RDB loaded                          replid = R, replid2 cleared               rebase(S): empty,    may PSYNC again; a
//                                       (Redis: clearReplicationId2)              offset S             full sync is a snapshot
//                                                                                                     of the data at S
//   stream bytes                        unchanged                                appended unchanged   streamed as usual
//   +CONTINUE (same id)                 unchanged                                unchanged            kept: nothing changed
//   +CONTINUE R' (new id, a failover)   shiftReplId: replid2 = R, second = off+1  unchanged            dropped; they come back
//                                                                                                     with R and continue via
//                                                                                                     replid2 (+CONTINUE R')
//   link down                           unchanged                                unchanged            kept (they wait); new
//                                                                                                     PSYNCs get -NOMASTERLINK
//   RDB failed / link lost mid-RDB      unchanged (stale, unusable: PSYNC is     unchanged            refused until the next
//                                       refused until the next full sync)                             full sync is loaded
//
// So after a full sync from Redis (a new history) our replicas' PSYNCs no longer match (they asked
// with the old replid) and they full-sync too; after a failover (+CONTINUE with a new id) they
// continue through replid2, as Redis's own sub-replicas do. The backlog is rebased rather than kept
// because the bytes before S belong to a history the new RDB replaced.
//
// While the RDB streams in, it is loaded key by key into the (emptied) dataset, and clients get
// `-LOADING` (client-connection.ts): Redis's replica with repl-diskless-load on-empty-db behaves the
// same way. A failed RDB leaves an empty dataset and no history (the next PSYNC is `? -1`).
//
// What Redis streams and Replicast cannot apply (a command outside DESIGN §2: LMOVE, HSETNX, XADD…)
// is handled as Redis's replica handles an error in its master's stream: the node goes on. It is
// never silent: counted here (core's UnappliedCommandReports; INFO stats `upstream_unapplied_commands`
// through info(), zeroed by resetStats() on CONFIG RESETSTAT), reported as
// UpstreamUnappliedCommandError (ERR_UPSTREAM_UNAPPLIED_COMMAND). Its bytes still enter the backlog
// unchanged, so our replicas diverge exactly as this node does, and a full sync repairs both.
// Dataset-neutral commands (PUBLISH, SPUBLISH, FUNCTION, PING, REPLCONF) are no-ops
// (Dataset.applyReplicated), not errors.
//
// Also here: reconnects with jittered exponential backoff (core's backoffDelay), `REPLCONF ACK`
// every second (the machine), `-READONLY` for writes (the dataset's replica role), INFO/ROLE facts.
import { EventEmitter } from 'node:events'
import { connect, type Socket } from 'node:net'
import {
  array,
  backoffDelay,
  bulk,
  error,
  integer,
  newReplicationIds,
  RdbReader,
  RDB_READER_DEFAULTS,
  ReplicastError,
  shiftReplId,
  UnappliedCommandError,
  UnappliedCommandReports,
  unappliedCommandName,
  utf8ToByteString,
  type BackoffOptions,
  type KeyRecord,
  type RespError,
  type RespValue,
  type Session,
} from '@replicast/core'
import type { UpstreamInfoFacts } from '../info.ts'
import type { MasterCore } from '../master.ts'
import type { ReplicaOfOptions } from '../options.ts'
import {
  initialUpstreamState,
  readOffset,
  stepUpstream,
  upstreamRoleState,
  UPSTREAM_MACHINE_DEFAULTS,
  type UpstreamAction,
  type UpstreamEvent,
  type UpstreamMachineOptions,
  type UpstreamState,
  type UpstreamStateKind,
} from './upstream-machine.ts'

/** Redis retries its master once per second; we start faster and back off to a few seconds. */
export const UPSTREAM_BACKOFF: BackoffOptions = Object.freeze({ initialDelayMs: 250, maxDelayMs: 5000, multiplier: 2, jitter: 0.5 })

const TICK_MS = 100
/** WebSocket close code for replicas dropped because the upstream's history changed: "reconnect". */
const CLOSE_SERVICE_RESTART = 1012

/** The upstream Redis could not be reached (connection refused, DNS, reset). */
export class UpstreamConnectError extends ReplicastError {
  constructor(host: string, port: number, cause: Error, retryInMs: number) {
    super('ERR_UPSTREAM_CONNECT', `Cannot reach the upstream Redis at ${host}:${port} (${cause.message}); retrying in ${retryInMs} ms. Check replicaOf (--replicaof) and that Redis is running.`, { cause })
  }
}

/** A value of the upstream's RDB that Replicast does not hold (a stream, a module type) was skipped. */
export class UpstreamRdbWarning extends ReplicastError {
  constructor(count: number, first: string) {
    super('WARN_UPSTREAM_RDB_SKIPPED', `The upstream's RDB had ${count} value(s) Replicast does not hold and skipped (first: ${first}); the dataset differs from Redis's for those keys.`)
  }
}

/**
 * A command of the upstream's stream that Replicast could not apply: one it does not implement
 * (LMOVE, HSETNX, SETRANGE, XADD, …; DESIGN §2 lists what it follows), or one that failed on data
 * that already differed from Redis's. Redis's own replica logs such an error and goes on
 * (propagation-error-behavior ignore); so does the node, counting every one in INFO stats
 * (`upstream_unapplied_commands`). The keys that command wrote differ from Redis's until the next
 * full sync, whose RDB carries the effects.
 */
export class UpstreamUnappliedCommandError extends UnappliedCommandError {
  /** `count`: commands left unapplied since the node started (or CONFIG RESETSTAT), this one included. */
  constructor(argv: readonly string[], reply: string, count: number, startOffset: number, endOffset: number) {
    const shown = argv.slice(0, 2).map((a) => (a.length > 64 ? `${a.slice(0, 64)}…` : a)).join(' ')
    super(
      'ERR_UPSTREAM_UNAPPLIED_COMMAND',
      unappliedCommandName(argv),
      reply,
      count,
      `The upstream Redis streamed '${shown}' (in stream offsets ${startOffset}..${endOffset}), which Replicast could not apply (${reply.trimEnd()}). ` +
        `${count} command(s) unapplied so far (INFO stats upstream_unapplied_commands); the keys they wrote differ from Redis's ` +
        'until the next full sync (restart the node to force one). Replicast follows the commands of DESIGN §2 (docs/operations.md §1.1).',
    )
  }
}

export interface UpstreamEvents {
  /** The link's state changed (`streaming`: in sync, serving Redis's history). */
  state: [UpstreamStateKind]
}

interface RdbLoad {
  readonly reader: RdbReader
  streamDb: number
  error: Error | null
  keys: number
  read: number
}

export class Upstream extends EventEmitter<UpstreamEvents> {
  readonly host: string
  readonly port: number
  readonly #master: MasterCore
  #options: UpstreamMachineOptions
  #state: UpstreamState = initialUpstreamState()
  #socket: Socket | null = null
  #ticker: NodeJS.Timeout | undefined
  #reconnectTimer: NodeJS.Timeout | undefined
  #attempt = 0
  #stopped = true
  #session: Session
  #load: RdbLoad | null = null
  #lastIoAt = 0
  readonly #queue: UpstreamEvent[] = []
  #dispatching = false
  /** Counts what the node could not apply; reports the first of each name, then every power of ten. */
  readonly #unappliedReports = new UnappliedCommandReports()
  /** The stream's open MULTI: the commands queued so far, to name the one an EXEC reply says failed. */
  #queued: (readonly string[])[] | null = null

  constructor(master: MasterCore, replicaOf: ReplicaOfOptions, options: Partial<UpstreamMachineOptions> = {}) {
    super()
    this.#master = master
    this.host = replicaOf.host
    this.port = replicaOf.port
    const auth = replicaOf.password === undefined
      ? null
      : { username: replicaOf.username === undefined ? null : utf8ToByteString(replicaOf.username), password: utf8ToByteString(replicaOf.password) }
    const o = master.options
    this.#options = {
      ...UPSTREAM_MACHINE_DEFAULTS,
      timeoutMs: o.timeoutMs,
      auth,
      limits: { maxBulkBytes: o.maxBulkBytes, maxArrayLength: o.maxArrayLength, maxInlineBytes: o.maxInlineBytes },
      ...options,
    }
    // A replica: writes answer READONLY, keys are never expired here (Redis sends the DELs).
    master.dataset.role = 'replica'
    this.#session = master.dataset.createSession()
  }

  /** Starts (or restarts) replicating. `listeningPort`: our RESP port, announced to Redis. */
  start(listeningPort: number): void {
    if (!this.#stopped) return
    this.#stopped = false
    this.#options = { ...this.#options, listeningPort }
    this.#ticker = setInterval(() => this.#dispatch({ type: 'tick', now: Date.now() }), TICK_MS)
    this.#connect()
  }

  /** Closes the link for good. */
  stop(): void {
    if (this.#stopped) return
    this.#stopped = true
    clearInterval(this.#ticker)
    clearTimeout(this.#reconnectTimer)
    this.#socket?.destroy()
    this.#socket = null
  }

  get state(): UpstreamState {
    return this.#state
  }

  /** True while an RDB from Redis is being loaded (clients get -LOADING). */
  get loading(): boolean {
    return this.#state.kind === 'transfer' || this.#state.kind === 'loading'
  }

  /** The database the stream has selected (written as repl-stream-db in our snapshots). */
  get streamDb(): number {
    return this.#session.db
  }

  /** Redis's syncCommand refusals for a replica that is not connected to its master. */
  psyncRefusal(): RespError | null {
    if (this.#state.kind === 'streaming') return null
    if (this.loading) return error('LOADING Redis is loading the dataset in memory')
    return error("NOMASTERLINK Can't SYNC while not connected with my master")
  }

  /** Drops the link to Redis (CLIENT KILL TYPE master); it reconnects with PSYNC. */
  killLink(): boolean {
    if (this.#socket === null) return false
    this.#socket.destroy()
    return true
  }

  /** INFO's facts: Redis's replica fields, and `unappliedCommands` (INFO stats `upstream_unapplied_commands`). */
  info(now: number): UpstreamInfoFacts {
    const s = this.#state
    const load = this.#load
    const linked = this.#socket !== null && s.kind !== 'disconnected' && s.kind !== 'connecting'
    return {
      host: this.host,
      port: this.port,
      linkUp: s.kind === 'streaming',
      lastIoSecondsAgo: linked ? Math.floor((now - this.#lastIoAt) / 1000) : -1,
      syncInProgress: s.kind === 'await-bulk' || s.kind === 'transfer' || s.kind === 'loading',
      readOffset: readOffset(s),
      offset: s.offset,
      transfer: s.kind === 'transfer' ? { total: s.total ?? -1, read: load?.read ?? 0 } : null,
      downSinceSeconds: s.downSince === null ? -1 : Math.floor((now - s.downSince) / 1000),
      unappliedCommands: this.#unappliedReports.count,
    }
  }

  /**
   * Commands of Redis's stream the node could not apply (INFO stats `upstream_unapplied_commands`)
   * and the name of the last one (lowercase), or null when there was none, since the node started
   * or the last CONFIG RESETSTAT.
   */
  get unapplied(): { readonly count: number; readonly lastCommand: string | null } {
    return { count: this.#unappliedReports.count, lastCommand: this.#unappliedReports.lastCommand }
  }

  /**
   * CONFIG RESETSTAT: the unapplied commands' count and last name start over, and so do the reports
   * (the first of each name is reported again), as after a restart.
   */
  resetStats(): void {
    this.#unappliedReports.reset()
  }

  /** ROLE: ["slave", host, port, state, offset] (Redis's roleCommand on a replica). */
  role(): RespValue {
    const s = this.#state
    return array([bulk('slave'), bulk(this.host), integer(this.port), bulk(upstreamRoleState(s)), integer(s.kind === 'streaming' ? s.offset : -1)])
  }

  // ── The socket ────────────────────────────────────────────────────────────────────────────────

  #connect(): void {
    if (this.#stopped) return
    const socket = connect({ host: this.host, port: this.port })
    this.#socket = socket
    socket.setNoDelay(true)
    socket.setKeepAlive(true, 10_000)
    let failure: Error | null = null
    this.#dispatch({ type: 'connecting', now: Date.now() })
    socket.once('connect', () => {
      this.#lastIoAt = Date.now()
      this.#dispatch({ type: 'connected', now: this.#lastIoAt })
    })
    socket.on('data', (chunk: Buffer) => {
      if (this.#socket !== socket) return
      this.#lastIoAt = Date.now()
      this.#dispatch({ type: 'data', bytes: new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length), now: this.#lastIoAt })
    })
    socket.on('error', (e) => {
      failure = e
    })
    socket.once('close', () => {
      if (this.#socket !== socket) return
      this.#socket = null
      this.#dispatch({ type: 'disconnected', now: Date.now() })
      this.#scheduleReconnect(failure)
    })
  }

  #scheduleReconnect(failure: Error | null): void {
    if (this.#stopped || this.#reconnectTimer !== undefined) return
    const delay = backoffDelay(this.#attempt, Math.random(), UPSTREAM_BACKOFF)
    // Report the first failure of a streak and then every tenth, not one line per retry.
    if (failure !== null && this.#attempt % 10 === 0) this.#master.report(new UpstreamConnectError(this.host, this.port, failure, delay))
    this.#attempt++
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined
      this.#connect()
    }, delay)
  }

  // ── The machine ───────────────────────────────────────────────────────────────────────────────

  // Events raised while actions run (`loaded` after `rdb-end`) wait their turn: one step at a time.
  #dispatch(event: UpstreamEvent): void {
    this.#queue.push(event)
    if (this.#dispatching) return
    this.#dispatching = true
    let applied = false
    try {
      for (let next = this.#queue.shift(); next !== undefined; next = this.#queue.shift()) {
        const before = this.#state.kind
        try {
          const step = stepUpstream(this.#state, next, this.#options)
          this.#state = step.state
          for (const action of step.actions) {
            if (action.type === 'apply') applied = true
            this.#perform(action)
          }
        } catch (e) {
          // A defect (the machine never throws on Redis's input): report it, and rather than
          // guess what the dataset holds, start over with a full sync.
          const error = e instanceof Error ? e : new Error(String(e))
          this.#master.report(new Error(`Upstream link: internal error (${error.message}); resyncing from scratch.`, { cause: error }))
          this.#queue.length = 0
          this.#load = null
          this.#master.dataset.clear()
          this.#state = { ...initialUpstreamState(), downSince: Date.now() }
          this.#socket?.destroy()
        }
        if (this.#state.kind !== before) {
          if (this.#state.kind === 'streaming') this.#attempt = 0
          this.emit('state', this.#state.kind)
        }
      }
    } finally {
      this.#dispatching = false
    }
    // Online replicas get the new bytes at once, as Redis feeds its sub-replicas per read.
    if (applied) this.#master.flushReplicas()
  }

  #perform(action: UpstreamAction): void {
    const master = this.#master
    switch (action.type) {
      case 'send':
        this.#socket?.write(action.bytes)
        return
      case 'full-sync-start':
        this.#dropReplicas('the upstream Redis sent a full resync: the history changed')
        master.snapshotter.abort('The upstream Redis started a full resync; this snapshot belonged to the old history.')
        master.dataset.clear()
        this.#load = {
          reader: new RdbReader({ databases: master.dataset.databases, maxValueBytes: Math.min(master.options.maxBulkBytes, RDB_READER_DEFAULTS.maxValueBytes) }),
          streamDb: 0,
          error: null,
          keys: 0,
          read: 0,
        }
        return
      case 'rdb-chunk':
        this.#loadChunk(action.bytes)
        return
      case 'rdb-end':
        this.#finishLoad()
        return
      case 'full-sync-abort':
        this.#load = null
        // Part of an RDB is no dataset at all; the next sync is full (the machine forgot the replid).
        master.dataset.clear()
        return
      case 'adopt': {
        const streamDb = this.#load?.streamDb ?? 0
        this.#load = null
        // Redis: replicationCreateMasterClient(…, rsi.repl_stream_db) + clearReplicationId2().
        master.setReplicationIds(newReplicationIds(action.replid))
        master.backlog.rebase(action.offset)
        this.#session = master.dataset.createSession()
        this.#session.db = streamDb
        this.#queued = null
        return
      }
      case 'continue':
        if (action.replid === action.previous) return
        // Redis: "Master replication ID changed to <new>": the old ID stays valid up to our offset,
        // and our sub-replicas reconnect to continue through it.
        master.setReplicationIds(shiftReplId(master.ids(), action.replid, action.offset))
        this.#dropReplicas('the upstream Redis changed its replication ID (failover)')
        return
      case 'apply':
        this.#apply(action.bytes, action.commands, action.startOffset, action.endOffset)
        return
      case 'close':
        master.report(action.error)
        this.#socket?.destroy()
        return
    }
  }

  #apply(bytes: Uint8Array, commands: readonly (readonly string[])[], startOffset: number, endOffset: number): void {
    const master = this.#master
    if (master.backlog.masterReplOffset !== startOffset) {
      // The machine's offset and the backlog's can only agree; if they do not, a bug broke the one
      // invariant our replicas rely on (#dispatch reports it and starts over with a full sync).
      throw new Error(`the upstream stream is at offset ${startOffset} but the backlog at ${master.backlog.masterReplOffset}`)
    }
    master.backlog.append(bytes)
    const now = Date.now()
    const dataset = master.dataset
    for (const argv of commands) {
      if (argv.length === 0) continue
      const reply = dataset.applyReplicated(this.#session, argv, now)
      // Redis: "== CRITICAL == This master is sending an error to its replica" — logged, ignored
      // (propagation-error-behavior ignore). Here: counted, and reported as a typed error. Every
      // command Redis streams succeeded on Redis, so any error here is a divergence.
      if (reply.kind === 'error') this.#unapplied(argv, reply.message, startOffset, endOffset)
      if (this.#queued !== null) {
        if (reply.kind === 'simple' && reply.value === 'QUEUED') {
          this.#queued.push(argv)
          continue
        }
        if (!this.#session.inTransaction) {
          // EXEC (or a DISCARD): an error inside EXEC's reply is a queued command that failed.
          const queued = this.#queued
          this.#queued = null
          if (reply.kind === 'array' && reply.value !== null) {
            reply.value.forEach((item, i) => {
              if (item.kind === 'error') this.#unapplied(queued[i] ?? ['exec'], item.message, startOffset, endOffset)
            })
          }
        }
      } else if (this.#session.inTransaction) {
        this.#queued = []
      }
    }
  }

  #unapplied(argv: readonly string[], reply: string, startOffset: number, endOffset: number): void {
    // INFO stats counts every one; only some are reported (core's unapplied.ts).
    const { count, due } = this.#unappliedReports.note(argv)
    if (due) this.#master.report(new UpstreamUnappliedCommandError(argv, reply, count, startOffset, endOffset))
  }

  #loadChunk(bytes: Uint8Array): void {
    const load = this.#load
    if (load === null || load.error !== null) return
    load.read += bytes.length
    try {
      const records: KeyRecord[] = []
      for (const event of load.reader.push(bytes)) {
        if (event.kind === 'key') records.push(event.record)
        else if (event.kind === 'aux' && event.key === 'repl-stream-db') load.streamDb = Math.max(0, Number(event.value) || 0)
      }
      if (records.length > 0) {
        this.#master.dataset.loadRecords(records)
        load.keys += records.length
      }
    } catch (e) {
      load.error = e instanceof Error ? e : new Error(String(e))
    }
  }

  #finishLoad(): void {
    const load = this.#load
    const now = Date.now()
    if (load === null) return
    if (load.error === null) {
      try {
        load.reader.finish()
      } catch (e) {
        load.error = e instanceof Error ? e : new Error(String(e))
      }
    }
    if (load.error !== null) {
      this.#dispatch({ type: 'load-failed', error: load.error, now })
      return
    }
    if (load.reader.warningCount > 0) {
      this.#master.report(new UpstreamRdbWarning(load.reader.warningCount, load.reader.warnings[0]?.message ?? '?'))
    }
    this.#dispatch({ type: 'loaded', now })
  }

  /** Closes every replica link now (their backlog readers are released at once). */
  #dropReplicas(reason: string): void {
    for (const link of [...this.#master.links]) {
      link.transport.close(CLOSE_SERVICE_RESTART, reason)
      link.disconnected()
    }
  }
}
