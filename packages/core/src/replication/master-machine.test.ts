import { describe, expect, test } from 'vitest'
import protocolDoc from '../../../../docs/protocol.md?raw'
import type { ByteString } from '../bytes.ts'
import { encodeCommand } from '../resp/encoder.ts'
import { RespProtocolError } from '../resp/errors.ts'
import { bulk, error, simple } from '../resp/value.ts'
import { ReplicationBacklog } from './backlog.ts'
import {
  BacklogNotCoveredError,
  FrameLimitError,
  LinkProtocolError,
  OutputBufferLimitError,
  ReplicationProtocolError,
  ReplicationTimeoutError,
  SnapshotFailedError,
} from './errors.ts'
import {
  MASTER_LINK_STATE_KINDS,
  initialMasterLinkState,
  masterLinkInfo,
  resolveMasterMachineOptions,
  stepMasterLink,
  type MasterContext,
  type MasterLinkAction,
  type MasterLinkEvent,
  type MasterLinkState,
  type MasterLinkStateKind,
  type MasterMachineOptions,
} from './master-machine.ts'
import { newReplicationIds } from './replication-state.ts'
import { describeStep, readSpecTable } from './spec-table.ts'
import { bytes, fuzzSeeds, prng, withSeed } from './test-util.ts'

const ID = '4eed2c88ca9d0774d9d0b16e0865e731a5a5d645'
const T0 = 1000

/** A master at offset 150 whose backlog holds offsets 20..150. */
function context(): MasterContext {
  const backlog = new ReplicationBacklog({}, 20)
  backlog.append(new Uint8Array(130))
  return { ids: newReplicationIds(ID), backlog }
}

const OPTIONS: MasterMachineOptions = resolveMasterMachineOptions({
  timeoutMs: 60_000,
  keepaliveMs: 1000,
  outputBufferHardBytes: 1000,
  outputBufferSoftBytes: 500,
  outputBufferSoftMs: 5000,
  backlogBytes: 100,
  authenticate: (_user, password) => password === 'secret',
})

const cmd = (now: number, ...argv: ByteString[]): MasterLinkEvent => ({ type: 'command', argv, now, master: context() })

function run(state: MasterLinkState, events: readonly MasterLinkEvent[], options = OPTIONS): { state: MasterLinkState; actions: MasterLinkAction[] } {
  const actions: MasterLinkAction[] = []
  for (const event of events) {
    const step = stepMasterLink(state, event, options)
    state = step.state
    actions.push(...step.actions)
  }
  return { state, actions }
}

// ─── Representative states of the SPEC table (docs/protocol.md §4) ─────────────────────────────

const facts = { authenticated: true, listeningPort: 0, ipAddress: null, capaEof: true, capaPsync2: true, lastInteractionAt: T0 }
const replicaFacts = { sync: 'full' as const, ackOffset: 0, fackOffset: 0, ackAt: T0, softLimitSince: null, resends: 0 }
const snapshot = { id: 's1', replid: ID, offset: 100 }

const REPRESENTATIVE: Record<MasterLinkStateKind, () => MasterLinkState> = {
  handshake: () => ({ kind: 'handshake', ...facts }),
  'wait-snapshot': () => ({ kind: 'wait-snapshot', ...facts, ...replicaFacts, snapshot, keepaliveAt: T0 }),
  'send-snapshot': () => ({ kind: 'send-snapshot', ...facts, ...replicaFacts, snapshot: { ...snapshot, length: 50 } }),
  online: () => ({ kind: 'online', ...facts, ...replicaFacts }),
  closed: () => ({ kind: 'closed', ...facts, error: null }),
}

