// createBrowserReplica(): one replica shared by every tab of an origin that names it (DESIGN §5).
//
//   tab ──Web Lock `replicast:<name>`──► leader:   createReplica + worker storage (owner); the only
//                                                  WebSocket; commits broadcast by its storage worker
//                                    └─► follower: FollowerCopy (reader worker + BroadcastChannel);
//                                                  takes over when the lock comes to it
//
// Both roles offer the same reads, change events, status events and waitForOffset. A follower's
// status is the leader's (link, lag, last sync, snapshot progress, errors) with its own data point:
// `offset`/`durableOffset` are those of the data this tab's reads see (the stored data, as broadcast),
// `leaderOffset` is where the leader is, and `role` says which this tab is.
//
// A follower that takes over keeps answering reads from its copy until its replica has loaded the
// stored data, then continues with PSYNC from the durable point (no full sync).
//
// The leader reacts to the page's life (page-lifecycle.ts): `offline` closes the link, `online` and
// coming back to the foreground reconnect at once, and its replica's clock does not count the time
// the page was frozen or its timers throttled, so a late tick never declares a live master dead.
import { globMatch, utf8ToByteString, type ByteString, type RespValue } from '@replicast/core'
import { Emitter } from '../emitter.ts'
import { type ReplicaOptions } from '../options.ts'
import { createReplica, type Replica, type ReplicaChange, type ReplicaStatusInfo } from '../replica.ts'
import { toReplyValue, type ReplyValue } from '../reads.ts'
import { FollowerCopy } from './follower.ts'
import { electLeader, webLocksAvailable, type Election } from './leader-election.ts'
import { browserOffline, StallClock, watchPage } from './page-lifecycle.ts'
import type { TabMessage } from './tab-protocol.ts'
import type { StorageWorkerFactory } from './worker-client.ts'
import type { WorkerIdbOptions } from './worker-protocol.ts'
import type { WebSocketConstructor } from '../websocket.ts'
import { slicedWebSocket } from './sliced-websocket.ts'
import { createWorkerReader, createWorkerStorage } from './worker-storage.ts'

export type BrowserReplicaRole = 'leader' | 'follower'

export interface BrowserReplicaStatus extends ReplicaStatusInfo {
  readonly role: BrowserReplicaRole
  /** Where the leader's replica is (its applied offset); equal to `offset` on the leader. Null before a follower hears from a leader. */
  readonly leaderOffset: number | null
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
  /** Options of the IndexedDB store (createIndexedDbStorage's). @default { commitDurability: 'relaxed', fullSyncBatchRecords: 10000 } */
  readonly idb?: WorkerIdbOptions
  /** Makes the storage worker (tests and unusual bundlers). @default a module worker of storage-worker-entry.ts */
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
  idb: Object.freeze({ commitDurability: 'relaxed', fullSyncBatchRecords: 10_000 } as const),
  worker: undefined,
  statusPeriodMs: 250,
  stallMs: undefined,
  snapshotWriteBatch: 1000,
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

type Arg = string | Uint8Array | number

function toByteString(arg: Arg): ByteString {
  if (typeof arg === 'number') return String(arg)
  if (typeof arg === 'string') return utf8ToByteString(arg)
  let s = ''
  for (let i = 0; i < arg.length; i++) s += String.fromCharCode(arg[i]!)
  return s
}

interface Subscription {
  readonly db: number | null
  readonly pattern: ByteString
  readonly glob: boolean
  readonly listener: (change: ReplicaChange) => void
}

interface Waiter {
  readonly offset: number
  readonly durable: boolean
  readonly resolve: () => void
  readonly reject: (error: Error) => void
  readonly timer: ReturnType<typeof setTimeout> | undefined
  attached: Replica | null
}

export class BrowserReplica extends Emitter<BrowserReplicaEvents> {
  readonly name: string
  readonly #options: BrowserReplicaOptions
  readonly #channel: BroadcastChannel
  readonly #clock: StallClock
  #role: BrowserReplicaRole | 'closed' = 'follower'
  #election: Election | null = null
  #replica: Replica | null = null
  #promoting: Promise<void> | null = null
  #follower: FollowerCopy | null = null
  #leaderStatus: ReplicaStatusInfo | null = null
  #wantConnected: boolean
  #offline = browserOffline()
  #offlineProbe: ReturnType<typeof setTimeout> | undefined
  #unwatch: () => void = () => {}
  #subscriptions = new Set<Subscription>()
  #waiters = new Set<Waiter>()
  #lastStatusJson = ''
  #statusTimer: ReturnType<typeof setTimeout> | undefined
  #lastBroadcast = { json: '', at: 0 }
  #firstRole: ((role: BrowserReplicaRole) => void) | null = null
  /** Why this tab, leading, has no replica (its storage worker failed to start); retried when back online. */
  #startError: Error | null = null
  #started = false

