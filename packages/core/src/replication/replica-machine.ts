// The replica's side of the link, as a pure state machine (STYLE §7; spec in docs/protocol.md §5).
// It never awaits, never reads a clock and never touches a socket or a database: the shell passes
// events with `now` and performs the actions (send bytes, apply commands, load the snapshot, close).
//
//  disconnected ─link-up─► handshaking ─+FULLRESYNC─► loading-snapshot ─(last chunk)─► streaming
//                               └───────────+CONTINUE─────────────────────────────────►┘
//  any ─link-down / timeout / protocol error / close─► disconnected
//      (keeps replid, offset and the durable point for the next PSYNC)
//
// Offsets (REDIS.md §3.1): `offset` counts the stream bytes applied; a MULTI … EXEC counts only at
// its EXEC, a partial command only once complete. The link carries STREAM frames that each state
// their start offset, so continuity is checked (DESIGN §4): a frame past what we received is a GAP
// (not applied; we ACK our offset with RESEND and the master re-sends from its backlog), a frame
// entirely before it a REPEAT (ignored), an overlapping one applies only its new suffix. Frames
// re-sent from the backlog may cut commands anywhere: partial commands are joined across frames
// (command-splitter.ts).
//
// Persistence: every `apply` carries the replid, end offset and selected db the shell stores in
// the same transaction as the data; `persisted` reports them back and becomes the durable point
// (FACK). `persist-failed` rolls back to the durable point (`rollback` action: the shell reloads
// from storage) and asks the master to re-send from there.
//
// Deliberately left out: parsing the RDB (the shell does, on `snapshot-chunk`), the dataset
// (apply's commands are Effects for store/), timers and reconnect scheduling (`backoffDelay` is
// here, the timer is the shell's), the multi-tab leader election.
import type { ByteString } from '../bytes.ts'
import { ReplicastError } from '../errors.ts'
import { RdbReader } from '../rdb/reader.ts'
import { encodeCommand } from '../resp/encoder.ts'
import type { RespLimits } from '../resp/limits.ts'
import type { RespValue } from '../resp/value.ts'
import type { Effect } from '../values.ts'
import {
  MasterRefusedError,
  PersistError,
  ReplicationProtocolError,
  ReplicationTimeoutError,
  closeCodeFor,
  closeReason,
  type ReplicationError,
} from './errors.ts'
import { CommandSplitter, NO_STREAM_TAIL, holdStreamBytes, type StreamTail } from './command-splitter.ts'
import { decodeMasterFrame, type MasterMessage } from './link-codec.ts'
import { parseRedisInteger, type Offset } from './offset.ts'
import { NO_REPLID, parseReplId, type ReplId } from './replid.ts'

// ─── Options ────────────────────────────────────────────────────────────────────────────────────

export interface ReplicaMachineOptions {
  /**
   * Send `REPLCONF ACK <offset> FACK <durable>` at least this often while streaming (Redis: once
   * per replicationCron, 1 s). The master's timeout counts from the last ACK.
   * @default 1000
   */
  readonly ackPeriodMs: number
  /**
   * Close the link after this long without a byte from the master, keep-alives included (Redis's
   * `repl-timeout`). Must exceed the master's ping period (10 s by default).
   * @default 60000
   */
  readonly timeoutMs: number
  /**
   * Credentials sent as `AUTH [username] password` first in the handshake; null sends no AUTH.
   * @default null
   */
  readonly auth: { readonly username: ByteString | null; readonly password: ByteString } | null
  /** RESP limits for decoding frames and the stream. @default {} (RESP_LIMIT_DEFAULTS) */
  readonly limits: Partial<RespLimits>
}

export const REPLICA_MACHINE_DEFAULTS: ReplicaMachineOptions = Object.freeze({
  ackPeriodMs: 1000,
  timeoutMs: 60_000,
  auth: null,
  limits: Object.freeze({}),
})

/** Merges options over the defaults and validates them; throws a RangeError naming every bad one. */
export function resolveReplicaMachineOptions(options: Partial<ReplicaMachineOptions> = {}): ReplicaMachineOptions {
  const merged: ReplicaMachineOptions = { ...REPLICA_MACHINE_DEFAULTS, ...options }
  const bad: string[] = []
  for (const name of ['ackPeriodMs', 'timeoutMs'] as const) {
    const value = merged[name]
    if (!Number.isSafeInteger(value) || value < 1) bad.push(`${name} (${String(value)}) must be a positive integer`)
  }
  if (bad.length === 0 && merged.timeoutMs <= merged.ackPeriodMs) {
    bad.push(`timeoutMs (${merged.timeoutMs}) must exceed ackPeriodMs (${merged.ackPeriodMs})`)
  }
  if (bad.length > 0) throw new RangeError(`Invalid replica machine options: ${bad.join('; ')}.`)
  return Object.freeze(merged)
}

