import { describe, expect, test } from 'vitest'
import protocolDoc from '../../../../docs/protocol.md?raw'
import type { ByteString } from '../bytes.ts'
import { RdbWriter } from '../rdb/writer.ts'
import { RequestDecoder } from '../resp/decoder.ts'
import { encodeCommand } from '../resp/encoder.ts'
import { error, simple } from '../resp/value.ts'
import type { Effect } from '../values.ts'
import { ReplicationBacklog } from './backlog.ts'
import { LinkProtocolError, MasterRefusedError, PersistError, ReplicationProtocolError, ReplicationTimeoutError } from './errors.ts'
import { encodeMasterFrame, type MasterMessage } from './link-codec.ts'
import { Propagator } from './propagator.ts'
import {
  REPLICA_STATE_KINDS,
  backoffDelay,
  initialReplicaState,
  receivedOffset,
  replicaStatus,
  resolveReplicaMachineOptions,
  stepReplica,
  type ReplicaAction,
  type ReplicaEvent,
  type ReplicaState,
  type ReplicaStateKind,
  type StreamingState,
} from './replica-machine.ts'
import { NO_REPLID } from './replid.ts'
import { describeStep, readSpecTable } from './spec-table.ts'
import { bytes, fuzzSeeds, prng, text, withSeed } from './test-util.ts'

const R = 'a1b2c3d4e5f60718293a4b5c6d7e8f9001122334'
const NEW = 'ffffffffffffffffffffffffffffffffffff0001'
const T0 = 1000
const OPTIONS = resolveReplicaMachineOptions({ ackPeriodMs: 1000, timeoutMs: 60_000 })

const decode = (b: Uint8Array): ByteString[] => {
  const d = new RequestDecoder()
  d.push(b)
  return d.next()!
}
const sent = (actions: readonly ReplicaAction[]): ByteString[][] =>
  actions.filter((a): a is Extract<ReplicaAction, { type: 'send' }> => a.type === 'send').map((a) => decode(a.bytes))
const applied = (actions: readonly ReplicaAction[]) => actions.filter((a): a is Extract<ReplicaAction, { type: 'apply' }> => a.type === 'apply')
const msg = (message: MasterMessage, now: number): ReplicaEvent => ({ type: 'frame', bytes: encodeMasterFrame(message), now })
const stream = (startOffset: number, s: string | Uint8Array, now = T0 + 10): ReplicaEvent => msg({ kind: 'stream', startOffset, bytes: typeof s === 'string' ? bytes(s) : s }, now)
const reply = (value: ReturnType<typeof simple> | ReturnType<typeof error>, now = T0 + 10): ReplicaEvent => msg({ kind: 'reply', value }, now)
const cmd = (...argv: string[]): string => text(encodeCommand(argv))

function run(state: ReplicaState, events: readonly ReplicaEvent[], options = OPTIONS): { state: ReplicaState; actions: ReplicaAction[] } {
  const actions: ReplicaAction[] = []
  for (const event of events) {
    const step = stepReplica(state, event, options)
    state = step.state
    actions.push(...step.actions)
  }
  return { state, actions }
}

const memory = {
  replid: R, offset: 100, db: 0, replid2: NO_REPLID, secondReplOffset: -1,
  durableReplid: R, durableOffset: 90, durableDb: 0, lastSync: 'partial' as const,
  stats: { gaps: 0, repeats: 0, overlaps: 0, fullSyncs: 0, partialSyncs: 1, rollbacks: 0 },
}

function streamingAt(offset: number, extra: Partial<StreamingState> = {}): StreamingState {
  return {
    kind: 'streaming', ...memory, offset, durableOffset: offset, heardAt: T0, ackedAt: T0,
    pending: null, pendingBytes: 0, pendingNeed: 0, transaction: null, resend: null, ...extra,
  }
}

// ─── Representative states of the SPEC table (docs/protocol.md §5) ─────────────────────────────

const REPRESENTATIVE: Record<ReplicaStateKind, () => ReplicaState> = {
  disconnected: () => ({ kind: 'disconnected', ...memory }),
  handshaking: () => ({ kind: 'handshaking', ...memory, awaiting: ['psync'], heardAt: T0 }),
  'loading-snapshot': () => ({ kind: 'loading-snapshot', ...memory, snapshot: { replid: NEW, offset: 200, length: 10, received: 0 }, heardAt: T0 }),
  streaming: () => streamingAt(100, { durableOffset: 90 }),
}