  /** Use createBrowserReplica(). */
  constructor(options: BrowserReplicaOptions) {
    super()
    this.#options = options
    this.name = options.name ?? DEFAULT_NAME
    this.#wantConnected = options.autoConnect ?? true
    const timeoutMs = options.timeoutMs ?? 60_000
    this.#clock = new StallClock({ stallMs: options.stallMs ?? Math.max(2000, Math.floor(timeoutMs / 4)), stepMs: options.tickMs ?? 100 })
    this.#channel = new BroadcastChannel(`replicast:${this.name}`)
    this.#channel.onmessage = (event: MessageEvent<TabMessage>) => this.#channelOnMessage(event.data)
  }

  /** @internal Starts the election; resolves once this tab knows its role and serves reads. */
  async start(): Promise<void> {
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

  // ── Roles ─────────────────────────────────────────────────────────────────────────────────────

  get role(): BrowserReplicaRole {
    return this.#role === 'closed' ? 'follower' : this.#role
  }

  #becomeFollower(): void {
    if (this.#role === 'closed') return
    this.#role = 'follower'
    const follower = new FollowerCopy(createWorkerReader({ name: this.name, worker: this.#options.worker, loadBatchRecords: this.#options.idb?.loadBatchRecords, onBackgroundError: (e) => this.#report(e) }), {
      change: (change) => { if (this.#follower === follower && this.#replica === null) this.#emitChange(change) },
      moved: () => this.#update(),
      error: (error) => this.#report(error),
    })
    this.#follower = follower
    follower.start()
    this.#channel.postMessage({ kind: 'hello' } satisfies TabMessage)
    this.emit('role', 'follower')
    this.#firstRole?.('follower')
    this.#firstRole = null
    this.#update()
  }

  #becomeLeader(): void {
    if (this.#role === 'closed') return
    this.#role = 'leader'
    this.#promote()
    this.emit('role', 'leader')
    this.#firstRole?.('leader')
    this.#firstRole = null
  }

  #promote(): void {
    this.#startError = null
    const promoting = this.#startReplica()
    this.#promoting = promoting
    promoting.catch((error: unknown) => {
      this.#startError = error instanceof Error ? error : new Error(String(error))
      // After the first start (which rejects createBrowserReplica instead), report and keep serving
      // reads from the follower copy, if any; `online` retries.
      if (this.#started) this.#report(error)
      this.#update()
    })
  }

  async #startReplica(): Promise<void> {
    const o = this.#options
    const { name: _name, idb, worker, statusPeriodMs: _period, stallMs: _stall, ...replicaOptions } = o
    const storage = createWorkerStorage({
      name: this.name,
      broadcast: `replicast:${this.name}`,
      worker,
      // Relaxed: atomic and crash-consistent for a tab or browser crash (an OS crash may lose the last
      // commits, leaving an earlier consistent point), several times faster per transaction.
      // fullSyncBatchRecords 10,000: the yardstick's transaction size (DESIGN §9): fewer, larger
      // transactions while full-syncing.
      ...BROWSER_REPLICA_DEFAULTS.idb,
      ...idb,
      onBackgroundError: (e) => this.#report(e),
    })
    const WebSocketClass = replicaOptions.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
    const replica = await createReplica({
      // Smaller than the shell's default: each batch is checked and packed on the main thread.
      snapshotWriteBatch: BROWSER_REPLICA_DEFAULTS.snapshotWriteBatch,
      ...replicaOptions,
      WebSocket: WebSocketClass === undefined ? undefined : slicedWebSocket(WebSocketClass),
      storage,
      autoConnect: this.#wantConnected && !this.#offline,
      clock: this.#clock.now,
    })
    if (this.#role === 'closed') {
      await replica.close()
      return
    }
    this.#replica = replica
    replica.on('status', () => this.#update())
    replica.on('change', (change) => this.#emitChange(change))
    replica.on('error', (error) => this.#report(error))
    for (const waiter of this.#waiters) this.#attach(waiter, replica)
    // Reads move from the follower copy (if this tab followed) to the replica once it has loaded.
    void replica.ready.then(async () => {
      const follower = this.#follower
      this.#follower = null
      await follower?.close()
      this.#update()
    })
    this.#update()
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
      this.#update()
      return
    }
    this.#follower?.handle(message)
  }

  #broadcastStatus(force: boolean): void {
    const replica = this.#replica
    if (replica === null || this.#role !== 'leader') return
    const status = replica.status
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
    this.#channel.postMessage({ kind: 'status', status: this.status } satisfies TabMessage)
  }

  // ── The page ──────────────────────────────────────────────────────────────────────────────────

  #pageOnOffline(): void {
    this.#offline = true
    const replica = this.#replica
    if (replica === null || !this.#wantConnected) return
    replica.disconnect()
    // Should the browser be wrong about being offline, try anyway after a long, jittered while.
    clearTimeout(this.#offlineProbe)
    const maxDelayMs = this.#options.backoff?.maxDelayMs ?? 30_000
    this.#offlineProbe = setTimeout(() => {
      this.#offlineProbe = undefined
      if (this.#wantConnected && this.#role === 'leader') this.#replica?.connect()
    }, Math.round(maxDelayMs * (0.5 + Math.random() / 2)))
  }

  #pageOnOnline(): void {
    this.#offline = false
    clearTimeout(this.#offlineProbe)
    this.#offlineProbe = undefined
    // A takeover that failed (its storage worker could not be loaded while offline) is retried now.
    if (this.#role === 'leader' && this.#replica === null && this.#startError !== null) this.#promote()
    const replica = this.#replica
    if (replica === null || !this.#wantConnected) return
    replica.connect()
    replica.reconnectNow()
  }

  #pageOnResumed(): void {
    if (this.#offline || !this.#wantConnected) return
    this.#replica?.reconnectNow()
  }

  // ── Connecting ────────────────────────────────────────────────────────────────────────────────

  /** Opens the link (the leader's; a follower remembers it for when it leads). */
  connect(): void {
    if (this.#role === 'closed') throw new Error('connect() after close()')
    this.#wantConnected = true
    if (!this.#offline) this.#replica?.connect()
  }

  /** Closes the link and stops reconnecting; data stays readable. */
  disconnect(): void {
    this.#wantConnected = false
    clearTimeout(this.#offlineProbe)
    this.#replica?.disconnect()
  }

  /** Reconnects now instead of waiting out the backoff. */
  reconnectNow(): void {
    if (this.#wantConnected) this.#replica?.reconnectNow()
  }

  // ── Reads ─────────────────────────────────────────────────────────────────────────────────────

  /** Where reads go: the leader's replica once loaded; until then a follower copy this tab still has. */
  #readTarget(): Replica | FollowerCopy {
    const replica = this.#replica
    const follower = this.#follower
    if (replica !== null && (replica.status.loaded || follower === null || !follower.loaded)) return replica
    if (follower !== null) return follower
    throw this.#startError ?? new Error('The replica is closed.')
  }

  async #read(args: readonly Arg[], db: number, encoding: 'utf8' | 'bytes'): Promise<ReplyValue> {
    if (args.length === 0) throw new TypeError('A command needs at least its name.')
    await this.#promoting?.catch(() => {})
    const target = this.#readTarget()
    if (target instanceof FollowerCopy) {
      const reply: RespValue = await target.read(args.map(toByteString), db)
      return toReplyValue(reply, encoding)
    }
    return encoding === 'utf8' ? target.call(args, db) : target.callBytes(args, db)
  }

  /** Runs a read command (GET, HGETALL, ZRANGE … WITHSCORES, SCAN, …); bulk strings as UTF-8 text. */
  call(args: readonly Arg[], db = 0): Promise<ReplyValue> {
    return this.#read(args, db, 'utf8')
  }

  /** As `call`, with bulk strings as bytes. */
  callBytes(args: readonly Arg[], db = 0): Promise<ReplyValue> {
    return this.#read(args, db, 'bytes')
  }

  get(key: Arg, db = 0): Promise<string | null> {
    return this.call(['GET', key], db) as Promise<string | null>
  }

  hgetall(key: Arg, db = 0): Promise<Record<string, string>> {
    return this.call(['HGETALL', key], db).then((reply) => {
      const flat = reply as string[]
      const out: Record<string, string> = Object.create(null) as Record<string, string>
      for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!
      return out
    })
  }

  lrange(key: Arg, start: number, stop: number, db = 0): Promise<string[]> {
    return this.call(['LRANGE', key, start, stop], db) as Promise<string[]>
  }

  smembers(key: Arg, db = 0): Promise<string[]> {
    return this.call(['SMEMBERS', key], db) as Promise<string[]>
  }

  /** ZRANGE start stop WITHSCORES, as [member, score] pairs (REV for highest first). */
  async zrangeWithScores(key: Arg, start: number, stop: number, options: { rev?: boolean; db?: number } = {}): Promise<[string, number][]> {
    const args: Arg[] = ['ZRANGE', key, start, stop]
    if (options.rev === true) args.push('REV')
    args.push('WITHSCORES')
    const flat = (await this.call(args, options.db ?? 0)) as string[]
    const out: [string, number][] = []
    for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, Number(flat[i + 1]!)])
    return out
  }

  /** KEYS pattern (glob), as text. */
  keys(pattern = '*', db = 0): Promise<string[]> {
    return this.call(['KEYS', pattern], db) as Promise<string[]>
  }

  /** Resolves once the data this tab's reads see is loaded in memory (reads no longer go to IndexedDB). */
  get ready(): Promise<void> {
    return (async () => {
      await this.#promoting?.catch(() => {})
      await this.#readTarget().ready
    })()
  }

  /** DEBUG DIGEST of the data this tab's reads see (once loaded). */
  async digest(): Promise<string> {
    await this.#promoting?.catch(() => {})
    const target = this.#readTarget()
    if (target instanceof FollowerCopy) {
      await target.ready
      return (this.#follower ?? target).digest()
    }
    return target.digest()
  }

  // ── Subscriptions ─────────────────────────────────────────────────────────────────────────────

  /**
   * Calls `listener` for every change to a key equal to `pattern` (or matching it as a glob with
   * `glob`), in `db` (every db when null), and on every full resync. Returns a function that unsubscribes.
   */
  subscribe(pattern: Arg, listener: (change: ReplicaChange) => void, options: { glob?: boolean; db?: number | null } = {}): () => void {
    const subscription: Subscription = { pattern: toByteString(pattern), glob: options.glob ?? false, db: options.db === undefined ? 0 : options.db, listener }
    this.#subscriptions.add(subscription)
    return () => this.#subscriptions.delete(subscription)
  }

  #emitChange(change: ReplicaChange): void {
    if (this.listenerCount('change') > 0) this.emit('change', change)
    for (const s of this.#subscriptions) {
      if (change.kind !== 'resync' && s.db !== null && s.db !== change.db) continue
      if (change.kind === 'key' && !(s.glob ? globMatch(s.pattern, change.keyBytes!) : s.pattern === change.keyBytes)) continue
      try {
        s.listener(change)
      } catch (error) {
        this.#report(error)
      }
    }
  }

  // ── Offsets and status ────────────────────────────────────────────────────────────────────────

  /**
   * Resolves once this tab's reads see the master's stream up to `offset` (with `durable`: once it is
   * also stored; a follower's data always is). Rejects after `timeoutMs` when given, or on close().
   */
  waitForOffset(offset: number, options: { durable?: boolean; timeoutMs?: number } = {}): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.#role === 'closed') return reject(new Error('The replica is closed.'))
      let waiter: Waiter
      const settle = (error: Error | null) => {
        if (!this.#waiters.delete(waiter)) return
        clearTimeout(waiter.timer)
        if (error === null) resolve()
        else reject(error)
      }
      const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
        const s = this.status
        settle(new Error(`waitForOffset(${offset}) timed out after ${options.timeoutMs} ms at offset ${s.offset} (durable ${s.durableOffset}), link ${s.link}, role ${s.role}.`))
      }, options.timeoutMs)
      waiter = { offset, durable: options.durable ?? false, resolve: () => settle(null), reject: (e) => settle(e), timer, attached: null }
      this.#waiters.add(waiter)
      if (this.#replica !== null) this.#attach(waiter, this.#replica)
      this.#settleFollowerWaiters()
    })
  }

  #attach(waiter: Waiter, replica: Replica): void {
    if (waiter.attached === replica) return
    waiter.attached = replica
    replica.waitForOffset(waiter.offset, { durable: waiter.durable }).then(waiter.resolve, () => {})
  }

  #settleFollowerWaiters(): void {
    const point = this.#follower?.point
    if (point === null || point === undefined || this.#replica !== null) return
    for (const waiter of this.#waiters) if (point.offset >= waiter.offset) waiter.resolve()
  }

  get status(): BrowserReplicaStatus {
    const replica = this.#replica
    if (replica !== null) {
      const s = replica.status
      // The replica's clock skips the time the page was not running; report heardAt as wall time.
      const heardAt = s.lagMs === null ? null : Date.now() - s.lagMs
      return { ...s, heardAt, role: 'leader', leaderOffset: s.offset }
    }
    // A follower shows its leader's status; a leader without a replica (still starting, or its storage
    // failed to start) shows a link that is down and, if any, why.
    const leading = this.#role === 'leader'
    const leader = leading ? NO_LEADER_STATUS : this.#leaderStatus ?? NO_LEADER_STATUS
    const follower = this.#follower
    const point = follower?.point ?? null
    const startError = this.#startError
    return {
      ...leader,
      role: leading ? 'leader' : 'follower',
      replid: point?.replid ?? null,
      offset: point?.offset ?? 0,
      durableOffset: point?.offset ?? 0,
      loaded: follower?.loaded ?? false,
      unpersistedBytes: 0,
      lastError: startError === null ? leader.lastError : { code: (startError as { code?: string }).code ?? 'ERR_STORAGE', message: startError.message },
      leaderOffset: leading || this.#leaderStatus === null ? null : leader.offset,
    }
  }

  #update(): void {
    this.#settleFollowerWaiters()
    if (this.#role === 'leader') this.#broadcastStatus(false)
    if (this.listenerCount('status') === 0) return
    const status = this.status
    const json = JSON.stringify({ ...status, lagMs: null, heardAt: null })
    if (json === this.#lastStatusJson) return
    this.#lastStatusJson = json
    this.emit('status', status)
  }

  #report(error: unknown): void {
    const e = error instanceof Error ? error : new Error(String(error))
    if (this.listenerCount('error') > 0) this.emit('error', e)
  }

  // ── Closing ───────────────────────────────────────────────────────────────────────────────────

  /** Closes the link and the store, and hands leadership to another tab. */
  async close(): Promise<void> {
    if (this.#role === 'closed') return
    this.#role = 'closed'
    this.#unwatch()
    clearTimeout(this.#offlineProbe)
    clearTimeout(this.#statusTimer)
    for (const waiter of [...this.#waiters]) waiter.reject(new Error('The replica was closed before it reached the offset.'))
    await this.#promoting?.catch(() => {})
    const replica = this.#replica
    const follower = this.#follower
    this.#replica = null
    this.#follower = null
    await Promise.all([replica?.close(), follower?.close()])
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
