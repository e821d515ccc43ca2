// A Replicast master: the dataset, its replication stream, and the servers that reach it.
//
//   clients (RESP/TCP) ──execute──► Dataset ──effects──► Propagator ──► ReplicationBacklog
//                                                                          │ (shared buffer)
//   replicas (WebSocket, or redis-server over TCP) ◄──ReplicaLink pumps────┘
//
// Writes go through `runCommand` (from a RESP connection or `master.command()` in process), whose
// effects are appended to the backlog at once; online replicas are flushed once per event-loop turn,
// so a pipelined burst of writes leaves as a few large frames, as Redis writes to its replicas in
// beforeSleep. A 100 ms cron drives ticks (timeouts, output-buffer limits, keep-alives), the
// stream's `ping`, active expiry, and WAIT timeouts.
import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import {
  Dataset,
  newReplicationIds,
  Propagator,
  replIdFromRandomBytes,
  REPLICATION_ERROR_CODES,
  ReplicationBacklog,
  resolveMasterMachineOptions,
  error as errorReply,
  type ByteString,
  type Effect,
  type MasterMachineOptions,
  type ReplicationError,
  type ReplicationIds,
  type RespError,
  type RespValue,
  type Session,
} from '@replicast/core'
import { renderInfo, type InfoFacts } from './info.ts'
import { resolveMasterOptions, type MasterOptions } from './options.ts'
import type { ReplicaLink, LinkHost } from './replica-link.ts'
import { createServerCommands } from './server-commands.ts'
import { Snapshotter } from './snapshotter.ts'
import type { Upstream } from './upstream/upstream.ts'

export const REPLICAST_VERSION = '0.1.0'

const CRON_MS = 100

/** One client's state that the master needs across commands. */
export interface ClientState {
  readonly session: Session
  /** Offset right after this client's last propagated write (Redis's c->woff), for WAIT. */
  writeOffset: number
}

interface WaitRequest {
  readonly client: ClientState
  readonly numReplicas: number
  readonly deadline: number
  readonly resolve: (acked: number) => void
}

/** The master's events (`master.on(...)`, or `master.core.on(...)`); docs/operations.md §5. */
export interface MasterEvents {
  /**
   * A replica link closed because of an error; `code` says which (ERR_REPLICATION_TIMEOUT,
   * ERR_REPLICA_OUTPUT_BUFFER_LIMIT, ERR_BACKLOG_NOT_COVERED, ERR_SNAPSHOT_FAILED, ERR_LINK_FRAME_LIMIT,
   * ERR_LINK_PROTOCOL, ERR_REPLICATION_PROTOCOL, ERR_RESP_*). A replica that just goes away is not one.
   */
  'replica-error': [error: Error & { readonly code?: string }, info: { readonly transport: string; readonly remoteAddress: string }]
  /**
   * Something went wrong that no caller could be told about: a RESP socket error other than a reset
   * (ERR_CONNECTION_SOCKET), a verifyReplica that threw, an internal error running a command,
   * upstream mode's reports. Without a listener it goes to stderr (`report`).
   */
  error: [error: Error]
}

