// createBrowserReplica(): one replica shared by every tab of an origin that names it (DESIGN §5).
//
//   tab ──Web Lock `replicast:<name>`──► leader:   its replica worker runs createReplica (the only
//                                                  WebSocket; IndexedDB as the store's owner) and
//                                                  sends each durable commit to the followers
//                                    └─► follower: its replica worker runs a FollowerCopy (the stored
//                                                  data, kept current from those commits); takes
//                                                  over when the lock comes to it
//
// Everything heavy runs in the tab's replica worker (replica-worker.ts): the socket, the replica
// machine, RDB parsing, the in-memory dataset and IndexedDB. This object, on the page's main thread,
// is a thin proxy: reads, digests and waits are requests to the worker (they are promises anyway),
// status and changes come back as events, and it keeps what only the page can do: the election, the
// page's life, the link's clock, and the status it shows the other tabs. DESIGN §9 asks for no
// main-thread gap over 50 ms while loading; a million keys held, parsed and stored on the page take
// hundreds (the collector alone, walking a dataset that size, takes more than 50).
//
// Both roles offer the same reads, change events, status events and waitForOffset. A follower's
// status is the leader's (link, lag, last sync, snapshot progress, errors) with its own data point:
// `offset`/`durableOffset` are those of the data this tab's reads see (the stored data, as broadcast),
// `leaderOffset` is where the leader is, and `role` says which this tab is.
//
// A follower that takes over keeps answering reads from its copy until its replica has loaded the
// stored data, then continues with PSYNC from the durable point (no full sync).
//
// Nothing that fails is only emitted: every error this tab hears of (its worker's, the store's
// background work and lost connection, its own) becomes `status.lastError` too, whether or not
// anyone listens to 'error' (a failure of the replica itself is already there). A store whose
// connection was lost is reopened by the worker; one that cannot be reopened leaves the replica
// stopped, and `status.stopped` says why.
//
// The leader reacts to the page's life (page-lifecycle.ts): `offline` closes the link, `online` and
// coming back to the foreground reconnect at once, and its replica's clock (read here, sent to the
// worker every tick) does not count the time the page was frozen or its timers throttled, so a late
// tick never declares a live master dead.
import { byteStringToUtf8 } from '@replicast/core'
import { WaitForOffsetTimeoutError } from '../errors.ts'
import { toLastError, type LastError } from '../last-error.ts'
import { resolveReplicaOptions, type ReplicaOptions } from '../options.ts'
import type { ReplicaStatusInfo } from '../replica.ts'
import { ReplicaFront } from '../replica-front.ts'
import type { ReadArg as Arg, ReplyValue } from '../reads.ts'
import { Subscriptions, type ReplicaChange } from '../subscriptions.ts'
import { messageBytes, type WebSocketConstructor, type WebSocketLike } from '../websocket.ts'
import { EngineClient } from './engine-client.ts'
import type { EngineEvent, EngineReplicaOptions, EngineView, RelaySocketEvent } from './engine-protocol.ts'
import { electLeader, webLocksAvailable, type Election } from './leader-election.ts'
import { browserOffline, StallClock, watchPage } from './page-lifecycle.ts'
import type { TabMessage } from './tab-protocol.ts'
import { defaultStorageWorker, type StorageWorkerFactory } from './worker-client.ts'
import { deserializeError, type WorkerIdbOptions } from './worker-protocol.ts'

export type BrowserReplicaRole = 'leader' | 'follower'

export interface BrowserReplicaStatus extends ReplicaStatusInfo {
  readonly role: BrowserReplicaRole
  /** Where the leader's replica is (its applied offset); equal to `offset` on the leader. Null before a follower hears from a leader. */
  readonly leaderOffset: number | null
  /**
   * Why the leader's replica stopped for good, or null: its IndexedDB store was lost (deleted or
   * upgraded by another connection, site data cleared) and could not be opened again (a newer schema
   * version took it over), or was lost again at each of the worker's reopens in a row (REOPEN_LIMIT,
   * replica-worker.ts). Its data stays readable from memory; it no longer syncs until the page reloads.
   */
  readonly stopped: { readonly code: string; readonly message: string } | null
}