// ─── States ─────────────────────────────────────────────────────────────────────────────────────

export const REPLICA_STATE_KINDS = Object.freeze(['disconnected', 'handshaking', 'loading-snapshot', 'streaming'] as const)
export type ReplicaStateKind = (typeof REPLICA_STATE_KINDS)[number]

export interface ReplicaStats {
  /** STREAM frames that started past what had been received (not applied; a RESEND was asked). */
  readonly gaps: number
  /** STREAM frames that ended at or before what had been received (ignored). */
  readonly repeats: number
  /** STREAM frames that overlapped what had been received (only the new suffix applied). */
  readonly overlaps: number
  readonly fullSyncs: number
  readonly partialSyncs: number
  /** Rollbacks to the durable point after a failed persist. */
  readonly rollbacks: number
}

/** What the replica holds across links: its position in the master's history, and what is durable. */
export interface ReplicaMemory {
  /** The history `offset` belongs to; null when the replica has nothing (PSYNC ? -1). */
  readonly replid: ReplId | null
  /** Stream bytes applied (handed out in `apply` actions). */
  readonly offset: Offset
  /** The database the stream has SELECTed. */
  readonly db: number
  /** The previous history after a `+CONTINUE <new id>`, NO_REPLID when unset. */
  readonly replid2: ReplId
  /** First offset+1 not valid under replid2, -1 when unset (Redis: second_replid_offset). */
  readonly secondReplOffset: number
  /** What the shell's storage last committed (`persisted`). */
  readonly durableReplid: ReplId | null
  readonly durableOffset: Offset
  readonly durableDb: number
  readonly lastSync: 'full' | 'partial' | null
  readonly stats: ReplicaStats
}

/** A MULTI received but not its EXEC: nothing of it is applied or counted yet. */
export interface OpenTransaction {
  /** The offset before MULTI. */
  readonly startOffset: Offset
  /** Bytes received since MULTI (complete commands only). */
  readonly bytes: number
  readonly commands: readonly Effect[]
  /** The database selected inside the transaction so far. */
  readonly db: number
}

export type ReplicaState =
  | ({ readonly kind: 'disconnected' } & ReplicaMemory)
  | ({
      readonly kind: 'handshaking'
      /** The replies still expected, in order. */
      readonly awaiting: readonly ('auth' | 'replconf' | 'psync')[]
      readonly heardAt: number
    } & ReplicaMemory)
  | ({
      readonly kind: 'loading-snapshot'
      readonly snapshot: {
        readonly replid: ReplId
        readonly offset: Offset
        /** null until SNAPSHOT_BEGIN. */
        readonly length: number | null
        readonly received: number
        /**
         * The RDB's `repl-stream-db` aux, once its AUX fields were read (absent: 0); undefined while
         * `head` may still hold it.
         */
        readonly streamDb?: number
        /** The first bytes of the RDB, kept until `streamDb` is known. */
        readonly head?: Uint8Array
      }
      readonly heardAt: number
    } & ReplicaMemory)
  | ({
      readonly kind: 'streaming'
      readonly heardAt: number
      readonly ackedAt: number
      readonly transaction: OpenTransaction | null
      /** The last RESEND asked, while the gap is not filled. */
      readonly resend: { readonly offset: Offset; readonly at: number } | null
    } & StreamTail & ReplicaMemory)

export type StreamingState = Extract<ReplicaState, { kind: 'streaming' }>

/** What the shell's storage holds at startup; null for an empty replica. */
export interface PersistedReplicaPoint {
  readonly replid: ReplId
  readonly offset: Offset
  /** The stream's selected database at `offset` (Redis's repl-stream-db). */
  readonly db: number
}

const ZERO_STATS: ReplicaStats = Object.freeze({ gaps: 0, repeats: 0, overlaps: 0, fullSyncs: 0, partialSyncs: 0, rollbacks: 0 })

/** The state to start from: what storage holds, or nothing. */
export function initialReplicaState(persisted: PersistedReplicaPoint | null): ReplicaState {
  return {
    kind: 'disconnected',
    replid: persisted?.replid ?? null,
    offset: persisted?.offset ?? 0,
    db: persisted?.db ?? 0,
    replid2: NO_REPLID,
    secondReplOffset: -1,
    durableReplid: persisted?.replid ?? null,
    durableOffset: persisted?.offset ?? 0,
    durableDb: persisted?.db ?? 0,
    lastSync: null,
    stats: ZERO_STATS,
  }
}

// ─── Events and actions ─────────────────────────────────────────────────────────────────────────