export class MasterCore extends EventEmitter<MasterEvents> implements LinkHost {
  readonly options: MasterOptions
  readonly dataset: Dataset
  readonly backlog: ReplicationBacklog
  readonly propagator: Propagator
  readonly snapshotter: Snapshotter
  readonly machineOptions: MasterMachineOptions
  readonly runId = replIdFromRandomBytes(randomBytes(20))
  readonly startedAt = Date.now()
  readonly links = new Set<ReplicaLink>()
  /**
   * Set in upstream mode (`replicaOf`): the link to the real Redis this master replicates. The
   * stream is then Redis's, byte for byte: the master writes nothing of its own into it (no ping,
   * no expiry, no GETACK), and its IDs and backlog follow Redis's (upstream/upstream.ts).
   */
  upstream: Upstream | null = null
  readonly stats = {
    total_connections_received: 0,
    total_commands_processed: 0,
    rejected_connections: 0,
    expired_keys: 0,
    sync_full: 0,
    sync_partial_ok: 0,
    sync_partial_err: 0,
    total_net_repl_output_bytes: 0,
    /** Replicas dropped for an output-buffer limit (Redis 7.2's field of the same name). */
    client_output_buffer_limit_disconnections: 0,
    /** RESP connections that ended in ECONNRESET or EPIPE: the peer went away without closing. */
    replicast_connection_resets: 0,
  }
  /**
   * Whether the cron's active expiry cycle runs (Redis's `active_expire_enabled`, switched by
   * `DEBUG SET-ACTIVE-EXPIRE 0|1`). Off, keys expire only lazily, when a command touches them.
   */
  activeExpireEnabled = true
  connectedClients = 0
  /** Ports actually bound (options may say 0). */
  tcpPort = 0
  wsPort = 0
  readonly #eventLoopDelay = monitorEventLoopDelay({ resolution: 10 })
  #ids: ReplicationIds
  #cron: NodeJS.Timeout | undefined
  #flushScheduled = false
  #getAckNeeded = false
  #waits: WaitRequest[] = []
  readonly #clients = new WeakMap<Session, ClientState>()
  #lastPingAt = 0
  #lastExpireAt = 0
  #closed = false

  constructor(options: Partial<MasterOptions> = {}) {
    super()
    this.options = resolveMasterOptions(options)
    const o = this.options
    // Nothing here reads ExecResult.touched: writes make no change records unless someone subscribes.
    this.dataset = new Dataset({ databases: o.databases, commands: createServerCommands(this), reportTouched: false })
    this.#ids = newReplicationIds(replIdFromRandomBytes(randomBytes(20)))
    this.backlog = new ReplicationBacklog({ sizeBytes: o.backlogBytes })
    this.propagator = new Propagator(this.backlog)
    this.machineOptions = resolveMasterMachineOptions({
      timeoutMs: o.timeoutMs,
      outputBufferHardBytes: o.outputBufferHardBytes,
      outputBufferSoftBytes: o.outputBufferSoftBytes,
      outputBufferSoftMs: o.outputBufferSoftMs,
      backlogBytes: o.backlogBytes,
      authenticate: o.requirePass === undefined ? null : (_user, password) => password === o.requirePass,
      limits: { maxBulkBytes: o.maxBulkBytes, maxArrayLength: o.maxArrayLength, maxInlineBytes: o.maxInlineBytes },
    })
    this.snapshotter = new Snapshotter(this.dataset, {
      sliceMs: o.snapshotSliceMs,
      reuseMs: o.snapshotReuseMs,
      now: () => performance.now(),
      yieldToLoop: () => new Promise((resolve) => setImmediate(resolve)),
      aux: () => ({ 'redis-ver': '7.0.15', 'redis-bits': 64, ctime: Math.floor(Date.now() / 1000), 'used-mem': this.usedMemory() }),
      streamDb: () => this.upstream?.streamDb ?? 0,
    })
    this.#eventLoopDelay.enable()
    this.#cron = setInterval(() => this.#runCron(), CRON_MS)
  }

  // ── LinkHost ──────────────────────────────────────────────────────────────────────────────────

  ids(): ReplicationIds {
    return this.#ids
  }

  /** Replaces the replication IDs (upstream mode: Redis's history, shifted on `+CONTINUE <new id>`). */
  setReplicationIds(ids: ReplicationIds): void {
    this.#ids = ids
  }

  psyncRefusal(): RespError | null {
    return this.upstream?.psyncRefusal() ?? null
  }

  now(): number {
    return Date.now()
  }

  resetSelectedDb(): void {
    this.propagator.resetSelectedDb()
  }

  countFullSync(countsAsPartialErr: boolean): void {
    this.stats.sync_full++
    if (countsAsPartialErr) this.stats.sync_partial_err++
  }

  countPartialSyncOk(): void {
    this.stats.sync_partial_ok++
  }

  countOutputBytes(bytes: number): void {
    this.stats.total_net_repl_output_bytes += bytes
  }

