// createReplica(): a read-only copy of a Replicast master that stays current over a WebSocket, for
// browsers and Node (DESIGN §5). The replication logic is core's pure state machine (stepReplica);
// this shell owns the socket, the clock, the dataset and the storage, and does what the machine's
// actions say:
//
//   socket message ──frame──► stepReplica ──apply──────► Dataset.applyReplicated ──► Persister ──► storage.commit
//   100 ms timer ────tick───►             ──send───────► socket (PSYNC, REPLCONF ACK)
//   storage commit ─persisted►            ──snapshot-*─► SnapshotLoad: shadow Dataset + storage.beginFullSync
//                                         ──rollback───► reload the dataset from storage
//                                         ──close──────► socket.close, then reconnect with backoff
//
// Reads run Redis's read commands against the in-memory dataset; before it is loaded from storage
// they are answered from storage key by key, so a reload serves reads at once, before any network.
// The typed reads and the status events' change check (replica-front.ts) and the matching of
// subscriptions (subscriptions.ts) are shared with BrowserReplica; loading a full sync's snapshot is
// snapshot-load.ts's.
//
// Without storage (`options.storage` undefined, the default) the dataset in memory is the only copy:
// there is no Persister and nothing to load or commit, what is applied is at once what is kept
// (`persisted` follows every apply, so durableOffset is offset), and a rollback has nothing to
// reload: the dataset never holds more than the point it rolls back to (a snapshot that fails to
// load is dropped before it replaces anything). A restart starts empty, with a full sync.
import {
  backoffDelay,
  BACKOFF_DEFAULTS,
  Dataset,
  initialReplicaState,
  replicaStatus,
  resolveReplicaMachineOptions,
  stepReplica,
  UnappliedCommandReports,
  utf8ToByteString,
  LINK_CLOSE_CODES,
  LINK_SUBPROTOCOL,
  LinkProtocolError,
  type ByteString,
  type Effect,
  type KeyChange,
  type KeyRecord,
  type ReplicaAction,
  type ReplicaEvent,
  type ReplicaMachineOptions,
  type ReplicaState,
  type ReplicaStatus,
  type RespValue,
  type Session,
} from '@replicast/core'
import { MasterFrameLimitError, WaitForOffsetTimeoutError } from './errors.ts'
import { toLastError, type LastError } from './last-error.ts'
import { resolveReplicaOptions, type ReplicaOptions } from './options.ts'
import { Persister, type PersistPoint } from './persister.ts'
import { ReplicaFront } from './replica-front.ts'
import { argToByteString as toByteString, readBeforeLoad, toReplyValue, type ReadArg as Arg, type ReplyValue } from './reads.ts'
import { SnapshotLoad } from './snapshot-load.ts'
import { StorageError, type ReplicaStorage } from './storage/storage.ts'
import { Subscriptions, toReplicaChange, type ReplicaChange } from './subscriptions.ts'
import { ReplicaUnappliedCommandError } from './unapplied-command-error.ts'
import { messageBytes, type WebSocketConstructor, type WebSocketLike } from './websocket.ts'

/** What status events carry: the machine's status plus what only the shell knows. */
export interface ReplicaStatusInfo extends ReplicaStatus {
  /** True once the dataset is loaded from storage (reads no longer go to storage). */
  readonly loaded: boolean
  /** Milliseconds since the master was last heard from; null when the link is down. */
  readonly lagMs: number | null
  /** Stream bytes applied but not yet durable in storage. */
  readonly unpersistedBytes: number
  /**
   * False when the replica keeps no storage (`createReplica` without `storage`): its dataset in
   * memory is the only copy, `durableOffset` follows `offset`, and a restart begins with a full sync.
   * Always set by `Replica`; optional for statuses relayed from elsewhere (a browser follower tab).
   */
  readonly hasStorage?: boolean
  /**
   * The last error the replica met (link closed, storage failure), or null. `causeCode` is the code
   * of what caused it, when that has one: a failed persist (`ERR_PERSIST_FAILED`) caused by a full
   * store has `causeCode: 'ERR_STORAGE_QUOTA'`.
   */
  readonly lastError: LastError | null
  /** Reconnect attempts since the link was last up. */
  readonly reconnectAttempt: number
}

