// The master's side of one replica link, as a pure state machine (STYLE §7; spec in
// docs/protocol.md §4). It never touches a socket, a clock or the backlog's bytes: the shell passes
// events (a decoded command with `now`, snapshot progress, ticks) and performs the actions.
//
//   handshake ──PSYNC, partial──────────────────────────────────────────────────► online
//       │                                                                            ▲
//       └──PSYNC, full──► wait-snapshot ──snapshot-ready──► send-snapshot ──snapshot-sent┘
//                         (start-full-sync; snapshot-attached → +FULLRESYNC)
//   any ──closed / peer-error / close action──► closed   (terminal: every event is ignored)
//
// Handshake commands follow Redis (syncCommand, replconfCommand, authCommand): PING, AUTH,
// REPLCONF listening-port/ip-address/capa/ack/getack, PSYNC; anything else gets an error reply.
// After PSYNC the connection is a replication link: the replica sends only `REPLCONF ACK` and the
// keep-alive; a command that would need a reply closes the link (Redis: "Replica generated a reply
// to command …, disconnecting it").
//
// Loss on the link (DESIGN §4): `REPLCONF ACK <o> … RESEND <o>` means "I am at <o> and lost what
// followed"; an online link then re-sends from the backlog (`stream-from`), or closes when the
// backlog no longer covers <o> (the replica comes back with PSYNC and gets a full sync). A plain
// ACK below what was sent is not a loss: frames are in flight.
//
// Deliberately left out: the stream itself (the shell pumps the backlog from `stream-from` on),
// making snapshots (shared between links by the shell), global counters (sync_full, …: the shell
// counts `start-full-sync` and `stream-from` actions), PINGs (propagator.ts).
import type { ByteString } from '../bytes.ts'
import { ReplicastError } from '../errors.ts'
import type { RespLimits } from '../resp/limits.ts'
import { bulk, error, simple, type RespError, type RespValue } from '../resp/value.ts'
import type { BacklogView } from './backlog.ts'
import {
  BacklogNotCoveredError,
  OutputBufferLimitError,
  ReplicationProtocolError,
  ReplicationTimeoutError,
  SnapshotFailedError,
  closeCodeFor,
  closeReason,
  type ReplicationError,
} from './errors.ts'
import { decodeReplicaFrame } from './link-codec.ts'
import { parseRedisInteger, type Offset } from './offset.ts'
import { decidePsync, type FullResyncReason, type ReplicationIds } from './replication-state.ts'
import type { ReplId } from './replid.ts'

// ─── Options ────────────────────────────────────────────────────────────────────────────────────

export interface MasterMachineOptions {
  /**
   * Close an online replica that sent no `REPLCONF ACK` (nor keep-alive) for this long, and a
   * connection that sent nothing for this long before PSYNC (Redis's `repl-timeout`). Must exceed
   * the replicas' ACK period.
   * @default 60000
   */
  readonly timeoutMs: number
  /**
   * Close a replica whose pending output (stream not yet sent, including what accumulates during
   * its full sync) reaches this many bytes (`client-output-buffer-limit replica <hard>`). 0 disables
   * it. Never effectively below `backlogBytes` (as Redis), so a partial resync is not killed at once.
   * @default 268435456 (256 MiB)
   */
  readonly outputBufferHardBytes: number
  /**
   * Close a replica whose pending output stays at or above this many bytes for more than
   * `outputBufferSoftMs`. 0 disables it.
   * @default 67108864 (64 MiB)
   */
  readonly outputBufferSoftBytes: number
  /** How long the soft limit may be exceeded, in ms. @default 60000 */
  readonly outputBufferSoftMs: number
  /** The backlog's size (`repl-backlog-size`): the floor of the hard limit. @default 1048576 */
  readonly backlogBytes: number
  /**
   * Send a KEEPALIVE this often while the link waits for its snapshot (Redis sends `\n` once per
   * second to replicas in WAIT_BGSAVE_START), so that the replica's timeout does not fire.
   * @default 1000
   */
  readonly keepaliveMs: number
  /**
   * Verifies `AUTH [username] password`; null when no authentication is required. When set, every
   * command but AUTH gets `-NOAUTH Authentication required.` until AUTH succeeds. Must be pure and
   * synchronous (a token check); asynchronous checks belong to the WebSocket upgrade.
   * @default null
   */
  readonly authenticate: ((username: ByteString | null, password: ByteString) => boolean) | null
  /** RESP limits for decoding the connection's frames (`frame` events). @default {} (RESP_LIMIT_DEFAULTS) */
  readonly limits: Partial<RespLimits>
}

