// A seeded simulation of a master and several replicas (yjs TestConnector style, STYLE §6.3).
//
// The master is core/store's Dataset (clients' SET/HSET/LPUSH/INCRBYFLOAT/EXPIRE/MULTI…, lazy and
// active expiry) + Propagator + ReplicationBacklog + one master link machine per connection. Besides
// the dataset it keeps the log of every effect it propagated, so that replicas are checked two ways:
// byte-identical logs of applied commands (SELECTed db included) and equal `digest()`s (DEBUG DIGEST).
// Shared snapshots are made with the dataset's copy-on-write cursor while writes go on, and carry the
// records plus the log, then a checksum (as an RDB ends with its CRC64). The replicas are replica
// machines applying to a Dataset, with a toy storage: a "disk" that commits batches in order after
// random delays, and sometimes fails (rollback: reload from disk) or crashes (restart from disk).
//
// Links are in-memory WebSockets that deliver frames after random delays, and under a seed drop,
// duplicate, reorder and cut them; the master's re-sends cut the stream at random bytes; the master
// sometimes restarts with a shifted replid (PSYNC2). After the chaos the links heal; every replica
// must then hold exactly the master's log at exactly the master's offset.
//
// Re-run one seed: FUZZ_SEED=<n> npx vitest run packages/core/src/replication/simulation.test.ts
import { describe, expect, test } from 'vitest'
import { byteStringToBytes, bytesToByteString, type ByteString } from '../bytes.ts'
import { Dataset, type Session, type SnapshotCursor } from '../store/index.ts'
import type { Effect, KeyRecord } from '../values.ts'
import { ReplicationBacklog, type BacklogReader } from './backlog.ts'
import { decodeMasterFrame, encodeMasterFrame } from './link-codec.ts'
import {
  initialMasterLinkState,
  resolveMasterMachineOptions,
  stepMasterLink,
  type MasterLinkAction,
  type MasterLinkEvent,
  type MasterLinkState,
  type MasterMachineOptions,
} from './master-machine.ts'
import { Propagator } from './propagator.ts'
import {
  backoffDelay,
  initialReplicaState,
  resolveReplicaMachineOptions,
  stepReplica,
  type PersistedReplicaPoint,
  type ReplicaAction,
  type ReplicaEvent,
  type ReplicaMachineOptions,
  type ReplicaState,
} from './replica-machine.ts'
import { newReplicationIds, shiftReplId, type ReplicationIds } from './replication-state.ts'
import { replIdFromRandomBytes, type ReplId } from './replid.ts'
import { env, fuzzSeeds, prng } from './test-util.ts'

type Random = ReturnType<typeof prng>

// ─── The clock ──────────────────────────────────────────────────────────────────────────────────

class Scheduler {
  now = 0
  #seq = 0
  #heap: { at: number; seq: number; fn: () => void }[] = []