const EVENTS = {
  'link-up': { type: 'link-up', now: T0 + 10 },
  'link-down': { type: 'link-down', now: T0 + 10 },
  'frame (malformed)': { type: 'frame', bytes: Uint8Array.of(0x09), now: T0 + 10 },
  KEEPALIVE: msg({ kind: 'keepalive' }, T0 + 10),
  'REPLY +FULLRESYNC': reply(simple(`FULLRESYNC ${NEW} 200`)),
  'REPLY +CONTINUE': reply(simple('CONTINUE')),
  'REPLY -LOADING': reply(error('LOADING Redis is loading the dataset in memory')),
  SNAPSHOT_BEGIN: msg({ kind: 'snapshot-begin', length: 10 }, T0 + 10),
  'SNAPSHOT_CHUNK (last)': msg({ kind: 'snapshot-chunk', bytes: bytes('REDIS0010!') }, T0 + 10),
  'STREAM (contiguous)': stream(100, cmd('SET', 'k', 'v')),
  'STREAM (gap)': stream(140, cmd('SET', 'k', 'v')),
  'STREAM (repeat)': stream(60, cmd('SET', 'k', 'v')),
  persisted: { type: 'persisted', replid: R, offset: 100, db: 0 },
  'persist-failed': { type: 'persist-failed', replid: R, offset: 100, error: new Error('QuotaExceededError') },
  'tick (quiet)': { type: 'tick', now: T0 + 10 },
  'tick (ACK due)': { type: 'tick', now: T0 + 1000 },
  'tick (silent > timeoutMs)': { type: 'tick', now: T0 + 60_001 },
} satisfies Record<string, ReplicaEvent>

type EventCase = keyof typeof EVENTS

const TABLE: Record<ReplicaStateKind, Record<EventCase, string>> = {
  disconnected: {
    'link-up': 'handshaking: send, send',
    'link-down': 'ignored',
    'frame (malformed)': 'ignored',
    KEEPALIVE: 'ignored',
    'REPLY +FULLRESYNC': 'ignored',
    'REPLY +CONTINUE': 'ignored',
    'REPLY -LOADING': 'ignored',
    SNAPSHOT_BEGIN: 'ignored',
    'SNAPSHOT_CHUNK (last)': 'ignored',
    'STREAM (contiguous)': 'ignored',
    'STREAM (gap)': 'ignored',
    'STREAM (repeat)': 'ignored',
    persisted: 'disconnected: —',
    'persist-failed': 'disconnected: rollback',
    'tick (quiet)': 'ignored',
    'tick (ACK due)': 'ignored',
    'tick (silent > timeoutMs)': 'ignored',
  },
  handshaking: {
    'link-up': 'handshaking: send, send',
    'link-down': 'disconnected: —',
    'frame (malformed)': 'disconnected: close',
    KEEPALIVE: 'handshaking: —',
    'REPLY +FULLRESYNC': 'loading-snapshot: —',
    'REPLY +CONTINUE': 'streaming: —',
    'REPLY -LOADING': 'disconnected: close',
    SNAPSHOT_BEGIN: 'disconnected: close',
    'SNAPSHOT_CHUNK (last)': 'disconnected: close',
    'STREAM (contiguous)': 'disconnected: close',
    'STREAM (gap)': 'disconnected: close',
    'STREAM (repeat)': 'disconnected: close',
    persisted: 'handshaking: —',
    'persist-failed': 'disconnected: rollback, close',
    'tick (quiet)': 'ignored',
    'tick (ACK due)': 'ignored',
    'tick (silent > timeoutMs)': 'disconnected: close',
  },
  'loading-snapshot': {
    'link-up': 'handshaking: snapshot-abort, send, send',
    'link-down': 'disconnected: snapshot-abort',
    'frame (malformed)': 'disconnected: snapshot-abort, close',
    KEEPALIVE: 'loading-snapshot: —',
    'REPLY +FULLRESYNC': 'disconnected: snapshot-abort, close',
    'REPLY +CONTINUE': 'disconnected: snapshot-abort, close',
    'REPLY -LOADING': 'disconnected: snapshot-abort, close',
    SNAPSHOT_BEGIN: 'disconnected: snapshot-abort, close',
    'SNAPSHOT_CHUNK (last)': 'streaming: snapshot-chunk, snapshot-end, send',
    'STREAM (contiguous)': 'disconnected: snapshot-abort, close',
    'STREAM (gap)': 'disconnected: snapshot-abort, close',
    'STREAM (repeat)': 'disconnected: snapshot-abort, close',
    persisted: 'loading-snapshot: —',
    'persist-failed': 'loading-snapshot: rollback',
    'tick (quiet)': 'ignored',
    'tick (ACK due)': 'ignored',
    'tick (silent > timeoutMs)': 'disconnected: snapshot-abort, close',
  },
  streaming: {
    'link-up': 'handshaking: send, send',
    'link-down': 'disconnected: —',
    'frame (malformed)': 'disconnected: close',
    KEEPALIVE: 'streaming: —',
    'REPLY +FULLRESYNC': 'disconnected: close',
    'REPLY +CONTINUE': 'disconnected: close',
    'REPLY -LOADING': 'disconnected: close',
    SNAPSHOT_BEGIN: 'disconnected: close',
    'SNAPSHOT_CHUNK (last)': 'disconnected: close',
    'STREAM (contiguous)': 'streaming: apply',
    'STREAM (gap)': 'streaming: send',
    'STREAM (repeat)': 'streaming: —',
    persisted: 'streaming: —',
    'persist-failed': 'streaming: rollback, send',
    'tick (quiet)': 'ignored',
    'tick (ACK due)': 'streaming: send',
    'tick (silent > timeoutMs)': 'disconnected: close',
  },
}