export const MASTER_MACHINE_DEFAULTS: MasterMachineOptions = Object.freeze({
  timeoutMs: 60_000,
  outputBufferHardBytes: 256 * 1024 * 1024,
  outputBufferSoftBytes: 64 * 1024 * 1024,
  outputBufferSoftMs: 60_000,
  backlogBytes: 1024 * 1024,
  keepaliveMs: 1000,
  authenticate: null,
  limits: Object.freeze({}),
})

/** Merges options over the defaults and validates them; throws a RangeError naming every bad one. */
export function resolveMasterMachineOptions(options: Partial<MasterMachineOptions> = {}): MasterMachineOptions {
  const merged: MasterMachineOptions = { ...MASTER_MACHINE_DEFAULTS, ...options }
  const bad: string[] = []
  const check = (name: keyof MasterMachineOptions, min: number): void => {
    const value = merged[name]
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) bad.push(`${name} (${String(value)}) must be an integer >= ${min}`)
  }
  check('timeoutMs', 1)
  check('outputBufferHardBytes', 0)
  check('outputBufferSoftBytes', 0)
  check('outputBufferSoftMs', 0)
  check('backlogBytes', 1)
  check('keepaliveMs', 1)
  if (bad.length > 0) throw new RangeError(`Invalid master machine options: ${bad.join('; ')}.`)
  return Object.freeze(merged)
}

// ─── States ─────────────────────────────────────────────────────────────────────────────────────

export const MASTER_LINK_STATE_KINDS = Object.freeze(['handshake', 'wait-snapshot', 'send-snapshot', 'online', 'closed'] as const)
export type MasterLinkStateKind = (typeof MASTER_LINK_STATE_KINDS)[number]

/** What the connection told about itself (REPLCONF), and its last activity. */
export interface MasterLinkFacts {
  readonly authenticated: boolean
  /** `REPLCONF listening-port`, 0 when not given (Redis's default). */
  readonly listeningPort: number
  /** `REPLCONF ip-address`, null when not given. */
  readonly ipAddress: ByteString | null
  readonly capaEof: boolean
  readonly capaPsync2: boolean
  /** When the connection last sent anything (ms). */
  readonly lastInteractionAt: number
}

/** What the master knows of a connection once it sent PSYNC. */
export interface MasterReplicaFacts {
  readonly sync: 'full' | 'partial'
  /** Highest `REPLCONF ACK` offset (Redis: repl_ack_off). */
  readonly ackOffset: Offset
  /** Highest `FACK` offset (Redis: repl_aof_off). */
  readonly fackOffset: Offset
  /** When the last ACK or keep-alive came (Redis: repl_ack_time, in ms). */
  readonly ackAt: number
  /** Since when the soft output-buffer limit has been exceeded, null when it is not. */
  readonly softLimitSince: number | null
  /** How many times this link re-sent from the backlog after a RESEND. */
  readonly resends: number
}

export interface AttachedSnapshot {
  readonly id: string
  readonly replid: ReplId
  /** The snapshot's offset S: the stream continues after it. */
  readonly offset: Offset
}

