// The link from a Replicast master in upstream mode to the real Redis it replicates, as a pure state
// machine (STYLE §7): the replica side of Redis's replication.c (syncWithMaster,
// readSyncBulkPayload, replicationSendAck), on Redis's own TCP wire. It never touches a socket, a
// clock, the dataset or the backlog: the shell (upstream.ts) passes events with `now` and performs
// the actions.
//
//  disconnected ─connecting─► connecting ─connected─► handshake ─+FULLRESYNC─► await-bulk ─$…─► transfer
//                                                        │                                           │ last byte
//                                                        │                                           ▼ (rdb-end)
//                                                        └─+CONTINUE [id]─────────► streaming ◄─loaded─ loading
//  any ─disconnected / timeout / protocol error / refusal / load-failed─► disconnected
//      (keeps replid + offset, the "cached master", for the next PSYNC <replid> <offset+1>)
//
// The wire, as a Redis 7 replica speaks it (REDIS.md §1, §2.4, §5.1; exact bytes in §1.1):
//   PING → +PONG; then pipelined [AUTH [user] pw], REPLCONF listening-port <port>, REPLCONF capa eof
//   capa psync2, replies read in order; then PSYNC ? -1 | PSYNC <replid> <offset+1>.
//   Replies are single lines; bare `\n` keep-alives may come before the PSYNC reply and the bulk.
//   The RDB comes as `$<len>\r\n<len bytes>` (the stream follows at once) or as
//   `$EOF:<40 chars>\r\n<rdb><the 40 chars>` (the end is found as Redis finds it: the last 40 bytes
//   received equal the mark; the master sends nothing more until our first ACK).
//   Then the stream: raw RESP commands, counted byte by byte into the offset.
//
// Offsets (REDIS.md §3.1): `offset` counts the stream bytes applied. A MULTI … EXEC counts, and is
// handed out, only at its EXEC; a partial command only once complete. `REPLCONF GETACK *` is answered
// with the offset *before* it, and its 37 bytes count after. Every applied byte goes out in an
// `apply` action unchanged: the shell appends it to the master's backlog, so the master's
// `master_repl_offset` is Redis's and its replicas can PSYNC on any node that follows the same Redis.
//
// Deliberately left out: parsing the RDB (the shell feeds `rdb-chunk`s to an RdbReader and answers
// `rdb-end` with `loaded` or `load-failed`), what the commands mean (Dataset.applyReplicated), the
// master's IDs and backlog (the shell rebases them on `adopt` and `continue`), reconnect timing
// (`backoffDelay` from core), cutting the stream into whole commands (core's CommandSplitter, as
// for the WebSocket replica), and Redis's SYNC fallback for masters without PSYNC (pre-2.8).
import {
  CommandSplitter,
  MasterRefusedError,
  NO_STREAM_TAIL,
  ReplicationProtocolError,
  ReplicationTimeoutError,
  bytesEqual,
  concatBytes,
  encodeCommand,
  holdStreamBytes,
  parseRedisInteger,
  parseReplId,
  type ByteString,
  type Offset,
  type ReplId,
  type ReplicationError,
  type RespLimits,
  type StreamTail,
} from '@replicast/core'

// ─── Options ────────────────────────────────────────────────────────────────────────────────────

export interface UpstreamMachineOptions {
  /** Send `REPLCONF ACK <offset>` this often while streaming (Redis: once per replicationCron). @default 1000 */
  readonly ackPeriodMs: number
  /**
   * Drop the link after this long without a byte from Redis, keep-alives included (Redis's
   * `repl-timeout`; Redis pings its replicas every `repl-ping-replica-period`, 10 s).
   * @default 60000
   */
  readonly timeoutMs: number
  /** Sent as `AUTH [username] password` in the handshake (Redis's masterauth/masteruser); null: none. @default null */
  readonly auth: { readonly username: ByteString | null; readonly password: ByteString } | null
  /** Our RESP port, announced with `REPLCONF listening-port` (INFO on Redis shows it). @default 0 */
  readonly listeningPort: number
  /** RESP limits for the stream and for reply lines (`maxInlineBytes`). @default {} */
  readonly limits: Partial<RespLimits>
}