  acked(): void {
    if (this.#waits.length > 0) this.#checkWaits(false)
  }

  closed(link: ReplicaLink, error: ReplicationError | null): void {
    this.links.delete(link)
    if (error?.code === REPLICATION_ERROR_CODES.outputBuffer) this.stats.client_output_buffer_limit_disconnections++
    if (error !== null) this.emit('replica-error', error, { transport: link.transport.kind, remoteAddress: link.transport.remoteAddress })
    if (this.#waits.length > 0) this.#checkWaits(false)
  }

  /**
   * Whether some link did SYNC or PSYNC (Redis's server.slaves). A WebSocket connection is a link
   * from its upgrade on, but until PSYNC it is a client like any other.
   */
  get hasReplicas(): boolean {
    for (const link of this.links) if (link.isReplica) return true
    return false
  }

  // ── Commands ──────────────────────────────────────────────────────────────────────────────────

  get replid(): string {
    return this.#ids.replid
  }

  get masterReplOffset(): number {
    return this.backlog.masterReplOffset
  }

  get isClosed(): boolean {
    return this.#closed
  }

  newClient(): ClientState {
    const client = { session: this.dataset.createSession(), writeOffset: 0 }
    this.#clients.set(client.session, client)
    return client
  }

  /**
   * WAIT queued in a transaction: the online replicas that acknowledged the client's last write,
   * now, without blocking (Redis's waitCommand answers at once under CLIENT_MULTI).
   */
  ackedReplicas(session: Session): number {
    return this.#countAcked(this.#clients.get(session)?.writeOffset ?? 0)
  }

  /** Runs one dataset command for a client and propagates its effects. */
  runCommand(client: ClientState, argv: readonly ByteString[]): RespValue {
    this.stats.total_commands_processed++
    let result
    try {
      result = this.dataset.execute(client.session, argv, Date.now())
    } catch (error) {
      // A defect, not bad input (the dataset answers bad input with error replies). The client is
      // told, the failure is reported, and the master keeps serving.
      const e = error instanceof Error ? error : new Error(String(error))
      this.report(new Error(`Internal error running ${JSON.stringify(argv[0])}: ${e.message}`, { cause: e }))
      return errorReply(`ERR internal error: ${e.message}`)
    }
    if (result.effects.length > 0) {
      this.#propagate(result.effects, result.atomic)
      client.writeOffset = this.backlog.masterReplOffset
    }
    return result.reply
  }

  #propagate(effects: readonly Effect[], atomic: boolean): void {
    this.propagator.feedUnit(effects, atomic)
    this.#scheduleFlush()
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#closed) return
    this.#flushScheduled = true
    setImmediate(() => {
      this.#flushScheduled = false
      this.flushReplicas()
    })
  }

  /** Hands new stream bytes to every online replica now. */
  flushReplicas(): void {
    if (this.#getAckNeeded) {
      this.#getAckNeeded = false
      if (this.hasReplicas) this.propagator.feedGetAck()
    }
    for (const link of this.links) link.flush()
  }

  /**
   * WAIT numreplicas timeout: resolves with the number of online replicas that acknowledged this
   * client's last write, once `numReplicas` did or `timeoutMs` passed (0: no timeout).
   */
  wait(client: ClientState, numReplicas: number, timeoutMs: number): Promise<number> | number {
    const acked = this.#countAcked(client.writeOffset)
    if (acked >= numReplicas) return acked
    return new Promise((resolve) => {
      this.#waits.push({ client, numReplicas, deadline: timeoutMs === 0 ? Infinity : Date.now() + timeoutMs, resolve })
      // Redis: beforeSleep() sends one REPLCONF GETACK * for every client blocked in this iteration.
      this.#getAckNeeded = true
      this.#scheduleFlush()
    })
  }

  #countAcked(offset: number): number {
    let count = 0
    for (const link of this.links) if (link.isOnline && link.ackOffset >= offset) count++
    return count
  }