export type MasterLinkState =
  | ({ readonly kind: 'handshake' } & MasterLinkFacts)
  | ({
      readonly kind: 'wait-snapshot'
      /** null until the shell attaches the link to a snapshot (`snapshot-attached`). */
      readonly snapshot: AttachedSnapshot | null
      readonly keepaliveAt: number
    } & MasterLinkFacts & MasterReplicaFacts)
  | ({ readonly kind: 'send-snapshot'; readonly snapshot: AttachedSnapshot & { readonly length: number } } & MasterLinkFacts & MasterReplicaFacts)
  | ({ readonly kind: 'online' } & MasterLinkFacts & MasterReplicaFacts)
  | ({ readonly kind: 'closed'; readonly error: ReplicationError | null } & MasterLinkFacts)

/** A new connection on the replication endpoint. */
export function initialMasterLinkState(now: number): MasterLinkState {
  return {
    kind: 'handshake',
    authenticated: false,
    listeningPort: 0,
    ipAddress: null,
    capaEof: false,
    capaPsync2: false,
    lastInteractionAt: now,
  }
}

// ─── Events and actions ─────────────────────────────────────────────────────────────────────────

/** The master's current identity and backlog, read when a PSYNC or a RESEND is decided. */
export interface MasterContext {
  readonly ids: ReplicationIds
  readonly backlog: BacklogView | null
  /**
   * When set, PSYNC is answered with this error and the connection stays an ordinary client: a
   * master that is itself a replica of a real Redis (upstream mode) while its own link is not up
   * (Redis: `-NOMASTERLINK Can't SYNC while not connected with my master`, `-LOADING …`).
   */
  readonly refusePsync?: RespError | null
}

export type MasterLinkEvent =
  /** A raw binary WebSocket message from the connection; decoded here, a malformed one closes the link. */
  | { readonly type: 'frame'; readonly bytes: Uint8Array; readonly now: number; readonly master: MasterContext }
  /** A decoded command from the connection (empty argv: the keep-alive). */
  | { readonly type: 'command'; readonly argv: readonly ByteString[]; readonly now: number; readonly master: MasterContext }
  /** The shell attached the link to a snapshot of `replid` at `offset` (its reader is pinned there). */
  | { readonly type: 'snapshot-attached'; readonly snapshotId: string; readonly replid: ReplId; readonly offset: Offset; readonly now: number }
  /** The attached snapshot is complete: `length` RDB bytes. */
  | { readonly type: 'snapshot-ready'; readonly snapshotId: string; readonly length: number; readonly now: number }
  /** The shell has sent SNAPSHOT_BEGIN and every chunk of the snapshot on this link. */
  | { readonly type: 'snapshot-sent'; readonly snapshotId: string; readonly now: number }
  /** The snapshot failed; `snapshotId` null: no snapshot could be started for this link. */
  | { readonly type: 'snapshot-failed'; readonly snapshotId: string | null; readonly error: unknown; readonly now: number }
  /** Time passes; `outputBufferBytes` is the link's pending output (backlog.pendingBytes(reader)), 0 without a reader. */
  | { readonly type: 'tick'; readonly now: number; readonly outputBufferBytes: number }
  /**
   * The connection refused the peer's bytes before this machine could see them (TCP: the connection
   * decodes a redis-server replica's RESP itself; WebSocket: ws refused a frame over maxFrameBytes
   * or a malformed one). The link closes with `error`, as for a malformed `frame`: the close code
   * is chosen here (closeCodeFor), not by the shell.
   */
  | { readonly type: 'peer-error'; readonly error: ReplicationError; readonly now: number }
  /** The connection closed. */
  | { readonly type: 'closed'; readonly now: number }

export type MasterLinkEventType = MasterLinkEvent['type']