export const UPSTREAM_MACHINE_DEFAULTS: UpstreamMachineOptions = Object.freeze({
  ackPeriodMs: 1000,
  timeoutMs: 60_000,
  auth: null,
  listeningPort: 0,
  limits: Object.freeze({}),
})

// Redis's PROTO_INLINE_MAX_SIZE: a reply line longer than this is not a reply.
const MAX_LINE_BYTES = 64 * 1024
/** Redis's RDB_EOF_MARK_SIZE. */
export const EOF_MARK_LENGTH = 40

// ─── States ─────────────────────────────────────────────────────────────────────────────────────

export const UPSTREAM_STATE_KINDS = Object.freeze(['disconnected', 'connecting', 'handshake', 'await-bulk', 'transfer', 'loading', 'streaming'] as const)
export type UpstreamStateKind = (typeof UPSTREAM_STATE_KINDS)[number]

/** What the link keeps across connections: the history it holds (Redis's cached master). */
export interface UpstreamMemory {
  /** Redis's replid our data belongs to; null: nothing (PSYNC ? -1). */
  readonly replid: ReplId | null
  /** Stream bytes applied (= the master's backlog offset). */
  readonly offset: Offset
  readonly lastSync: 'full' | 'partial' | null
  readonly fullSyncs: number
  readonly partialSyncs: number
  /** When the link last went down (ms), null while up or before the first link. */
  readonly downSince: number | null
}

/** A full sync announced by `+FULLRESYNC <replid> <offset>`. */
export interface FullSync {
  readonly replid: ReplId
  readonly offset: Offset
}

export type Awaited = 'ping' | 'auth' | 'port' | 'capa' | 'psync'

/** A MULTI received but not its EXEC: held, not applied nor counted. */
export interface OpenTransaction {
  /** Raw bytes since MULTI (complete commands only), in order. */
  readonly chunks: readonly Uint8Array[]
  readonly bytes: number
  readonly commands: readonly (readonly ByteString[])[]
}

export type UpstreamState =
  | ({ readonly kind: 'disconnected' } & UpstreamMemory)
  | ({ readonly kind: 'connecting'; readonly heardAt: number } & UpstreamMemory)
  | ({ readonly kind: 'handshake'; readonly heardAt: number; readonly awaiting: readonly Awaited[]; readonly line: Uint8Array } & UpstreamMemory)
  | ({ readonly kind: 'await-bulk'; readonly heardAt: number; readonly sync: FullSync; readonly line: Uint8Array } & UpstreamMemory)
  | ({
      readonly kind: 'transfer'
      readonly heardAt: number
      readonly sync: FullSync
      /** `$<len>`: the RDB's length; null for the `$EOF:` form. */
      readonly total: number | null
      /** RDB bytes received so far (handed out, plus the held tail in the EOF form). */
      readonly received: number
      /** The EOF form's 40-byte mark, null for `$<len>`. */
      readonly mark: Uint8Array | null
      /** EOF form: the last bytes received, not yet handed out: they may be the mark. */
      readonly tail: Uint8Array
    } & UpstreamMemory)
  | ({
      readonly kind: 'loading'
      readonly heardAt: number
      readonly sync: FullSync
      /** Stream bytes that came right after the RDB (`$<len>` form), processed once loaded. */
      readonly held: readonly Uint8Array[]
    } & UpstreamMemory)
  | ({
      readonly kind: 'streaming'
      readonly heardAt: number
      readonly ackedAt: number
      readonly transaction: OpenTransaction | null
    } & StreamTail & UpstreamMemory)

export function initialUpstreamState(): UpstreamState {
  return { kind: 'disconnected', replid: null, offset: 0, lastSync: null, fullSyncs: 0, partialSyncs: 0, downSince: null }
}

// ─── Events and actions ─────────────────────────────────────────────────────────────────────────