describe('replica machine: the SPEC table', () => {
  test('the table here is the table in docs/protocol.md §5', () => {
    const doc = readSpecTable(protocolDoc, 'replica')
    const fromTable: Record<string, Record<string, string>> = {}
    for (const event of Object.keys(EVENTS) as EventCase[]) {
      fromTable[event] = Object.fromEntries(REPLICA_STATE_KINDS.map((s) => [s, TABLE[s][event]]))
    }
    expect(doc).toEqual(fromTable)
  })

  for (const stateKind of REPLICA_STATE_KINDS) {
    for (const eventCase of Object.keys(EVENTS) as EventCase[]) {
      test(`${stateKind} × ${eventCase} → ${TABLE[stateKind][eventCase]}`, () => {
        const state = REPRESENTATIVE[stateKind]()
        expect(describeStep(state, stepReplica(state, EVENTS[eventCase] as ReplicaEvent, OPTIONS))).toBe(TABLE[stateKind][eventCase])
      })
    }
  }
})

describe('replica machine: scenarios', () => {
  test('full sync: handshake bytes, FULLRESYNC, snapshot with progress, streaming at S with an ACK', () => {
    let { state, actions } = run(initialReplicaState(null), [{ type: 'link-up', now: 0 }], resolveReplicaMachineOptions({ auth: { username: null, password: 'pw' } }))
    expect(sent(actions)).toEqual([['AUTH', 'pw'], ['REPLCONF', 'capa', 'eof', 'capa', 'psync2'], ['PSYNC', '?', '-1']])
    expect(state).toMatchObject({ kind: 'handshaking', awaiting: ['auth', 'replconf', 'psync'] })
    ;({ state, actions } = run(state, [
      reply(simple('OK'), 1),
      reply(error('ERR whatever'), 2), // a REPLCONF error is not critical
      msg({ kind: 'keepalive' }, 3),
      reply(simple(`FULLRESYNC ${R} 1000`), 4),
      msg({ kind: 'keepalive' }, 5),
      msg({ kind: 'snapshot-begin', length: 6 }, 6),
      msg({ kind: 'snapshot-chunk', bytes: bytes('RED') }, 7),
    ]))
    expect(actions).toEqual([
      { type: 'snapshot-begin', replid: R, offset: 1000, length: 6 },
      { type: 'snapshot-chunk', bytes: bytes('RED'), received: 3, total: 6 },
    ])
    expect(replicaStatus(state)).toMatchObject({ link: 'syncing', replid: null, snapshot: { received: 3, total: 6 } })
    ;({ state, actions } = run(state, [msg({ kind: 'snapshot-chunk', bytes: bytes('IS0') }, 8)]))
    expect(actions.slice(0, 2)).toEqual([
      { type: 'snapshot-chunk', bytes: bytes('IS0'), received: 6, total: 6 },
      { type: 'snapshot-end', replid: R, offset: 1000, db: 0 },
    ])
    // No FACK yet: the snapshot is not durable (nothing is).
    expect(sent(actions)).toEqual([['REPLCONF', 'ACK', '1000']])
    expect(replicaStatus(state)).toMatchObject({ link: 'up', replid: R, offset: 1000, lastSync: 'full', stats: { fullSyncs: 1 } })
    ;({ state, actions } = run(state, [
      { type: 'persisted', replid: R, offset: 1000, db: 0 },
      stream(1000, cmd('SELECT', '0') + cmd('SET', 's2', 'world')),
      stream(1055, cmd('ping')),
    ]))
    expect(applied(actions)).toEqual([
      { type: 'apply', replid: R, commands: [{ db: 0, argv: ['SET', 's2', 'world'] }], startOffset: 1000, endOffset: 1055, db: 0 },
      { type: 'apply', replid: R, commands: [], startOffset: 1055, endOffset: 1069, db: 0 },
    ])
    ;({ actions } = run(state, [{ type: 'tick', now: 1008 }, { type: 'tick', now: 1009 }]))
    expect(sent(actions)).toEqual([['REPLCONF', 'ACK', '1069', 'FACK', '1000']])
  })

  test("the stream continues in the snapshot's repl-stream-db (a relayed Redis stream), whole or cut at every byte", () => {
    const writer = new RdbWriter()
    writer.writeHeader({ 'redis-ver': '7.0.15', 'repl-stream-db': 3, 'repl-id': R, 'repl-offset': 500 })
    writer.writeKey({ db: 3, key: 'k', value: { type: 'string', value: 'v' }, expireAt: null })
    writer.writeEnd()
    const rdb = writer.take()
    const handshaking: ReplicaState = { kind: 'handshaking', ...memory, replid: null, awaiting: ['psync'], heardAt: T0 }
    for (const cut of [rdb.length, 1]) {
      const chunks: ReplicaEvent[] = []
      for (let i = 0; i < rdb.length; i += cut) chunks.push(msg({ kind: 'snapshot-chunk', bytes: rdb.subarray(i, i + cut) }, T0 + 2))
      const { state, actions } = run(handshaking, [
        reply(simple(`FULLRESYNC ${R} 500`), T0 + 1),
        msg({ kind: 'snapshot-begin', length: rdb.length }, T0 + 2),
        ...chunks,
        // No SELECT: the master's stream is still in db 3.
        stream(500, cmd('SET', 'a', '1'), T0 + 3),
      ])
      expect(actions.find((a) => a.type === 'snapshot-end')).toEqual({ type: 'snapshot-end', replid: R, offset: 500, db: 3 })
      expect(applied(actions)).toEqual([{ type: 'apply', replid: R, commands: [{ db: 3, argv: ['SET', 'a', '1'] }], startOffset: 500, endOffset: 527, db: 3 }])
      expect(state).toMatchObject({ kind: 'streaming', db: 3 })
    }
  })

  test('REDIS.md A.2: SELECT 1, INCR, GETACK → ACK 1138 (before GETACK), then 1175; PSYNC <id> 1176; +CONTINUE <new> shifts the ID', () => {
    let state: ReplicaState = streamingAt(1069)
    let actions: ReplicaAction[]
    ;({ state, actions } = run(state, [
      stream(1069, cmd('DEL', 'gone')),
      stream(1092, cmd('SELECT', '1') + cmd('INCR', 'ctr') + cmd('REPLCONF', 'GETACK', '*')),
    ]))
    expect(sent(actions)).toEqual([['REPLCONF', 'ACK', '1138', 'FACK', '1069']])
    expect(applied(actions).map((a) => [a.startOffset, a.endOffset, a.db, a.commands])).toEqual([
      [1069, 1092, 0, [{ db: 0, argv: ['DEL', 'gone'] }]],
      [1092, 1138, 1, [{ db: 1, argv: ['INCR', 'ctr'] }]],
      [1138, 1175, 1, []],
    ])
    ;({ state, actions } = run(state, [{ type: 'tick', now: T0 + 1009 }, { type: 'tick', now: T0 + 1010 }]))
    expect(sent(actions)).toEqual([['REPLCONF', 'ACK', '1175', 'FACK', '1069']])
    ;({ state, actions } = run(state, [{ type: 'link-down', now: T0 + 1011 }, { type: 'link-up', now: T0 + 1012 }]))
    expect(sent(actions).at(-1)).toEqual(['PSYNC', R, '1176'])
    ;({ state, actions } = run(state, [reply(simple('OK')), reply(simple(`CONTINUE ${NEW}`)), stream(1175, cmd('SET', 'after_psync', 'yes'))]))
    expect(state).toMatchObject({ kind: 'streaming', replid: NEW, replid2: R, secondReplOffset: 1176, lastSync: 'partial', offset: 1215 })
    // The DB is kept across PSYNC.
    expect(applied(actions)[0]!.commands).toEqual([{ db: 1, argv: ['SET', 'after_psync', 'yes'] }])
    expect(applied(actions)[0]!.replid).toBe(NEW)
    // FACK still counts: durable 1069 of R lies on the current history (R = replid2, 1069 < 1176).
    ;({ actions } = run(state, [{ type: 'tick', now: T0 + 5000 }]))
    expect(sent(actions)).toEqual([['REPLCONF', 'ACK', '1215', 'FACK', '1069']])
  })

  test('gap → ACK with RESEND (paced) → re-send on the same link fills it; repeats and overlaps', () => {
    const a = cmd('SET', 'a', '1')
    const b = cmd('SET', 'b', '2')
    const c = cmd('SET', 'c', '3')
    let { state, actions } = run(streamingAt(0), [
      stream(0, a),
      stream(a.length + b.length, c, T0 + 1), // b was lost
      stream(a.length + b.length + c.length, a, T0 + 2), // still a gap: no second request this soon
    ])
    expect(applied(actions).length).toBe(1)
    expect(sent(actions)).toEqual([['REPLCONF', 'ACK', String(a.length), 'FACK', '0', 'RESEND', String(a.length)]])
    expect(state).toMatchObject({ offset: a.length, stats: { gaps: 2 }, resend: { offset: a.length, at: T0 + 1 } })
    // The periodic ACK repeats the request while the gap is open.
    ;({ state, actions } = run(state, [{ type: 'tick', now: T0 + 1001 }]))
    expect(sent(actions)).toEqual([['REPLCONF', 'ACK', String(a.length), 'FACK', '0', 'RESEND', String(a.length)]])
    // The master re-sends from the backlog, cut anywhere: a repeat, an overlap, then the rest.
    const resent = a + b + c
    ;({ state, actions } = run(state, [
      stream(0, resent.slice(0, 5), T0 + 1002),
      stream(3, resent.slice(3, a.length + 7), T0 + 1003),
      stream(a.length + 7, resent.slice(a.length + 7), T0 + 1004),
    ]))
    expect(applied(actions).flatMap((x) => x.commands)).toEqual([{ db: 0, argv: ['SET', 'b', '2'] }, { db: 0, argv: ['SET', 'c', '3'] }])
    expect(state).toMatchObject({ offset: resent.length, resend: null, stats: { gaps: 2, repeats: 1, overlaps: 1 } })
  })

  test('a MULTI across frames is one apply, at its EXEC; the offset waits (REDIS.md §3.1)', () => {
    const tx = cmd('MULTI') + cmd('SET', 'm1', '1') + cmd('SELECT', '2') + cmd('INCR', 'm2') + cmd('EXEC')
    const before = cmd('SET', 'x', '0')
    const all = before + tx + cmd('ping')
    const cut1 = before.length + 20
    const cut2 = before.length + 40
    let { state, actions } = run(streamingAt(0), [stream(0, all.slice(0, cut1))])
    expect(applied(actions)).toEqual([{ type: 'apply', replid: R, commands: [{ db: 0, argv: ['SET', 'x', '0'] }], startOffset: 0, endOffset: before.length, db: 0 }])
    expect(state.offset).toBe(before.length)
    ;({ state, actions } = run(state, [stream(cut1, all.slice(cut1, cut2))]))
    expect(actions).toEqual([])
    expect(state.offset).toBe(before.length)
    expect(receivedOffset(state as StreamingState)).toBe(cut2)
    // An ACK now reports the offset before MULTI.
    expect(sent(run(state, [{ type: 'tick', now: T0 + 1000 }]).actions)[0]![2]).toBe(String(before.length))
    ;({ state, actions } = run(state, [stream(cut2, all.slice(cut2))]))
    expect(applied(actions)).toEqual([{
      type: 'apply', replid: R,
      commands: [{ db: 0, argv: ['SET', 'm1', '1'] }, { db: 2, argv: ['INCR', 'm2'] }],
      startOffset: before.length, endOffset: all.length, db: 2,
    }])
  })

  test('a stream cut at every byte applies the same commands as whole frames', () => {
    const s = cmd('SELECT', '3') + cmd('SET', 'k', 'v'.repeat(100)) + cmd('MULTI') + cmd('DEL', 'a') + cmd('DEL', 'b') + cmd('EXEC') + cmd('ping') + cmd('HSET', 'h', 'f', '\r\n')
    const whole = run(streamingAt(0), [stream(0, s)])
    let state: ReplicaState = streamingAt(0)
    const commands: Effect[] = []
    for (let i = 0; i < s.length; i++) {
      const step = stepReplica(state, stream(i, s.slice(i, i + 1)), OPTIONS)
      state = step.state
      for (const a of applied(step.actions)) commands.push(...a.commands)
    }
    expect(commands).toEqual(applied(whole.actions).flatMap((a) => a.commands))
    expect(state.offset).toBe(s.length)
    expect(state.db).toBe(3)
  })

  test('a large bulk in many frames is decoded once, when complete', () => {
    const s = cmd('SET', 'big', 'x'.repeat(100_000))
    let state: ReplicaState = streamingAt(0)
    let count = 0
    for (let at = 0; at < s.length; at += 1000) {
      const step = stepReplica(state, stream(at, s.slice(at, at + 1000)), OPTIONS)
      state = step.state
      count += applied(step.actions).length
      if (at > 2000 && at + 1000 < s.length) expect((state as StreamingState).pending?.previous).not.toBeNull()
    }
    expect(count).toBe(1)
    expect(state.offset).toBe(s.length)
  })

  test('persist-failed: rollback to the durable point and RESEND from it on the same link', () => {
    let { state, actions } = run(streamingAt(0), [stream(0, cmd('SET', 'a', '1')), stream(27, cmd('SET', 'b', '2'))])
    ;({ state, actions } = run(state, [
      { type: 'persisted', replid: R, offset: 27, db: 0 },
      { type: 'persist-failed', replid: R, offset: 54, error: new Error('QuotaExceededError') },
    ]))
    const rollback = actions[0] as Extract<ReplicaAction, { type: 'rollback' }>
    expect(rollback).toMatchObject({ type: 'rollback', replid: R, offset: 27, db: 0 })
    expect(rollback.error).toBeInstanceOf(PersistError)
    expect(rollback.error.code).toBe('ERR_PERSIST_FAILED')
    expect(sent(actions)).toEqual([['REPLCONF', 'ACK', '27', 'FACK', '27', 'RESEND', '27']])
    expect(state).toMatchObject({ kind: 'streaming', offset: 27, stats: { rollbacks: 1 } })
    // The re-sent SET b applies again.
    ;({ state, actions } = run(state, [stream(54, cmd('ping'), T0 + 5), stream(27, cmd('SET', 'b', '2') + cmd('ping'), T0 + 6)]))
    expect(applied(actions).flatMap((a) => a.commands)).toEqual([{ db: 0, argv: ['SET', 'b', '2'] }])
    expect(state.offset).toBe(68)
  })

  test('persist-failed after an unpersisted full sync: close and resume from the old durable point', () => {
    const loading: ReplicaState = { kind: 'loading-snapshot', ...memory, snapshot: { replid: NEW, offset: 500, length: 3, received: 0 }, heardAt: T0 }
    let { state } = run(loading, [msg({ kind: 'snapshot-chunk', bytes: bytes('abc') }, T0)])
    expect(state).toMatchObject({ kind: 'streaming', replid: NEW, offset: 500 })
    const step = stepReplica(state, { type: 'persist-failed', replid: NEW, offset: 500, error: new Error('disk full') }, OPTIONS)
    expect(step.actions.map((a) => a.type)).toEqual(['rollback', 'close'])
    expect(step.state).toMatchObject({ kind: 'disconnected', replid: R, offset: 90 })
    ;({ state } = run(step.state, [{ type: 'link-up', now: T0 }]))
    expect(sent(run(step.state, [{ type: 'link-up', now: T0 }]).actions).at(-1)).toEqual(['PSYNC', R, '91'])
  })

  test('timeout: nothing from the master for timeoutMs → close; keep-alives count', () => {
    let { state } = run(REPRESENTATIVE.handshaking(), [msg({ kind: 'keepalive' }, T0 + 50_000), { type: 'tick', now: T0 + 100_000 }])
    expect(state.kind).toBe('handshaking')
    const step = stepReplica(state, { type: 'tick', now: T0 + 110_001 }, OPTIONS)
    const close = step.actions[0] as Extract<ReplicaAction, { type: 'close' }>
    expect(close.error).toBeInstanceOf(ReplicationTimeoutError)
    expect(close.code).toBe(4000)
    expect(step.state).toMatchObject({ kind: 'disconnected', replid: R, offset: 100 })
    // A close leaves it disconnected: the shell's link-down is then a no-op.
    expect(stepReplica(step.state, { type: 'link-down', now: 0 }, OPTIONS).state).toBe(step.state)
  })

  test('PSYNC refusals and bad replies', () => {
    const refuse = (value: ReturnType<typeof error> | ReturnType<typeof simple>) => {
      const step = stepReplica(REPRESENTATIVE.handshaking(), reply(value), OPTIONS)
      expect(step.state.kind).toBe('disconnected')
      return (step.actions[0] as Extract<ReplicaAction, { type: 'close' }>).error
    }
    expect(refuse(error('LOADING Redis is loading the dataset in memory'))).toMatchObject({ code: 'ERR_MASTER_REFUSED', retryLater: true })
    expect(refuse(error("NOMASTERLINK Can't SYNC while not connected with my master"))).toMatchObject({ retryLater: true })
    expect(refuse(error('NOAUTH Authentication required.'))).toBeInstanceOf(MasterRefusedError)
    expect(refuse(error('NOAUTH Authentication required.'))).toMatchObject({ retryLater: false })
    expect(refuse(simple('FULLRESYNC abc 0'))).toBeInstanceOf(ReplicationProtocolError)
    expect(refuse(simple(`FULLRESYNC ${R} -5`))).toBeInstanceOf(ReplicationProtocolError)
    expect(refuse(simple('CONTINUE xyz'))).toBeInstanceOf(ReplicationProtocolError)
    expect(refuse(simple('PONG'))).toBeInstanceOf(ReplicationProtocolError)
    const auth: ReplicaState = { kind: 'handshaking', ...memory, awaiting: ['auth', 'replconf', 'psync'], heardAt: T0 }
    const step = stepReplica(auth, reply(error('WRONGPASS invalid username-password pair or user is disabled.')), OPTIONS)
    expect((step.actions[0] as Extract<ReplicaAction, { type: 'close' }>).error).toMatchObject({ code: 'ERR_MASTER_REFUSED', retryLater: false })
    // +CONTINUE to PSYNC ? -1 is a protocol error.
    const fresh: ReplicaState = { ...initialReplicaState(null), kind: 'handshaking', awaiting: ['psync'], heardAt: T0 }
    expect((stepReplica(fresh, reply(simple('CONTINUE')), OPTIONS).actions[0] as Extract<ReplicaAction, { type: 'close' }>).error).toBeInstanceOf(ReplicationProtocolError)
  })

  test('snapshot protocol errors: chunk before begin, overrun, stream while loading', () => {
    const loading: ReplicaState = { kind: 'loading-snapshot', ...memory, snapshot: { replid: NEW, offset: 1, length: null, received: 0 }, heardAt: T0 }
    const kinds = (events: ReplicaEvent[]) => run(loading, events).actions.map((a) => a.type)
    expect(kinds([msg({ kind: 'snapshot-chunk', bytes: bytes('x') }, T0)])).toEqual(['snapshot-abort', 'close'])
    expect(kinds([msg({ kind: 'snapshot-begin', length: 2 }, T0), msg({ kind: 'snapshot-chunk', bytes: bytes('xyz') }, T0)])).toEqual(['snapshot-begin', 'snapshot-abort', 'close'])
    expect(kinds([msg({ kind: 'snapshot-begin', length: 0 }, T0)])).toEqual(['snapshot-abort', 'close'])
  })

  test('stream protocol errors close the link after applying what came before', () => {
    const { state, actions } = run(streamingAt(0), [stream(0, cmd('SET', 'a', '1') + cmd('EXEC'))])
    expect(actions.map((a) => a.type)).toEqual(['apply', 'close'])
    expect(state).toMatchObject({ kind: 'disconnected', offset: 27 })
    const err = (actions[1] as Extract<ReplicaAction, { type: 'close' }>).error
    expect(err.message).toContain('EXEC without MULTI')
    expect(run(streamingAt(0), [stream(0, 'GET k\r\n')]).actions.map((a) => a.type)).toEqual(['close'])
    expect(run(streamingAt(0), [stream(0, cmd('SELECT', 'x'))]).actions.map((a) => a.type)).toEqual(['close'])
    expect(run(streamingAt(0), [stream(0, cmd('MULTI') + cmd('MULTI'))]).actions.map((a) => a.type)).toEqual(['close'])
    const malformed = stepReplica(streamingAt(0), { type: 'frame', bytes: Uint8Array.of(4, 0, 0), now: T0 }, OPTIONS)
    expect((malformed.actions[0] as Extract<ReplicaAction, { type: 'close' }>).error).toBeInstanceOf(LinkProtocolError)
  })

  test('backoffDelay: exponential, capped, jittered from the random number given', () => {
    expect(backoffDelay(0, 0)).toBe(250)
    expect(backoffDelay(0, 0.999999)).toBe(500)
    expect(backoffDelay(3, 0.5)).toBe(3000)
    expect(backoffDelay(100, 1)).toBe(30_000)
    expect(backoffDelay(2, 0.3, { initialDelayMs: 100, maxDelayMs: 1000, multiplier: 3, jitter: 1 })).toBe(270)
  })

  test('options are validated', () => {
    expect(() => resolveReplicaMachineOptions({ ackPeriodMs: 0 })).toThrow(/ackPeriodMs/)
    expect(() => resolveReplicaMachineOptions({ ackPeriodMs: 5000, timeoutMs: 5000 })).toThrow(/timeoutMs \(5000\) must exceed ackPeriodMs/)
  })
})