export type MasterLinkAction =
  /** Send a REPLY frame. */
  | { readonly type: 'reply'; readonly value: RespValue }
  /**
   * Attach this link to a snapshot (a running one, a recent one the backlog still covers, or a new
   * one at the current offset, after `propagator.resetSelectedDb()`), open its backlog reader at
   * the snapshot's offset, and dispatch `snapshot-attached`. Count `sync_full` (and
   * `sync_partial_err` when `countsAsPartialErr`).
   */
  | { readonly type: 'start-full-sync'; readonly reason: FullResyncReason; readonly countsAsPartialErr: boolean; readonly capaEof: boolean }
  /** Send SNAPSHOT_BEGIN(length) and the snapshot in SNAPSHOT_CHUNKs, then dispatch `snapshot-sent`. */
  | { readonly type: 'send-snapshot'; readonly snapshotId: string; readonly length: number }
  /**
   * Move the link's backlog reader to `offset` (open it there if there is none) and pump the
   * stream from it in STREAM frames. `cause` 'partial-resync' counts `sync_partial_ok`.
   */
  | { readonly type: 'stream-from'; readonly offset: Offset; readonly cause: 'partial-resync' | 'full-resync' | 'resend' }
  /** Send a KEEPALIVE frame. */
  | { readonly type: 'keepalive' }
  /** Close the WebSocket with `code` and `reason`, release the reader, report `error`. */
  | { readonly type: 'close'; readonly error: ReplicationError; readonly code: number; readonly reason: string }

export interface MasterLinkStep {
  readonly state: MasterLinkState
  readonly actions: readonly MasterLinkAction[]
}

// ─── The machine ────────────────────────────────────────────────────────────────────────────────

type ReplicaLinkState = Extract<MasterLinkState, { kind: 'wait-snapshot' | 'send-snapshot' | 'online' }>

const NONE: readonly MasterLinkAction[] = Object.freeze([])
const same = (state: MasterLinkState): MasterLinkStep => ({ state, actions: NONE })
const reply = (state: MasterLinkState, value: RespValue): MasterLinkStep => ({ state, actions: [{ type: 'reply', value }] })

/** Advances one replica link. Pure: the same state and event always give the same step. */
export function stepMasterLink(state: MasterLinkState, event: MasterLinkEvent, options: MasterMachineOptions): MasterLinkStep {
  if (state.kind === 'closed') return same(state)
  switch (event.type) {
    case 'frame': {
      let argv: ByteString[]
      try {
        argv = decodeReplicaFrame(event.bytes, options.limits)
      } catch (cause) {
        if (cause instanceof ReplicastError) return close(state, cause as ReplicationError)
        throw cause
      }
      return stepMasterLink(state, { type: 'command', argv, now: event.now, master: event.master }, options)
    }
    case 'command':
      return state.kind === 'handshake' ? onHandshakeCommand(state, event, options) : onReplicaCommand(state, event)
    case 'snapshot-attached':
      if (state.kind !== 'wait-snapshot' || state.snapshot !== null) return same(state)
      return {
        state: { ...state, snapshot: { id: event.snapshotId, replid: event.replid, offset: event.offset }, keepaliveAt: event.now },
        // Redis: replicationSetupSlaveForFullResync() — "+FULLRESYNC <replid> <offset>" at the fork.
        actions: [{ type: 'reply', value: simple(`FULLRESYNC ${event.replid} ${event.offset}`) }],
      }
    case 'snapshot-ready':
      if (state.kind !== 'wait-snapshot' || state.snapshot?.id !== event.snapshotId) return same(state)
      return {
        state: { ...withoutWaitFields(state), kind: 'send-snapshot', snapshot: { ...state.snapshot, length: event.length } },
        actions: [{ type: 'send-snapshot', snapshotId: event.snapshotId, length: event.length }],
      }
    case 'snapshot-sent':
      if (state.kind !== 'send-snapshot' || state.snapshot.id !== event.snapshotId) return same(state)
      return {
        // Redis: replicaPutOnline() — "repl_ack_time = now: prevent false timeout".
        state: { ...withoutSnapshot(state), kind: 'online', ackAt: event.now, softLimitSince: state.softLimitSince },
        actions: [{ type: 'stream-from', offset: state.snapshot.offset, cause: 'full-resync' }],
      }
    case 'snapshot-failed': {
      const waiting = state.kind === 'wait-snapshot' ? state.snapshot : state.kind === 'send-snapshot' ? state.snapshot : undefined
      if (waiting === undefined || (waiting === null ? event.snapshotId !== null : waiting.id !== event.snapshotId)) return same(state)
      return close(state, new SnapshotFailedError(event.snapshotId ?? '(none)', event.error))
    }
    case 'tick':
      return onTick(state, event.now, event.outputBufferBytes, options)
    case 'peer-error':
      return close(state, event.error)
    case 'closed':
      return { state: closedState(state, null), actions: NONE }
  }
}