export type UpstreamEvent =
  /** The shell started connecting the socket. */
  | { readonly type: 'connecting'; readonly now: number }
  /** The socket is connected. */
  | { readonly type: 'connected'; readonly now: number }
  /** Bytes from Redis. */
  | { readonly type: 'data'; readonly bytes: Uint8Array; readonly now: number }
  /** The socket closed (or could not connect). */
  | { readonly type: 'disconnected'; readonly now: number }
  /** The shell loaded the whole RDB (after `rdb-end`); the checksum was right. */
  | { readonly type: 'loaded'; readonly now: number }
  /** The RDB could not be loaded (corrupt, truncated, over a limit). */
  | { readonly type: 'load-failed'; readonly error: Error; readonly now: number }
  | { readonly type: 'tick'; readonly now: number }

export type UpstreamAction =
  | { readonly type: 'send'; readonly bytes: Uint8Array }
  /**
   * The RDB starts: our data is about to be replaced. Drop every replica link (their history ends
   * here), stop snapshots, empty the dataset, and get ready for `rdb-chunk`s. `total` is null for
   * the EOF form.
   */
  | { readonly type: 'full-sync-start'; readonly replid: ReplId; readonly offset: Offset; readonly total: number | null }
  /**
   * The full sync ended before `adopt` (the link dropped, the RDB was bad): the dataset holds part of
   * an RDB; empty it (Redis with repl-diskless-load on-empty-db does the same). We hold no history
   * now: the next PSYNC is `? -1`.
   */
  | { readonly type: 'full-sync-abort' }
  /** RDB bytes, in order. */
  | { readonly type: 'rdb-chunk'; readonly bytes: Uint8Array; readonly received: number }
  /** The RDB is complete: check it (CRC64), then dispatch `loaded` or `load-failed`. */
  | { readonly type: 'rdb-end' }
  /**
   * The data is Redis's at `offset` of `replid`: take them as the master's own history (new IDs
   * with no replid2, backlog rebased to `offset`). Redis: replicationCreateMasterClient +
   * clearReplicationId2.
   */
  | { readonly type: 'adopt'; readonly replid: ReplId; readonly offset: Offset }
  /**
   * `+CONTINUE`: the history continues. With a new ID (`replid` differs from `previous`), shift the
   * master's ID (replid2 = previous, valid up to offset + 1) and drop the replica links so that they
   * come back and continue through replid2 (Redis: "Master replication ID changed").
   */
  | { readonly type: 'continue'; readonly replid: ReplId; readonly previous: ReplId; readonly offset: Offset }
  /**
   * Stream bytes applied: append `bytes` to the backlog unchanged, and apply `commands` (every one,
   * SELECT, MULTI/EXEC and ping included) with Dataset.applyReplicated, in order.
   */
  | {
      readonly type: 'apply'
      readonly bytes: Uint8Array
      readonly commands: readonly (readonly ByteString[])[]
      readonly startOffset: Offset
      readonly endOffset: Offset
    }
  /** Close the socket, report `error`, reconnect after backoffDelay(). */
  | { readonly type: 'close'; readonly error: ReplicationError | Error }

export interface UpstreamStep {
  readonly state: UpstreamState
  readonly actions: readonly UpstreamAction[]
}

// ─── The machine ────────────────────────────────────────────────────────────────────────────────

const NONE: readonly UpstreamAction[] = Object.freeze([])
const EMPTY = new Uint8Array(0)
const same = (state: UpstreamState): UpstreamStep => ({ state, actions: NONE })

function memory({ replid, offset, lastSync, fullSyncs, partialSyncs, downSince }: UpstreamState): UpstreamMemory {
  return { replid, offset, lastSync, fullSyncs, partialSyncs, downSince }
}

function down(state: UpstreamState, now: number): UpstreamState {
  return { kind: 'disconnected', ...memory(state), downSince: state.kind === 'disconnected' ? state.downSince : now }
}

/** Leaving a full sync before `adopt`: the shell discards what it loaded. */
const abortIfLoading = (state: UpstreamState): readonly UpstreamAction[] =>
  state.kind === 'transfer' || state.kind === 'loading' ? [{ type: 'full-sync-abort' }] : NONE

function close(state: UpstreamState, error: ReplicationError | Error, now: number, actions: readonly UpstreamAction[] = NONE): UpstreamStep {
  return { state: down(state, now), actions: [...actions, ...abortIfLoading(state), { type: 'close', error }] }
}

const send = (argv: readonly ByteString[]): UpstreamAction => ({ type: 'send', bytes: encodeCommand(argv) })