  at(time: number, fn: () => void): void {
    const item = { at: Math.max(time, this.now), seq: this.#seq++, fn }
    const h = this.#heap
    h.push(item)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (this.#less(h[p]!, h[i]!)) break
      ;[h[p], h[i]] = [h[i]!, h[p]!]
      i = p
    }
  }

  runUntil(time: number, stop?: () => boolean): void {
    const h = this.#heap
    while (h.length > 0 && h[0]!.at <= time) {
      const top = h[0]!
      const last = h.pop()!
      if (h.length > 0) {
        h[0] = last
        let i = 0
        for (;;) {
          const l = 2 * i + 1
          const r = l + 1
          let m = i
          if (l < h.length && this.#less(h[l]!, h[m]!)) m = l
          if (r < h.length && this.#less(h[r]!, h[m]!)) m = r
          if (m === i) break
          ;[h[m], h[i]] = [h[i]!, h[m]!]
          i = m
        }
      }
      this.now = top.at
      top.fn()
      if (stop?.()) return
    }
    this.now = Math.max(this.now, time)
  }

  #less(a: { at: number; seq: number }, b: { at: number; seq: number }): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq)
  }
}

// ─── The toy snapshot: the log as JSON, then a checksum line (as an RDB ends with its CRC64) ─────

function fnv1a(text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0
  return h.toString(16).padStart(8, '0')
}

interface Image {
  readonly log: Effect[]
  readonly records: KeyRecord[]
}

function writeImage(image: Image): Uint8Array {
  const json = JSON.stringify(image)
  return byteStringToBytes(`${json}\n${fnv1a(json)}`)
}

function readImage(bytes: Uint8Array): Image | null {
  const text = bytesToByteString(bytes)
  const cut = text.lastIndexOf('\n')
  if (cut < 0 || fnv1a(text.slice(0, cut)) !== text.slice(cut + 1)) return null
  return JSON.parse(text.slice(0, cut)) as Image
}

/** Applies effects as a replica shell does: SELECT when the db changes, then the command. */
function applyEffects(data: Dataset, session: Session, effects: readonly Effect[], now: number): void {
  for (const effect of effects) {
    if (effect.db !== session.db) data.applyReplicated(session, ['SELECT', String(effect.db)], now)
    const reply = data.applyReplicated(session, effect.argv, now)
    if (reply.kind === 'error') throw new Error(`A replica could not apply ${JSON.stringify(effect)}: ${reply.message}`)
  }
}

/** A replica dataset rebuilt from stored records plus the effects stored after them. */
function rebuild(records: readonly KeyRecord[], tail: readonly Effect[], now: number): { data: Dataset; session: Session } {
  const data = new Dataset({ role: 'replica' })
  data.loadRecords(records)
  const session = data.createSession()
  applyEffects(data, session, tail, now)
  return { data, session }
}

// ─── Faults ─────────────────────────────────────────────────────────────────────────────────────

interface Faults {
  drop: number
  duplicate: number
  reorder: number
  /** Chance per second that a link is cut. */
  cutPerSecond: number
  persistFail: number
  /** Chance per second that a replica process restarts from its disk. */
  crashPerSecond: number
  /** Chance per second that the master restarts (new replid, old one as replid2). */
  masterRestartPerSecond: number
}

const NO_FAULTS: Faults = { drop: 0, duplicate: 0, reorder: 0, cutPerSecond: 0, persistFail: 0, crashPerSecond: 0, masterRestartPerSecond: 0 }

// ─── The in-memory WebSocket ────────────────────────────────────────────────────────────────────

class Connection {
  open = true
  #lastToReplica = 0
  #lastToMaster = 0

  constructor(
    readonly sim: Simulation,
    readonly replica: SimReplica,
  ) {}

  toReplica(frame: Uint8Array): void {
    this.#send(frame, true)
  }

  toMaster(frame: Uint8Array): void {
    this.#send(frame, false)
  }

  #send(frame: Uint8Array, toReplica: boolean): void {
    if (!this.open) return
    const { random, faults, clock } = this.sim
    if (random.chance(faults.drop)) return
    const copies = random.chance(faults.duplicate) ? 2 : 1
    for (let i = 0; i < copies; i++) {
      let at = clock.now + 1 + random.int(30)
      if (!random.chance(faults.reorder)) {
        // In order, as a WebSocket delivers.
        at = Math.max(at, toReplica ? this.#lastToReplica : this.#lastToMaster)
        if (toReplica) this.#lastToReplica = at
        else this.#lastToMaster = at
      }
      clock.at(at, () => {
        if (!this.open) return
        if (toReplica) this.replica.onFrame(this, frame)
        else this.sim.master.onFrame(this, frame)
      })
    }
  }

  /** Closes both ends; each side hears of it after a delay (unless it closed it itself). */
  close(): void {
    if (!this.open) return
    this.open = false
    const at = this.sim.clock.now + 1 + this.sim.random.int(20)
    this.sim.clock.at(at, () => {
      this.sim.master.onClosed(this)
      this.replica.onLinkDown(this)
    })
  }
}

// ─── The master ─────────────────────────────────────────────────────────────────────────────────

interface Snapshot {
  readonly id: string
  readonly replid: ReplId
  readonly offset: number
  /** The image, once the cursor has been read to its end. */
  bytes: Uint8Array
  /** The dataset's copy-on-write cursor, read while writes continue, from S on. */
  readonly cursor: SnapshotCursor
  readonly log: Effect[]
  ready: boolean
  readonly createdAt: number
  /**
   * Keeps the stream after S in the backlog while the snapshot is being made, even when every link
   * attached to it has gone: a link attached later still needs it. Released once ready.
   */
  pin: BacklogReader | null
}

interface Link {
  state: MasterLinkState
  reader: BacklogReader | null
}

class SimMaster {
  readonly dataset = new Dataset()
  readonly session: Session
  ids: ReplicationIds
  backlog: ReplicationBacklog
  propagator: Propagator
  /** The toy dataset: every effect propagated, with the offset at the end of its unit. */
  readonly log: { effect: Effect; endOffset: number }[] = []
  readonly links = new Map<Connection, Link>()
  readonly snapshots: Snapshot[] = []
  readonly options: MasterMachineOptions
  #snapshotSeq = 0
  restarts = 0

  constructor(readonly sim: Simulation) {
    const random = sim.random
    this.session = this.dataset.createSession()
    this.ids = newReplicationIds(sim.newReplId())
    const sizeBytes = random.pick([200, 800, 4000, 1 << 20])
    this.backlog = new ReplicationBacklog({ sizeBytes, blockBytes: random.pick([16, 100, 1024]) })
    this.propagator = new Propagator(this.backlog)
    this.options = resolveMasterMachineOptions({
      timeoutMs: 3000,
      keepaliveMs: 500,
      backlogBytes: sizeBytes,
      outputBufferHardBytes: random.pick([0, 1, 1 << 20]),
      outputBufferSoftBytes: random.pick([0, 300]),
      outputBufferSoftMs: 1000,
    })
  }

  get offset(): number {
    return this.backlog.masterReplOffset
  }

  effects(): Effect[] {
    return this.log.map((e) => e.effect)
  }

  /** Runs client commands on the dataset and propagates their effects, unit by unit. */
  execute(commands: readonly (readonly ByteString[])[]): void {
    for (const argv of commands) {
      const result = this.dataset.execute(this.session, argv, this.sim.clock.now)
      if (result.atomic) this.propagate(result.effects)
      else for (const effect of result.effects) this.propagate([effect])
    }
  }

  /** Master only: active expiry, each DEL its own unit (as Redis). */
  expire(): void {
    for (const effect of this.dataset.activeExpireCycle(this.sim.clock.now, 20)) this.propagate([effect])
  }

  propagate(unit: readonly Effect[]): void {
    if (unit.length === 0) return
    const { endOffset } = this.propagator.feedUnit(unit)
    for (const effect of unit) this.log.push({ effect, endOffset })
    this.pumpAll()
  }

  ping(): void {
    if (this.links.size === 0) return
    this.propagator.feedPing()
    this.pumpAll()
  }

  getAck(): void {
    if (this.links.size === 0) return
    this.propagator.feedGetAck()
    this.pumpAll()
  }

  accept(conn: Connection): void {
    this.links.set(conn, { state: initialMasterLinkState(this.sim.clock.now), reader: null })
  }

  onFrame(conn: Connection, bytes: Uint8Array): void {
    this.dispatch(conn, { type: 'frame', bytes, now: this.sim.clock.now, master: { ids: this.ids, backlog: this.backlog } })
  }

  onClosed(conn: Connection): void {
    if (this.links.has(conn)) this.dispatch(conn, { type: 'closed', now: this.sim.clock.now })
  }

  tick(): void {
    for (const [conn, link] of [...this.links]) {
      this.dispatch(conn, { type: 'tick', now: this.sim.clock.now, outputBufferBytes: link.reader === null ? 0 : this.backlog.pendingBytes(link.reader) })
    }
  }

  /** Restart from "persisted state": same log and offset, a new replid with the old as replid2. */
  restart(): void {
    this.restarts++
    for (const conn of [...this.links.keys()]) this.drop(conn)
    for (const snapshot of this.snapshots) {
      snapshot.pin?.close()
      snapshot.cursor.close()
    }
    this.snapshots.length = 0
    this.ids = shiftReplId(this.ids, this.sim.newReplId(), this.offset)
    this.backlog.rebase(this.offset)
    this.propagator = new Propagator(this.backlog)
  }

  dispatch(conn: Connection, event: MasterLinkEvent): void {
    const link = this.links.get(conn)
    if (link === undefined) return
    const step = stepMasterLink(link.state, event, this.options)
    link.state = step.state
    for (const action of step.actions) this.perform(conn, link, action)
    if (link.state.kind === 'closed') this.drop(conn)
  }

  drop(conn: Connection): void {
    const link = this.links.get(conn)
    if (link === undefined) return
    link.reader?.close()
    this.links.delete(conn)
    conn.close()
  }

  perform(conn: Connection, link: Link, action: MasterLinkAction): void {
    const sim = this.sim
    switch (action.type) {
      case 'reply':
        conn.toReplica(encodeMasterFrame({ kind: 'reply', value: action.value }))
        return
      case 'keepalive':
        conn.toReplica(encodeMasterFrame({ kind: 'keepalive' }))
        return
      case 'start-full-sync': {
        sim.stats.fullSyncStarts++
        // Share: a snapshot being made, or a recent one whose offset the backlog still covers.
        let snapshot = this.snapshots.find((s) => !s.ready)
          ?? this.snapshots.find((s) => s.ready && sim.clock.now - s.createdAt < 2000 && this.backlog.covers(s.offset))
        if (snapshot === undefined) {
          this.propagator.resetSelectedDb()
          const offset = this.offset
          snapshot = {
            id: `s${++this.#snapshotSeq}`,
            replid: this.ids.replid,
            offset,
            bytes: new Uint8Array(0),
            cursor: this.dataset.beginSnapshot(),
            log: this.log.filter((e) => e.endOffset <= offset).map((e) => e.effect),
            ready: false,
            createdAt: sim.clock.now,
            pin: this.backlog.openReader(offset),
          }
          this.snapshots.push(snapshot)
          const made = snapshot
          sim.clock.at(sim.clock.now + sim.random.int(400), () => {
            if (!this.snapshots.includes(made)) return
            // Read the point-in-time image now: writes since S were copy-on-write protected.
            const records: KeyRecord[] = []
            for (let batch; (batch = made.cursor.next(1 + sim.random.int(5))) !== null;) records.push(...batch)
            made.bytes = writeImage({ log: made.log, records })
            made.ready = true
            made.pin?.close()
            made.pin = null
            for (const c of [...this.links.keys()]) this.dispatch(c, { type: 'snapshot-ready', snapshotId: made.id, length: made.bytes.length, now: sim.clock.now })
          })
        } else {
          sim.stats.sharedSnapshots++
        }
        link.reader = this.backlog.openReader(snapshot.offset)
        this.dispatch(conn, { type: 'snapshot-attached', snapshotId: snapshot.id, replid: snapshot.replid, offset: snapshot.offset, now: sim.clock.now })
        if (snapshot.ready) this.dispatch(conn, { type: 'snapshot-ready', snapshotId: snapshot.id, length: snapshot.bytes.length, now: sim.clock.now })
        return
      }
      case 'send-snapshot': {
        const snapshot = this.snapshots.find((s) => s.id === action.snapshotId)!
        conn.toReplica(encodeMasterFrame({ kind: 'snapshot-begin', length: action.length }))
        for (let at = 0; at < snapshot.bytes.length;) {
          const n = 1 + sim.random.int(300)
          conn.toReplica(encodeMasterFrame({ kind: 'snapshot-chunk', bytes: snapshot.bytes.subarray(at, at + n) }))
          at += n
        }
        // Sent synchronously here; a real shell dispatches when the socket has taken the last chunk.
        sim.clock.at(sim.clock.now, () => this.dispatch(conn, { type: 'snapshot-sent', snapshotId: action.snapshotId, now: sim.clock.now }))
        return
      }
      case 'stream-from':
        if (action.cause === 'partial-resync') sim.stats.partialResyncs++
        if (action.cause === 'resend') sim.stats.resends++
        if (link.reader === null) link.reader = this.backlog.openReader(action.offset)
        else link.reader.seek(action.offset)
        this.pump(conn, link)
        return
      case 'close':
        sim.stats.masterCloses[action.error.code] = (sim.stats.masterCloses[action.error.code] ?? 0) + 1
        sim.noteClose('master', action.error)
        return // dispatch() drops the link: state is closed
    }
  }

  pumpAll(): void {
    for (const [conn, link] of this.links) this.pump(conn, link)
  }

  /** Sends the link its pending stream: usually whole units, sometimes cut at a random byte. */
  pump(conn: Connection, link: Link): void {
    if (link.state.kind !== 'online' || link.reader === null) return
    const reader = link.reader
    while (reader.position < this.offset) {
      const max = this.sim.random.chance(0.2) ? 1 + this.sim.random.int(64) : Infinity
      const bytes = this.backlog.read(reader.position, max)
      conn.toReplica(encodeMasterFrame({ kind: 'stream', startOffset: reader.position, bytes: bytes.slice() }))
      reader.advance(bytes.length)
    }
  }
}

// ─── A replica with its toy storage ─────────────────────────────────────────────────────────────

type PersistJob =
  | { readonly kind: 'apply'; readonly replid: ReplId; readonly commands: readonly Effect[]; readonly offset: number; readonly db: number }
  | { readonly kind: 'snapshot'; readonly replid: ReplId; readonly log: readonly Effect[]; readonly records: readonly KeyRecord[]; readonly offset: number; readonly db: number }

class SimReplica {
  state: ReplicaState = initialReplicaState(null)
  conn: Connection | null = null
  /** The dataset the replica serves: what it applied. */
  memLog: Effect[] = []
  /** The replica's dataset and its stream session, as its shell holds them. */
  data = new Dataset({ role: 'replica' })
  session: Session = this.data.createSession()
  /** What storage committed, and the point it is at. */
  diskLog: Effect[] = []
  /** Storage as a real adapter would hold it: the last snapshot's records, and the effects since. */
  diskRecords: KeyRecord[] = []
  diskTail: Effect[] = []
  disk: PersistedReplicaPoint | null = null
  queue: PersistJob[] = []
  persisting = false
  shadow: Uint8Array[] = []
  attempt = 0
  reconnectAt: number | null = null
  /** Bumped on every crash: late storage callbacks of a previous process are ignored. */
  generation = 0

  constructor(
    readonly sim: Simulation,
    readonly name: string,
    readonly options: ReplicaMachineOptions,
  ) {}

  /** Events the shell raises while performing actions, dispatched once those are done. */
  deferred: ReplicaEvent[] = []

  dispatch(event: ReplicaEvent): void {
    const before = this.state
    const step = stepReplica(before, event, this.options)
    this.state = step.state
    for (const action of step.actions) this.perform(action)
    if (this.deferred.length === 0) this.sim.checkReplicaStep(this, before, event, step.actions)
    if (before.kind !== 'streaming' && this.state.kind === 'streaming') this.attempt = 0
    const next = this.deferred.shift()
    if (next !== undefined) this.dispatch(next)
  }

  connect(): void {
    this.reconnectAt = null
    if (this.conn !== null) return
    const conn = new Connection(this.sim, this)
    this.conn = conn
    this.sim.master.accept(conn)
    this.dispatch({ type: 'link-up', now: this.sim.clock.now })
  }

  scheduleReconnect(): void {
    if (this.reconnectAt !== null) return
    const delay = backoffDelay(this.attempt++, this.sim.random.next(), { initialDelayMs: 50, maxDelayMs: 1500, multiplier: 2, jitter: 0.5 })
    this.reconnectAt = this.sim.clock.now + delay
    this.sim.clock.at(this.reconnectAt, () => this.connect())
  }

  onFrame(conn: Connection, frame: Uint8Array): void {
    if (conn !== this.conn) return
    // Half the frames go through the shell's own decoding, as the STYLE §7 sketch does.
    if (this.sim.random.chance(0.5)) this.dispatch({ type: 'frame', bytes: frame, now: this.sim.clock.now })
    else this.dispatch({ type: 'message', message: decodeMasterFrame(frame), now: this.sim.clock.now })
  }

  onLinkDown(conn: Connection): void {
    if (conn !== this.conn) return
    this.conn = null
    this.dispatch({ type: 'link-down', now: this.sim.clock.now })
    this.scheduleReconnect()
  }

  tick(): void {
    this.dispatch({ type: 'tick', now: this.sim.clock.now })
  }

  crash(): void {
    this.sim.stats.crashes++
    this.generation++
    this.conn?.close()
    this.conn = null
    this.queue = []
    this.persisting = false
    this.shadow = []
    this.memLog = [...this.diskLog]
    this.reload()
    this.state = initialReplicaState(this.disk)
    this.scheduleReconnect()
  }

  reload(): void {
    ;({ data: this.data, session: this.session } = rebuild(this.diskRecords, this.diskTail, this.sim.clock.now))
    // A real shell stores the stream's db with the offset; the machine's `db` is that point's.
    if (this.disk !== null && this.session.db !== this.disk.db) this.data.applyReplicated(this.session, ['SELECT', String(this.disk.db)], this.sim.clock.now)
  }

  perform(action: ReplicaAction): void {
    switch (action.type) {
      case 'send':
        this.conn?.toMaster(action.bytes)
        return
      case 'apply':
        this.memLog.push(...action.commands)
        applyEffects(this.data, this.session, action.commands, this.sim.clock.now)
        // The db the machine says is selected is the one the commands ran in.
        if (action.commands.length > 0) expect(this.session.db).toBe(action.commands.at(-1)!.db)
        this.enqueue({ kind: 'apply', replid: action.replid, commands: action.commands, offset: action.endOffset, db: action.db })
        return
      case 'snapshot-begin':
        this.shadow = []
        return
      case 'snapshot-chunk':
        this.shadow.push(action.bytes)
        return
      case 'snapshot-end': {
        const length = this.shadow.reduce((n, c) => n + c.length, 0)
        const all = new Uint8Array(length)
        let at = 0
        for (const c of this.shadow) {
          all.set(c, at)
          at += c.length
        }
        this.shadow = []
        const image = readImage(all)
        if (image === null) {
          // A corrupt snapshot (an RDB whose CRC64 does not match) cannot be loaded: report it as a
          // failed persist of the snapshot's point; the machine rolls back and reconnects.
          this.sim.stats.corruptSnapshots++
          this.deferred.push({ type: 'persist-failed', replid: action.replid, offset: action.offset, error: new Error('snapshot checksum mismatch') })
          return
        }
        this.memLog = [...image.log]
        ;({ data: this.data, session: this.session } = rebuild(image.records, [], this.sim.clock.now))
        this.enqueue({ kind: 'snapshot', replid: action.replid, log: image.log, records: image.records, offset: action.offset, db: action.db })
        return
      }
      case 'snapshot-abort':
        this.shadow = []
        return
      case 'rollback':
        this.sim.stats.rollbacks++
        this.memLog = [...this.diskLog]
        this.reload()
        expect({ replid: action.replid, offset: action.offset, db: action.db }).toEqual(this.disk ?? { replid: null, offset: 0, db: 0 })
        return
      case 'close':
        this.sim.stats.replicaCloses[action.error.code] = (this.sim.stats.replicaCloses[action.error.code] ?? 0) + 1
        this.sim.noteClose(this.name, action.error)
        this.conn?.close()
        this.conn = null
        this.scheduleReconnect()
        return
    }
  }

  enqueue(job: PersistJob): void {
    this.queue.push(job)
    this.persistNext()
  }

  persistNext(): void {
    if (this.persisting || this.queue.length === 0) return
    this.persisting = true
    const generation = this.generation
    this.sim.clock.at(this.sim.clock.now + this.sim.random.int(80), () => {
      if (generation !== this.generation) return
      this.persisting = false
      const job = this.queue.shift()!
      if (this.sim.random.chance(this.sim.faults.persistFail)) {
        // The failed batch and everything queued after it (built on it) are lost.
        this.queue = []
        this.dispatch({ type: 'persist-failed', replid: job.replid, offset: job.offset, error: new Error('QuotaExceededError (simulated)') })
      } else {
        if (job.kind === 'snapshot') {
          this.diskLog = [...job.log]
          this.diskRecords = [...job.records]
          this.diskTail = []
        } else {
          this.diskLog.push(...job.commands)
          this.diskTail.push(...job.commands)
        }
        this.disk = { replid: job.replid, offset: job.offset, db: job.db }
        this.dispatch({ type: 'persisted', replid: job.replid, offset: job.offset, db: job.db })
      }
      this.persistNext()
    })
  }
}

// ─── The simulation ─────────────────────────────────────────────────────────────────────────────

interface SimStats {
  fullSyncStarts: number
  sharedSnapshots: number
  partialResyncs: number
  resends: number
  rollbacks: number
  crashes: number
  masterRestarts: number
  corruptSnapshots: number
  gaps: number
  repeats: number
  overlaps: number
  masterCloses: Record<string, number>
  replicaCloses: Record<string, number>
}

class Simulation {
  readonly clock = new Scheduler()
  readonly random: Random
  faults: Faults
  readonly master: SimMaster
  readonly replicas: SimReplica[]
  readonly stats: SimStats = {
    fullSyncStarts: 0, sharedSnapshots: 0, partialResyncs: 0, resends: 0, rollbacks: 0, crashes: 0, masterRestarts: 0, corruptSnapshots: 0,
    gaps: 0, repeats: 0, overlaps: 0, masterCloses: {}, replicaCloses: {},
  }
  #writes = 0

  constructor(readonly seed: number) {
    this.random = prng(seed)
    const r = this.random
    this.faults = {
      drop: r.next() * 0.05,
      duplicate: r.next() * 0.05,
      reorder: r.next() * 0.03,
      cutPerSecond: r.next() * 0.15,
      persistFail: r.next() * 0.05,
      crashPerSecond: r.next() * 0.03,
      masterRestartPerSecond: r.chance(0.3) ? r.next() * 0.05 : 0,
    }
    this.master = new SimMaster(this)
    const options = resolveReplicaMachineOptions({ ackPeriodMs: 300, timeoutMs: 3000 })
    this.replicas = Array.from({ length: 2 + r.int(3) }, (_, i) => new SimReplica(this, `r${i}`, options))
  }

  /** Closes after the links healed (and in-flight chaos frames landed): each one is a finding. */
  readonly lateCloses: { who: string; at: number; code: string; message: string }[] = []
  healedAt = Infinity

  noteClose(who: string, error: { code: string; message: string }): void {
    if (env('SIM_DEBUG') !== undefined && who === 'master' && error.code === 'ERR_REPLICATION_PROTOCOL') console.log(error.message)
    if (this.clock.now > this.healedAt + 200) this.lateCloses.push({ who, at: this.clock.now, code: error.code, message: error.message })
  }

  newReplId(): ReplId {
    return replIdFromRandomBytes(Uint8Array.from({ length: 20 }, () => this.random.int(256)))
  }

  /** Invariants of every replica step: the offset moves back only on a rollback or a new history. */
  checkReplicaStep(replica: SimReplica, before: ReplicaState, event: ReplicaEvent, actions: readonly ReplicaAction[]): void {
    const after = replica.state
    const fullSync = actions.some((a) => a.type === 'snapshot-end')
    const rollback = actions.some((a) => a.type === 'rollback')
    const fail = (what: string): never => {
      throw new Error(`${replica.name} on ${event.type}: ${what} (offset ${before.offset} → ${after.offset})`)
    }
    if (!fullSync && !rollback && after.replid !== null && (after.replid === before.replid || after.replid2 === before.replid) && after.offset < before.offset) {
      fail('the offset went back')
    }
    let at = before.offset
    for (const action of actions) {
      if (action.type === 'snapshot-end') at = action.offset
      if (action.type === 'rollback') at = action.offset
      if (action.type !== 'apply') continue
      if (action.startOffset !== at) fail(`an apply starts at ${action.startOffset}, not at ${at}: a byte skipped or applied twice`)
      at = action.endOffset
    }
    if (after.kind === 'streaming' && after.offset !== at) fail(`the offset is not where the applies ended (${at})`)
    // What a replica applied is always a prefix of the master's log, at that exact offset.
    // (Length and last entry per step; the whole log is compared at the end.)
    if (after.kind === 'streaming' && after.replid !== null) {
      const log = this.master.log
      let lo = 0
      let hi = log.length
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if (log[mid]!.endOffset <= after.offset) lo = mid + 1
        else hi = mid
      }
      const last = replica.memLog[lo - 1]
      if (replica.memLog.length !== lo || (lo > 0 && (last!.db !== log[lo - 1]!.effect.db || last!.argv.join('\0') !== log[lo - 1]!.effect.argv.join('\0')))) {
        expect(replica.memLog, `${replica.name} at ${after.offset}`).toEqual(log.slice(0, lo).map((e) => e.effect))
      }
    }
  }

  /** One client command (keys of every type collide on purpose: WRONGTYPE writes propagate nothing). */
  randomCommand(): ByteString[] {
    const r = this.random
    const key = `key:${r.int(12)}`
    const value = `v${this.#writes}`.repeat(1 + r.int(4))
    switch (r.int(16)) {
      case 0: return ['SET', key, value]
      case 1: return ['SET', key, value, 'PX', String(100 + r.int(3000))]
      case 2: return ['HSET', key, `f${r.int(3)}`, value]
      case 3: return ['LPUSH', key, 'a\r\nb', value]
      case 4: return ['RPOP', key]
      case 5: return ['INCR', key]
      case 6: return ['INCRBYFLOAT', key, '1.5']
      case 7: return ['SADD', key, `m${r.int(5)}`]
      case 8: return ['ZADD', key, String(r.int(100) / 4), `m${r.int(5)}`]
      case 9: return ['DEL', key]
      case 10: return ['EXPIRE', key, String(1 + r.int(3))]
      case 11: return ['GET', key]
      case 12: return ['HINCRBYFLOAT', key, 'f', '0.25']
      case 13: return ['SREM', key, `m${r.int(5)}`]
      case 14: return ['APPEND', key, value]
      default: return ['SELECT', String(r.int(3))]
    }
  }

  randomCommands(): ByteString[][] {
    const r = this.random
    if (r.chance(0.8)) return [this.randomCommand()]
    return [['MULTI'], ...Array.from({ length: 2 + r.int(3) }, () => this.randomCommand()), ['EXEC']]
  }

  run(): void {
    const { clock, random, master, replicas } = this
    const CHAOS_MS = 10_000
    const HEAL_MS = 40_000
    for (const replica of replicas) clock.at(random.int(500), () => replica.connect())
    // Writes during the chaos.
    for (let t = random.int(50); t < CHAOS_MS; t += 1 + random.int(60)) {
      clock.at(t, () => {
        this.#writes++
        master.execute(this.randomCommands())
        if (random.chance(0.03)) master.getAck()
      })
    }
    const every = (period: number, until: number, fn: () => void): void => {
      for (let t = period; t <= until; t += period) clock.at(t, fn)
    }
    every(1000, CHAOS_MS + HEAL_MS, () => master.ping())
    every(100, CHAOS_MS + HEAL_MS, () => {
      master.expire()
      master.tick()
      for (const replica of replicas) replica.tick()
    })
    every(100, CHAOS_MS, () => {
      const p = (perSecond: number) => random.chance(perSecond / 10)
      for (const replica of replicas) {
        if (replica.conn !== null && p(this.faults.cutPerSecond)) replica.conn.close()
        if (p(this.faults.crashPerSecond)) replica.crash()
      }
      if (p(this.faults.masterRestartPerSecond)) {
        this.stats.masterRestarts++
        master.restart()
      }
    })
    clock.runUntil(CHAOS_MS)
    this.faults = NO_FAULTS
    this.healedAt = CHAOS_MS
    clock.runUntil(CHAOS_MS + HEAL_MS, () => this.converged())
    for (const replica of replicas) {
      const s = replica.state
      this.stats.gaps += s.stats.gaps
      this.stats.repeats += s.stats.repeats
      this.stats.overlaps += s.stats.overlaps
    }
  }

  converged(): boolean {
    return this.replicas.every((r) => r.state.kind === 'streaming' && r.state.offset === this.master.offset && r.state.replid === this.master.ids.replid && r.queue.length === 0 && !r.persisting)
  }
}

// ─── The test ───────────────────────────────────────────────────────────────────────────────────

describe('replication simulation (seeded, lossy links)', () => {
  test('every replica ends with the master\'s log, digest and offset', () => {
    const seeds = fuzzSeeds(200, 1)
    let keys = 0
    const totals: SimStats = {
      fullSyncStarts: 0, sharedSnapshots: 0, partialResyncs: 0, resends: 0, rollbacks: 0, crashes: 0, masterRestarts: 0, corruptSnapshots: 0,
      gaps: 0, repeats: 0, overlaps: 0, masterCloses: {}, replicaCloses: {},
    }
    for (const seed of seeds) {
      const sim = new Simulation(seed)
      try {
        sim.run()
        const master = sim.master
        keys += master.dataset.keyCount()
        // After the links healed, only handshakes that lost a frame during the chaos may still time out.
        for (const late of sim.lateCloses) {
          expect(late.code, `${late.who} at ${late.at}: ${late.message}`).toBe('ERR_REPLICATION_TIMEOUT')
          expect(late.at).toBeLessThanOrEqual(sim.healedAt + 3000 + 1500)
        }
        for (const replica of sim.replicas) {
          const name = `seed ${seed} ${replica.name}`
          expect(replica.state.kind, name).toBe('streaming')
          expect(replica.state.offset, name).toBe(master.offset)
          expect(replica.state.replid, name).toBe(master.ids.replid)
          expect(replica.memLog, name).toEqual(master.effects())
          expect(replica.diskLog, name).toEqual(master.effects())
          expect(replica.data.digest(), `${name}: digest`).toBe(master.dataset.digest())
          expect(rebuild(replica.diskRecords, replica.diskTail, sim.clock.now).data.digest(), `${name}: stored digest`).toBe(master.dataset.digest())
          expect(replica.state.durableOffset, name).toBe(master.offset)
          expect(replica.disk?.offset, name).toBe(master.offset)
        }
      } catch (error) {
        console.error(`FUZZ_SEED=${seed} (re-run alone: FUZZ_SEED=${seed} npx vitest run packages/core/src/replication/simulation.test.ts)`)
        throw new Error(`FUZZ_SEED=${seed}: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
      }
      for (const key of ['fullSyncStarts', 'sharedSnapshots', 'partialResyncs', 'resends', 'rollbacks', 'crashes', 'masterRestarts', 'corruptSnapshots', 'gaps', 'repeats', 'overlaps'] as const) {
        totals[key] += sim.stats[key]
      }
      for (const [k, v] of Object.entries(sim.stats.masterCloses)) totals.masterCloses[k] = (totals.masterCloses[k] ?? 0) + v
      for (const [k, v] of Object.entries(sim.stats.replicaCloses)) totals.replicaCloses[k] = (totals.replicaCloses[k] ?? 0) + v
    }
    if (seeds.length > 1) {
      // The run must have exercised every recovery path, or it proves little.
      expect(totals.sharedSnapshots).toBeGreaterThan(0)
      expect(totals.partialResyncs).toBeGreaterThan(0)
      expect(totals.resends).toBeGreaterThan(0)
      expect(totals.rollbacks).toBeGreaterThan(0)
      expect(totals.crashes).toBeGreaterThan(0)
      expect(totals.masterRestarts).toBeGreaterThan(0)
      expect(totals.gaps).toBeGreaterThan(0)
      expect(totals.corruptSnapshots).toBeGreaterThan(0)
      expect(keys).toBeGreaterThan(seeds.length)
      expect(totals.repeats).toBeGreaterThan(0)
      expect(totals.overlaps).toBeGreaterThan(0)
      expect(totals.masterCloses['ERR_BACKLOG_NOT_COVERED'] ?? 0).toBeGreaterThan(0)
      expect(totals.replicaCloses['ERR_REPLICATION_TIMEOUT'] ?? 0).toBeGreaterThan(0)
    }
    console.log(`simulation: ${seeds.length} seeds, ${keys} keys at the end`, JSON.stringify(totals))
  })
})