function withoutWaitFields(state: Extract<MasterLinkState, { kind: 'wait-snapshot' }>): Omit<typeof state, 'kind' | 'snapshot' | 'keepaliveAt'> {
  const { kind: _kind, snapshot: _snapshot, keepaliveAt: _keepaliveAt, ...rest } = state
  return rest
}

function withoutSnapshot(state: Extract<MasterLinkState, { kind: 'send-snapshot' }>): Omit<typeof state, 'kind' | 'snapshot'> {
  const { kind: _kind, snapshot: _snapshot, ...rest } = state
  return rest
}

function facts(state: MasterLinkState): MasterLinkFacts {
  return {
    authenticated: state.authenticated,
    listeningPort: state.listeningPort,
    ipAddress: state.ipAddress,
    capaEof: state.capaEof,
    capaPsync2: state.capaPsync2,
    lastInteractionAt: state.lastInteractionAt,
  }
}

function closedState(state: MasterLinkState, err: ReplicationError | null): MasterLinkState {
  return { kind: 'closed', error: err, ...facts(state) }
}

function close(state: MasterLinkState, err: ReplicationError): MasterLinkStep {
  return {
    state: closedState(state, err),
    actions: [{ type: 'close', error: err, code: closeCodeFor(err), reason: closeReason(err.message) }],
  }
}

const NOAUTH = error('NOAUTH Authentication required.')
const SYNTAX = error('ERR syntax error')
const NOT_AN_INTEGER = error('ERR value is not an integer or out of range')
const arity = (name: string) => error(`ERR wrong number of arguments for '${name}' command`)

// Redis: processCommand()'s unknown-command reply.
function unknownCommand(argv: readonly ByteString[]): RespValue {
  let args = ''
  for (let i = 1; i < argv.length && args.length < 128; i++) args += `'${argv[i]!.slice(0, 128 - args.length)}' `
  return error(`ERR unknown command '${argv[0]!.slice(0, 128)}', with args beginning with: ${args}`)
}

type HandshakeState = Extract<MasterLinkState, { kind: 'handshake' }>
type CommandEvent = Extract<MasterLinkEvent, { type: 'command' }>

function onHandshakeCommand(state0: HandshakeState, event: CommandEvent, options: MasterMachineOptions): MasterLinkStep {
  const { argv, now } = event
  const state: HandshakeState = { ...state0, lastInteractionAt: now }
  if (argv.length === 0) return same(state)
  const name = argv[0]!.toLowerCase()
  if (options.authenticate !== null && !state.authenticated && name !== 'auth') return reply(state, NOAUTH)
  switch (name) {
    case 'ping':
      if (argv.length > 2) return reply(state, arity('ping'))
      return reply(state, argv.length === 2 ? bulk(argv[1]!) : simple('PONG'))
    case 'auth':
      return onAuth(state, argv, options)
    case 'replconf': {
      const result = replconf(state, argv, false)
      return result.reply === null ? same(result.state) : reply(result.state, result.reply)
    }
    case 'psync':
      return onPsync(state, event)
    default:
      return reply(state, unknownCommand(argv))
  }
}