export type ReplicaEvent =
  /** The WebSocket opened. */
  | { readonly type: 'link-up'; readonly now: number }
  /** The WebSocket closed (or the shell gave up on it). */
  | { readonly type: 'link-down'; readonly now: number }
  /** A raw binary message from the master; decoded here, a malformed one closes the link. */
  | { readonly type: 'frame'; readonly bytes: Uint8Array; readonly now: number }
  /** A message the shell decoded itself (decodeMasterFrame). */
  | { readonly type: 'message'; readonly message: MasterMessage; readonly now: number }
  /** Storage committed an `apply` (or the snapshot) up to `offset` of `replid`, with `db` selected. */
  | { readonly type: 'persisted'; readonly replid: ReplId; readonly offset: Offset; readonly db: number }
  /** Storage failed to commit the batch ending at `offset` (quota, disk full). */
  | { readonly type: 'persist-failed'; readonly replid: ReplId; readonly offset: Offset; readonly error: unknown }
  | { readonly type: 'tick'; readonly now: number }

export type ReplicaEventType = ReplicaEvent['type']

export type ReplicaAction =
  /** Send one binary WebSocket message. */
  | { readonly type: 'send'; readonly bytes: Uint8Array }
  /**
   * Apply `commands` (SELECT, MULTI/EXEC, ping and GETACK removed; each with its db) as one
   * atomic batch, and store `replid`, `endOffset` and `db` in the same transaction; then dispatch
   * `persisted` (or `persist-failed`). `commands` may be empty: only the offset moved (ping).
   */
  | {
      readonly type: 'apply'
      readonly replid: ReplId
      readonly commands: readonly Effect[]
      readonly startOffset: Offset
      readonly endOffset: Offset
      readonly db: number
    }
  /** A full sync starts: prepare a shadow dataset for `length` RDB bytes of `replid` at `offset`. */
  | { readonly type: 'snapshot-begin'; readonly replid: ReplId; readonly offset: Offset; readonly length: number }
  /** RDB bytes for the shadow dataset; `received` of `total` so far (progress). */
  | { readonly type: 'snapshot-chunk'; readonly bytes: Uint8Array; readonly received: number; readonly total: number }
  /** The RDB is complete (check its CRC64): switch to the shadow dataset atomically and store the point. */
  | { readonly type: 'snapshot-end'; readonly replid: ReplId; readonly offset: Offset; readonly db: number }
  /** The link dropped mid-snapshot: discard the shadow dataset; the old data stays. */
  | { readonly type: 'snapshot-abort' }
  /** A persist failed: reload the dataset from storage (it is at this point) and report `error`. */
  | { readonly type: 'rollback'; readonly replid: ReplId | null; readonly offset: Offset; readonly db: number; readonly error: PersistError }
  /** Close the WebSocket with `code` and `reason`, report `error`, reconnect after backoffDelay(). */
  | { readonly type: 'close'; readonly error: ReplicationError; readonly code: number; readonly reason: string }

export interface ReplicaStep {
  readonly state: ReplicaState
  readonly actions: readonly ReplicaAction[]
}

// ─── The machine ────────────────────────────────────────────────────────────────────────────────

const NONE: readonly ReplicaAction[] = Object.freeze([])
const same = (state: ReplicaState): ReplicaStep => ({ state, actions: NONE })

function memory(state: ReplicaState): ReplicaMemory {
  return {
    replid: state.replid,
    offset: state.offset,
    db: state.db,
    replid2: state.replid2,
    secondReplOffset: state.secondReplOffset,
    durableReplid: state.durableReplid,
    durableOffset: state.durableOffset,
    durableDb: state.durableDb,
    lastSync: state.lastSync,
    stats: state.stats,
  }
}

const disconnected = (state: ReplicaState): ReplicaState => ({ kind: 'disconnected', ...memory(state) })

function bumpStats(state: ReplicaMemory, key: keyof ReplicaStats): ReplicaStats {
  return { ...state.stats, [key]: state.stats[key] + 1 }
}

/** Advances the replica. Pure: the same state and event always give the same step. */
export function stepReplica(state: ReplicaState, event: ReplicaEvent, options: ReplicaMachineOptions): ReplicaStep {
  switch (event.type) {
    case 'link-up':
      return onLinkUp(state, event.now, options)
    case 'link-down':
      return onLinkDown(state)
    case 'frame': {
      if (state.kind === 'disconnected') return same(state)
      let message: MasterMessage
      try {
        message = decodeMasterFrame(event.bytes, options.limits)
      } catch (cause) {
        if (cause instanceof ReplicastError) return closeLink(state, cause as ReplicationError)
        throw cause
      }
      return onMessage(state, message, event.now, options)
    }
    case 'message':
      return onMessage(state, event.message, event.now, options)
    case 'persisted':
      return onPersisted(state, event)
    case 'persist-failed':
      return onPersistFailed(state, event)
    case 'tick':
      return onTick(state, event.now, options)
  }
}

function closeLink(state: ReplicaState, error: ReplicationError, extra: readonly ReplicaAction[] = NONE): ReplicaStep {
  const actions: ReplicaAction[] = [...extra]
  if (state.kind === 'loading-snapshot') actions.push({ type: 'snapshot-abort' })
  actions.push({ type: 'close', error, code: closeCodeFor(error), reason: closeReason(error.message) })
  return { state: disconnected(state), actions }
}