export type { ReplicaChange } from './subscriptions.ts'

export interface ReplicaEvents {
  status: [ReplicaStatusInfo]
  change: [ReplicaChange]
  error: [Error]
}


interface OffsetWaiter {
  readonly offset: number
  readonly durable: boolean
  readonly resolve: () => void
  readonly reject: (e: Error) => void
  readonly timer: ReturnType<typeof setTimeout> | undefined
}

export class Replica extends ReplicaFront<ReplicaEvents> {
  readonly options: ReplicaOptions
  /**
   * The replica's storage; without one (`options.storage` undefined), a read-only view of the
   * dataset in memory, which is then the only copy (its `commit` and `beginFullSync` reject).
   */
  readonly storage: ReplicaStorage
  /** False when there is no storage: the dataset in memory is the only copy. */
  readonly hasStorage: boolean
  readonly #machineOptions: ReplicaMachineOptions
  readonly #WebSocket: WebSocketConstructor
  #state: ReplicaState
  #dataset = new Dataset({ role: 'replica' })
  #applySession: Session = this.#dataset.createSession()
  #readSession: Session = this.#dataset.createSession()
  #loaded = false
  #loading: Promise<void> | null = null
  /** Null without storage: nothing to commit. */
  #persister: Persister | null
  #socket: WebSocketLike | null = null
  /** The largest message sent on #socket: what a 1009 close by the master refers to. */
  #largestSentBytes = 0
  #ticker: ReturnType<typeof setInterval> | undefined
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined
  #reconnectAttempt = 0
  /** Persists that failed in a row (reset by one that succeeds): paces the retries (#dispatch). */
  #persistFailures = 0
  #wantConnected = false
  #closed = false
  /** Frames that arrived while the dataset was being (re)loaded, applied in order afterwards. */
  #held: Uint8Array[] | null = null
  #snapshot: SnapshotLoad | null = null
  #collected: KeyChange[] = []
  /** Ends the dataset subscription that fills #collected; null while nothing needs changes. */
  #stopCollecting: (() => void) | null = null
  readonly #subscriptions = new Subscriptions((error) => this.#report(error))
  readonly #unappliedReports = new UnappliedCommandReports()
  #waiters = new Set<OffsetWaiter>()
  #lastError: LastError | null = null
  #lastReported: unknown = undefined