// Redis: authCommand() (acl.c).
function onAuth(state: HandshakeState, argv: readonly ByteString[], options: MasterMachineOptions): MasterLinkStep {
  if (argv.length < 2) return reply(state, arity('auth'))
  if (argv.length > 3) return reply(state, SYNTAX)
  const username = argv.length === 3 ? argv[1]! : null
  const password = argv[argv.length - 1]!
  if (options.authenticate === null) {
    if (username === null) {
      return reply(state, error('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?'))
    }
    // Without a verifier the default user is "nopass": any password works for it, for no one else.
    if (username !== 'default') return reply(state, error('WRONGPASS invalid username-password pair or user is disabled.'))
    return reply({ ...state, authenticated: true }, simple('OK'))
  }
  if (!options.authenticate(username, password)) return reply(state, error('WRONGPASS invalid username-password pair or user is disabled.'))
  return reply({ ...state, authenticated: true }, simple('OK'))
}

interface ReplconfResult<S extends MasterLinkState> {
  readonly state: S
  /** The reply Redis would send; null when it sends none (ACK, GETACK). */
  readonly reply: RespValue | null
  /** An ACK's RESEND <offset>, when the command carried one. */
  readonly resend: Offset | null
}

// Redis: replconfCommand() (replication.c), pairs processed in order. `isReplica`: the connection
// has sent PSYNC (Redis's CLIENT_SLAVE flag); only then does ACK count.
function replconf<S extends MasterLinkState>(state: S, argv: readonly ByteString[], isReplica: boolean): ReplconfResult<S> {
  if (argv.length % 2 === 0) return { state, reply: SYNTAX, resend: null }
  let next: S = state
  for (let j = 1; j < argv.length; j += 2) {
    const option = argv[j]!.toLowerCase()
    const value = argv[j + 1]!
    if (option === 'listening-port') {
      const port = parseRedisInteger(value)
      if (port === null) return { state: next, reply: NOT_AN_INTEGER, resend: null }
      next = { ...next, listeningPort: port }
    } else if (option === 'ip-address') {
      // Redis: NET_HOST_STR_LEN (256) including the terminating NUL.
      if (value.length >= 256) return { state: next, reply: error(`ERR REPLCONF ip-address provided by replica instance is too long: ${value.length} bytes`), resend: null }
      next = { ...next, ipAddress: value }
    } else if (option === 'capa') {
      // Unknown capabilities are ignored, so newer replicas can announce more.
      const capa = value.toLowerCase()
      if (capa === 'eof') next = { ...next, capaEof: true }
      else if (capa === 'psync2') next = { ...next, capaPsync2: true }
    } else if (option === 'ack') {
      // "REPLCONF ACK is used by slave to inform the master the amount of replication stream that
      // it processed so far. It is an internal only command that normal clients should never use."
      if (!isReplica) return { state: next, reply: null, resend: null }
      return ack(next, argv, j)
    } else if (option === 'getack') {
      // Sent to a replica by its master; a master ignores it, without a reply.
      return { state: next, reply: null, resend: null }
    } else {
      return { state: next, reply: error(`ERR Unrecognized REPLCONF option: ${argv[j]!}`), resend: null }
    }
  }
  return { state: next, reply: simple('OK'), resend: null }
}

function ack<S extends MasterLinkState>(state: S, argv: readonly ByteString[], j: number): ReplconfResult<S> {
  const r = state as S & MasterReplicaFacts
  const offset = parseRedisInteger(argv[j + 1]!)
  if (offset === null) return { state, reply: null, resend: null }
  let next = { ...r, ackOffset: Math.max(r.ackOffset, offset) }
  let resend: Offset | null = null
  for (let k = j + 2; k + 1 < argv.length; k += 2) {
    const option = argv[k]!.toLowerCase()
    const value = parseRedisInteger(argv[k + 1]!)
    // Redis returns before refreshing repl_ack_time when FACK's value is not an integer.
    if (value === null) return { state: next, reply: null, resend: null }
    if (option === 'fack') next = { ...next, fackOffset: Math.max(next.fackOffset, value) }
    else if (option === 'resend') resend = value
  }
  // lastInteractionAt is this command's `now` (onReplicaCommand set it).
  return { state: { ...next, ackAt: r.lastInteractionAt }, reply: null, resend }
}