/** Advances the upstream link. Pure: the same state and event always give the same step. */
export function stepUpstream(state: UpstreamState, event: UpstreamEvent, options: UpstreamMachineOptions): UpstreamStep {
  switch (event.type) {
    case 'connecting':
      return { state: { kind: 'connecting', ...memory(state), heardAt: event.now }, actions: abortIfLoading(state) }
    case 'connected':
      if (state.kind !== 'connecting') return same(state)
      // Redis: syncWithMaster() — "Send a PING to check the master is able to reply without errors."
      return { state: { kind: 'handshake', ...memory(state), heardAt: event.now, awaiting: ['ping'], line: EMPTY }, actions: [send(['PING'])] }
    case 'disconnected':
      if (state.kind === 'disconnected') return same(state)
      return { state: down(state, event.now), actions: abortIfLoading(state) }
    case 'data':
      if (state.kind === 'disconnected' || state.kind === 'connecting') return same(state)
      return onData(state, event.bytes, event.now, options)
    case 'loaded':
      return onLoaded(state, event.now, options)
    case 'load-failed':
      if (state.kind !== 'loading') return same(state)
      // The dataset was emptied for this RDB: nothing is held any more.
      return close({ ...state, replid: null, offset: 0 }, event.error, event.now)
    case 'tick':
      return onTick(state, event.now, options)
  }
}

type Linked = Exclude<UpstreamState, { kind: 'disconnected' | 'connecting' }>

// One chunk may cross several states (a PSYNC reply, the bulk header, the RDB and the first
// stream bytes can all arrive in one read): each handler takes what it needs and returns the rest.
function onData(state0: Linked, bytes: Uint8Array, now: number, options: UpstreamMachineOptions): UpstreamStep {
  let state: UpstreamState = { ...state0, heardAt: now }
  let rest = bytes
  const actions: UpstreamAction[] = []
  while (rest.length > 0) {
    let step: { state: UpstreamState; actions: readonly UpstreamAction[]; rest: Uint8Array }
    switch (state.kind) {
      case 'handshake':
        step = onHandshakeBytes(state, rest, now, options)
        break
      case 'await-bulk':
        step = onBulkHeaderBytes(state, rest, now)
        break
      case 'transfer':
        step = onRdbBytes(state, rest)
        break
      case 'loading':
        step = { state: { ...state, held: [...state.held, rest] }, actions: NONE, rest: EMPTY }
        break
      case 'streaming': {
        const s = onStreamBytes(state, rest, now, options)
        step = { ...s, rest: EMPTY }
        break
      }
      default:
        // A close inside this chunk: the rest of it belongs to a dead link.
        return { state, actions }
    }
    state = step.state
    actions.push(...step.actions)
    rest = step.rest
  }
  return { state, actions }
}

// ─── Handshake ──────────────────────────────────────────────────────────────────────────────────

/**
 * Reads one line from `line + bytes`, skipping the bare `\n` keep-alives Redis may send before a
 * reply. Returns the line (without CRLF) and the bytes after it, or the bytes kept for later.
 */
function readLine(line: Uint8Array, bytes: Uint8Array): { line: string | null; kept: Uint8Array; rest: Uint8Array; tooLong: boolean } {
  let input = line.length === 0 ? bytes : concatBytes([line, bytes])
  for (;;) {
    const lf = input.indexOf(10)
    if (lf < 0) return { line: null, kept: input, rest: EMPTY, tooLong: input.length > MAX_LINE_BYTES }
    const end = lf > 0 && input[lf - 1] === 13 ? lf - 1 : lf
    // Redis: "The master may send empty newlines after it receives PSYNC and before to reply".
    if (end === 0) {
      input = input.subarray(lf + 1)
      continue
    }
    let text = ''
    for (let i = 0; i < end; i++) text += String.fromCharCode(input[i]!)
    return { line: text, kept: EMPTY, rest: input.subarray(lf + 1), tooLong: false }
  }
}

type Handshake = Extract<UpstreamState, { kind: 'handshake' }>
type StepWithRest = { state: UpstreamState; actions: readonly UpstreamAction[]; rest: Uint8Array }