export interface BrowserReplicaEvents {
  status: [BrowserReplicaStatus]
  change: [ReplicaChange]
  error: [Error]
  /** This tab became the leader or a follower. */
  role: [BrowserReplicaRole]
}

export interface BrowserReplicaOptions extends Partial<Omit<ReplicaOptions, 'url' | 'storage' | 'clock'>> {
  /** The master's replication endpoint, e.g. `ws://127.0.0.1:8080/replication`. */
  readonly url: string
  /**
   * Names the replica: its IndexedDB database, its Web Lock and its BroadcastChannel. Tabs of one
   * origin using the same name share one replica (one WebSocket, one store).
   * @default 'replicast'
   */
  readonly name?: string
  /** Options of the IndexedDB store (createIndexedDbStorage's). @default { commitDurability: 'relaxed' } */
  readonly idb?: WorkerIdbOptions
  /** Makes the tab's replica worker (tests and unusual bundlers). @default a module worker of storage-worker-entry.ts */
  readonly worker?: StorageWorkerFactory
  /** The leader tells the followers its status at most this often while it changes, in ms. @default 250 */
  readonly statusPeriodMs?: number
  /**
   * A gap longer than this between two readings of the replica's clock is taken as time the page was
   * not running (frozen, asleep, timers throttled) and not counted toward the link timeout, in ms.
   * @default a quarter of timeoutMs, at least 2000
   */
  readonly stallMs?: number
}

/**
 * The defaults createBrowserReplica applies where it adds to or differs from createReplica's
 * (REPLICA_DEFAULTS): every other option of ReplicaOptions keeps that default. `worker` and `stallMs`
 * are derived (a module worker of storage-worker-entry.ts; a quarter of `timeoutMs`, at least 2000),
 * so undefined here. docs/operations.md §2.1 documents each (test/docs.test.ts holds it to that).
 */
export const BROWSER_REPLICA_DEFAULTS = Object.freeze({
  name: 'replicast',
  idb: Object.freeze({ commitDurability: 'relaxed' } as const),
  worker: undefined,
  statusPeriodMs: 250,
  stallMs: undefined,
}) satisfies Partial<BrowserReplicaOptions>

const DEFAULT_NAME = BROWSER_REPLICA_DEFAULTS.name
const STATUS_PERIOD_DEFAULT_MS = BROWSER_REPLICA_DEFAULTS.statusPeriodMs

/** What a follower shows before it has heard from any leader. */
const NO_LEADER_STATUS: ReplicaStatusInfo = Object.freeze({
  link: 'down',
  state: 'disconnected',
  replid: null,
  offset: 0,
  durableOffset: 0,
  lastSync: null,
  snapshot: null,
  stats: { gaps: 0, repeats: 0, overlaps: 0, fullSyncs: 0, partialSyncs: 0, rollbacks: 0 } as ReplicaStatusInfo['stats'],
  heardAt: null,
  loaded: false,
  lagMs: null,
  unpersistedBytes: 0,
  lastError: null,
  reconnectAttempt: 0,
})

const NO_VIEW: EngineView = Object.freeze({ replica: null, point: null, copyLoaded: false, stopped: null })


/** The fields of `options` that are set: `{ x: undefined }` means "the default", as when x is absent. */
function definedFields<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>
}

/** An argument as it crosses to the worker: a view of a larger buffer would take the whole buffer along. */
function portable(arg: Arg): Arg {
  return arg instanceof Uint8Array && arg.byteLength !== arg.buffer.byteLength ? arg.slice() : arg
}

interface Waiter {
  readonly reject: (error: Error) => void
}

