// The replica worker: a dedicated Worker per tab in which a browser replica does all its work, so
// that nothing heavy ever runs on the page's main thread (DESIGN §9: no main-thread gap over 50 ms).
// The page holds a thin proxy (browser-replica.ts); this is the replica:
//
//   leader tab    createReplica here: the WebSocket, the replica machine, the in-memory dataset, RDB
//                 parsing, and the IndexedDB adapter as the store's only writer (Web Lock
//                 `replicast-storage:<name>`); each commit, once durable, goes to the follower tabs
//                 on BroadcastChannel `replicast-data:<name>` with the value bytes IndexedDB stored
//   follower tab  FollowerCopy here: the stored data, loaded from IndexedDB and kept current from the
//                 leader's commits; reads before it is loaded go to IndexedDB key by key
//   a follower that is made leader keeps serving reads from its copy until its replica has loaded
//
// Reads, digests and waits are requests from the page (engine-protocol.ts); status and changes go
// back as events: a change of link, state, sync or loading at once (holding the link's next frames
// until the page has seen it), offsets and lag at most every VIEW_PERIOD_MS, and everything due
// before any reply.
//
// The store can be lost under the leader: another connection deletes or upgrades the database, or the
// browser closes it (site data cleared). The store is then stopped for good, so the worker reports it
// and starts a new replica on a new connection, which resumes from what is durable (PSYNC from the
// stored point; a full sync if the database was deleted). The old replica keeps serving reads from
// memory until the new one is in place. A loss is recorded by store (epoch), so one that strikes the
// new connection while it is still being opened is not missed: that replica is dropped and the store
// opened again, up to REOPEN_LIMIT times in a row; a loss after it is in place starts the next round.
// If the database cannot be opened again (a newer schema version took it over), or it was lost at
// every one of those opens, the replica is stopped: its data stays readable from memory, it no longer
// syncs, and the view says why (`stopped`).
//
// Deliberately left out: the election, the page's life (online, visibility) and the status shown to
// other tabs: the page does those, and tells this worker what to do.
import { createReplica, type Replica, type ReplicaChange } from '../replica.ts'
import { argToByteString as toByteString, ReplicaCommandError, toReplyValue, type ReadArg as Arg, type ReplyValue } from '../reads.ts'
import { createIndexedDbStorage, type IndexedDbStorage } from '../storage/indexeddb.ts'
import { StorageError, type ReplicaStorage, type ReplicationMeta } from '../storage/storage.ts'
import type { WebSocketConstructor, WebSocketLike } from '../websocket.ts'
import type { EngineEvent, EngineMessage, EngineNotice, EngineOutput, EngineRequest, EngineView, FlatChange, RelaySocketEvent } from './engine-protocol.ts'
import { FollowerCopy } from './follower.ts'
import { createIdbReader } from './idb-reader.ts'
import { storeOwnerLock } from './leader-election.ts'
import { RecordPacker } from '../storage/record-codec.ts'
import type { TabMessage, TabPoint } from './tab-protocol.ts'
import { serializeError } from './worker-protocol.ts'

/** The part of a DedicatedWorkerGlobalScope the engine uses. */
export interface EngineScope {
  onmessage: ((event: MessageEvent<EngineMessage>) => void) | null
  postMessage(message: EngineOutput, transfer: Transferable[]): void
}

/** Offsets and lag go to the page at most this often (changes of link, state or sync go at once). */
const VIEW_PERIOD_MS = 50
/** A reading of the page's clock this many ticks past the last is a jump (see Gate.holdForTick). */
const JUMP_TICKS = 10
/**
 * How many times in a row the store is opened anew when each new connection is lost before its
 * replica is in place (something keeps deleting or upgrading the database), before the replica stops.
 */
export const REOPEN_LIMIT = 5

type InitRequest = Extract<EngineRequest, { op: 'init' }>

/** The BroadcastChannel on which the leader's worker sends commits to the followers' workers. */
export const dataChannelName = (name: string): string => `replicast-data:${name}`