function onHandshakeBytes(state: Handshake, bytes: Uint8Array, now: number, options: UpstreamMachineOptions): StepWithRest {
  const read = readLine(state.line, bytes)
  if (read.line === null) {
    if (read.tooLong) return { ...close(state, new ReplicationProtocolError(`The upstream sent a reply line longer than ${MAX_LINE_BYTES} bytes during the handshake.`), now), rest: EMPTY }
    return { state: { ...state, line: read.kept }, actions: NONE, rest: EMPTY }
  }
  const next = onHandshakeReply({ ...state, line: EMPTY }, read.line, now, options)
  return { ...next, rest: read.rest }
}

function onHandshakeReply(state: Handshake, line: string, now: number, options: UpstreamMachineOptions): UpstreamStep {
  const [expected, ...awaiting] = state.awaiting
  const isError = line.startsWith('-')
  switch (expected) {
    case undefined:
      return close(state, new ReplicationProtocolError(`The upstream sent "${printable(line)}", which nothing asked for.`), now)
    case 'ping': {
      // Redis: "We accept only two replies as valid, a positive +PONG reply (we just check for "+")
      // or an authentication error" (NOAUTH, NOPERM, or the old "operation not permitted").
      const ok = line.startsWith('+') || line.startsWith('-NOAUTH') || line.startsWith('-NOPERM') || line.startsWith('-ERR operation not permitted')
      if (!ok) return close(state, new ReplicationProtocolError(`Error reply to PING from the upstream: "${printable(line)}".`), now)
      // The rest of the handshake goes in one burst; the replies are read one by one (Redis 7).
      const actions: UpstreamAction[] = []
      const next: Awaited[] = []
      if (options.auth !== null) {
        const { username, password } = options.auth
        actions.push(send(username === null ? ['AUTH', password] : ['AUTH', username, password]))
        next.push('auth')
      }
      actions.push(send(['REPLCONF', 'listening-port', String(options.listeningPort)]))
      actions.push(send(['REPLCONF', 'capa', 'eof', 'capa', 'psync2']))
      next.push('port', 'capa')
      return { state: { ...state, awaiting: next }, actions }
    }
    case 'auth':
      // Redis: "Unable to AUTH to MASTER" — this attempt ends; the next one tries again.
      if (isError) return close(state, new MasterRefusedError('AUTH', line.slice(1), false), now)
      return same({ ...state, awaiting })
    case 'port':
    case 'capa': {
      // Redis: "(Non critical) Master does not understand REPLCONF …": ignored.
      if (awaiting.length > 0) return same({ ...state, awaiting })
      // Redis: slaveTryPartialResynchronization() — PSYNC's offset is the first byte not yet applied.
      const psync = state.replid === null ? ['PSYNC', '?', '-1'] : ['PSYNC', state.replid, String(state.offset + 1)]
      return { state: { ...state, awaiting: ['psync'] }, actions: [send(psync)] }
    }
    case 'psync':
      return onPsyncReply(state, line, now)
  }
}

const FULLRESYNC = /^\+FULLRESYNC ([^ ]+) ([^ ]+)$/
const CONTINUE = /^\+CONTINUE(?: ([^ ]*))?$/

// Redis: slaveTryPartialResynchronization(), reading the reply.
function onPsyncReply(state: Handshake, line: string, now: number): UpstreamStep {
  const full = FULLRESYNC.exec(line)
  if (full !== null) {
    const replid = parseReplId(full[1]!)
    const offset = parseRedisInteger(full[2]!)
    if (replid === null || offset === null || offset < 0) {
      return close(state, new ReplicationProtocolError(`Master replied with wrong +FULLRESYNC syntax: "${printable(line)}".`), now)
    }
    return same({ kind: 'await-bulk', ...memory(state), heardAt: now, sync: { replid, offset }, line: EMPTY })
  }
  const cont = CONTINUE.exec(line)
  if (cont !== null) {
    if (state.replid === null) return close(state, new ReplicationProtocolError('The upstream answered PSYNC ? -1 with +CONTINUE.'), now)
    const newId = cont[1] === undefined || cont[1] === '' ? state.replid : parseReplId(cont[1])
    if (newId === null) return close(state, new ReplicationProtocolError(`Master replied with wrong +CONTINUE syntax: "${printable(line)}".`), now)
    const streaming: UpstreamState = {
      kind: 'streaming',
      ...memory(state),
      replid: newId,
      lastSync: 'partial',
      partialSyncs: state.partialSyncs + 1,
      downSince: null,
      heardAt: now,
      ackedAt: now,
      ...NO_STREAM_TAIL,
      transaction: null,
    }
    return { state: streaming, actions: [{ type: 'continue', replid: newId, previous: state.replid, offset: state.offset }] }
  }
  if (line.startsWith('-')) {
    // -NOMASTERLINK / -LOADING: the upstream is a replica not ready yet, try later (PSYNC_TRY_LATER).
    // -ERR: a master without PSYNC; Redis would fall back to SYNC, which we leave out.
    return close(state, new MasterRefusedError('PSYNC', line.slice(1), true), now)
  }
  return close(state, new ReplicationProtocolError(`Unexpected reply to PSYNC from the upstream: "${printable(line)}".`), now)
}

