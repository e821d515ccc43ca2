// The shell around one replica link: runs the master-side state machine (core's stepMasterLink)
// and performs its actions on a LinkTransport. It attaches the link to a shared snapshot, sends it
// with back-pressure, and pumps the stream from the link's position in the shared backlog.
//
// Every decision (PSYNC acceptance, timeouts, output-buffer limits, loss recovery) is the core
// machine's; this file only does the I/O it asks for.
import {
  initialMasterLinkState,
  masterLinkInfo,
  stepMasterLink,
  type BacklogReader,
  type ByteString,
  type MasterContext,
  type MasterLinkAction,
  type MasterLinkEvent,
  type MasterLinkInfo,
  type MasterLinkState,
  type MasterMachineOptions,
  type ReplicationBacklog,
  type ReplicationError,
  type ReplicationIds,
  type RespError,
} from '@replicast/core'
import { LINK_HIGH_WATER_BYTES, type LinkTransport } from './link-transport.ts'
import type { Snapshot, Snapshotter } from './snapshotter.ts'

/** What a link needs from the master it belongs to. */
export interface LinkHost {
  readonly backlog: ReplicationBacklog
  readonly snapshotter: Snapshotter
  readonly machineOptions: MasterMachineOptions
  ids(): ReplicationIds
  now(): number
  /** Forces a SELECT before the next propagated command (at every full-resync setup). */
  resetSelectedDb(): void
  countFullSync(countsAsPartialErr: boolean): void
  countPartialSyncOk(): void
  /** Snapshot and stream bytes handed to a replica's connection (INFO total_net_repl_output_bytes). */
  countOutputBytes(bytes: number): void
  /** Non-null: PSYNC is refused with this error (upstream mode while the link to Redis is not up). */
  psyncRefusal?(): RespError | null
  /** The link's ACK offset may have moved (WAIT). */
  acked(link: ReplicaLink): void
  /** The link closed; `error` is null when the peer just went away. */
  closed(link: ReplicaLink, error: ReplicationError | null): void
}

// Largest STREAM frame; a backlog larger than this is sent in several.
const MAX_STREAM_FRAME_BYTES = 256 * 1024

let nextLinkId = 1

export class ReplicaLink {
  readonly id = nextLinkId++
  readonly transport: LinkTransport
  readonly #host: LinkHost
  #state: MasterLinkState
  #reader: BacklogReader | null = null
  #pumping = false
  #waitingForDrain = false
  #sendingSnapshot: Snapshot | null = null

  constructor(host: LinkHost, transport: LinkTransport, initial?: Partial<MasterLinkState>) {
    this.#host = host
    this.transport = transport
    this.#state = { ...initialMasterLinkState(host.now()), ...initial } as MasterLinkState
  }

  get state(): MasterLinkState {
    return this.#state
  }