function onLinkUp(state: ReplicaState, now: number, options: ReplicaMachineOptions): ReplicaStep {
  // A link-up while linked means the shell replaced the socket: the old link's work is void.
  const actions: ReplicaAction[] = state.kind === 'loading-snapshot' ? [{ type: 'snapshot-abort' }] : []
  const awaiting: ('auth' | 'replconf' | 'psync')[] = []
  if (options.auth !== null) {
    const { username, password } = options.auth
    actions.push({ type: 'send', bytes: encodeCommand(username === null ? ['AUTH', password] : ['AUTH', username, password]) })
    awaiting.push('auth')
  }
  actions.push({ type: 'send', bytes: encodeCommand(['REPLCONF', 'capa', 'eof', 'capa', 'psync2']) })
  awaiting.push('replconf')
  // Redis: slaveTryPartialResynchronization() — PSYNC's offset is the first byte not yet applied.
  const psync = state.replid === null ? ['PSYNC', '?', '-1'] : ['PSYNC', state.replid, String(state.offset + 1)]
  actions.push({ type: 'send', bytes: encodeCommand(psync) })
  awaiting.push('psync')
  return { state: { kind: 'handshaking', ...memory(state), awaiting, heardAt: now }, actions }
}

function onLinkDown(state: ReplicaState): ReplicaStep {
  if (state.kind === 'disconnected') return same(state)
  return { state: disconnected(state), actions: state.kind === 'loading-snapshot' ? [{ type: 'snapshot-abort' }] : NONE }
}

function onMessage(state: ReplicaState, message: MasterMessage, now: number, options: ReplicaMachineOptions): ReplicaStep {
  switch (state.kind) {
    case 'disconnected':
      // A late message from a link already given up.
      return same(state)
    case 'handshaking':
      if (message.kind === 'keepalive') return same({ ...state, heardAt: now })
      if (message.kind !== 'reply') return closeLink(state, unexpected(message, 'before the reply to PSYNC'))
      return onHandshakeReply({ ...state, heardAt: now }, message.value, now)
    case 'loading-snapshot':
      return onSnapshotMessage({ ...state, heardAt: now }, message, now)
    case 'streaming':
      if (message.kind === 'keepalive') return same({ ...state, heardAt: now })
      if (message.kind !== 'stream') return closeLink(state, unexpected(message, 'while streaming'))
      return onStreamFrame({ ...state, heardAt: now }, message.startOffset, message.bytes, now, options)
  }
}

function unexpected(message: MasterMessage, when: string): ReplicationProtocolError {
  const shown = message.kind === 'reply' ? ` (${describeReply(message.value)})` : ''
  return new ReplicationProtocolError(`The master sent a ${message.kind} frame${shown} ${when}.`)
}

function describeReply(value: RespValue): string {
  switch (value.kind) {
    case 'simple': return `+${value.value.slice(0, 80)}`
    case 'error': return `-${value.message.slice(0, 80)}`
    default: return `a ${value.kind} reply`
  }
}

type Handshaking = Extract<ReplicaState, { kind: 'handshaking' }>

function onHandshakeReply(state: Handshaking, value: RespValue, now: number): ReplicaStep {
  const [expected, ...rest] = state.awaiting
  switch (expected) {
    case undefined:
      return closeLink(state, new ReplicationProtocolError(`The master sent a reply (${describeReply(value)}) that nothing asked for.`))
    case 'auth':
      // Redis: "Unable to AUTH to MASTER" is fatal for this attempt.
      if (value.kind === 'error') return closeLink(state, new MasterRefusedError('AUTH', value.message, false))
      return same({ ...state, awaiting: rest })
    case 'replconf':
      // Redis ignores an error here ("(Non critical)").
      return same({ ...state, awaiting: rest })
    case 'psync':
      return onPsyncReply(state, value, now)
  }
}

const FULLRESYNC = /^FULLRESYNC ([^ ]*) ([^ ]*)$/
const CONTINUE = /^CONTINUE(?: ([^ ]*))?$/