function onPsync(state: HandshakeState, event: CommandEvent): MasterLinkStep {
  const { argv, now, master } = event
  if (argv.length < 3) return reply(state, arity(argv[0]!.toLowerCase()))
  if (argv.length > 3 && argv[3]!.toLowerCase() === 'failover') return reply(state, error("ERR PSYNC FAILOVER can't be sent to a master."))
  // Redis: syncCommand() — "Refuse SYNC requests if we are a slave but the link with our master is not ok".
  if (master.refusePsync != null) return reply(state, master.refusePsync)
  const decision = decidePsync(master.ids, master.backlog, argv[1]!, argv[2]!, state.capaPsync2)
  const replica: MasterReplicaFacts = { sync: 'full', ackOffset: 0, fackOffset: 0, ackAt: now, softLimitSince: null, resends: 0 }
  switch (decision.kind) {
    case 'error':
      return reply(state, decision.reply)
    case 'continue':
      return {
        state: { ...state, ...replica, kind: 'online', sync: 'partial' },
        actions: [
          { type: 'reply', value: decision.reply },
          { type: 'stream-from', offset: decision.fromOffset, cause: 'partial-resync' },
        ],
      }
    case 'full':
      return {
        state: { ...state, ...replica, kind: 'wait-snapshot', snapshot: null, keepaliveAt: now },
        actions: [{ type: 'start-full-sync', reason: decision.reason, countsAsPartialErr: decision.countsAsPartialErr, capaEof: state.capaEof }],
      }
  }
}

function onReplicaCommand(state0: ReplicaLinkState, event: CommandEvent): MasterLinkStep {
  const { argv, now } = event
  const state: ReplicaLinkState = { ...state0, lastInteractionAt: now }
  // Redis: a bare newline from a replica refreshes repl_ack_time (processInlineBuffer).
  if (argv.length === 0) return same({ ...state, ackAt: now })
  const name = argv[0]!.toLowerCase()
  // "A second SYNC/PSYNC from a client already flagged as replica is silently ignored."
  if (name === 'psync' || name === 'sync') return same(state)
  if (name === 'replconf') {
    const result = replconf(state, argv, true)
    if (result.reply !== null) return wouldReply(result.state, argv)
    if (result.resend === null || result.state.kind !== 'online') return same(result.state)
    return onResend(result.state, result.resend, event.master)
  }
  return wouldReply(state, argv)
}

function wouldReply(state: MasterLinkState, argv: readonly ByteString[]): MasterLinkStep {
  const shown = argv.slice(0, 3).join(' ').slice(0, 60)
  return close(state, new ReplicationProtocolError(`Replica sent '${shown}' on the replication link, which would need a reply; disconnecting it (a replica sends only REPLCONF ACK after PSYNC).`))
}

function onResend(state: Extract<MasterLinkState, { kind: 'online' }>, offset: Offset, master: MasterContext): MasterLinkStep {
  const backlog = master.backlog
  if (backlog !== null && offset > backlog.masterReplOffset) {
    return close(state, new ReplicationProtocolError(`Replica asked to resend from offset ${offset}, beyond the master's offset ${backlog.masterReplOffset}.`, offset))
  }
  if (backlog === null || !backlog.covers(offset)) {
    return close(state, new BacklogNotCoveredError(offset, backlog?.firstByteOffset ?? 0, backlog?.masterReplOffset ?? 0))
  }
  return { state: { ...state, resends: state.resends + 1 }, actions: [{ type: 'stream-from', offset, cause: 'resend' }] }
}