  /** Use createReplica(). `storage` null: keep no storage (the dataset is the only copy). */
  constructor(options: ReplicaOptions, storage: ReplicaStorage | null, initial: ReplicaState) {
    super()
    this.options = options
    this.hasStorage = storage !== null
    this.storage = storage ?? datasetView(() => this.#dataset)
    this.#state = initial
    const WebSocketClass = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
    if (WebSocketClass === undefined) {
      throw new TypeError('No WebSocket class: pass the `WebSocket` option (on Node 20, import createReplica from "@replicast/replica/node").')
    }
    this.#WebSocket = WebSocketClass
    this.#machineOptions = resolveReplicaMachineOptions({
      ackPeriodMs: options.ackPeriodMs,
      timeoutMs: options.timeoutMs,
      auth: options.auth === undefined ? null : { username: options.auth.username === undefined ? null : utf8ToByteString(options.auth.username), password: utf8ToByteString(options.auth.password) },
      limits: options.limits,
    })
    this.#persister = this.hasStorage ? this.#newPersister() : null
    this.#syncCollecting()
  }

  /**
   * Has the dataset report its changes only while something here uses them: the persister commits
   * them, `subscribe` and 'change' listeners hear them. Without storage or listeners an applied write
   * makes no change record at all (an object per key, and the collector's work for it).
   */
  #syncCollecting(): void {
    const want = this.#persister !== null || this.#subscriptions.size > 0 || this.listenerCount('change') > 0
    if (want === (this.#stopCollecting !== null)) return
    if (want) {
      this.#stopCollecting = this.#dataset.subscribe((changes) => { for (const c of changes) this.#collected.push(c) })
    } else {
      this.#stopCollecting!()
      this.#stopCollecting = null
    }
  }

  protected override changeListenersChanged(): void {
    this.#syncCollecting()
  }

  #newPersister(): Persister {
    return new Persister(this.storage, this.#dataset, {
      persisted: (point) => this.#dispatch({ type: 'persisted', replid: point.replid, offset: point.offset, db: point.db }),
      failed: (point, error) => this.#dispatch({ type: 'persist-failed', replid: point.replid, offset: point.offset, error }),
    }, { maxCommands: this.options.persistBatchCommands, maxDelayMs: this.options.persistBatchDelayMs })
  }

  // ── Lifecycle ─────────────────────────────────────────────────────────────────────────────────

  /** @internal Loads the dataset from storage, then connects if asked. */
  start(): void {
    if (this.hasStorage) this.#loading = this.#reload().catch((error: unknown) => this.#report(error))
    else this.#loaded = true
    this.#ticker = setInterval(() => this.#dispatch({ type: 'tick', now: this.options.clock() }), this.options.tickMs)
    if (this.options.autoConnect) this.connect()
  }

  /** Resolves once the dataset is loaded from storage (reads are then served from memory). */
  get ready(): Promise<void> {
    return this.#loading ?? Promise.resolve()
  }

  /** Opens the link (and keeps reopening it) until `disconnect()` or `close()`. */
  connect(): void {
    if (this.#closed) throw new Error('connect() after close()')
    this.#wantConnected = true
    if (this.#socket === null && this.#reconnectTimer === undefined) void this.ready.then(() => this.#open())
  }

  /**
   * Reconnects now instead of waiting out the backoff (the browser came back online, the tab became
   * visible). Does nothing while a link is open or when not connecting.
   */
  reconnectNow(): void {
    if (!this.#wantConnected || this.#closed || this.#socket !== null) return
    clearTimeout(this.#reconnectTimer)
    this.#reconnectTimer = undefined
    this.#reconnectAttempt = 0
    void this.ready.then(() => this.#open())
  }

  /** Closes the link and stops reconnecting; data stays readable. */
  disconnect(): void {
    this.#wantConnected = false
    clearTimeout(this.#reconnectTimer)
    this.#reconnectTimer = undefined
    const socket = this.#socket
    if (socket !== null) {
      this.#socket = null
      socket.close(1000, 'replica disconnected')
      this.#dispatch({ type: 'link-down', now: this.options.clock() })
    }
  }

  /** Disconnects, waits for pending storage writes, and closes the storage. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.disconnect()
    this.#closed = true
    clearInterval(this.#ticker)
    for (const waiter of this.#waiters) {
      clearTimeout(waiter.timer)
      waiter.reject(new Error('The replica was closed before it reached the offset.'))
    }
    this.#waiters.clear()
    await this.#loading
    if (this.#persister === null) return
    this.#persister.flush()
    await this.#persister.idle()
    await this.storage.close()
  }

  #open(): void {
    if (!this.#wantConnected || this.#closed || this.#socket !== null) return
    let socket: WebSocketLike
    try {
      socket = new this.#WebSocket(this.options.url, LINK_SUBPROTOCOL)
    } catch (error) {
      this.#report(error)
      this.#scheduleReconnect()
      return
    }
    socket.binaryType = 'arraybuffer'
    this.#socket = socket
    this.#largestSentBytes = 0
    // Set by an 'error' event: this end failed the link, so a close code that follows is its own.
    let failedHere = false
    socket.onopen = () => {
      if (this.#socket === socket) this.#dispatch({ type: 'link-up', now: this.options.clock() })
    }
    socket.onmessage = (event) => {
      if (this.#socket !== socket) return
      const bytes = messageBytes(event.data)
      if (bytes === null) {
        this.#report(new LinkProtocolError('the master sent a text message; the replication link carries binary frames only', 0))
        closeSocket(socket, 1002, 'text frames are a protocol error')
        return
      }
      if (this.#held !== null) this.#held.push(bytes)
      else this.#dispatch({ type: 'frame', bytes, now: this.options.clock() })
    }
    socket.onclose = (event) => {
      if (this.#socket !== socket) return
      this.#socket = null
      // 1009 from the master: a message of ours was over its maxFrameBytes (ws closes with no reason,
      // so say it here). The same code after an 'error' here is this end's own refusal of a message
      // (ws's maxPayload), which the generic entry below reports.
      if (event.code === LINK_CLOSE_CODES.messageTooBig && !failedHere) this.#report(new MasterFrameLimitError(this.#largestSentBytes, event.reason))
      else if (event.code !== 1000 && event.code !== 1005) this.#lastError = { code: `WS_CLOSE_${event.code}`, message: event.reason || `the link closed with code ${event.code}` }
      this.#dispatch({ type: 'link-down', now: this.options.clock() })
      this.#scheduleReconnect()
    }
    socket.onerror = () => {
      // A close event follows with the code.
      failedHere = true
    }
  }

  #scheduleReconnect(): void {
    if (!this.#wantConnected || this.#closed || this.#reconnectTimer !== undefined) return
    // Reaching 'streaming' resets the attempts, but a link that streams only to fail persisting again
    // must still back off: the failures in a row count as attempts too.
    const attempt = Math.max(this.#reconnectAttempt++, this.#persistFailures - 2)
    const delay = backoffDelay(attempt, Math.random(), { ...BACKOFF_DEFAULTS, ...this.options.backoff })
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined
      // After a rollback the dataset is being reloaded: the new link starts once it is (frames held
      // for the old link are dropped by then).
      void this.ready.then(() => this.#open())
    }, delay)
    this.#publishStatus()
  }

  // ── The machine ───────────────────────────────────────────────────────────────────────────────

  #dispatch(event: ReplicaEvent): void {
    const step = stepReplica(this.#state, event, this.#machineOptions)
    this.#state = step.state
    if (event.type === 'persisted') this.#persistFailures = 0
    else if (event.type === 'persist-failed') this.#persistFailures++
    for (const action of step.actions) this.#perform(action)
    if (this.#state.kind === 'streaming') this.#reconnectAttempt = 0
    if (event.type === 'persist-failed' && this.#persistFailures >= 2 && this.#state.kind !== 'disconnected') this.#pauseAfterPersistFailures()
    this.#settleWaiters()
    this.#publishStatus()
  }

  /**
   * A persist failed again right after a rollback (a full store, a quota that does not free itself).
   * The machine has asked the master to re-send from the durable point at once, which is right for
   * a one-off failure but would turn a lasting one into a hot loop (re-send, apply, fail, reload, ...).
   * So the link is closed and reopened after the reconnect backoff, which grows with the failures in
   * a row. Reads keep being served from memory, at the durable point; `status.lastError` shows the
   * failure; once storage takes writes again (space was freed, the data shrank), the next attempt
   * catches up and the backoff resets.
   */
  #pauseAfterPersistFailures(): void {
    const socket = this.#socket
    this.#socket = null
    if (socket !== null) closeSocket(socket, 1000, `persisting failed ${this.#persistFailures} times in a row; retrying after a backoff`)
    this.#dispatch({ type: 'link-down', now: this.options.clock() })
    this.#scheduleReconnect()
  }

  #perform(action: ReplicaAction): void {
    switch (action.type) {
      case 'send':
        if (this.#socket === null) return
        this.#socket.send(action.bytes)
        this.#largestSentBytes = Math.max(this.#largestSentBytes, action.bytes.byteLength)
        return
      case 'apply':
        this.#apply(action.commands, { replid: action.replid, offset: action.endOffset, db: action.db })
        return
      case 'snapshot-begin':
        this.#snapshotBegin()
        return
      case 'snapshot-chunk':
        this.#snapshotChunk(action.bytes)
        return
      case 'snapshot-end':
        this.#snapshotEnd({ replid: action.replid, offset: action.offset, db: action.db })
        return
      case 'snapshot-abort':
        this.#snapshotAbort()
        return
      case 'rollback':
        this.#report(action.error)
        // A snapshot still loading replaces everything anyway, and the machine goes on loading it
        // (a commit of the old data failed meanwhile): keep its shadow dataset and storage writer.
        // Frames are held until the reload is done, so the snapshot's switch comes after it.
        if (this.#state.kind !== 'loading-snapshot') this.#snapshotAbort()
        // Without storage the dataset is already at the durable point (see the header).
        if (this.#persister === null) return
        this.#persister.discard()
        this.#hold()
        this.#loading = this.#reload().catch((error: unknown) => this.#report(error))
        return
      case 'close': {
        this.#report(action.error)
        const socket = this.#socket
        this.#socket = null
        if (socket !== null) closeSocket(socket, action.code, action.reason)
        this.#scheduleReconnect()
        return
      }
    }
  }

  #apply(commands: readonly Effect[], point: PersistPoint): void {
    const now = Date.now()
    const session = this.#applySession
    this.#collected = []
    for (const effect of commands) {
      session.db = effect.db
      const reply = this.#dataset.applyReplicated(session, effect.argv, now)
      // Redis logs and ignores errors of the master's stream (propagation-error-behavior ignore).
      if (reply.kind === 'error') this.#unapplied(effect.argv, reply.message, point.offset)
    }
    const changes = this.#collected
    this.#collected = []
    if (this.#persister !== null) this.#persister.record(changes, point, commands.length)
    this.#notify(changes)
    if (this.#persister === null) this.#dispatch({ type: 'persisted', replid: point.replid, offset: point.offset, db: point.db })
  }

  #unapplied(argv: readonly ByteString[], reply: string, offset: number): void {
    const { count, due } = this.#unappliedReports.note(argv)
    if (due) this.#report(new ReplicaUnappliedCommandError(argv, reply, count, offset))
  }

  // ── Full sync ─────────────────────────────────────────────────────────────────────────────────

  #snapshotBegin(): void {
    this.#snapshotAbort()
    this.#snapshot = new SnapshotLoad(this.#persister === null ? null : this.storage.beginFullSync(), this.options.snapshotWriteBatch)
  }

  #snapshotChunk(bytes: Uint8Array): void {
    this.#snapshot?.push(bytes)
  }

  #snapshotEnd(point: PersistPoint): void {
    const load = this.#snapshot
    this.#snapshot = null
    if (load === null) return
    const error = load.finish()
    if (error !== null) {
      // The machine rolls back to the durable point and reconnects for a new full sync.
      this.#dispatch({ type: 'persist-failed', replid: point.replid, offset: point.offset, error })
      return
    }
    // The switch in memory is immediate (the stream after the snapshot applies to the new data);
    // storage switches generations atomically once every record is written.
    this.#persister?.discard()
    this.#useDataset(load.dataset)
    if (this.#persister === null) this.#dispatch({ type: 'persisted', replid: point.replid, offset: point.offset, db: point.db })
    else void this.#persister.enqueue(() => load.commit(point), point)
    this.#emitChange({ kind: 'resync', db: -1, key: null, keyBytes: null })
  }

  #snapshotAbort(): void {
    const load = this.#snapshot
    this.#snapshot = null
    load?.abort()
  }

  #useDataset(dataset: Dataset): void {
    this.#dataset = dataset
    this.#applySession = dataset.createSession()
    this.#readSession = dataset.createSession()
    if (this.#persister !== null) this.#persister.dataset = dataset
    this.#stopCollecting?.()
    this.#stopCollecting = null
    this.#syncCollecting()
    this.#loaded = true
  }

  /** Holds incoming frames until the dataset is reloaded. */
  #hold(): void {
    this.#held ??= []
  }

  async #reload(): Promise<void> {
    this.#hold()
    try {
      const dataset = new Dataset({ role: 'replica' })
      await this.storage.load((records) => dataset.loadRecords(records))
      this.#useDataset(dataset)
      this.#emitChange({ kind: 'resync', db: -1, key: null, keyBytes: null })
    } finally {
      const held = this.#held ?? []
      this.#held = null
      for (const bytes of held) this.#dispatch({ type: 'frame', bytes, now: this.options.clock() })
      this.#publishStatus()
    }
  }

  // ── Reads ─────────────────────────────────────────────────────────────────────────────────────

  /**
   * Runs a read command (any of Redis's: GET, HGETALL, ZRANGE … WITHSCORES, TTL, SCAN, …) in
   * database `db` and returns its reply with bulk strings as UTF-8 text. Writes are refused with
   * READONLY, errors (WRONGTYPE, syntax) throw ReplicaCommandError.
   */
  async call(args: readonly Arg[], db = 0): Promise<ReplyValue> {
    return toReplyValue(await this.#read(args.map(toByteString), db), 'utf8')
  }

  /** As `call`, with bulk strings as bytes. */
  async callBytes(args: readonly Arg[], db = 0): Promise<ReplyValue> {
    return toReplyValue(await this.#read(args.map(toByteString), db), 'bytes')
  }

  async #read(argv: ByteString[], db: number): Promise<RespValue> {
    if (argv.length === 0) throw new TypeError('A command needs at least its name.')
    if (!this.#loaded) {
      const reply = await readBeforeLoad(argv, db, {
        get: (db, key) => this.storage.get(db, key),
        loaded: () => this.#loaded,
        whenLoaded: () => this.ready,
      })
      if (reply !== null) return reply
    }
    const session = this.#readSession
    session.db = db
    return this.#dataset.execute(session, argv, Date.now()).reply
  }

  /** The dataset's DEBUG DIGEST (after it is loaded). */
  async digest(): Promise<string> {
    await this.ready
    return this.#dataset.digest()
  }

  // ── Subscriptions ─────────────────────────────────────────────────────────────────────────────

  /**
   * Calls `listener` for every change to a key equal to `pattern`, or matching it as a glob when
   * `glob` is set (Redis's KEYS syntax), in `db` (every db when null), and on every full resync.
   * Returns a function that unsubscribes.
   */
  subscribe(pattern: Arg, listener: (change: ReplicaChange) => void, options: { glob?: boolean; db?: number | null } = {}): () => void {
    const remove = this.#subscriptions.add(pattern, listener, options)
    this.#syncCollecting()
    return () => {
      remove()
      this.#syncCollecting()
    }
  }

  #notify(changes: readonly KeyChange[]): void {
    // Nobody listening: no change objects (a key's UTF-8 decoding each) for every applied write.
    if (this.#subscriptions.size === 0 && this.listenerCount('change') === 0) return
    for (const change of changes) this.#emitChange(toReplicaChange(change))
  }

  #emitChange(change: ReplicaChange): void {
    if (this.listenerCount('change') > 0) this.emit('change', change)
    this.#subscriptions.emit(change)
  }

  // ── Offsets and status ────────────────────────────────────────────────────────────────────────

  /**
   * Resolves once the replica has applied (or, with `durable`, stored) the master's stream up to
   * `offset` (a master_repl_offset). Rejects after `timeoutMs` when given, with a
   * WaitForOffsetTimeoutError (`ERR_WAIT_TIMEOUT`), and when the replica is closed first.
   *
   * The rule: it resolves as soon as the offset the replica has applied on its current history is
   * at least `offset`, whatever the link is doing: streaming, reconnecting, or down. A replica that
   * applied `offset` and then lost its link still holds that data, so it resolves. Two exceptions:
   * while a snapshot is loading (`status.state === 'loading-snapshot'`) the data held is about to be
   * replaced by another image, so it waits until the snapshot is in and judges by the new offset;
   * and until the replica has synced with a master since it started (`status.lastSync` is null), the
   * history it restored from storage is not known to be the master's, so it waits for that sync.
   *
   * With `durable`, it resolves once storage has committed `offset` on the replica's current
   * replication ID, in any state: that is a fact about the store, whatever the link does.
   */
  waitForOffset(offset: number, options: { durable?: boolean; timeoutMs?: number } = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      const durable = options.durable ?? false
      if (this.#reached(offset, durable)) return resolve()
      const { timeoutMs } = options
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
        this.#waiters.delete(waiter)
        const s = this.#state
        reject(new WaitForOffsetTimeoutError({ offset, durable, timeoutMs }, { offset: s.offset, durableOffset: s.durableOffset, link: replicaStatus(s).link }))
      }, timeoutMs)
      const waiter: OffsetWaiter = { offset, durable, resolve, reject, timer }
      this.#waiters.add(waiter)
    })
  }

  #reached(offset: number, durable: boolean): boolean {
    const s = this.#state
    if (s.replid === null) return false
    if (durable) return s.durableReplid === s.replid && s.durableOffset >= offset
    return s.lastSync !== null && s.kind !== 'loading-snapshot' && s.offset >= offset
  }

  #settleWaiters(): void {
    for (const waiter of this.#waiters) {
      if (!this.#reached(waiter.offset, waiter.durable)) continue
      clearTimeout(waiter.timer)
      this.#waiters.delete(waiter)
      waiter.resolve()
    }
  }

  get status(): ReplicaStatusInfo {
    const s = this.#state
    const base = replicaStatus(s)
    return {
      ...base,
      loaded: this.#loaded,
      lagMs: base.heardAt === null ? null : Math.max(0, this.options.clock() - base.heardAt),
      unpersistedBytes: s.durableReplid === s.replid ? Math.max(0, s.offset - s.durableOffset) : s.offset,
      hasStorage: this.hasStorage,
      lastError: this.#lastError,
      reconnectAttempt: this.#reconnectAttempt,
    }
  }

  #publishStatus(): void {
    if (this.listenerCount('status') === 0) return
    const status = this.status
    if (this.isNewStatus(status)) this.emit('status', status)
  }

  #report(error: unknown): void {
    // One failure, one 'error' event: a failed full-sync persist both rolls back and closes the link.
    if (error === this.#lastReported) return
    this.#lastReported = error
    const e = error instanceof Error ? error : new Error(String(error))
    this.#lastError = toLastError(e)
    if (this.listenerCount('error') > 0) this.emit('error', e)
  }
}