// Redis: slaveTryPartialResynchronization(), reading the PSYNC reply.
function onPsyncReply(state: Handshaking, value: RespValue, now: number): ReplicaStep {
  if (value.kind === 'error') {
    const code = value.message.split(' ', 1)[0]!.toUpperCase()
    const fatal = code === 'NOAUTH' || code === 'WRONGPASS' || code === 'NOPERM'
    return closeLink(state, new MasterRefusedError('PSYNC', value.message, !fatal))
  }
  if (value.kind !== 'simple') return closeLink(state, new ReplicationProtocolError(`Unexpected reply to PSYNC from master: ${describeReply(value)}.`))
  const full = FULLRESYNC.exec(value.value)
  if (full !== null) {
    const replid = parseReplId(full[1]!)
    const offset = parseRedisInteger(full[2]!)
    if (replid === null || offset === null || offset < 0) {
      return closeLink(state, new ReplicationProtocolError(`Master replied with wrong +FULLRESYNC syntax: "+${value.value.slice(0, 100)}" (want a 40-hex replid and an offset).`))
    }
    return same({ ...memory(state), kind: 'loading-snapshot', snapshot: { replid, offset, length: null, received: 0 }, heardAt: now })
  }
  const cont = CONTINUE.exec(value.value)
  if (cont !== null) {
    if (state.replid === null) return closeLink(state, new ReplicationProtocolError('The master answered PSYNC ? -1 with +CONTINUE.'))
    const newId = cont[1] === undefined ? null : parseReplId(cont[1])
    if (cont[1] !== undefined && newId === null) {
      return closeLink(state, new ReplicationProtocolError(`Master replied with wrong +CONTINUE syntax: "+${value.value.slice(0, 100)}".`))
    }
    let next: StreamingState = {
      ...memory(state),
      kind: 'streaming',
      heardAt: now,
      ackedAt: now,
      ...NO_STREAM_TAIL,
      transaction: null,
      resend: null,
      lastSync: 'partial',
      stats: bumpStats(state, 'partialSyncs'),
    }
    // Redis: "Master replication ID changed to <new>": the old ID stays valid up to our offset.
    if (newId !== null && newId !== state.replid) {
      next = { ...next, replid2: state.replid, secondReplOffset: state.offset + 1, replid: newId }
    }
    return same(next)
  }
  return closeLink(state, new ReplicationProtocolError(`Unexpected reply to PSYNC from master: ${describeReply(value)}.`))
}

type Loading = Extract<ReplicaState, { kind: 'loading-snapshot' }>

function onSnapshotMessage(state: Loading, message: MasterMessage, now: number): ReplicaStep {
  const snapshot = state.snapshot
  switch (message.kind) {
    case 'keepalive':
      return same(state)
    case 'snapshot-begin':
      if (snapshot.length !== null) return closeLink(state, new ReplicationProtocolError('The master sent a second SNAPSHOT_BEGIN for one snapshot.'))
      if (message.length === 0) return closeLink(state, new ReplicationProtocolError('The master announced an empty snapshot (an RDB has at least a header and a checksum).'))
      return {
        state: { ...state, snapshot: { ...snapshot, length: message.length } },
        actions: [{ type: 'snapshot-begin', replid: snapshot.replid, offset: snapshot.offset, length: message.length }],
      }
    case 'snapshot-chunk': {
      if (snapshot.length === null) return closeLink(state, new ReplicationProtocolError('The master sent a SNAPSHOT_CHUNK before SNAPSHOT_BEGIN.'))
      const received = snapshot.received + message.bytes.length
      if (received > snapshot.length) {
        return closeLink(state, new ReplicationProtocolError(`The snapshot overran its announced length: ${received} bytes of ${snapshot.length}.`, snapshot.received))
      }
      const chunk: ReplicaAction = { type: 'snapshot-chunk', bytes: message.bytes, received, total: snapshot.length }
      const last = received === snapshot.length
      const head = snapshot.streamDb === undefined ? appendHead(snapshot.head, message.bytes) : undefined
      const streamDb = head === undefined ? snapshot.streamDb : scanStreamDb(head, last)
      if (!last) {
        const known = streamDb === null ? { head } : { streamDb, head: undefined }
        return { state: { ...state, snapshot: { ...snapshot, received, ...known } }, actions: [chunk] }
      }
      // The last byte: the dataset is the master's at offset S. Redis: replicationCreateMasterClient()
      // and clearReplicationId2(); the stream continues in the RDB's repl-stream-db (0 when absent:
      // our own master SELECTs first anyway, but a relay of a Redis stream need not).
      const db = streamDb ?? 0
      const next: StreamingState = {
        ...memory(state),
        kind: 'streaming',
        replid: snapshot.replid,
        offset: snapshot.offset,
        db,
        replid2: NO_REPLID,
        secondReplOffset: -1,
        lastSync: 'full',
        stats: bumpStats(state, 'fullSyncs'),
        heardAt: now,
        ackedAt: now,
        ...NO_STREAM_TAIL,
        transaction: null,
        resend: null,
      }
      // Redis sends an ACK as soon as the RDB is loaded (`if (usemark) replicationSendAck()`).
      return {
        state: next,
        actions: [chunk, { type: 'snapshot-end', replid: snapshot.replid, offset: snapshot.offset, db }, ackAction(next, null)],
      }
    }
    default:
      return closeLink(state, unexpected(message, 'while loading the snapshot'))
  }
}