function onTick(state: Exclude<MasterLinkState, { kind: 'closed' }>, now: number, outputBufferBytes: number, options: MasterMachineOptions): MasterLinkStep {
  if (state.kind === 'handshake') {
    const silentMs = now - state.lastInteractionAt
    return silentMs > options.timeoutMs ? close(state, new ReplicationTimeoutError('handshake', options.timeoutMs, silentMs)) : same(state)
  }
  // Redis: replicationCron() — "Disconnecting timedout replica (streaming sync)", ONLINE replicas only.
  if (state.kind === 'online' && now - state.ackAt > options.timeoutMs) {
    return close(state, new ReplicationTimeoutError('replica', options.timeoutMs, now - state.ackAt))
  }
  // Redis: checkClientOutputBufferLimits() (networking.c).
  const hardLimit = options.outputBufferHardBytes === 0 ? 0 : Math.max(options.outputBufferHardBytes, options.backlogBytes)
  if (hardLimit > 0 && outputBufferBytes >= hardLimit) {
    return close(state, new OutputBufferLimitError('outputBufferHardBytes', hardLimit, outputBufferBytes))
  }
  let softLimitSince: number | null = null
  if (options.outputBufferSoftBytes > 0 && outputBufferBytes >= options.outputBufferSoftBytes) {
    softLimitSince = state.softLimitSince ?? now
    if (now - softLimitSince > options.outputBufferSoftMs) {
      return close(state, new OutputBufferLimitError('outputBufferSoftBytes', options.outputBufferSoftBytes, outputBufferBytes, options.outputBufferSoftMs))
    }
  }
  const next = softLimitSince === state.softLimitSince ? state : { ...state, softLimitSince }
  if (next.kind === 'wait-snapshot' && now - next.keepaliveAt >= options.keepaliveMs) {
    return { state: { ...next, keepaliveAt: now }, actions: [{ type: 'keepalive' }] }
  }
  return same(next)
}

// ─── INFO ───────────────────────────────────────────────────────────────────────────────────────

/** One replica's line of INFO replication (`slave<i>:ip=…,port=…,state=…,offset=…,lag=…`). */
export interface MasterLinkInfo {
  /** Redis's replica state name; null for a connection that is not a replica (handshake, closed). */
  readonly state: 'wait_bgsave' | 'send_bulk' | 'online' | null
  readonly ackOffset: Offset
  readonly fackOffset: Offset
  /** When the last ACK came (ms), null before PSYNC. */
  readonly ackAt: number | null
  /** Whole seconds since the last ACK for an online replica, 0 otherwise (as Redis). */
  readonly lagSeconds: number
  readonly listeningPort: number
  readonly ipAddress: ByteString | null
  readonly capabilities: readonly ('eof' | 'psync2')[]
  readonly sync: 'full' | 'partial' | null
  readonly resends: number
}

export function masterLinkInfo(state: MasterLinkState, now: number): MasterLinkInfo {
  const capabilities: ('eof' | 'psync2')[] = []
  if (state.capaEof) capabilities.push('eof')
  if (state.capaPsync2) capabilities.push('psync2')
  const base = { listeningPort: state.listeningPort, ipAddress: state.ipAddress, capabilities }
  if (state.kind === 'handshake' || state.kind === 'closed') {
    return { ...base, state: null, ackOffset: 0, fackOffset: 0, ackAt: null, lagSeconds: 0, sync: null, resends: 0 }
  }
  return {
    ...base,
    state: state.kind === 'wait-snapshot' ? 'wait_bgsave' : state.kind === 'send-snapshot' ? 'send_bulk' : 'online',
    ackOffset: state.ackOffset,
    fackOffset: state.fackOffset,
    ackAt: state.ackAt,
    lagSeconds: state.kind === 'online' ? Math.max(0, Math.floor((now - state.ackAt) / 1000)) : 0,
    sync: state.sync,
    resends: state.resends,
  }
}