const EVENTS = {
  'frame (malformed)': { type: 'frame', bytes: bytes('PING\r\n'), now: T0 + 10, master: context() },
  'keep-alive': cmd(T0 + 10),
  PING: cmd(T0 + 10, 'PING'),
  'AUTH secret': cmd(T0 + 10, 'AUTH', 'secret'),
  'REPLCONF capa eof capa psync2': cmd(T0 + 10, 'REPLCONF', 'capa', 'eof', 'capa', 'psync2'),
  'REPLCONF ACK 10 FACK 10': cmd(T0 + 10, 'REPLCONF', 'ACK', '10', 'FACK', '10'),
  'REPLCONF ACK 50 RESEND 50': cmd(T0 + 10, 'REPLCONF', 'ACK', '50', 'RESEND', '50'),
  'REPLCONF ACK 5 RESEND 5 (trimmed)': cmd(T0 + 10, 'REPLCONF', 'ACK', '5', 'RESEND', '5'),
  'PSYNC replid 151 (covered)': cmd(T0 + 10, 'PSYNC', ID, '151'),
  'PSYNC ? -1': cmd(T0 + 10, 'PSYNC', '?', '-1'),
  'PSYNC replid abc': cmd(T0 + 10, 'PSYNC', ID, 'abc'),
  'GET k': cmd(T0 + 10, 'GET', 'k'),
  'snapshot-attached': { type: 'snapshot-attached', snapshotId: 's1', replid: ID, offset: 100, now: T0 + 10 },
  'snapshot-ready s1': { type: 'snapshot-ready', snapshotId: 's1', length: 50, now: T0 + 10 },
  'snapshot-sent s1': { type: 'snapshot-sent', snapshotId: 's1', now: T0 + 10 },
  'snapshot-failed s1': { type: 'snapshot-failed', snapshotId: 's1', error: new Error('fork failed'), now: T0 + 10 },
  'tick (quiet)': { type: 'tick', now: T0 + 10, outputBufferBytes: 0 },
  'tick (keep-alive due)': { type: 'tick', now: T0 + 1000, outputBufferBytes: 0 },
  'tick (silent > timeoutMs)': { type: 'tick', now: T0 + 60_001, outputBufferBytes: 0 },
  'tick (output ≥ hard limit)': { type: 'tick', now: T0 + 10, outputBufferBytes: 1000 },
  'peer-error (frame limit)': { type: 'peer-error', error: new FrameLimitError(1024), now: T0 + 10 },
  closed: { type: 'closed', now: T0 + 10 },
} satisfies Record<string, MasterLinkEvent>

type EventCase = keyof typeof EVENTS