// ─── Full sync ──────────────────────────────────────────────────────────────────────────────────

type AwaitBulk = Extract<UpstreamState, { kind: 'await-bulk' }>

// Redis: readSyncBulkPayload() — the first non-empty line after +FULLRESYNC.
function onBulkHeaderBytes(state: AwaitBulk, bytes: Uint8Array, now: number): StepWithRest {
  const read = readLine(state.line, bytes)
  if (read.line === null) {
    if (read.tooLong) return { ...close(state, new ReplicationProtocolError('The upstream sent a bulk header line that never ends.'), now), rest: EMPTY }
    return { state: { ...state, line: read.kept }, actions: NONE, rest: EMPTY }
  }
  const line = read.line
  if (line.startsWith('-')) return { ...close(state, new MasterRefusedError('the full sync', line.slice(1), true), now), rest: EMPTY }
  if (!line.startsWith('$')) return { ...close(state, new ReplicationProtocolError(`Bad protocol from the upstream, the first byte is not '$' (we received "${printable(line)}"): are you sure the host and port are right?`), now), rest: EMPTY }
  const { sync } = state
  let total: number | null = null
  let mark: Uint8Array | null = null
  if (line.startsWith('$EOF:') && line.length >= 5 + EOF_MARK_LENGTH) {
    mark = new Uint8Array(EOF_MARK_LENGTH)
    for (let i = 0; i < EOF_MARK_LENGTH; i++) mark[i] = line.charCodeAt(5 + i)
  } else {
    total = parseRedisInteger(line.slice(1))
    if (total === null || total <= 0) return { ...close(state, new ReplicationProtocolError(`Bad RDB length from the upstream: "${printable(line)}".`), now), rest: EMPTY }
  }
  // From here the dataset is being replaced: until it is loaded we hold no history.
  const transfer: UpstreamState = {
    kind: 'transfer',
    ...memory(state),
    replid: null,
    offset: 0,
    heardAt: now,
    sync,
    total,
    received: 0,
    mark,
    tail: EMPTY,
  }
  return { state: transfer, actions: [{ type: 'full-sync-start', replid: sync.replid, offset: sync.offset, total }], rest: read.rest }
}

type Transfer = Extract<UpstreamState, { kind: 'transfer' }>