// Redis: replicationCreateMasterClient(conn, rsi.repl_stream_db) — the master client starts in the
// RDB's `repl-stream-db` (else db 0). It matters when the master relays a stream it did not write
// (a Replicast master following a real Redis, a sub-replica): the stream at the snapshot's offset
// may have another db selected, and no SELECT comes until the db changes. Redis writes its AUX
// fields first (rdbSaveInfoAuxFields), so the head of the RDB decides; bytes that are not an RDB
// (tests' toy snapshots) mean db 0.
const STREAM_DB_HEAD_BYTES = 64 * 1024

function appendHead(head: Uint8Array | undefined, bytes: Uint8Array): Uint8Array {
  const have = head?.length ?? 0
  const take = Math.min(bytes.length, STREAM_DB_HEAD_BYTES - have)
  if (head === undefined) return bytes.subarray(0, take)
  const out = new Uint8Array(have + take)
  out.set(head)
  out.set(bytes.subarray(0, take), have)
  return out
}

/** The `repl-stream-db` AUX in the RDB's head; null while more AUX fields may follow. */
function scanStreamDb(head: Uint8Array, complete: boolean): number | null {
  let events
  try {
    events = new RdbReader().push(head)
  } catch {
    return 0
  }
  for (const event of events) {
    if (event.kind !== 'aux') return 0
    if (event.key === 'repl-stream-db') {
      const db = parseRedisInteger(event.value)
      return db === null || db < 0 ? 0 : db
    }
  }
  return complete || head.length >= STREAM_DB_HEAD_BYTES ? 0 : null
}

// ─── The stream ─────────────────────────────────────────────────────────────────────────────────

/** True when (id, offset) lies on the history the replica is on now. */
function onHistory(state: ReplicaMemory, id: ReplId | null, offset: Offset): boolean {
  if (id === null || state.replid === null) return false
  return id === state.replid || (id === state.replid2 && offset < state.secondReplOffset)
}

function ackAction(state: ReplicaMemory, resend: Offset | null): ReplicaAction {
  // Redis: replicationSendAck() — REPLCONF ACK <reploff> [FACK <aofoff>]. We add RESEND <offset>
  // while we wait for bytes we lost; Redis masters ignore arguments after FACK.
  const argv = ['REPLCONF', 'ACK', String(state.offset)]
  if (onHistory(state, state.durableReplid, state.durableOffset)) argv.push('FACK', String(state.durableOffset))
  if (resend !== null) argv.push('RESEND', String(resend))
  return { type: 'send', bytes: encodeCommand(argv) }
}

/** Where the next stream byte belongs: applied bytes, plus an open MULTI's, plus a partial command's. */
export function receivedOffset(state: StreamingState): Offset {
  return state.offset + (state.transaction?.bytes ?? 0) + state.pendingBytes
}

function onStreamFrame(state: StreamingState, startOffset: Offset, bytes: Uint8Array, now: number, options: ReplicaMachineOptions): ReplicaStep {
  const received = receivedOffset(state)
  const endOffset = startOffset + bytes.length
  if (startOffset > received) {
    // A GAP: never apply it. Drop what is half-received (the re-send repeats it) and ask for the
    // stream after our offset, at most once per ackPeriodMs for the same offset.
    const reset: StreamingState = {
      ...state,
      ...NO_STREAM_TAIL,
      transaction: null,
      stats: bumpStats(state, 'gaps'),
    }
    const r = state.resend
    if (r !== null && r.offset === state.offset && now - r.at < options.ackPeriodMs) return same(reset)
    return {
      state: { ...reset, resend: { offset: state.offset, at: now }, ackedAt: now },
      actions: [ackAction(reset, state.offset)],
    }
  }
  if (endOffset <= received) return same({ ...state, stats: bumpStats(state, 'repeats') })
  let fresh = bytes
  let next = state
  if (startOffset < received) {
    fresh = bytes.subarray(received - startOffset)
    next = { ...state, stats: bumpStats(state, 'overlaps') }
  }
  return applyBytes(next, fresh, now, options)
}