// The SPEC, as data: every state × every event case, no Partial. It must equal the doc's table.
const TABLE: Record<MasterLinkStateKind, Record<EventCase, string>> = {
  handshake: {
    'frame (malformed)': 'closed: close',
    'keep-alive': 'handshake: —',
    PING: 'handshake: reply',
    'AUTH secret': 'handshake: reply',
    'REPLCONF capa eof capa psync2': 'handshake: reply',
    'REPLCONF ACK 10 FACK 10': 'handshake: —',
    'REPLCONF ACK 50 RESEND 50': 'handshake: —',
    'REPLCONF ACK 5 RESEND 5 (trimmed)': 'handshake: —',
    'PSYNC replid 151 (covered)': 'online: reply, stream-from',
    'PSYNC ? -1': 'wait-snapshot: start-full-sync',
    'PSYNC replid abc': 'handshake: reply',
    'GET k': 'handshake: reply',
    'snapshot-attached': 'ignored',
    'snapshot-ready s1': 'ignored',
    'snapshot-sent s1': 'ignored',
    'snapshot-failed s1': 'ignored',
    'tick (quiet)': 'ignored',
    'tick (keep-alive due)': 'ignored',
    'tick (silent > timeoutMs)': 'closed: close',
    'tick (output ≥ hard limit)': 'ignored',
    'peer-error (frame limit)': 'closed: close',
    closed: 'closed: —',
  },
  'wait-snapshot': {
    'frame (malformed)': 'closed: close',
    'keep-alive': 'wait-snapshot: —',
    PING: 'closed: close',
    'AUTH secret': 'closed: close',
    'REPLCONF capa eof capa psync2': 'closed: close',
    'REPLCONF ACK 10 FACK 10': 'wait-snapshot: —',
    'REPLCONF ACK 50 RESEND 50': 'wait-snapshot: —',
    'REPLCONF ACK 5 RESEND 5 (trimmed)': 'wait-snapshot: —',
    'PSYNC replid 151 (covered)': 'wait-snapshot: —',
    'PSYNC ? -1': 'wait-snapshot: —',
    'PSYNC replid abc': 'wait-snapshot: —',
    'GET k': 'closed: close',
    'snapshot-attached': 'ignored',
    'snapshot-ready s1': 'send-snapshot: send-snapshot',
    'snapshot-sent s1': 'ignored',
    'snapshot-failed s1': 'closed: close',
    'tick (quiet)': 'ignored',
    'tick (keep-alive due)': 'wait-snapshot: keepalive',
    'tick (silent > timeoutMs)': 'wait-snapshot: keepalive',
    'tick (output ≥ hard limit)': 'closed: close',
    'peer-error (frame limit)': 'closed: close',
    closed: 'closed: —',
  },
  'send-snapshot': {
    'frame (malformed)': 'closed: close',
    'keep-alive': 'send-snapshot: —',
    PING: 'closed: close',
    'AUTH secret': 'closed: close',
    'REPLCONF capa eof capa psync2': 'closed: close',
    'REPLCONF ACK 10 FACK 10': 'send-snapshot: —',
    'REPLCONF ACK 50 RESEND 50': 'send-snapshot: —',
    'REPLCONF ACK 5 RESEND 5 (trimmed)': 'send-snapshot: —',
    'PSYNC replid 151 (covered)': 'send-snapshot: —',
    'PSYNC ? -1': 'send-snapshot: —',
    'PSYNC replid abc': 'send-snapshot: —',
    'GET k': 'closed: close',
    'snapshot-attached': 'ignored',
    'snapshot-ready s1': 'ignored',
    'snapshot-sent s1': 'online: stream-from',
    'snapshot-failed s1': 'closed: close',
    'tick (quiet)': 'ignored',
    'tick (keep-alive due)': 'ignored',
    'tick (silent > timeoutMs)': 'ignored',
    'tick (output ≥ hard limit)': 'closed: close',
    'peer-error (frame limit)': 'closed: close',
    closed: 'closed: —',
  },
  online: {
    'frame (malformed)': 'closed: close',
    'keep-alive': 'online: —',
    PING: 'closed: close',
    'AUTH secret': 'closed: close',
    'REPLCONF capa eof capa psync2': 'closed: close',
    'REPLCONF ACK 10 FACK 10': 'online: —',
    'REPLCONF ACK 50 RESEND 50': 'online: stream-from',
    'REPLCONF ACK 5 RESEND 5 (trimmed)': 'closed: close',
    'PSYNC replid 151 (covered)': 'online: —',
    'PSYNC ? -1': 'online: —',
    'PSYNC replid abc': 'online: —',
    'GET k': 'closed: close',
    'snapshot-attached': 'ignored',
    'snapshot-ready s1': 'ignored',
    'snapshot-sent s1': 'ignored',
    'snapshot-failed s1': 'ignored',
    'tick (quiet)': 'ignored',
    'tick (keep-alive due)': 'ignored',
    'tick (silent > timeoutMs)': 'closed: close',
    'tick (output ≥ hard limit)': 'closed: close',
    'peer-error (frame limit)': 'closed: close',
    closed: 'closed: —',
  },
  closed: Object.fromEntries(Object.keys(EVENTS).map((e) => [e, 'ignored'])) as Record<EventCase, string>,
}

describe('master link machine: the SPEC table', () => {
  test('the table here is the table in docs/protocol.md §4', () => {
    const doc = readSpecTable(protocolDoc, 'master')
    const fromTable: Record<string, Record<string, string>> = {}
    for (const event of Object.keys(EVENTS) as EventCase[]) {
      fromTable[event] = Object.fromEntries(MASTER_LINK_STATE_KINDS.map((s) => [s, TABLE[s][event]]))
    }
    expect(doc).toEqual(fromTable)
  })

  for (const stateKind of MASTER_LINK_STATE_KINDS) {
    for (const eventCase of Object.keys(EVENTS) as EventCase[]) {
      test(`${stateKind} × ${eventCase} → ${TABLE[stateKind][eventCase]}`, () => {
        const state = REPRESENTATIVE[stateKind]()
        expect(describeStep(state, stepMasterLink(state, EVENTS[eventCase] as MasterLinkEvent, OPTIONS))).toBe(TABLE[stateKind][eventCase])
      })
    }
  }
})