  info(now: number): MasterLinkInfo {
    return masterLinkInfo(this.#state, now)
  }

  /** True once PSYNC was accepted (a full or partial sync is under way or done). */
  get isReplica(): boolean {
    const kind = this.#state.kind
    return kind === 'wait-snapshot' || kind === 'send-snapshot' || kind === 'online'
  }

  get isOnline(): boolean {
    return this.#state.kind === 'online'
  }

  get ackOffset(): number {
    const s = this.#state
    return s.kind === 'online' || s.kind === 'wait-snapshot' || s.kind === 'send-snapshot' ? s.ackOffset : 0
  }

  /** Stream bytes not yet handed to the connection. */
  get pendingBytes(): number {
    return this.#reader === null || this.#reader.closed ? 0 : this.#host.backlog.pendingBytes(this.#reader)
  }

  #context(): MasterContext {
    return { ids: this.#host.ids(), backlog: this.#host.backlog, refusePsync: this.#host.psyncRefusal?.() ?? null }
  }

  /** A binary WebSocket message from the replica. */
  frame(bytes: Uint8Array): void {
    this.#dispatch({ type: 'frame', bytes, now: this.#host.now(), master: this.#context() })
  }

  /** A decoded command from the replica (TCP). */
  command(argv: readonly ByteString[]): void {
    this.#dispatch({ type: 'command', argv, now: this.#host.now(), master: this.#context() })
  }

  tick(now: number): void {
    this.#dispatch({ type: 'tick', now, outputBufferBytes: this.pendingBytes + this.transport.bufferedBytes() })
  }

  /**
   * The connection refused the peer's bytes before the machine could see them (TCP: a redis-server
   * replica's RESP is decoded by the connection; WebSocket: ws refused a frame). The machine closes
   * the link, with the close code it picks for `error`, and `error` is reported as for any other
   * close (`'replica-error'`).
   */
  fail(error: ReplicationError): void {
    this.#dispatch({ type: 'peer-error', error, now: this.#host.now() })
  }

  /** The connection went away. */
  disconnected(): void {
    if (this.#state.kind === 'closed') return
    this.#dispatch({ type: 'closed', now: this.#host.now() })
    this.#release()
    this.#host.closed(this, null)
  }

  /** New stream bytes are in the backlog. */
  flush(): void {
    this.#pump()
  }

  #dispatch(event: MasterLinkEvent): void {
    const ackBefore = this.ackOffset
    const step = stepMasterLink(this.#state, event, this.#host.machineOptions)
    this.#state = step.state
    for (const action of step.actions) this.#perform(action)
    if (this.ackOffset !== ackBefore) this.#host.acked(this)
  }

  #perform(action: MasterLinkAction): void {
    const transport = this.transport
    switch (action.type) {
      case 'reply':
        transport.sendReply(action.value)
        return
      case 'keepalive':
        transport.sendKeepalive()
        return
      case 'start-full-sync':
        this.#startFullSync(action.countsAsPartialErr)
        return
      case 'send-snapshot':
        void this.#sendSnapshot(action.snapshotId)
        return
      case 'stream-from':
        if (action.cause === 'partial-resync') this.#host.countPartialSyncOk()
        this.#streamFrom(action.offset)
        return
      case 'close':
        transport.close(action.code, action.reason)
        this.#release()
        this.#host.closed(this, action.error)
        return
    }
  }

  #startFullSync(countsAsPartialErr: boolean): void {
    const host = this.#host
    host.countFullSync(countsAsPartialErr)
    let snapshot: Snapshot
    try {
      snapshot = host.snapshotter.acquire(host.ids().replid, host.backlog, () => host.resetSelectedDb())
    } catch (error) {
      this.#dispatch({ type: 'snapshot-failed', snapshotId: null, error, now: host.now() })
      return
    }
    // Pin the stream from the snapshot's offset now, so the backlog keeps it however long the
    // snapshot takes (the output-buffer limit bounds it, as in Redis).
    this.#reader?.close()
    this.#reader = host.backlog.openReader(snapshot.offset)
    this.#dispatch({ type: 'snapshot-attached', snapshotId: snapshot.id, replid: snapshot.replid, offset: snapshot.offset, now: host.now() })
    snapshot.done.then(
      (ready) => this.#dispatch({ type: 'snapshot-ready', snapshotId: ready.id, length: ready.length, now: host.now() }),
      (error: unknown) => this.#dispatch({ type: 'snapshot-failed', snapshotId: snapshot.id, error, now: host.now() }),
    )
    this.#sendingSnapshot = snapshot
  }

  async #sendSnapshot(snapshotId: string): Promise<void> {
    const snapshot = this.#sendingSnapshot
    if (snapshot === null || snapshot.id !== snapshotId) return
    const transport = this.transport
    transport.sendSnapshotBegin(snapshot.length)
    for (const chunk of snapshot.chunks) {
      if (transport.closed || this.#state.kind === 'closed') return
      transport.sendSnapshotChunk(chunk)
      this.#host.countOutputBytes(chunk.length)
      if (transport.bufferedBytes() >= LINK_HIGH_WATER_BYTES) {
        await new Promise<void>((resolve) => transport.onDrain(resolve))
      }
    }
    if (transport.closed || this.#state.kind === 'closed') return
    transport.sendSnapshotEnd()
    this.#sendingSnapshot = null
    this.#dispatch({ type: 'snapshot-sent', snapshotId, now: this.#host.now() })
  }

  #streamFrom(offset: number): void {
    const backlog = this.#host.backlog
    if (this.#reader === null || this.#reader.closed) this.#reader = backlog.openReader(offset)
    else this.#reader.seek(offset)
    this.#pump()
  }

  #pump(): void {
    if (this.#pumping || this.#waitingForDrain || this.#state.kind !== 'online') return
    const reader = this.#reader
    if (reader === null || reader.closed) return
    const backlog = this.#host.backlog
    const transport = this.transport
    this.#pumping = true
    try {
      while (reader.position < backlog.masterReplOffset && !transport.closed) {
        if (transport.bufferedBytes() >= LINK_HIGH_WATER_BYTES) {
          this.#waitingForDrain = true
          transport.onDrain(() => {
            this.#waitingForDrain = false
            this.#pump()
          })
          return
        }
        const start = reader.position
        const bytes = backlog.read(start, MAX_STREAM_FRAME_BYTES)
        transport.sendStream(start, bytes)
        reader.advance(bytes.length)
        this.#host.countOutputBytes(bytes.length)
      }
    } finally {
      this.#pumping = false
    }
  }

  #release(): void {
    this.#reader?.close()
    this.#reader = null
    this.#sendingSnapshot = null
  }
}