/**
 * Closes a socket from the replica's side. Browsers (and Node 22's WebSocket), per the WHATWG spec,
 * throw InvalidAccessError from close() for any code but 1000 and 3000–4999, so the codes the
 * machine gives for protocol errors (1002) and failed snapshots (1011) go out as 1000; the reason
 * still says what happened. Nothing thrown here may stop the replica from reconnecting.
 */
function closeSocket(socket: WebSocketLike, code: number, reason: string): void {
  const allowed = code === 1000 || (code >= 3000 && code <= 4999)
  try {
    socket.close(allowed ? code : 1000, reason)
  } catch {
    socket.close()
  }
}

/**
 * What `replica.storage` is for a replica without storage: the dataset in memory, read through the
 * storage interface (`get` and `load` read it as it is now). It takes no writes: the replica keeps
 * its data in the dataset alone, and storing it elsewhere is what the `storage` option is for.
 */
function datasetView(dataset: () => Dataset): ReplicaStorage {
  const refuse = (): Promise<never> =>
    Promise.reject(new StorageError('This replica has no storage: its dataset in memory is the only copy, and it takes no writes. Pass the `storage` option to keep a durable copy.'))
  return {
    open: async () => null,
    async load(onRecords) {
      let batch: KeyRecord[] = []
      for (const record of dataset().records()) {
        batch.push(record)
        if (batch.length === 1000) {
          onRecords(batch)
          batch = []
        }
      }
      if (batch.length > 0) onRecords(batch)
    },
    get: async (db, key) => dataset().getRecord(db, key),
    commit: refuse,
    beginFullSync: refuse,
    close: async () => undefined,
  }
}

/**
 * Creates a replica of the master at `options.url`: opens the storage, serves reads from it at once,
 * loads it into memory, and connects (PSYNC from the stored point, or a full sync). Without
 * `options.storage` it starts empty and keeps its data in memory only.
 */
export async function createReplica(options: Partial<ReplicaOptions> & { readonly url: string }): Promise<Replica> {
  const resolved = resolveReplicaOptions(options)
  const storage = resolved.storage ?? null
  const meta = storage === null ? null : await storage.open()
  const initial = initialReplicaState(meta === null ? null : { replid: meta.replid, offset: meta.offset, db: Math.max(0, meta.selectedDb) })
  const replica = new Replica(resolved, storage, initial)
  replica.start()
  return replica
}