function onRdbBytes(state: Transfer, bytes: Uint8Array): StepWithRest {
  const ended = (received: number, last: Uint8Array | null, rest: Uint8Array): StepWithRest => {
    const actions: UpstreamAction[] = []
    if (last !== null && last.length > 0) actions.push({ type: 'rdb-chunk', bytes: last, received })
    actions.push({ type: 'rdb-end' })
    const loading: UpstreamState = { kind: 'loading', ...memory(state), heardAt: state.heardAt, sync: state.sync, held: [] }
    return { state: loading, actions, rest }
  }
  if (state.mark === null) {
    // `$<len>`: exactly that many bytes; whatever follows is the stream.
    const left = state.total! - state.received
    const take = Math.min(left, bytes.length)
    const received = state.received + take
    const chunk = bytes.subarray(0, take)
    if (received === state.total) return ended(received, chunk, bytes.subarray(take))
    return { state: { ...state, received }, actions: [{ type: 'rdb-chunk', bytes: chunk, received }], rest: EMPTY }
  }
  // `$EOF:<mark>`: Redis's disk-loading replica compares the last 40 bytes it has read with the
  // mark after every read; the master sends nothing after the mark until our first ACK. Keep the
  // last 40 bytes back until we know they are not the mark.
  const all = state.tail.length === 0 ? bytes : concatBytes([state.tail, bytes])
  const received = state.received + bytes.length
  const cut = Math.max(0, all.length - EOF_MARK_LENGTH)
  const tail = all.subarray(cut)
  if (tail.length === EOF_MARK_LENGTH && bytesEqual(tail, state.mark)) {
    const rdbBytes = received - EOF_MARK_LENGTH
    return ended(rdbBytes, all.subarray(0, cut), EMPTY)
  }
  const actions: UpstreamAction[] = cut > 0 ? [{ type: 'rdb-chunk', bytes: all.subarray(0, cut), received: received - tail.length }] : []
  // Copy the tail: it must not pin the whole chunk it came from.
  return { state: { ...state, received, tail: tail.slice() }, actions, rest: EMPTY }
}

function onLoaded(state: UpstreamState, now: number, options: UpstreamMachineOptions): UpstreamStep {
  if (state.kind !== 'loading') return same(state)
  const { sync, held } = state
  const streaming: Extract<UpstreamState, { kind: 'streaming' }> = {
    kind: 'streaming',
    ...memory(state),
    replid: sync.replid,
    offset: sync.offset,
    lastSync: 'full',
    fullSyncs: state.fullSyncs + 1,
    downSince: null,
    heardAt: state.heardAt,
    ackedAt: now,
    ...NO_STREAM_TAIL,
    transaction: null,
  }
  // Redis: "if (usemark) replicationSendAck()" — right after loading; a master that sent the EOF
  // form starts the stream only when it gets this ACK.
  const actions: UpstreamAction[] = [{ type: 'adopt', replid: sync.replid, offset: sync.offset }, send(['REPLCONF', 'ACK', String(sync.offset)])]
  let next: UpstreamState = streaming
  for (const bytes of held) {
    if (next.kind !== 'streaming') break
    const step = onStreamBytes(next, bytes, now, options)
    next = step.state
    actions.push(...step.actions)
  }
  return { state: next, actions }
}

// ─── The stream ─────────────────────────────────────────────────────────────────────────────────

type Streaming = Extract<UpstreamState, { kind: 'streaming' }>

/** Bytes received of the stream: applied, plus an open MULTI's, plus a partial command's (INFO slave_read_repl_offset). */
export function readOffset(state: UpstreamState): Offset {
  if (state.kind !== 'streaming') return state.offset
  return state.offset + (state.transaction?.bytes ?? 0) + state.pendingBytes
}