function applyBytes(state: StreamingState, bytes: Uint8Array, now: number, options: ReplicaMachineOptions): ReplicaStep {
  const held = holdStreamBytes(state, bytes)
  if (held !== null) return same({ ...state, ...held })
  const splitter = new CommandSplitter(state, bytes, options.limits)

  const actions: ReplicaAction[] = []
  let offset = state.offset
  let db = state.db
  const resend = state.resend
  let ackedAt = state.ackedAt
  // The batch of the apply action being built.
  let batchStart = offset
  let batch: Effect[] = []
  let transaction: { startOffset: Offset; bytes: number; commands: Effect[]; db: number } | null =
    state.transaction === null ? null : { ...state.transaction, commands: [...state.transaction.commands] }
  const replid = state.replid!

  const flush = (): void => {
    if (offset > batchStart) actions.push({ type: 'apply', replid, commands: batch, startOffset: batchStart, endOffset: offset, db })
    batchStart = offset
    batch = []
  }
  const fail = (message: string, cause?: unknown): ReplicaStep => {
    flush()
    const at = offset + (transaction?.bytes ?? 0)
    const error = new ReplicationProtocolError(`${message} (stream offset ${at}).`, at, cause === undefined ? undefined : { cause })
    return closeLink({ ...state, ...committed() }, error, actions)
  }
  const committed = () => ({ offset, db, resend, ackedAt, transaction: null, ...NO_STREAM_TAIL })

  for (let argv = splitter.next(); argv !== undefined; argv = splitter.next()) {
    const size = splitter.size
    const name = argv.length === 0 ? '' : controlName(argv[0]!)

    if (transaction !== null) {
      transaction.bytes += size
      if (name === 'exec') {
        // Redis counts a transaction only at its EXEC: it is applied whole, in this batch.
        for (const effect of transaction.commands) batch.push(effect)
        offset += transaction.bytes
        db = transaction.db
        transaction = null
      } else if (name === 'multi') {
        return fail('Nested MULTI in the replication stream')
      } else if (name === 'select') {
        const selected = parseDb(argv)
        if (selected === null) return fail(`Bad SELECT in the replication stream: ${JSON.stringify(argv.slice(0, 3))}`)
        transaction.db = selected
      } else if (name !== '' && name !== 'ping' && !(name === 'replconf' && argv.length > 1)) {
        transaction.commands.push({ db: transaction.db, argv })
      }
      continue
    }

    switch (name) {
      case 'multi':
        transaction = { startOffset: offset, bytes: size, commands: [], db }
        continue
      case 'exec':
        return fail('EXEC without MULTI in the replication stream')
      case 'select': {
        const selected = parseDb(argv)
        if (selected === null) return fail(`Bad SELECT in the replication stream: ${JSON.stringify(argv.slice(0, 3))}`)
        db = selected
        offset += size
        continue
      }
      case '':
      case 'ping':
        // Counted, applied as nothing.
        offset += size
        continue
      case 'replconf':
        if (argv.length > 1 && argv[1]!.toLowerCase() === 'getack') {
          // REDIS.md §5.1: the ACK carries the offset *before* the GETACK; its 37 bytes count after.
          flush()
          actions.push(ackAction({ ...state, offset, db }, null))
          ackedAt = now
          offset += size
          continue
        }
        offset += size
        continue
      default:
        batch.push({ db, argv })
        offset += size
    }
  }
  if (splitter.failure !== null) {
    const { cause } = splitter.failure
    return fail(cause instanceof Error ? `Undecodable replication stream: ${cause.message}` : 'Undecodable replication stream', cause)
  }
  flush()

  const tail = splitter.tail()
  const openBytes = transaction?.bytes ?? 0
  const next: StreamingState = {
    ...state,
    offset,
    db,
    ackedAt,
    // The gap is filled once bytes apply past the offset it was asked from.
    resend: resend !== null && offset + openBytes + tail.pendingBytes > resend.offset ? null : resend,
    transaction: transaction === null ? null : { ...transaction, commands: transaction.commands },
    ...tail,
  }
  return { state: next, actions }
}

/**
 * The lowercase name of a command this machine treats specially (multi, exec, select, ping,
 * replconf); any other name comes back as it is, which matches none of them. Lowercasing every
 * SET of a busy stream would allocate a string per command for nothing.
 */
function controlName(name: ByteString): string {
  switch (name.length) {
    case 4: case 5: case 6: case 8:
      return name.toLowerCase()
    default:
      return name
  }
}

function parseDb(argv: readonly ByteString[]): number | null {
  if (argv.length !== 2) return null
  const db = parseRedisInteger(argv[1]!)
  return db === null || db < 0 ? null : db
}

// ─── Persistence ────────────────────────────────────────────────────────────────────────────────

function onPersisted(state: ReplicaState, event: Extract<ReplicaEvent, { type: 'persisted' }>): ReplicaStep {
  return same({ ...state, durableReplid: event.replid, durableOffset: event.offset, durableDb: event.db })
}