// ─── Seeded fuzz over real traces with duplicate / reorder / drop / cut mutations ───────────────

interface Trace {
  readonly stream: Uint8Array
  /** Effects of the master, each with the stream offset at the end of its unit. */
  readonly effects: readonly { readonly effect: Effect; readonly endOffset: number }[]
  readonly unitEnds: readonly number[]
  /** Offsets at the end of every command (where an apply may end). */
  readonly commandEnds: ReadonlySet<number>
}

function makeTrace(random: ReturnType<typeof prng>, units: number): Trace {
  const backlog = new ReplicationBacklog({ sizeBytes: 1 << 20 })
  const p = new Propagator(backlog)
  const effects: { effect: Effect; endOffset: number }[] = []
  const unitEnds: number[] = []
  for (let i = 0; i < units; i++) {
    const roll = random.int(10)
    if (roll === 0) unitEnds.push(p.feedPing().endOffset)
    else if (roll === 1) unitEnds.push(p.feedGetAck().endOffset)
    else {
      const unit: Effect[] = Array.from({ length: 1 + (random.chance(0.3) ? random.int(4) : 0) }, (_, j) => ({
        db: random.int(3),
        argv: ['SET', `k${i}.${j}`, 'v'.repeat(random.int(40))],
      }))
      const { endOffset } = p.feedUnit(unit)
      for (const effect of unit) effects.push({ effect, endOffset })
      unitEnds.push(endOffset)
    }
  }
  const stream = backlog.read(0)
  const decoder = new RequestDecoder()
  decoder.push(stream)
  const commandEnds = new Set<number>()
  while (decoder.next() !== undefined) commandEnds.add(decoder.offset)
  return { stream, effects, unitEnds, commandEnds }
}