export class BrowserReplica extends ReplicaFront<BrowserReplicaEvents> {
  readonly name: string
  readonly #options: BrowserReplicaOptions
  /** createReplica's options as they go to the worker (checked here, so a mistake throws its own class). */
  readonly #replicaOptions: EngineReplicaOptions
  readonly #channel: BroadcastChannel
  readonly #clock: StallClock
  readonly #tickMs: number
  #ticker: ReturnType<typeof setInterval> | undefined
  #engine: EngineClient | null = null
  #view: EngineView = NO_VIEW
  #role: BrowserReplicaRole | 'closed' = 'follower'
  #election: Election | null = null
  #promoting: Promise<void> | null = null
  #leaderStatus: ReplicaStatusInfo | null = null
  #wantConnected: boolean
  #wantChanges = false
  #offline = browserOffline()
  #offlineProbe: ReturnType<typeof setTimeout> | undefined
  #unwatch: () => void = () => {}
  readonly #subscriptions = new Subscriptions((error) => this.#report(error))
  #waiters = new Set<Waiter>()
  #statusTimer: ReturnType<typeof setTimeout> | undefined
  #lastBroadcast = { json: '', at: 0 }
  #firstRole: ((role: BrowserReplicaRole) => void) | null = null
  /** Why this tab, leading, has no replica (its worker or store failed to start); retried when back online. */
  #startError: Error | null = null
  #started = false
  /**
   * The last error reported to this tab ('error' events of its worker, its own failures), shown as
   * `lastError` until the replica's (or the leader's) own `lastError` changes, which is then newer.
   */
  #lastError: LastError | null = null
  #baseErrorJson = 'null'
  /** Sockets of the page's own WebSocket class (a `WebSocket` option), which the worker drives through here. */
  readonly #sockets = new Map<number, WebSocketLike>()

  /** Use createBrowserReplica(). */
  constructor(options: BrowserReplicaOptions) {
    super()
    this.#options = options
    this.name = options.name ?? DEFAULT_NAME
    const { name: _name, idb: _idb, worker: _worker, statusPeriodMs: _period, stallMs: _stall, WebSocket: _ws, autoConnect, ...rest } = options
    const defined = definedFields(rest) as EngineReplicaOptions
    resolveReplicaOptions(defined)
    this.#replicaOptions = defined
    this.#wantConnected = autoConnect ?? true
    const timeoutMs = options.timeoutMs ?? 60_000
    this.#tickMs = options.tickMs ?? 100
    this.#clock = new StallClock({ stallMs: options.stallMs ?? Math.max(2000, Math.floor(timeoutMs / 4)), stepMs: this.#tickMs })
    this.#channel = new BroadcastChannel(`replicast:${this.name}`)
    this.#channel.onmessage = (event: MessageEvent<TabMessage>) => this.#channelOnMessage(event.data)
  }