describe('master link machine: scenarios', () => {
  const noAuth = resolveMasterMachineOptions({ backlogBytes: 100 })

  test('full sync: PSYNC ? -1 → start-full-sync → +FULLRESYNC at attach → send-snapshot → online, stream from S', () => {
    let { state, actions } = run(initialMasterLinkState(0), [
      cmd(1, 'REPLCONF', 'capa', 'eof', 'capa', 'psync2'),
      cmd(2, 'PSYNC', '?', '-1'),
    ], noAuth)
    expect(actions).toEqual([
      { type: 'reply', value: simple('OK') },
      { type: 'start-full-sync', reason: 'requested', countsAsPartialErr: false, capaEof: true },
    ])
    expect(state).toMatchObject({ kind: 'wait-snapshot', snapshot: null })
    expect(masterLinkInfo(state, 2).state).toBe('wait_bgsave')
    ;({ state, actions } = run(state, [
      { type: 'snapshot-ready', snapshotId: 's9', length: 10, now: 3 },
      { type: 'snapshot-attached', snapshotId: 's9', replid: ID, offset: 150, now: 3 },
      { type: 'snapshot-attached', snapshotId: 's8', replid: ID, offset: 99, now: 3 },
      { type: 'snapshot-ready', snapshotId: 's8', length: 10, now: 4 },
      { type: 'snapshot-ready', snapshotId: 's9', length: 249, now: 4 },
    ], noAuth))
    expect(actions).toEqual([
      { type: 'reply', value: simple(`FULLRESYNC ${ID} 150`) },
      { type: 'send-snapshot', snapshotId: 's9', length: 249 },
    ])
    expect(masterLinkInfo(state, 4).state).toBe('send_bulk')
    ;({ state, actions } = run(state, [{ type: 'snapshot-sent', snapshotId: 's9', now: 5000 }], noAuth))
    expect(actions).toEqual([{ type: 'stream-from', offset: 150, cause: 'full-resync' }])
    expect(state).toMatchObject({ kind: 'online', ackAt: 5000, sync: 'full' })
    ;({ state, actions } = run(state, [cmd(6000, 'REPLCONF', 'ACK', '150'), cmd(6500, 'REPLCONF', 'ACK', '120', 'FACK', '100')], noAuth))
    expect(actions).toEqual([])
    expect(masterLinkInfo(state, 8600)).toMatchObject({ state: 'online', ackOffset: 150, fackOffset: 100, ackAt: 6500, lagSeconds: 2, capabilities: ['eof', 'psync2'], sync: 'full' })
  })

  test('partial resync (A.1 probes): +CONTINUE <id> and stream-from the replica offset; no psync2 → +CONTINUE', () => {
    const ctx = context()
    let step = stepMasterLink(initialMasterLinkState(0), { type: 'command', argv: ['REPLCONF', 'capa', 'psync2'], now: 1, master: ctx }, noAuth)
    step = stepMasterLink(step.state, { type: 'command', argv: ['PSYNC', ID, '101'], now: 2, master: ctx }, noAuth)
    expect(step.actions).toEqual([
      { type: 'reply', value: simple(`CONTINUE ${ID}`) },
      { type: 'stream-from', offset: 100, cause: 'partial-resync' },
    ])
    expect(step.state).toMatchObject({ kind: 'online', sync: 'partial', ackAt: 2 })
    const old = stepMasterLink(initialMasterLinkState(0), { type: 'command', argv: ['PSYNC', ID, '151'], now: 2, master: ctx }, noAuth)
    expect(old.actions[0]).toEqual({ type: 'reply', value: simple('CONTINUE') })
  })

  test('refusePsync (a replica whose own master link is down): the error, and the connection stays a client', () => {
    const refusal = error("NOMASTERLINK Can't SYNC while not connected with my master")
    const master = { ...context(), refusePsync: refusal }
    const { state, actions } = run(initialMasterLinkState(0), [
      { type: 'command', argv: ['PSYNC', ID, '101'], now: 1, master },
      { type: 'command', argv: ['PSYNC', '?', '-1'], now: 2, master },
      { type: 'command', argv: ['PING'], now: 3, master },
    ], noAuth)
    expect(actions).toEqual([{ type: 'reply', value: refusal }, { type: 'reply', value: refusal }, { type: 'reply', value: simple('PONG') }])
    expect(state.kind).toBe('handshake')
  })

  test('PSYNC that cannot continue counts as partial_err', () => {
    const { actions } = run(initialMasterLinkState(0), [cmd(1, 'PSYNC', ID, '5')], noAuth)
    expect(actions).toEqual([{ type: 'start-full-sync', reason: 'not-in-backlog', countsAsPartialErr: true, capaEof: false }])
  })

  test('garbage PSYNC: error replies, and the connection stays usable', () => {
    const { state, actions } = run(initialMasterLinkState(0), [
      cmd(1, 'PSYNC'),
      cmd(1, 'PSYNC', ID),
      cmd(1, 'PSYNC', ID, 'x'),
      cmd(1, 'PSYNC', ID, '1', 'FAILOVER'),
      cmd(1, 'psync', '?', '-1'),
    ], noAuth)
    expect(actions).toEqual([
      { type: 'reply', value: error("ERR wrong number of arguments for 'psync' command") },
      { type: 'reply', value: error("ERR wrong number of arguments for 'psync' command") },
      { type: 'reply', value: error('ERR value is not an integer or out of range') },
      { type: 'reply', value: error("ERR PSYNC FAILOVER can't be sent to a master.") },
      { type: 'start-full-sync', reason: 'requested', countsAsPartialErr: false, capaEof: false },
    ])
    expect(state.kind).toBe('wait-snapshot')
  })

  test('AUTH: -NOAUTH before it, WRONGPASS, then OK; keep-alives need no auth', () => {
    const { state, actions } = run(initialMasterLinkState(0), [
      cmd(1, 'PING'),
      cmd(1, 'REPLCONF', 'capa', 'eof'),
      cmd(1),
      cmd(1, 'AUTH', 'wrong'),
      cmd(1, 'AUTH'),
      cmd(1, 'AUTH', 'a', 'b', 'c'),
      cmd(1, 'AUTH', 'default', 'secret'),
      cmd(1, 'PING', 'hi'),
    ])
    expect(actions.map((a) => (a.type === 'reply' ? a.value : a))).toEqual([
      error('NOAUTH Authentication required.'),
      error('NOAUTH Authentication required.'),
      error('WRONGPASS invalid username-password pair or user is disabled.'),
      error("ERR wrong number of arguments for 'auth' command"),
      error('ERR syntax error'),
      simple('OK'),
      bulk('hi'),
    ])
    expect(state).toMatchObject({ kind: 'handshake', authenticated: true, capaEof: false })
  })

  test('AUTH without a verifier: Redis error for the 2-argument form', () => {
    const { actions } = run(initialMasterLinkState(0), [cmd(1, 'AUTH', 'pw'), cmd(1, 'AUTH', 'default', 'pw')], noAuth)
    expect(actions).toEqual([
      { type: 'reply', value: error('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?') },
      { type: 'reply', value: simple('OK') },
    ])
  })

  test('REPLCONF replies and errors (REDIS.md §1.4)', () => {
    const { state, actions } = run(initialMasterLinkState(0), [
      cmd(1, 'REPLCONF', 'listening-port', '7777', 'ip-address', '10.0.0.1'),
      cmd(1, 'REPLCONF', 'capa', 'eof', 'capa', 'rdb-channel-repl'),
      cmd(1, 'REPLCONF', 'listening-port'),
      cmd(1, 'REPLCONF', 'listening-port', 'x'),
      cmd(1, 'REPLCONF', 'x', '1'),
      cmd(1, 'REPLCONF', 'ip-address', 'a'.repeat(256)),
      cmd(1, 'REPLCONF', 'getack', '*'),
      cmd(1, 'REPLCONF', 'ACK', '100'),
      cmd(1, 'GET', 'k', 'x'),
    ], noAuth)
    expect(actions.map((a) => (a.type === 'reply' ? a.value : a))).toEqual([
      simple('OK'),
      simple('OK'),
      error('ERR syntax error'),
      error('ERR value is not an integer or out of range'),
      error('ERR Unrecognized REPLCONF option: x'),
      error('ERR REPLCONF ip-address provided by replica instance is too long: 256 bytes'),
      error("ERR unknown command 'GET', with args beginning with: 'k' 'x' "),
    ])
    expect(masterLinkInfo(state, 1)).toMatchObject({ state: null, listeningPort: 7777, ipAddress: '10.0.0.1', capabilities: ['eof'], ackOffset: 0 })
  })

  test('ACK from a non-replica: no reply, nothing recorded', () => {
    const { state, actions } = run(initialMasterLinkState(0), [cmd(5, 'REPLCONF', 'ACK', '100', 'FACK', '90')], noAuth)
    expect(actions).toEqual([])
    expect(state).toEqual({ ...initialMasterLinkState(0), lastInteractionAt: 5 })
  })

  test('after PSYNC, a command that would need a reply closes the link (replication.tcl)', () => {
    for (const argv of [['PING'], ['GET', 'k'], ['REPLCONF', 'listening-port', '1'], ['REPLCONF', 'ACK'], ['AUTH', 'secret']]) {
      const { state, actions } = run(REPRESENTATIVE.online(), [cmd(T0 + 1, ...argv)])
      expect(state.kind).toBe('closed')
      expect(actions).toHaveLength(1)
      const close = actions[0] as Extract<MasterLinkAction, { type: 'close' }>
      expect(close.error).toBeInstanceOf(ReplicationProtocolError)
      expect(close.error.code).toBe('ERR_REPLICATION_PROTOCOL')
      expect(close.code).toBe(1002)
      expect(new TextEncoder().encode(close.reason).length).toBeLessThanOrEqual(123)
    }
  })

  test('ACK offsets only grow; a bad ACK offset is ignored whole; a bad FACK stops before the ack time', () => {
    const { state } = run(REPRESENTATIVE.online(), [
      cmd(T0 + 1, 'REPLCONF', 'ACK', '100', 'FACK', '50'),
      cmd(T0 + 2, 'REPLCONF', 'ACK', '90', 'FACK', '40'),
      cmd(T0 + 3, 'REPLCONF', 'ACK', 'x'),
      cmd(T0 + 4, 'REPLCONF', 'ACK', '120', 'FACK', 'y'),
    ])
    expect(state).toMatchObject({ ackOffset: 120, fackOffset: 50, ackAt: T0 + 2 })
  })

  test('RESEND: re-send from the backlog on the same link; trimmed → full via close; beyond the master → protocol error', () => {
    const resend = run(REPRESENTATIVE.online(), [cmd(T0 + 1, 'REPLCONF', 'ACK', '50', 'FACK', '50', 'RESEND', '50')])
    expect(resend.actions).toEqual([{ type: 'stream-from', offset: 50, cause: 'resend' }])
    expect(resend.state).toMatchObject({ kind: 'online', resends: 1, ackOffset: 50 })
    const trimmed = run(REPRESENTATIVE.online(), [cmd(T0 + 1, 'REPLCONF', 'ACK', '5', 'RESEND', '5')])
    const close = trimmed.actions[0] as Extract<MasterLinkAction, { type: 'close' }>
    expect(close.error).toBeInstanceOf(BacklogNotCoveredError)
    expect(close.error.message).toContain('holds bytes 21..150')
    expect(close.code).toBe(4002)
    const ahead = run(REPRESENTATIVE.online(), [cmd(T0 + 1, 'REPLCONF', 'ACK', '151', 'RESEND', '151')])
    expect((ahead.actions[0] as Extract<MasterLinkAction, { type: 'close' }>).error).toBeInstanceOf(ReplicationProtocolError)
    // A plain ACK below what was sent is frames in flight, not a loss.
    expect(run(REPRESENTATIVE.online(), [cmd(T0 + 1, 'REPLCONF', 'ACK', '5')]).actions).toEqual([])
  })

  test('timeout: an online replica silent for timeoutMs is closed; ACKs and keep-alives refresh it', () => {
    let state = REPRESENTATIVE.online()
    ;({ state } = run(state, [cmd(T0 + 50_000, 'REPLCONF', 'ACK', '1'), { type: 'tick', now: T0 + 100_000, outputBufferBytes: 0 }, cmd(T0 + 100_000)]))
    expect(state.kind).toBe('online')
    const step = stepMasterLink(state, { type: 'tick', now: T0 + 160_001, outputBufferBytes: 0 }, OPTIONS)
    expect(step.state.kind).toBe('closed')
    const close = step.actions[0] as Extract<MasterLinkAction, { type: 'close' }>
    expect(close.error).toBeInstanceOf(ReplicationTimeoutError)
    expect(close.error.code).toBe('ERR_REPLICATION_TIMEOUT')
    expect(close.code).toBe(4000)
    expect(stepMasterLink(state, { type: 'tick', now: T0 + 160_000, outputBufferBytes: 0 }, OPTIONS).state.kind).toBe('online')
  })

  test('output-buffer limits: hard never below backlogBytes; soft must hold for more than the soft time', () => {
    const options = resolveMasterMachineOptions({ outputBufferHardBytes: 10, backlogBytes: 100, outputBufferSoftBytes: 50, outputBufferSoftMs: 1000 })
    const online = REPRESENTATIVE.online()
    expect(stepMasterLink(online, { type: 'tick', now: T0, outputBufferBytes: 49 }, options).state).toBe(online)
    const hard = stepMasterLink(online, { type: 'tick', now: T0, outputBufferBytes: 100 }, options)
    const err = (hard.actions[0] as Extract<MasterLinkAction, { type: 'close' }>).error as OutputBufferLimitError
    expect(err).toBeInstanceOf(OutputBufferLimitError)
    expect({ code: err.code, limit: err.limit, limitValue: err.limitValue, actual: err.actual }).toEqual({ code: 'ERR_REPLICA_OUTPUT_BUFFER_LIMIT', limit: 'outputBufferHardBytes', limitValue: 100, actual: 100 })
    let { state, actions } = run(online, [
      { type: 'tick', now: T0, outputBufferBytes: 60 },
      { type: 'tick', now: T0 + 1000, outputBufferBytes: 60 },
      { type: 'tick', now: T0 + 1500, outputBufferBytes: 10 },
      { type: 'tick', now: T0 + 1600, outputBufferBytes: 60 },
      { type: 'tick', now: T0 + 2600, outputBufferBytes: 60 },
    ], options)
    expect(actions).toEqual([])
    expect(state).toMatchObject({ kind: 'online', softLimitSince: T0 + 1600 })
    ;({ state, actions } = run(state, [{ type: 'tick', now: T0 + 2601, outputBufferBytes: 60 }], options))
    expect(state.kind).toBe('closed')
    expect(((actions[0] as Extract<MasterLinkAction, { type: 'close' }>).error as OutputBufferLimitError).limit).toBe('outputBufferSoftBytes')
    // 0 disables both.
    const off = resolveMasterMachineOptions({ outputBufferHardBytes: 0, outputBufferSoftBytes: 0 })
    expect(stepMasterLink(online, { type: 'tick', now: T0, outputBufferBytes: 1e12 }, off).state).toBe(online)
  })

  test('wait-snapshot: keepalives every keepaliveMs; a failed snapshot closes; null id before attachment', () => {
    const { actions } = run(REPRESENTATIVE['wait-snapshot'](), [
      { type: 'tick', now: T0 + 999, outputBufferBytes: 0 },
      { type: 'tick', now: T0 + 1000, outputBufferBytes: 0 },
      { type: 'tick', now: T0 + 1500, outputBufferBytes: 0 },
      { type: 'tick', now: T0 + 2000, outputBufferBytes: 0 },
    ])
    expect(actions).toEqual([{ type: 'keepalive' }, { type: 'keepalive' }])
    const unattached: MasterLinkState = { ...(REPRESENTATIVE['wait-snapshot']() as Extract<MasterLinkState, { kind: 'wait-snapshot' }>), snapshot: null }
    expect(stepMasterLink(unattached, { type: 'snapshot-failed', snapshotId: 's1', error: 'x', now: T0 }, OPTIONS).state).toBe(unattached)
    const failed = stepMasterLink(unattached, { type: 'snapshot-failed', snapshotId: null, error: new Error('no memory'), now: T0 }, OPTIONS)
    const close = failed.actions[0] as Extract<MasterLinkAction, { type: 'close' }>
    expect(close.error).toBeInstanceOf(SnapshotFailedError)
    expect(close.error.message).toContain('no memory')
    expect(close.code).toBe(1011)
  })

  test('a malformed frame closes with the LinkProtocolError; a good frame is a command', () => {
    const bad = stepMasterLink(initialMasterLinkState(0), { type: 'frame', bytes: bytes('*1\r\n$4\r\nPING'), now: 1, master: context() }, OPTIONS)
    expect((bad.actions[0] as Extract<MasterLinkAction, { type: 'close' }>).error).toBeInstanceOf(LinkProtocolError)
    const good = stepMasterLink(initialMasterLinkState(0), { type: 'frame', bytes: encodeCommand(['AUTH', 'secret']), now: 1, master: context() }, OPTIONS)
    expect(good.actions).toEqual([{ type: 'reply', value: simple('OK') }])
  })

  test('peer-error (bytes the connection refused): closes with that error, the machine picks the close code', () => {
    const frameLimit = new FrameLimitError(1024)
    for (const kind of ['handshake', 'wait-snapshot', 'online'] as const) {
      const step = stepMasterLink(REPRESENTATIVE[kind](), { type: 'peer-error', error: frameLimit, now: T0 + 1 }, OPTIONS)
      expect(step.state).toMatchObject({ kind: 'closed', error: frameLimit })
      expect(step.actions).toEqual([{ type: 'close', error: frameLimit, code: 1009, reason: expect.stringMatching(/^A replica sent a WebSocket message whose payload exceeds maxFrameBytes \(1024 bytes\)/) }])
      expect(new TextEncoder().encode((step.actions[0] as Extract<MasterLinkAction, { type: 'close' }>).reason).length).toBeLessThanOrEqual(123)
    }
    // A RESP error from a redis-server replica's TCP connection: a protocol error, 1002.
    const resp = new RespProtocolError('Protocol error: invalid bulk length', 'bulk length is not a number', 7)
    const tcp = stepMasterLink(REPRESENTATIVE.online(), { type: 'peer-error', error: resp, now: T0 + 1 }, OPTIONS)
    expect(tcp.actions).toEqual([{ type: 'close', error: resp, code: 1002, reason: resp.message }])
    // Once closed (the peer went away first), nothing more is reported.
    const closed = REPRESENTATIVE.closed()
    expect(stepMasterLink(closed, { type: 'peer-error', error: frameLimit, now: T0 + 1 }, OPTIONS)).toEqual({ state: closed, actions: [] })
  })

  test('handshake timeout: nothing for timeoutMs before PSYNC', () => {
    const step = stepMasterLink(initialMasterLinkState(0), { type: 'tick', now: 60_001, outputBufferBytes: 0 }, OPTIONS)
    expect((step.actions[0] as Extract<MasterLinkAction, { type: 'close' }>).error).toBeInstanceOf(ReplicationTimeoutError)
  })

  test('options are validated, naming every bad one', () => {
    expect(() => resolveMasterMachineOptions({ timeoutMs: 0, keepaliveMs: -1 })).toThrow(/timeoutMs \(0\).*keepaliveMs \(-1\)/)
  })
})