interface Wait {
  readonly offset: number
  readonly durable: boolean
  readonly resolve: () => void
  attached: Replica | null
}

/**
 * Holds the link's events while the page has not yet seen a change of status (see the header), and
 * after a jump of the page's clock until the replica has ticked on it.
 */
class Gate {
  #seq: number | null = null
  #tick: ReturnType<typeof setTimeout> | undefined
  readonly #held: (() => void)[] = []

  get #closed(): boolean {
    return this.#seq !== null || this.#tick !== undefined
  }

  close(seq: number): void {
    this.#seq = seq
  }

  open(seq: number | null): void {
    if (seq !== null && seq !== this.#seq) return
    this.#seq = null
    if (seq === null) {
      clearTimeout(this.#tick)
      this.#tick = undefined
    }
    this.#release()
  }

  /**
   * The page's clock jumped (its timers were stopped: a frozen tab, a closed lid). On the page, the
   * late tick runs before the frames that waited in the socket, so a master silent for longer than
   * the link's timeout is found silent; here the replica ticks on its own timer, every `tickMs`, so
   * frames wait until that tick has run.
   */
  holdForTick(tickMs: number): void {
    clearTimeout(this.#tick)
    this.#tick = setTimeout(() => {
      this.#tick = undefined
      this.#release()
    }, tickMs + 1)
  }

  #release(): void {
    // A held event may close the gate again: the rest then waits.
    while (this.#held.length > 0 && !this.#closed) this.#held.shift()!()
  }

  deliver(event: () => void): void {
    if (!this.#closed && this.#held.length === 0) event()
    else this.#held.push(event)
  }
}

/** A WebSocket class whose events wait at `gate`; otherwise `Base` as is. */
function gatedWebSocket(Base: WebSocketConstructor, gate: Gate): WebSocketConstructor {
  return class GatedWebSocket implements WebSocketLike {
    readonly #socket: WebSocketLike
    onopen: ((event: unknown) => void) | null = null
    onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null = null
    onerror: ((event: unknown) => void) | null = null
    onmessage: ((event: { readonly data: unknown }) => void) | null = null

    constructor(url: string, protocols?: string | string[]) {
      const socket = new Base(url, protocols)
      this.#socket = socket
      socket.onopen = (event) => gate.deliver(() => this.onopen?.(event))
      socket.onmessage = (event) => gate.deliver(() => this.onmessage?.(event))
      socket.onclose = (event) => gate.deliver(() => this.onclose?.(event))
      socket.onerror = (event) => this.onerror?.(event)
    }

    get binaryType(): string {
      return this.#socket.binaryType
    }

    set binaryType(value: string) {
      this.#socket.binaryType = value
    }

    get readyState(): number {
      return this.#socket.readyState
    }

    send(data: Uint8Array): void {
      this.#socket.send(data)
    }

    close(code?: number, reason?: string): void {
      this.#socket.close(code, reason)
    }
  }
}

/** The page's own WebSocket class (a `WebSocket` option), driven from here through the page. */
class RelaySockets {
  readonly #sockets = new Map<number, RelaySocket>()
  #next = 1

  constructor(readonly post: (event: EngineEvent) => void) {}

  get WebSocket(): WebSocketConstructor {
    const relay = this
    return class extends RelaySocket {
      constructor(url: string, protocols?: string | string[]) {
        super(relay, relay.#next++)
        relay.#sockets.set(this.sid, this)
        relay.post({ event: 'socket', sid: this.sid, op: 'open', url, protocols })
      }
    }
  }

  receive(sid: number, event: RelaySocketEvent): void {
    const socket = this.#sockets.get(sid)
    if (socket === undefined) return
    if (event.type === 'close') this.#sockets.delete(sid)
    socket.receive(event)
  }
}

class RelaySocket implements WebSocketLike {
  binaryType = 'arraybuffer'
  readyState = 0
  onopen: ((event: unknown) => void) | null = null
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null = null
  onerror: ((event: unknown) => void) | null = null
  onmessage: ((event: { readonly data: unknown }) => void) | null = null

  constructor(readonly relay: RelaySockets, readonly sid: number) {}

  send(data: Uint8Array): void {
    this.relay.post({ event: 'socket', sid: this.sid, op: 'send', data })
  }

  close(code?: number, reason?: string): void {
    if (this.readyState < 2) this.readyState = 2
    this.relay.post({ event: 'socket', sid: this.sid, op: 'close', code, reason })
  }

  receive(event: RelaySocketEvent): void {
    switch (event.type) {
      case 'open':
        this.readyState = 1
        this.onopen?.({})
        return
      case 'message':
        this.onmessage?.({ data: event.data })
        return
      case 'close':
        this.readyState = 3
        this.onclose?.({ code: event.code, reason: event.reason })
        return
      case 'error':
        this.onerror?.({})
        return
    }
  }
}

export class ReplicaEngine {
  readonly #post: (message: EngineOutput, transfer?: Transferable[]) => void
  #init: InitRequest | null = null
  /** The link clock: the page's last reading. */
  #clock = 0
  #role: 'follower' | 'leader' | null = null
  #replica: Replica | null = null
  #copy: FollowerCopy | null = null
  #leading: Promise<void> | null = null
  #leadError: Error | null = null
  #channel: BroadcastChannel | null = null
  #releaseLock: (() => void) | null = null
  #wantConnected = false
  #wantChanges = false
  #changes: FlatChange[] = []
  #changesQueued = false
  readonly #waits = new Map<number, Wait>()
  #viewKey = ''
  #viewDirty = false
  #viewTimer: ReturnType<typeof setTimeout> | undefined
  #seq = 0
  readonly #gate = new Gate()
  #relay: RelaySockets | null = null
  #closed = false
  /** Counts the leader's stores (connections): a lost connection is acted on only for the newest. */
  #storeEpoch = 0
  /** The newest store whose connection was lost (0: none): `#lostEpoch === #storeEpoch` means it is the current one. */
  #lostEpoch = 0
  /** Ends the current replica's listeners (a replica whose store was lost is no longer heard). */
  #unlisten: () => void = () => {}
  /** New replicas being started on new connections while the current store is lost (#recover). */
  #recovering: Promise<void> | null = null
  /** Why the leader's replica stopped for good (its store could not be opened again, or was lost at every reopen), or null. */
  #stopped: { readonly code: string; readonly message: string } | null = null

  constructor(post: (message: EngineOutput, transfer?: Transferable[]) => void) {
    this.#post = post
  }

  receive(message: EngineMessage): void {
    if (!('id' in message)) {
      this.#notice(message)
      return
    }
    const { id } = message
    this.#handle(id, message).then(
      (value) => {
        this.#flush()
        this.#post({ id, ok: true, value })
      },
      (error: unknown) => {
        this.#flush()
        this.#post({ id, ok: false, error: serializeError(error), ...(error instanceof ReplicaCommandError ? { reply: error.reply } : {}) })
      },
    )
  }

  // ── Requests ──────────────────────────────────────────────────────────────────────────────────

  async #handle(id: number, request: EngineRequest): Promise<unknown> {
    switch (request.op) {
      case 'init':
        this.#init = request
        this.#clock = request.clock
        if (request.relaySocket) this.#relay = new RelaySockets((event) => this.#send(event))
        return null
      case 'follow':
        this.#follow()
        return null
      case 'lead':
        await this.#lead(request.connect)
        return null
      case 'read':
        return this.#read(request.args, request.db, request.encoding)
      case 'digest': {
        await this.#leading?.catch(() => {})
        const target = this.#readTarget()
        if (target instanceof FollowerCopy) {
          await target.ready
          return (this.#copy ?? target).digest()
        }
        return target.digest()
      }
      case 'ready':
        await this.#leading?.catch(() => {})
        await this.#readTarget().ready
        return null
      case 'wait':
        await new Promise<void>((resolve) => {
          const wait: Wait = { offset: request.offset, durable: request.durable, resolve, attached: null }
          this.#waits.set(id, wait)
          if (this.#replica !== null) this.#attach(id, wait, this.#replica)
          this.#settleCopyWaits()
        })
        return null
      case 'close':
        await this.#close()
        return null
    }
  }

  #notice(notice: EngineNotice): void {
    switch (notice.op) {
      case 'clock': {
        const jump = notice.now - this.#clock
        this.#clock = notice.now
        const tickMs = Number(this.#init?.options['tickMs'] ?? 100)
        if (jump > JUMP_TICKS * tickMs && this.#replica !== null) this.#gate.holdForTick(tickMs)
        return
      }
      case 'connect':
        this.#wantConnected = true
        if (this.#stopped === null) this.#replica?.connect()
        return
      case 'disconnect':
        this.#wantConnected = false
        this.#replica?.disconnect()
        return
      case 'reconnect-now':
        if (this.#stopped === null) this.#replica?.reconnectNow()
        return
      case 'changes':
        this.#wantChanges = notice.want
        return
      case 'ack':
        this.#gate.open(notice.seq)
        return
      case 'cancel':
        this.#waits.delete(notice.wait)
        return
      case 'socket':
        this.#relay?.receive(notice.sid, notice.event)
        return
    }
  }

  // ── Roles ─────────────────────────────────────────────────────────────────────────────────────

  #options(): InitRequest {
    if (this.#init === null) throw new Error('The replica worker was not initialized.')
    return this.#init
  }

  #dataChannel(): BroadcastChannel {
    this.#channel ??= new BroadcastChannel(dataChannelName(this.#options().name))
    return this.#channel
  }

  #follow(): void {
    if (this.#closed || this.#role !== null) return
    this.#role = 'follower'
    const { name, idb } = this.#options()
    const copy = new FollowerCopy(createIdbReader({ name, loadBatchRecords: idb.loadBatchRecords }), {
      change: (change) => {
        if (this.#copy === copy && this.#replica === null) this.#emitChange(change)
      },
      moved: () => this.#viewChanged(),
      error: (error) => this.#report(error),
    })
    this.#copy = copy
    this.#dataChannel().onmessage = (event: MessageEvent<TabMessage>) => {
      if (this.#role === 'follower') this.#copy?.handle(event.data)
    }
    copy.start()
    this.#viewChanged()
  }

  async #lead(connect: boolean): Promise<void> {
    if (this.#closed) throw new Error('The replica is closed.')
    this.#role = 'leader'
    this.#wantConnected = connect
    if (this.#replica !== null) return
    if (this.#leading !== null && this.#leadError === null) return this.#leading
    this.#leadError = null
    const leading = this.#startReplica()
    this.#leading = leading
    try {
      await leading
    } catch (error) {
      this.#leadError = error instanceof Error ? error : new Error(String(error))
      this.#viewChanged()
      throw error
    }
  }

  async #startReplica(): Promise<void> {
    const { name } = this.#options()
    // Waits until the previous leader's worker is gone (its tab closed): one writer per store.
    const release = await storeOwnerLock(name)
    if (this.#closed) {
      release()
      return
    }
    this.#releaseLock = release
    let replica: Replica | null
    try {
      replica = await this.#openReplica()
      if (replica === null) throw new StorageError(`The replica could not start: ${this.#lostAtEveryOpen()}.`)
    } catch (error) {
      this.#releaseLock = null
      release()
      throw error
    }
    if (this.#closed) {
      await replica.close()
      return
    }
    this.#useReplica(replica)
  }

  /**
   * Opens the store on a new connection and creates the leader's replica on it; the store lock is
   * held. A connection lost before the replica is returned (each loss is reported: #storageOnLost) is
   * no use: that replica is closed and the store opened again, up to REOPEN_LIMIT opens in all. Null
   * when every one was lost; rejects when the store cannot be opened (not for a loss).
   */
  async #openReplica(): Promise<Replica | null> {
    for (let opens = 0; opens < REOPEN_LIMIT; opens++) {
      const epoch = ++this.#storeEpoch
      let replica: Replica
      try {
        replica = await this.#createReplica(epoch)
      } catch (error) {
        // What a store that was lost meanwhile fails with follows from the loss, already reported.
        if (this.#lostEpoch !== epoch || this.#closed) throw error
        continue
      }
      if (this.#lostEpoch !== epoch || this.#closed) return replica
      await replica.close().catch((error: unknown) => {
        if (!(error instanceof StorageError)) this.#report(error)
      })
    }
    return null
  }

  /** Why #openReplica gave up, to follow "The replica stopped: " or "could not start: ". */
  #lostAtEveryOpen(): string {
    return `its IndexedDB store "${this.#options().name}" was lost (deleted or upgraded by another connection, or closed by the browser) ` +
      `each of the ${REOPEN_LIMIT} times in a row it was opened, before a replica could start on it: something keeps taking the database over`
  }

  /** Creates the leader's replica on a new connection to the store, numbered `epoch`. */
  async #createReplica(epoch: number): Promise<Replica> {
    const { name, idb, options } = this.#options()
    const storage = this.#leaderStorage(createIndexedDbStorage({
      name,
      ...idb,
      onBackgroundError: (error) => this.#report(error),
      onConnectionLost: (error) => this.#storageOnLost(epoch, error),
    }, {
      committed: (batch, meta) => this.#announceCommit(batch, meta),
      switched: (meta) => this.#announceSwitch(meta),
    }))
    const Base = this.#relay?.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
    const connect = this.#wantConnected
    const replica = await createReplica({
      ...options,
      WebSocket: Base === undefined ? undefined : gatedWebSocket(Base, this.#gate),
      storage,
      autoConnect: connect,
      clock: () => this.#clock,
    })
    // The page may have asked otherwise while the store opened.
    if (this.#wantConnected !== connect) {
      if (this.#wantConnected) replica.connect()
      else replica.disconnect()
    }
    return replica
  }

  #useReplica(replica: Replica): void {
    this.#replica = replica
    const listening = [
      replica.on('status', () => this.#viewChanged()),
      replica.on('change', (change) => this.#emitChange(change)),
      replica.on('error', (error) => this.#report(error)),
    ]
    this.#unlisten = () => {
      for (const off of listening) off()
    }
    for (const [id, wait] of this.#waits) this.#attach(id, wait, replica)
    // Reads move from the follower copy (if this tab followed) to the replica once it has loaded.
    void replica.ready.then(async () => {
      const copy = this.#copy
      this.#copy = null
      await copy?.close()
      this.#viewChanged()
    })
    this.#viewChanged()
  }

  /**
   * The store of `epoch` lost its connection and stopped for good (indexeddb.ts onConnectionLost).
   * Its failure is the one reported: what the replica on it meets afterwards (commits that can no
   * longer land, a reload that cannot read) follows from it and is not heard. The loss is recorded
   * even while a recovery runs: that one may be opening this very store (#openReplica opens again),
   * or putting its replica in place (#recover goes round again).
   */
  #storageOnLost(epoch: number, error: StorageError): void {
    if (epoch !== this.#storeEpoch || this.#closed) return
    this.#lostEpoch = epoch
    this.#unlisten()
    this.#unlisten = () => {}
    this.#report(error)
    this.#recovering ??= this.#recover().finally(() => {
      this.#recovering = null
    })
  }

  /**
   * While the current store is lost, starts a replica on a new connection, which resumes from what is
   * durable; the old one serves reads from memory until then. Stops if the store cannot be opened
   * again, or was lost at every open (#openReplica).
   */
  async #recover(): Promise<void> {
    // A start still under way ends first (its replica is the one to replace, or it failed by itself:
    // #startReplica reports its own failure, so it is not heard twice here).
    await this.#leading?.catch(() => {})
    while (!this.#closed && this.#stopped === null && this.#lostEpoch === this.#storeEpoch) {
      const old = this.#replica
      if (old === null) return
      // Lost while it started: it began listening after the loss.
      this.#unlisten()
      this.#unlisten = () => {}
      // Nothing more for a store that cannot take it; the old replica's link goes, its data stays.
      old.disconnect()
      this.#viewChanged()
      let replica: Replica | null
      try {
        replica = await this.#openReplica()
      } catch (error) {
        if (this.#closed) return
        const e = error instanceof Error ? error : new Error(String(error))
        this.#stop(`its IndexedDB store was lost and could not be opened again (${e.message})`, e)
        return
      }
      if (replica === null) {
        if (!this.#closed) this.#stop(this.#lostAtEveryOpen(), null)
        return
      }
      if (this.#closed) {
        await replica.close()
        return
      }
      this.#useReplica(replica)
      // Its store is already closed: a failure to close what is left of it follows from the loss,
      // which was reported, and is not news. Anything else is. (A loss of the new store meanwhile
      // is recorded, and the loop goes round for it.)
      await old.close().catch((error: unknown) => {
        if (!(error instanceof StorageError)) this.#report(error)
      })
    }
  }

  /** The leader's replica stops syncing for good (its store is unusable); `why` follows "The replica stopped: ". */
  #stop(why: string, cause: Error | null): void {
    const code = (cause as { code?: unknown } | null)?.code
    this.#stopped = {
      code: typeof code === 'string' ? code : 'ERR_STORAGE',
      message: `The replica stopped: ${why}. ` +
        'It keeps serving reads from memory at the point it had reached, and no longer syncs; reload the page to start again.',
    }
    this.#report(new StorageError(this.#stopped.message, cause === null ? undefined : { cause }))
    this.#viewChanged()
  }

  // ── The store, and the follower tabs ──────────────────────────────────────────────────────────

  /** The last durable point, as the followers know it (what the next commit builds on). */
  #durable: TabPoint | null = null

  #leaderStorage(adapter: IndexedDbStorage): ReplicaStorage {
    return {
      open: async () => {
        const meta = await adapter.open()
        this.#durable = meta === null ? null : { replid: meta.replid, offset: meta.offset }
        return meta
      },
      load: (onRecords) => adapter.load(onRecords),
      get: (db, key) => adapter.get(db, key),
      commit: (changes, meta) => adapter.commit(changes, meta),
      beginFullSync: () => adapter.beginFullSync(),
      close: () => adapter.close(),
      ...(adapter.estimateBytes === undefined ? {} : { estimateBytes: () => adapter.estimateBytes!() }),
    }
  }

  #announce(message: TabMessage): void {
    try {
      this.#channel?.postMessage(message)
    } catch (error) {
      this.#report(error)
    }
  }

  #announceCommit(batch: ArrayBuffer, meta: ReplicationMeta): void {
    const point: TabPoint = { replid: meta.replid, offset: meta.offset }
    this.#dataChannel()
    this.#announce({ kind: 'commit', prev: this.#durable, point, batch })
    this.#durable = point
  }

  #announceSwitch(meta: ReplicationMeta): void {
    this.#durable = { replid: meta.replid, offset: meta.offset }
    this.#dataChannel()
    this.#announce({ kind: 'switch', point: this.#durable })
  }

  // ── Reads ─────────────────────────────────────────────────────────────────────────────────────

  /** Where reads go: the leader's replica once loaded; until then a follower copy this tab still has. */
  #readTarget(): Replica | FollowerCopy {
    const replica = this.#replica
    const copy = this.#copy
    if (replica !== null && (replica.status.loaded || copy === null || !copy.loaded)) return replica
    if (copy !== null) return copy
    throw this.#leadError ?? new Error('The replica is closed.')
  }

  async #read(args: readonly Arg[], db: number, encoding: 'utf8' | 'bytes'): Promise<ReplyValue> {
    if (this.#leading !== null && this.#replica === null) await this.#leading.catch(() => {})
    const target = this.#readTarget()
    if (target instanceof FollowerCopy) return toReplyValue(await target.read(args.map(toByteString), db), encoding)
    return encoding === 'utf8' ? target.call(args, db) : target.callBytes(args, db)
  }

  // ── Waits ─────────────────────────────────────────────────────────────────────────────────────

  #attach(id: number, wait: Wait, replica: Replica): void {
    if (wait.attached === replica) return
    wait.attached = replica
    replica.waitForOffset(wait.offset, { durable: wait.durable }).then(() => {
      if (this.#waits.delete(id)) wait.resolve()
    }, () => {})
  }

  #settleCopyWaits(): void {
    const point = this.#copy?.point
    if (point === null || point === undefined || this.#replica !== null) return
    for (const [id, wait] of this.#waits) {
      if (point.offset < wait.offset) continue
      this.#waits.delete(id)
      wait.resolve()
    }
  }

  // ── Events to the page ────────────────────────────────────────────────────────────────────────

  #view(): EngineView {
    const copy = this.#copy
    const status = this.#replica?.status ?? null
    // A stopped replica's own last error is a consequence of the stop (a commit its closed store
    // refused): the stop is what the page must show, however late those come.
    const stopped = this.#stopped
    const replica = status !== null && stopped !== null ? { ...status, lastError: { code: stopped.code, message: stopped.message } } : status
    return { replica, point: copy?.point ?? null, copyLoaded: copy?.loaded ?? false, stopped }
  }

  /** Called on every change the page may show: at once when it matters, else at most every VIEW_PERIOD_MS. */
  #viewChanged(): void {
    this.#settleCopyWaits()
    if (this.#closed) return
    this.#viewDirty = true
    const view = this.#view()
    const r = view.replica
    const key = JSON.stringify([
      r?.link, r?.state, r?.replid, r?.lastSync, r?.lastError, r?.loaded, r?.reconnectAttempt, r?.snapshot === null, r?.stats,
      view.point?.replid, view.copyLoaded, this.#copy !== null, this.#leadError?.message, view.stopped?.message,
    ])
    if (key !== this.#viewKey) {
      this.#viewKey = key
      this.#postView(view, true)
      return
    }
    this.#viewTimer ??= setTimeout(() => {
      this.#viewTimer = undefined
      if (this.#viewDirty && !this.#closed) this.#postView(this.#view(), false)
    }, VIEW_PERIOD_MS)
  }

  #postView(view: EngineView, gate: boolean): void {
    this.#viewDirty = false
    let seq: number | null = null
    if (gate) {
      seq = ++this.#seq
      this.#gate.close(seq)
    }
    this.#send({ event: 'view', view, seq })
  }

  #emitChange(change: ReplicaChange): void {
    if (!this.#wantChanges) return
    this.#changes.push([change.kind === 'key' ? 0 : change.kind === 'flush' ? 1 : 2, change.db, change.keyBytes])
    if (this.#changesQueued) return
    this.#changesQueued = true
    queueMicrotask(() => this.#flushChanges())
  }

  #flushChanges(): void {
    this.#changesQueued = false
    if (this.#changes.length === 0) return
    const changes = this.#changes
    this.#changes = []
    this.#post({ event: 'changes', changes })
  }

  /** Posts an event after the changes due before it. */
  #send(event: EngineEvent): void {
    this.#flushChanges()
    this.#post(event)
  }

  /** Everything due, before a reply. */
  #flush(): void {
    if (this.#viewDirty && !this.#closed) this.#postView(this.#view(), false)
    else this.#flushChanges()
  }

  #report(error: unknown): void {
    this.#send({ event: 'error', error: serializeError(error) })
  }

  // ── Closing ───────────────────────────────────────────────────────────────────────────────────

  async #close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#viewTimer)
    this.#waits.clear()
    this.#gate.open(null)
    await this.#leading?.catch(() => {})
    await this.#recovering
    const replica = this.#replica
    const copy = this.#copy
    this.#replica = null
    this.#copy = null
    await Promise.all([replica?.close(), copy?.close()])
    this.#channel?.close()
    this.#channel = null
    this.#releaseLock?.()
    this.#releaseLock = null
  }
}

/** Serves the page's requests in this worker (storage-worker-entry.ts chooses this on an engine's first message). */
export function serveReplicaWorker(scope: EngineScope): void {
  const engine = new ReplicaEngine((message, transfer) => scope.postMessage(message, transfer ?? []))
  scope.onmessage = (event) => engine.receive(event.data)
}