  /** @internal Starts the election; resolves once this tab knows its role and serves reads. */
  async start(): Promise<void> {
    // The worker loads while the election runs.
    this.#engine = this.#newEngine()
    const decided = new Promise<BrowserReplicaRole>((resolve) => (this.#firstRole = resolve))
    if (webLocksAvailable()) {
      this.#election = electLeader(`replicast:${this.name}`, {
        onLeader: () => this.#becomeLeader(),
        onFollower: () => this.#becomeFollower(),
      })
    } else {
      // No Web Locks (an http page that is not localhost): this tab leads alone. Two such tabs would
      // both write the store, so say so.
      console.warn(`Replicast: Web Locks are unavailable here; replica "${this.name}" leads in this tab without coordinating with other tabs.`)
      this.#becomeLeader()
    }
    const role = await decided
    try {
      if (role === 'leader') await this.#promoting
    } catch (error) {
      // The first start fails as a whole (as createReplica does when its storage cannot open).
      await this.close()
      throw error
    }
    this.#started = true
    this.#unwatch = watchPage({
      online: () => this.#pageOnOnline(),
      offline: () => this.#pageOnOffline(),
      resumed: () => this.#pageOnResumed(),
    })
  }

  // ── The worker ────────────────────────────────────────────────────────────────────────────────

  #newEngine(): EngineClient {
    const engine: EngineClient = new EngineClient(this.#options.worker ?? defaultStorageWorker, this.name, (event) => this.#engineOnEvent(engine, event))
    engine.request({
      op: 'init',
      name: this.name,
      options: this.#replicaOptions,
      // Relaxed: atomic and crash-consistent for a tab or browser crash (an OS crash may lose the last
      // commits, leaving an earlier consistent point), several times faster per transaction.
      idb: { ...BROWSER_REPLICA_DEFAULTS.idb, ...definedFields(this.#options.idb ?? {}) },
      clock: this.#clock.now(),
      relaySocket: this.#options.WebSocket !== undefined,
    }).catch(() => {})
    if (this.#wantChanges) engine.notice({ op: 'changes', want: true })
    return engine
  }

  #engineOnEvent(engine: EngineClient, event: EngineEvent): void {
    if (engine !== this.#engine) return
    switch (event.event) {
      case 'view':
        this.#view = event.view
        if (event.view.replica !== null) this.#noteBaseError(event.view.replica.lastError)
        try {
          this.#update()
        } finally {
          // The worker holds the link's frames until status listeners have run (engine-protocol.ts).
          if (event.seq !== null) engine.notice({ op: 'ack', seq: event.seq })
        }
        return
      case 'changes':
        for (const [kind, db, keyBytes] of event.changes) {
          this.#emitChange(kind === 0
            ? { kind: 'key', db, key: byteStringToUtf8(keyBytes!), keyBytes }
            : { kind: kind === 1 ? 'flush' : 'resync', db, key: null, keyBytes: null })
        }
        return
      case 'error':
        this.#report(deserializeError(event.error))
        return
      case 'socket':
        this.#relaySocket(engine, event)
        return
    }
  }

  /** Creates and drives a socket of the page's WebSocket class for the worker. */
  #relaySocket(engine: EngineClient, event: Extract<EngineEvent, { event: 'socket' }>): void {
    const send = (e: RelaySocketEvent, transfer: Transferable[] = []) => engine.notice({ op: 'socket', sid: event.sid, event: e }, transfer)
    switch (event.op) {
      case 'open': {
        const WebSocketClass = this.#options.WebSocket as WebSocketConstructor
        let socket: WebSocketLike
        try {
          socket = new WebSocketClass(event.url, event.protocols)
        } catch (error) {
          this.#report(error)
          send({ type: 'close', code: 1006, reason: error instanceof Error ? error.message : String(error) })
          return
        }
        socket.binaryType = 'arraybuffer'
        this.#sockets.set(event.sid, socket)
        socket.onopen = () => send({ type: 'open' })
        socket.onerror = () => send({ type: 'error' })
        socket.onclose = (e) => {
          this.#sockets.delete(event.sid)
          send({ type: 'close', code: e.code, reason: e.reason })
        }
        socket.onmessage = (e) => {
          const bytes = messageBytes(e.data)
          // A text frame crosses as an empty buffer would not: send it as text, for the replica to refuse.
          if (bytes === null) return send({ type: 'message', data: e.data as ArrayBuffer })
          const data = bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer as ArrayBuffer : bytes.slice().buffer
          send({ type: 'message', data }, [data])
        }
        return
      }
      case 'send':
        this.#sockets.get(event.sid)?.send(event.data)
        return
      case 'close': {
        const socket = this.#sockets.get(event.sid)
        try {
          socket?.close(event.code, event.reason)
        } catch {
          socket?.close()
        }
        return
      }
    }
  }

  // ── Roles ─────────────────────────────────────────────────────────────────────────────────────

  get role(): BrowserReplicaRole {
    return this.#role === 'closed' ? 'follower' : this.#role
  }

  #becomeFollower(): void {
    if (this.#role === 'closed') return
    this.#role = 'follower'
    this.#engine?.request({ op: 'follow' }).catch((error: unknown) => this.#report(error))
    this.#channel.postMessage({ kind: 'hello' } satisfies TabMessage)
    this.emit('role', 'follower')
    this.#firstRole?.('follower')
    this.#firstRole = null
    this.#update()
  }

  #becomeLeader(): void {
    if (this.#role === 'closed') return
    this.#role = 'leader'
    // The link's clock: the page's, read every tick (engine-protocol.ts).
    this.#ticker ??= setInterval(() => this.#engine?.notice({ op: 'clock', now: this.#clock.now() }), this.#tickMs)
    this.#promote()
    this.emit('role', 'leader')
    this.#firstRole?.('leader')
    this.#firstRole = null
  }

  #promote(): void {
    this.#startError = null
    // A worker that could not be loaded (offline) is made again.
    if (this.#engine === null || this.#engine.failed) {
      this.#engine?.terminate()
      this.#view = NO_VIEW
      this.#engine = this.#newEngine()
    }
    const promoting = this.#engine.request({ op: 'lead', connect: this.#wantConnected && !this.#offline }).then(() => this.#update())
    this.#promoting = promoting
    promoting.catch((error: unknown) => {
      this.#startError = error instanceof Error ? error : new Error(String(error))
      // After the first start (which rejects createBrowserReplica instead), report and keep serving
      // reads from the follower copy, if any; `online` retries.
      if (this.#started) this.#report(error)
      this.#update()
    })
  }

  // ── The channel ───────────────────────────────────────────────────────────────────────────────

  #channelOnMessage(message: TabMessage): void {
    if (this.#role === 'closed') return
    if (this.#role === 'leader') {
      if (message.kind === 'hello') this.#broadcastStatus(true)
      return
    }
    if (message.kind === 'status') {
      this.#leaderStatus = message.status
      this.#noteBaseError(message.status.lastError)
      this.#update()
    }
  }

  #broadcastStatus(force: boolean): void {
    if (this.#view.replica === null || this.#role !== 'leader') return
    const status = this.status
    const now = Date.now()
    const period = this.#options.statusPeriodMs ?? STATUS_PERIOD_DEFAULT_MS
    // Changes of link, state, sync or error go at once; offsets and lag at most every period.
    const json = JSON.stringify([status.link, status.state, status.replid, status.lastSync, status.lastError, status.snapshot === null, status.loaded])
    if (!force && json === this.#lastBroadcast.json && now - this.#lastBroadcast.at < period) {
      if (this.#statusTimer === undefined) {
        this.#statusTimer = setTimeout(() => {
          this.#statusTimer = undefined
          this.#broadcastStatus(true)
        }, period - (now - this.#lastBroadcast.at))
      }
      return
    }
    this.#lastBroadcast = { json, at: now }
    // As this tab shows it (heardAt in wall-clock time), for followers to show as theirs.
    this.#channel.postMessage({ kind: 'status', status } satisfies TabMessage)
  }

  // ── The page ──────────────────────────────────────────────────────────────────────────────────

  #pageOnOffline(): void {
    this.#offline = true
    if (this.#role !== 'leader' || !this.#wantConnected) return
    this.#engine?.notice({ op: 'disconnect' })
    // Should the browser be wrong about being offline, try anyway after a long, jittered while.
    clearTimeout(this.#offlineProbe)
    const maxDelayMs = this.#options.backoff?.maxDelayMs ?? 30_000
    this.#offlineProbe = setTimeout(() => {
      this.#offlineProbe = undefined
      if (this.#wantConnected && this.#role === 'leader') this.#engine?.notice({ op: 'connect' })
    }, Math.round(maxDelayMs * (0.5 + Math.random() / 2)))
  }

  #pageOnOnline(): void {
    this.#offline = false
    clearTimeout(this.#offlineProbe)
    this.#offlineProbe = undefined
    if (this.#role !== 'leader') return
    // A takeover that failed (its worker could not be loaded while offline) is retried now.
    if (this.#view.replica === null && this.#startError !== null) this.#promote()
    if (!this.#wantConnected) return
    this.#engine?.notice({ op: 'connect' })
    this.#engine?.notice({ op: 'reconnect-now' })
  }

  #pageOnResumed(): void {
    if (this.#offline || !this.#wantConnected) return
    this.#engine?.notice({ op: 'reconnect-now' })
  }

  // ── Connecting ────────────────────────────────────────────────────────────────────────────────

  /** Opens the link (the leader's; a follower remembers it for when it leads). */
  connect(): void {
    if (this.#role === 'closed') throw new Error('connect() after close()')
    this.#wantConnected = true
    if (!this.#offline && this.#role === 'leader') this.#engine?.notice({ op: 'connect' })
  }

  /** Closes the link and stops reconnecting; data stays readable. */
  disconnect(): void {
    this.#wantConnected = false
    clearTimeout(this.#offlineProbe)
    if (this.#role === 'leader') this.#engine?.notice({ op: 'disconnect' })
  }

  /** Reconnects now instead of waiting out the backoff. */
  reconnectNow(): void {
    if (this.#wantConnected && this.#role === 'leader') this.#engine?.notice({ op: 'reconnect-now' })
  }

  // ── Reads ─────────────────────────────────────────────────────────────────────────────────────

  /** The worker, for a read; rejects once closed. */
  #live(): EngineClient {
    const engine = this.#engine
    if (engine === null || this.#role === 'closed') throw this.#startError ?? new Error('The replica is closed.')
    return engine
  }

  // Posted at once (no await before): a read started in a status listener sees the data of that status.
  #read(args: readonly Arg[], db: number, encoding: 'utf8' | 'bytes'): Promise<ReplyValue> {
    if (args.length === 0) return Promise.reject(new TypeError('A command needs at least its name.'))
    try {
      return this.#live().request({ op: 'read', args: args.map(portable), db, encoding })
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Runs a read command (GET, HGETALL, ZRANGE … WITHSCORES, SCAN, …); bulk strings as UTF-8 text. */
  call(args: readonly Arg[], db = 0): Promise<ReplyValue> {
    return this.#read(args, db, 'utf8')
  }

  /** As `call`, with bulk strings as bytes. */
  callBytes(args: readonly Arg[], db = 0): Promise<ReplyValue> {
    return this.#read(args, db, 'bytes')
  }

  /** Resolves once the data this tab's reads see is loaded in memory (reads no longer go to IndexedDB). */
  get ready(): Promise<void> {
    return (async () => {
      await this.#promoting?.catch(() => {})
      await this.#live().request({ op: 'ready' })
    })()
  }

  /** DEBUG DIGEST of the data this tab's reads see (once loaded). */
  async digest(): Promise<string> {
    await this.#promoting?.catch(() => {})
    return this.#live().request({ op: 'digest' })
  }

  // ── Subscriptions ─────────────────────────────────────────────────────────────────────────────

  /**
   * Calls `listener` for every change to a key equal to `pattern` (or matching it as a glob with
   * `glob`), in `db` (every db when null), and on every full resync. Returns a function that unsubscribes.
   */
  subscribe(pattern: Arg, listener: (change: ReplicaChange) => void, options: { glob?: boolean; db?: number | null } = {}): () => void {
    const remove = this.#subscriptions.add(pattern, listener, options)
    this.#syncWantChanges()
    return () => {
      remove()
      this.#syncWantChanges()
    }
  }

  protected override changeListenersChanged(): void {
    this.#syncWantChanges()
  }

  /** The worker sends changes only while someone here listens to them. */
  #syncWantChanges(): void {
    const want = this.#subscriptions.size > 0 || this.listenerCount('change') > 0
    if (want === this.#wantChanges) return
    this.#wantChanges = want
    this.#engine?.notice({ op: 'changes', want })
  }

  #emitChange(change: ReplicaChange): void {
    if (this.listenerCount('change') > 0) this.emit('change', change)
    this.#subscriptions.emit(change)
  }

  // ── Offsets and status ────────────────────────────────────────────────────────────────────────

  /**
   * Resolves once this tab's reads see the master's stream up to `offset` (with `durable`: once it is
   * also stored; a follower's data always is). Rejects after `timeoutMs` when given, with a
   * WaitForOffsetTimeoutError (`ERR_WAIT_TIMEOUT`), or on close().
   */
  waitForOffset(offset: number, options: { durable?: boolean; timeoutMs?: number } = {}): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.#role === 'closed' || this.#engine === null) return reject(new Error('The replica is closed.'))
      const engine = this.#engine
      let waiter: Waiter
      let id = 0
      const settle = (error: Error | null) => {
        if (!this.#waiters.delete(waiter)) return
        clearTimeout(timer)
        if (error === null) resolve()
        else reject(error)
      }
      const durable = options.durable ?? false
      const { timeoutMs } = options
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
        engine.cancel(id)
        const s = this.status
        settle(new WaitForOffsetTimeoutError({ offset, durable, timeoutMs }, { offset: s.offset, durableOffset: s.durableOffset, link: s.link, role: s.role }))
      }, timeoutMs)
      waiter = { reject: (e) => settle(e) }
      this.#waiters.add(waiter)
      const request = engine.requestWithId({ op: 'wait', offset, durable })
      id = request.id
      request.promise.then(() => settle(null), (error: Error) => settle(error))
    })
  }

  get status(): BrowserReplicaStatus {
    const { replica: s, point, copyLoaded } = this.#view
    if (s !== null) {
      // The replica's clock skips the time the page was not running; report heardAt as wall time.
      const lagMs = s.heardAt === null ? null : Math.max(0, this.#clock.now() - s.heardAt)
      return {
        ...s,
        lagMs,
        heardAt: lagMs === null ? null : Date.now() - lagMs,
        lastError: this.#lastError ?? s.lastError,
        role: 'leader',
        leaderOffset: s.offset,
        stopped: this.#view.stopped,
      }
    }
    // A follower shows its leader's status; a leader without a replica (still starting, or its worker
    // failed to start) shows a link that is down and, if any, why.
    const leading = this.#role === 'leader'
    const leader = leading ? NO_LEADER_STATUS : this.#leaderStatus ?? NO_LEADER_STATUS
    const startError = this.#startError
    return {
      ...leader,
      role: leading ? 'leader' : 'follower',
      replid: point?.replid ?? null,
      offset: point?.offset ?? 0,
      durableOffset: point?.offset ?? 0,
      loaded: copyLoaded,
      unpersistedBytes: 0,
      lastError: startError === null ? this.#lastError ?? leader.lastError : toLastError(startError, 'ERR_STORAGE'),
      leaderOffset: leading || this.#leaderStatus === null ? null : leader.offset,
      stopped: leading ? this.#view.stopped : (leader as Partial<BrowserReplicaStatus>).stopped ?? null,
    }
  }

  #update(): void {
    if (this.#role === 'leader') this.#broadcastStatus(false)
    if (this.listenerCount('status') === 0) return
    const status = this.status
    if (this.isNewStatus(status)) this.emit('status', status)
  }

  #report(error: unknown): void {
    const e = error instanceof Error ? error : new Error(String(error))
    this.#lastError = toLastError(e)
    if (this.listenerCount('error') > 0) this.emit('error', e)
    if (this.#role !== 'closed') this.#update()
  }

  /** The lastError of the status this tab builds on (its replica's, or its leader's); a change is newer than #lastError. */
  #noteBaseError(base: ReplicaStatusInfo['lastError']): void {
    const json = JSON.stringify(base)
    if (json === this.#baseErrorJson) return
    this.#baseErrorJson = json
    if (base !== null) this.#lastError = null
  }

  // ── Closing ───────────────────────────────────────────────────────────────────────────────────

  /** Closes the link and the store, and hands leadership to another tab. */
  async close(): Promise<void> {
    if (this.#role === 'closed') return
    this.#role = 'closed'
    this.#unwatch()
    clearTimeout(this.#offlineProbe)
    clearTimeout(this.#statusTimer)
    clearInterval(this.#ticker)
    for (const waiter of [...this.#waiters]) waiter.reject(new Error('The replica was closed before it reached the offset.'))
    await this.#promoting?.catch(() => {})
    const engine = this.#engine
    if (engine !== null) {
      // The worker closes its replica (every commit lands) and its store, then goes.
      await engine.request({ op: 'close' }).catch(() => {})
      this.#engine = null
      engine.terminate()
    }
    for (const socket of this.#sockets.values()) socket.close()
    this.#sockets.clear()
    // Only now may another tab take over: the store is closed and every commit has landed.
    await this.#election?.release()
    this.#channel.close()
  }
}

/**
 * Creates (or joins) the replica `name` shared by the tabs of this origin: resolves once this tab
 * knows whether it leads or follows and can serve reads (from IndexedDB at once, before any network).
 */
export async function createBrowserReplica(options: BrowserReplicaOptions): Promise<BrowserReplica> {
  const replica = new BrowserReplica(options)
  await replica.start()
  return replica
}