describe('master link machine: seeded fuzz', () => {
  const argvs: ByteString[][] = [
    [], ['PING'], ['AUTH', 'secret'], ['AUTH', 'nope'], ['REPLCONF', 'capa', 'psync2'], ['REPLCONF', 'ACK', '120'],
    ['REPLCONF', 'ACK', '60', 'RESEND', '60'], ['REPLCONF', 'ACK', '3', 'RESEND', '3'], ['REPLCONF', 'ACK', 'x'],
    ['PSYNC', '?', '-1'], ['PSYNC', ID, '140'], ['PSYNC', ID, 'zz'], ['PSYNC', ID, '999'], ['GET', 'k'], ['REPLCONF', 'odd'],
  ]

  test('never throws; closed is terminal; ACK offsets never decrease; actions fit the transition', () => {
    for (const seed of fuzzSeeds(300, 7000)) {
      withSeed(seed, () => {
        const random = prng(seed)
        let state = initialMasterLinkState(0)
        let now = 0
        let lastAck = 0
        for (let i = 0; i < 80; i++) {
          now += random.int(3000)
          const roll = random.int(10)
          const event: MasterLinkEvent =
            roll < 5 ? { type: 'command', argv: random.pick(argvs), now, master: context() }
            : roll === 5 ? { type: 'snapshot-attached', snapshotId: random.pick(['a', 'b']), replid: ID, offset: 130, now }
            : roll === 6 ? { type: 'snapshot-ready', snapshotId: random.pick(['a', 'b']), length: 10, now }
            : roll === 7 ? { type: 'snapshot-sent', snapshotId: random.pick(['a', 'b']), now }
            : roll === 8 ? { type: 'tick', now, outputBufferBytes: random.pick([0, 10, 600, 5000]) }
            : random.chance(0.2) ? { type: 'closed', now }
            : random.chance(0.1) ? { type: 'peer-error', error: new FrameLimitError(64), now } : { type: 'frame', bytes: random.pick([bytes('\n'), bytes('x'), encodeCommand(['PING'])]), now, master: context() }
          const before = state
          const step = stepMasterLink(before, event, OPTIONS)
          state = step.state
          if (before.kind === 'closed') expect(step).toEqual({ state: before, actions: [] })
          if ('ackOffset' in state) {
            expect(state.ackOffset).toBeGreaterThanOrEqual(before.kind === state.kind ? lastAck : 0)
            lastAck = state.ackOffset
          }
          for (const action of step.actions) {
            if (action.type === 'close') expect(state.kind).toBe('closed')
            if (action.type === 'stream-from') expect(state.kind).toBe('online')
            if (action.type === 'start-full-sync') expect([before.kind, state.kind]).toEqual(['handshake', 'wait-snapshot'])
            if (action.type === 'send-snapshot') expect(state.kind).toBe('send-snapshot')
          }
          if (state.kind === 'closed' && before.kind !== 'closed' && event.type !== 'closed') expect(step.actions.at(-1)?.type).toBe('close')
        }
      })
    }
  })
})