function onStreamBytes(state: Streaming, bytes: Uint8Array, now: number, options: UpstreamMachineOptions): UpstreamStep {
  const held = holdStreamBytes(state, bytes)
  if (held !== null) return same({ ...state, ...held })
  const splitter = new CommandSplitter(state, bytes, options.limits)
  const input = splitter.input

  const actions: UpstreamAction[] = []
  let offset = state.offset
  let ackedAt = state.ackedAt
  // The batch being built: bytes input[batchFrom..commitAt] (after `prefix`, the raw bytes of a
  // transaction begun in an earlier read) and their commands.
  let prefix: readonly Uint8Array[] = state.transaction?.chunks ?? []
  let batchFrom = 0
  let commitAt = 0
  let batchStart = offset
  let commands: (readonly ByteString[])[] = []
  let tx: { bytes: number; commands: (readonly ByteString[])[] } | null =
    state.transaction === null ? null : { bytes: state.transaction.bytes, commands: [...state.transaction.commands] }
  let consumed = 0

  const flush = (): void => {
    // Nothing committed yet (a transaction from an earlier read still open): keep its prefix.
    if (offset === batchStart) return
    const inInput = input.subarray(batchFrom, commitAt)
    const raw = prefix.length === 0 ? inInput : concatBytes([...prefix, inInput])
    actions.push({ type: 'apply', bytes: raw, commands, startOffset: batchStart, endOffset: offset })
    prefix = []
    batchFrom = commitAt
    batchStart = offset
    commands = []
  }
  const fail = (message: string, cause?: unknown): UpstreamStep => {
    flush()
    const error = new ReplicationProtocolError(`${message} (stream offset ${offset}).`, offset, cause === undefined ? undefined : { cause })
    return close({ ...state, offset }, error, now, actions)
  }

  for (let argv = splitter.next(); argv !== undefined; argv = splitter.next()) {
    const size = splitter.size
    consumed += size
    const name = argv.length === 0 ? '' : argv[0]!.toLowerCase()

    if (tx !== null) {
      tx.bytes += size
      tx.commands.push(argv)
      if (name === 'multi') return fail('Nested MULTI in the replication stream')
      if (name === 'exec') {
        // Redis counts a transaction only at its EXEC (reploff is not updated inside MULTI).
        for (const command of tx.commands) commands.push(command)
        offset += tx.bytes
        commitAt = consumed
        tx = null
      }
      continue
    }
    if (name === 'multi') {
      tx = { bytes: size, commands: [argv] }
      continue
    }
    if (name === 'exec') return fail('EXEC without MULTI in the replication stream')
    if (name === 'replconf' && argv.length > 1 && argv[1]!.toLowerCase() === 'getack') {
      // REDIS.md §5.1: the ACK carries the offset *before* the GETACK; its 37 bytes count after.
      flush()
      actions.push(send(['REPLCONF', 'ACK', String(offset)]))
      ackedAt = now
    }
    commands.push(argv)
    offset += size
    commitAt = consumed
  }
  if (splitter.failure !== null) {
    const { cause } = splitter.failure
    return fail(cause instanceof Error ? `Undecodable replication stream from the upstream: ${cause.message}` : 'Undecodable replication stream from the upstream', cause)
  }
  flush()

  // What is left: an open transaction's complete commands, then a partial command.
  let transaction: OpenTransaction | null = null
  if (tx !== null) {
    const own = input.subarray(commitAt, consumed)
    transaction = { chunks: own.length === 0 ? [...prefix] : [...prefix, own], bytes: tx.bytes, commands: tx.commands }
  }
  const next: Streaming = { ...state, offset, ackedAt, transaction, ...splitter.tail() }
  return { state: next, actions }
}

// ─── Time ───────────────────────────────────────────────────────────────────────────────────────

function onTick(state: UpstreamState, now: number, options: UpstreamMachineOptions): UpstreamStep {
  if (state.kind === 'disconnected') return same(state)
  // Redis: "Timeout connecting to the MASTER", "Timeout receiving bulk data from MASTER", "MASTER
  // timeout: no data nor PING received" — any byte counts. The shell's own work (loading) does not
  // stop the clock: the RDB is loaded as it arrives.
  const silentMs = now - state.heardAt
  if (silentMs > options.timeoutMs) return close(state, new ReplicationTimeoutError('master', options.timeoutMs, silentMs), now)
  if (state.kind === 'streaming' && now - state.ackedAt >= options.ackPeriodMs) {
    // Redis 7.0: REPLCONF ACK <reploff> (FACK is 7.2's, for WAITAOF; we keep no AOF).
    return { state: { ...state, ackedAt: now }, actions: [send(['REPLCONF', 'ACK', String(state.offset)])] }
  }
  return same(state)
}

// ─── Status ─────────────────────────────────────────────────────────────────────────────────────

/** Redis's ROLE state names for a replica (roleCommand). */
export function upstreamRoleState(state: UpstreamState): 'connect' | 'connecting' | 'handshake' | 'sync' | 'connected' {
  switch (state.kind) {
    case 'disconnected': return 'connect'
    case 'connecting': return 'connecting'
    case 'handshake': return 'handshake'
    case 'await-bulk':
    case 'transfer':
    case 'loading': return 'sync'
    case 'streaming': return 'connected'
  }
}

// ─── Reporting ──────────────────────────────────────────────────────────────────────────────────

function printable(line: string): string {
  const shown = line.length > 100 ? `${line.slice(0, 100)}…` : line
  return shown.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}