describe('replica machine: seeded fuzz', () => {
  test('never applies a byte twice or skips one; the offset only moves forward; converges after re-sends', () => {
    for (const seed of fuzzSeeds(200, 1)) {
      withSeed(seed, () => {
        const random = prng(seed)
        const trace = makeTrace(random, 40)
        const total = trace.stream.length
        // Frames: whole units (as the live master sends), then mutated: dropped, duplicated, swapped, re-cut.
        const frames: { start: number; end: number }[] = []
        let at = 0
        for (const end of trace.unitEnds) {
          if (random.chance(0.3) && end - at > 2) {
            const cut = at + 1 + random.int(end - at - 1)
            frames.push({ start: at, end: cut }, { start: cut, end })
          } else frames.push({ start: at, end })
          at = end
        }
        const mutated: { start: number; end: number }[] = []
        for (const f of frames) {
          if (random.chance(0.1)) continue
          mutated.push(f)
          if (random.chance(0.1)) mutated.push(f)
          if (random.chance(0.1) && mutated.length >= 2) {
            const i = mutated.length - 1
            ;[mutated[i - 1], mutated[i]] = [mutated[i]!, mutated[i - 1]!]
          }
        }
        let state: ReplicaState = streamingAt(0, { durableOffset: 0 })
        let now = T0
        const got: Effect[] = []
        const deliver = (f: { start: number; end: number }): void => {
          const before = state.offset
          const step = stepReplica(state, { type: 'message', message: { kind: 'stream', startOffset: f.start, bytes: trace.stream.subarray(f.start, f.end) }, now }, OPTIONS)
          state = step.state
          expect(state.kind).toBe('streaming')
          expect(state.offset).toBeGreaterThanOrEqual(before)
          let expectedStart = before
          for (const action of step.actions) {
            if (action.type !== 'apply') continue
            expect(action.startOffset).toBe(expectedStart)
            expect(action.endOffset).toBeGreaterThan(action.startOffset)
            expectedStart = action.endOffset
            expect(trace.commandEnds.has(action.endOffset)).toBe(true)
            got.push(...action.commands)
          }
          expect(expectedStart).toBe(state.offset)
          // Everything applied is exactly the master's effects up to the offset: no skip, no double.
          expect(got).toEqual(trace.effects.filter((e) => e.endOffset <= state.offset).map((e) => e.effect))
        }
        for (const f of mutated) {
          now += random.int(300)
          deliver(f)
        }
        // The master answers the replica's RESEND by re-sending the backlog from its offset, cut anywhere.
        for (let round = 0; round < 3 && state.offset < total; round++) {
          let from = state.offset
          while (from < total) {
            const end = Math.min(total, from + 1 + random.int(200))
            deliver({ start: from, end })
            from = end
          }
        }
        expect(state.offset).toBe(total)
        expect(got).toEqual(trace.effects.map((e) => e.effect))
      })
    }
  })
})