  #checkWaits(timeoutsOnly: boolean): void {
    const now = Date.now()
    const remaining: WaitRequest[] = []
    for (const w of this.#waits) {
      const acked = this.#countAcked(w.client.writeOffset)
      if ((!timeoutsOnly && acked >= w.numReplicas) || now >= w.deadline || this.#closed) w.resolve(acked)
      else remaining.push(w)
    }
    this.#waits = remaining
  }

  // ── Cron ──────────────────────────────────────────────────────────────────────────────────────

  #runCron(): void {
    const now = Date.now()
    const o = this.options
    for (const link of this.links) link.tick(now)
    // Redis: replicationCron() pings replicas every repl-ping-replica-period, only when there are some
    // (`listLength(server.slaves)`: clients that sent SYNC or PSYNC, in any replication state).
    if (this.upstream === null && now - this.#lastPingAt >= o.pingPeriodMs && this.hasReplicas) {
      this.#lastPingAt = now
      this.propagator.feedPing()
      this.#scheduleFlush()
    }
    if (this.activeExpireEnabled && now - this.#lastExpireAt >= 1000 / o.activeExpireHz) {
      this.#lastExpireAt = now
      const deletions = this.dataset.activeExpireCycle(now, o.activeExpireKeysPerCycle)
      if (deletions.length > 0) {
        this.stats.expired_keys += deletions.length
        this.#propagate(deletions, false)
      }
    }
    if (this.#waits.length > 0) this.#checkWaits(true)
    this.snapshotter.release(this.backlog)
  }

  /**
   * Reports a failure no caller can be told about: to 'error' listeners, or to stderr when there
   * are none (an EventEmitter would otherwise throw and stop the master).
   */
  report(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error)
    else console.error(`replicast master: ${error.message}`)
  }

  // ── Observability ─────────────────────────────────────────────────────────────────────────────

  usedMemory(): number {
    return process.memoryUsage().heapUsed
  }

  /** Worst event-loop delay since the last reset, in ms (perf_hooks.monitorEventLoopDelay). */
  eventLoopDelayMaxMs(reset = false): number {
    const max = this.#eventLoopDelay.max / 1e6
    if (reset) this.#eventLoopDelay.reset()
    return max
  }

  infoFacts(): InfoFacts {
    const now = Date.now()
    const replicas = [...this.links].map((link) => ({ ...link.info(now), ip: link.transport.remoteAddress, transport: link.transport.kind }))
    const keyspace = []
    for (let db = 0; db < this.dataset.databases; db++) keyspace.push({ db, keys: this.dataset.dbsize(db), expires: this.dataset.expiresCount(db) })
    return {
      version: REPLICAST_VERSION,
      runId: this.runId,
      tcpPort: this.tcpPort,
      wsPort: this.wsPort,
      uptimeMs: now - this.startedAt,
      now,
      connectedClients: this.connectedClients,
      ids: this.#ids,
      masterReplOffset: this.backlog.masterReplOffset,
      backlogBytes: this.options.backlogBytes,
      backlogFirstByteOffset: this.backlog.firstByteOffset,
      backlogHistlen: this.backlog.histlen,
      replicas,
      stats: { ...this.stats, total_net_repl_output_bytes: this.stats.total_net_repl_output_bytes },
      keyspace,
      upstream: this.upstream?.info(now) ?? null,
      usedMemory: this.usedMemory(),
      snapshot: {
        inProgress: this.snapshotter.current?.status === 'building',
        lastDurationMs: this.snapshotter.lastDurationMs,
        lastBytes: this.snapshotter.lastBytes,
        count: this.snapshotter.started,
        lastStatus: this.snapshotter.lastStatus,
      },
    }
  }

  info(sections: readonly string[] = []): string {
    return renderInfo(this.infoFacts(), sections.map((s) => s.toLowerCase()))
  }

  /** Stops the cron and snapshots, answers pending WAITs and closes every replica link. */
  shutdownCore(): void {
    if (this.#closed) return
    this.#closed = true
    this.upstream?.stop()
    clearInterval(this.#cron)
    this.#eventLoopDelay.disable()
    this.snapshotter.stop()
    this.#checkWaits(true)
    for (const link of [...this.links]) link.transport.close(1001, 'master shutting down')
  }
}