function onPersistFailed(state: ReplicaState, event: Extract<ReplicaEvent, { type: 'persist-failed' }>): ReplicaStep {
  const error = new PersistError(event.offset, state.durableOffset, event.error)
  const rollback: ReplicaAction = { type: 'rollback', replid: state.durableReplid, offset: state.durableOffset, db: state.durableDb, error }
  const stats = bumpStats(state, 'rollbacks')
  const sameHistory = onHistory(state, state.durableReplid, state.durableOffset)
  // Back to what storage holds. On the same history the IDs stay; otherwise the durable point
  // is all we have (a full sync was not persisted, or nothing ever was).
  const rolledBack: ReplicaMemory = sameHistory
    ? { ...memory(state), offset: state.durableOffset, db: state.durableDb, stats }
    : { ...memory(state), replid: state.durableReplid, offset: state.durableOffset, db: state.durableDb, replid2: NO_REPLID, secondReplOffset: -1, stats }
  switch (state.kind) {
    case 'disconnected':
      return { state: { kind: 'disconnected', ...rolledBack }, actions: [rollback] }
    case 'loading-snapshot':
      // The snapshot being loaded replaces everything anyway; if it fails we resume from here.
      return { state: { ...state, ...rolledBack }, actions: [rollback] }
    case 'handshaking':
      // The PSYNC already sent asked for a position we no longer hold: start over.
      return closeLink({ ...state, ...rolledBack }, error, [rollback])
    case 'streaming': {
      if (!sameHistory) return closeLink({ ...state, ...rolledBack }, error, [rollback])
      const next: StreamingState = {
        ...state,
        ...rolledBack,
        ...NO_STREAM_TAIL,
        transaction: null,
        // The event carries no clock: date the request at the last sign of life; it only paces repeats.
        resend: { offset: rolledBack.offset, at: state.heardAt },
      }
      // The master re-sends on this link from our (rolled back) offset.
      return { state: next, actions: [rollback, ackAction(next, next.offset)] }
    }
  }
}

// ─── Time ───────────────────────────────────────────────────────────────────────────────────────

function onTick(state: ReplicaState, now: number, options: ReplicaMachineOptions): ReplicaStep {
  if (state.kind === 'disconnected') return same(state)
  // Redis: "MASTER timeout: no data nor PING received..." — any byte counts.
  const silentMs = now - state.heardAt
  if (silentMs > options.timeoutMs) return closeLink(state, new ReplicationTimeoutError('master', options.timeoutMs, silentMs))
  if (state.kind === 'streaming' && now - state.ackedAt >= options.ackPeriodMs) {
    const resend = state.resend === null ? null : state.resend.offset
    const next: StreamingState = { ...state, ackedAt: now, resend: state.resend === null ? null : { offset: state.resend.offset, at: now } }
    return { state: next, actions: [ackAction(next, resend)] }
  }
  return same(state)
}

// ─── Status and reconnects ──────────────────────────────────────────────────────────────────────

/** What the shell publishes (status events, INFO on a relay). */
export interface ReplicaStatus {
  readonly link: 'down' | 'connecting' | 'syncing' | 'up'
  readonly state: ReplicaStateKind
  readonly replid: ReplId | null
  readonly offset: Offset
  readonly durableOffset: Offset
  readonly lastSync: 'full' | 'partial' | null
  /** While loading a snapshot: bytes received and announced (null before SNAPSHOT_BEGIN). */
  readonly snapshot: { readonly received: number; readonly total: number | null } | null
  readonly stats: ReplicaStats
  /** When the master was last heard from (ms), null when disconnected. */
  readonly heardAt: number | null
}

export function replicaStatus(state: ReplicaState): ReplicaStatus {
  return {
    link: state.kind === 'disconnected' ? 'down' : state.kind === 'handshaking' ? 'connecting' : state.kind === 'loading-snapshot' ? 'syncing' : 'up',
    state: state.kind,
    replid: state.replid,
    offset: state.offset,
    durableOffset: state.durableOffset,
    lastSync: state.lastSync,
    snapshot: state.kind === 'loading-snapshot' ? { received: state.snapshot.received, total: state.snapshot.length } : null,
    stats: state.stats,
    heardAt: state.kind === 'disconnected' ? null : state.heardAt,
  }
}

export interface BackoffOptions {
  /** Delay before the first retry, in ms. @default 500 */
  readonly initialDelayMs: number
  /** Largest delay, in ms. @default 30000 */
  readonly maxDelayMs: number
  /** Growth per attempt. @default 2 */
  readonly multiplier: number
  /**
   * Share of the delay that is random: 0 = none, 1 = "full jitter" (0..delay). The default keeps
   * at least half of the delay, so a thousand replicas of a restarted master spread out without
   * any of them retrying at once. @default 0.5
   */
  readonly jitter: number
}

export const BACKOFF_DEFAULTS: BackoffOptions = Object.freeze({ initialDelayMs: 500, maxDelayMs: 30_000, multiplier: 2, jitter: 0.5 })

/**
 * The delay before reconnect attempt `attempt` (0 for the first retry): exponential, capped, with
 * jitter drawn from `random01` (a number in [0, 1) the shell draws; the core has no randomness).
 */
export function backoffDelay(attempt: number, random01: number, options: BackoffOptions = BACKOFF_DEFAULTS): number {
  const exponent = Math.max(0, Math.floor(attempt))
  const base = Math.min(options.maxDelayMs, options.initialDelayMs * Math.pow(options.multiplier, exponent))
  const r = Math.min(Math.max(random01, 0), 1)
  return Math.round(base * (1 - options.jitter + options.jitter * r))
}
