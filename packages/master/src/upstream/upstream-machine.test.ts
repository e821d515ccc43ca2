import { describe, expect, test } from 'vitest'
import {
  MasterRefusedError,
  ReplicationProtocolError,
  ReplicationTimeoutError,
  RequestDecoder,
  encodeCommand,
  type ByteString,
} from '@replicast/core'
import {
  UPSTREAM_MACHINE_DEFAULTS,
  initialUpstreamState,
  readOffset,
  stepUpstream,
  upstreamRoleState,
  type UpstreamAction,
  type UpstreamEvent,
  type UpstreamMachineOptions,
  type UpstreamState,
} from './upstream-machine.ts'

const R = 'a1b2c3d4e5f60718293a4b5c6d7e8f9001122334'
const NEW = 'ffffffffffffffffffffffffffffffffffff0001'
const MARK = '9c276354638c5523410ae8f82a37412b2156cd4d'
const OPTIONS: UpstreamMachineOptions = { ...UPSTREAM_MACHINE_DEFAULTS, listeningPort: 16380 }

const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0))
const text = (b: Uint8Array): string => String.fromCharCode(...b)
const cmd = (...argv: string[]): string => text(encodeCommand(argv))
const data = (s: string | Uint8Array, now = 10): UpstreamEvent => ({ type: 'data', bytes: typeof s === 'string' ? bytes(s) : s, now })

function decodeAll(b: Uint8Array): ByteString[][] {
  const d = new RequestDecoder()
  d.push(b)
  const out: ByteString[][] = []
  for (let argv = d.next(); argv !== undefined; argv = d.next()) out.push(argv)
  return out
}
const sent = (actions: readonly UpstreamAction[]): ByteString[][] =>
  actions.flatMap((a) => (a.type === 'send' ? decodeAll(a.bytes) : []))
const applies = (actions: readonly UpstreamAction[]) => actions.filter((a): a is Extract<UpstreamAction, { type: 'apply' }> => a.type === 'apply')
const rdbOf = (actions: readonly UpstreamAction[]): string =>
  actions.map((a) => (a.type === 'rdb-chunk' ? text(a.bytes) : '')).join('')
const kinds = (actions: readonly UpstreamAction[]): string[] => actions.map((a) => a.type)

function run(state: UpstreamState, events: readonly UpstreamEvent[], options = OPTIONS): { state: UpstreamState; actions: UpstreamAction[] } {
  const actions: UpstreamAction[] = []
  for (const event of events) {
    const step = stepUpstream(state, event, options)
    state = step.state
    actions.push(...step.actions)
  }
  return { state, actions }
}

/** Connected, handshake replies read, PSYNC sent. */
function awaitingPsync(state = initialUpstreamState(), options = OPTIONS): { state: UpstreamState; actions: UpstreamAction[] } {
  return run(state, [{ type: 'connecting', now: 0 }, { type: 'connected', now: 1 }, data('+PONG\r\n', 2), data('+OK\r\n+OK\r\n', 3)], options)
}

/** Streaming at `offset` of R after a full sync. */
function streamingAt(offset: number): UpstreamState {
  const { state } = run(awaitingPsync().state, [data(`+FULLRESYNC ${R} ${offset}\r\n$3\r\nabc`, 4), { type: 'loaded', now: 5 }])
  expect(state.kind).toBe('streaming')
  return state
}

describe('upstream link machine: handshake (REDIS.md §1.1)', () => {
  test('PING alone, then listening-port and capa in one burst, then PSYNC ? -1 after their replies', () => {
    let { state, actions } = run(initialUpstreamState(), [{ type: 'connecting', now: 0 }, { type: 'connected', now: 1 }])
    expect(actions).toEqual([{ type: 'send', bytes: bytes('*1\r\n$4\r\nPING\r\n') }])
    ;({ state, actions } = run(state, [data('+PONG\r\n')]))
    expect(actions.map((a) => (a.type === 'send' ? text(a.bytes) : a.type))).toEqual([
      '*3\r\n$8\r\nREPLCONF\r\n$14\r\nlistening-port\r\n$5\r\n16380\r\n',
      '*5\r\n$8\r\nREPLCONF\r\n$4\r\ncapa\r\n$3\r\neof\r\n$4\r\ncapa\r\n$6\r\npsync2\r\n',
    ])
    ;({ state, actions } = run(state, [data('+OK\r\n')]))
    expect(actions).toEqual([])
    ;({ state, actions } = run(state, [data('-ERR Unrecognized REPLCONF option: capa\r\n')])) // "(Non critical)"
    expect(actions.map((a) => (a.type === 'send' ? text(a.bytes) : a.type))).toEqual(['*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n'])
    expect(state).toMatchObject({ kind: 'handshake', awaiting: ['psync'] })
    expect(upstreamRoleState(state)).toBe('handshake')
  })

  test('AUTH first in the burst (2- and 3-argument forms); a refused AUTH closes', () => {
    const auth = { ...OPTIONS, auth: { username: null, password: 'secret' } }
    let { state, actions } = run(initialUpstreamState(), [{ type: 'connecting', now: 0 }, { type: 'connected', now: 1 }, data('-NOAUTH Authentication required.\r\n')], auth)
    expect(sent(actions)).toEqual([['PING'], ['AUTH', 'secret'], ['REPLCONF', 'listening-port', '16380'], ['REPLCONF', 'capa', 'eof', 'capa', 'psync2']])
    ;({ state, actions } = run(state, [data('+OK\r\n+OK\r\n+OK\r\n')], auth))
    expect(sent(actions)).toEqual([['PSYNC', '?', '-1']])
    const user = { ...OPTIONS, auth: { username: 'repl', password: 'pw' } }
    ;({ state, actions } = run(initialUpstreamState(), [{ type: 'connecting', now: 0 }, { type: 'connected', now: 1 }, data('+PONG\r\n'), data('-WRONGPASS invalid username-password pair or user is disabled.\r\n')], user))
    expect(sent(actions)[1]).toEqual(['AUTH', 'repl', 'pw'])
    expect(state.kind).toBe('disconnected')
    const close = actions.at(-1)!
    expect(close.type).toBe('close')
    expect((close as { error: Error }).error).toBeInstanceOf(MasterRefusedError)
    expect((close as { error: MasterRefusedError }).error.retryLater).toBe(false)
  })

  test('an error reply to PING other than NOAUTH/NOPERM closes; so does an unasked reply', () => {
    let { state, actions } = run(initialUpstreamState(), [{ type: 'connecting', now: 0 }, { type: 'connected', now: 1 }, data('-ERR unknown command\r\n')])
    expect(state.kind).toBe('disconnected')
    expect((actions.at(-1) as { error: Error }).error).toBeInstanceOf(ReplicationProtocolError)
    ;({ state, actions } = run(initialUpstreamState(), [{ type: 'connecting', now: 0 }, { type: 'connected', now: 1 }, data('-NOPERM this user has no permissions\r\n')]))
    expect(state).toMatchObject({ kind: 'handshake', awaiting: ['port', 'capa'] })
  })

  test('PSYNC refusals: -NOMASTERLINK and -LOADING retry later; +CONTINUE after PSYNC ? -1 is a protocol error', () => {
    for (const line of ["-NOMASTERLINK Can't SYNC while not connected with my master", '-LOADING Redis is loading the dataset in memory']) {
      const { state, actions } = run(awaitingPsync().state, [data(`\n\n${line}\r\n`)])
      expect(state.kind).toBe('disconnected')
      const error = (actions.at(-1) as { error: MasterRefusedError }).error
      expect(error).toBeInstanceOf(MasterRefusedError)
      expect(error.retryLater).toBe(true)
      expect(error.code).toBe('ERR_MASTER_REFUSED')
    }
    const { actions } = run(awaitingPsync().state, [data('+CONTINUE\r\n')])
    expect((actions.at(-1) as { error: Error }).error).toBeInstanceOf(ReplicationProtocolError)
    const bad = run(awaitingPsync().state, [data('+FULLRESYNC nothex 12\r\n')])
    expect(bad.state.kind).toBe('disconnected')
  })
})

describe('upstream link machine: full sync (REDIS.md §2.4)', () => {
  test('$<len> after keep-alives: RDB chunks, rdb-end, stream bytes glued to the RDB held until loaded', () => {
    const stream = cmd('SELECT', '0') + cmd('SET', 's2', 'world')
    let { state, actions } = run(awaitingPsync().state, [
      data('\n\n'),
      data(`+FULLRESYNC ${R} 1000\r\n\n`),
      data('\n$6\r\nRED'),
    ])
    expect(kinds(actions)).toEqual(['full-sync-start', 'rdb-chunk'])
    expect(actions[0]).toEqual({ type: 'full-sync-start', replid: R, offset: 1000, total: 6 })
    // The data is being replaced: no history is held until it is loaded.
    expect(state).toMatchObject({ kind: 'transfer', replid: null, total: 6, received: 3 })
    ;({ state, actions } = run(state, [data(`IS0${stream}`)]))
    expect(kinds(actions)).toEqual(['rdb-chunk', 'rdb-end'])
    expect(state).toMatchObject({ kind: 'loading', held: [bytes(stream)] })
    ;({ state, actions } = run(state, [{ type: 'loaded', now: 20 }]))
    expect(actions[0]).toEqual({ type: 'adopt', replid: R, offset: 1000 })
    expect(sent(actions)).toEqual([['REPLCONF', 'ACK', '1000']])
    expect(applies(actions)).toEqual([{ type: 'apply', bytes: bytes(stream), commands: [['SELECT', '0'], ['SET', 's2', 'world']], startOffset: 1000, endOffset: 1055 }])
    expect(state).toMatchObject({ kind: 'streaming', replid: R, offset: 1055, lastSync: 'full', fullSyncs: 1 })
  })

  test('$EOF:<mark>: the last 40 bytes are held back until known not to be the mark; the mark may be split', () => {
    const rdb = 'REDIS0010' + 'x'.repeat(100)
    const wire = `+FULLRESYNC ${R} 0\r\n$EOF:${MARK}\r\n${rdb}${MARK}`
    for (const cut of [wire.length, 1, 7, 41, 45]) {
      let state = awaitingPsync().state
      const actions: UpstreamAction[] = []
      for (let i = 0; i < wire.length; i += cut) {
        const step = run(state, [data(wire.slice(i, i + cut))])
        state = step.state
        actions.push(...step.actions)
        if (i + cut < wire.length) expect(kinds(step.actions)).not.toContain('rdb-end')
      }
      expect(actions[0]).toEqual({ type: 'full-sync-start', replid: R, offset: 0, total: null })
      expect(rdbOf(actions)).toBe(rdb)
      expect(actions.at(-1)).toEqual({ type: 'rdb-end' })
      expect(state.kind).toBe('loading')
      const loaded = run(state, [{ type: 'loaded', now: 30 }])
      expect(sent(loaded.actions)).toEqual([['REPLCONF', 'ACK', '0']])
    }
  })

  test('the link dropping mid-RDB, or an RDB that does not load: abort, forget the history, PSYNC ? -1 next', () => {
    const before = streamingAt(500)
    const resync = run(before, [{ type: 'disconnected', now: 40 }, { type: 'connecting', now: 41 }, { type: 'connected', now: 42 }, data('+PONG\r\n+OK\r\n+OK\r\n')])
    expect(sent(resync.actions).at(-1)).toEqual(['PSYNC', R, '501'])
    let { state, actions } = run(resync.state, [data(`+FULLRESYNC ${NEW} 900\r\n$100\r\nREDIS`), { type: 'disconnected', now: 50 }])
    expect(kinds(actions)).toEqual(['full-sync-start', 'rdb-chunk', 'full-sync-abort'])
    expect(state).toMatchObject({ kind: 'disconnected', replid: null, offset: 0 })
    ;({ actions } = run(state, [{ type: 'connecting', now: 51 }, { type: 'connected', now: 52 }, data('+PONG\r\n+OK\r\n+OK\r\n')]))
    expect(sent(actions).at(-1)).toEqual(['PSYNC', '?', '-1'])
    ;({ state, actions } = run(awaitingPsync().state, [data(`+FULLRESYNC ${R} 1\r\n$2\r\nRE`), { type: 'load-failed', error: new Error('bad checksum'), now: 60 }]))
    expect(kinds(actions)).toEqual(['full-sync-start', 'rdb-chunk', 'rdb-end', 'full-sync-abort', 'close'])
    expect(state).toMatchObject({ kind: 'disconnected', replid: null })
  })

  test('bad bulk headers: an error line, a non-$ line', () => {
    let { state, actions } = run(awaitingPsync().state, [data(`+FULLRESYNC ${R} 1\r\n-ERR no luck\r\n`)])
    expect(state.kind).toBe('disconnected')
    expect((actions.at(-1) as { error: Error }).error).toBeInstanceOf(MasterRefusedError)
    ;({ state, actions } = run(awaitingPsync().state, [data(`+FULLRESYNC ${R} 1\r\nHTTP/1.1 400\r\n`)]))
    expect((actions.at(-1) as { error: Error }).error).toBeInstanceOf(ReplicationProtocolError)
  })
})

describe('upstream link machine: the stream (REDIS.md §3.1, §5.1)', () => {
  test('A.2: SELECT 0, SET, ping, DEL, SELECT 1, INCR, GETACK → ACK 1138 (before GETACK), then 1175', () => {
    const state0 = streamingAt(1000)
    const first = cmd('SELECT', '0') + cmd('SET', 's2', 'world') + cmd('ping')
    const second = cmd('DEL', 'gone') + cmd('SELECT', '1') + cmd('INCR', 'ctr')
    const getack = cmd('REPLCONF', 'GETACK', '*')
    let { state, actions } = run(state0, [data(first), data(second + getack)])
    expect(applies(actions).map((a) => [a.startOffset, a.endOffset])).toEqual([[1000, 1069], [1069, 1138], [1138, 1175]])
    expect(sent(actions)).toEqual([['REPLCONF', 'ACK', '1138']])
    // The ACK comes after what precedes the GETACK was applied, before the GETACK's own bytes.
    expect(kinds(actions)).toEqual(['apply', 'apply', 'send', 'apply'])
    expect(text(applies(actions)[2]!.bytes)).toBe(getack)
    expect(state).toMatchObject({ kind: 'streaming', offset: 1175 })
    ;({ actions } = run(state, [{ type: 'tick', now: 1000 }, { type: 'tick', now: 1100 }]))
    expect(sent(actions)).toEqual([['REPLCONF', 'ACK', '1175']])
  })

  test('a MULTI across reads is one apply at its EXEC; its bytes are the stream bytes unchanged', () => {
    const state0 = streamingAt(0)
    const before = cmd('SET', 'a', '1')
    const tx = cmd('MULTI') + cmd('SET', 'm1', '1') + cmd('INCR', 'm2') + cmd('EXEC')
    const after = cmd('SET', 'b', '2')
    const cutA = before.length + 20
    const cutB = before.length + cmd('MULTI').length + cmd('SET', 'm1', '1').length + 3
    let { state, actions } = run(state0, [data((before + tx + after).slice(0, cutA))])
    expect(applies(actions)).toEqual([{ type: 'apply', bytes: bytes(before), commands: [['SET', 'a', '1']], startOffset: 0, endOffset: before.length }])
    expect(state).toMatchObject({ offset: before.length })
    expect(readOffset(state)).toBe(cutA)
    ;({ state, actions } = run(state, [data((before + tx + after).slice(cutA, cutB))]))
    expect(applies(actions)).toEqual([])
    expect(state).toMatchObject({ offset: before.length })
    ;({ state, actions } = run(state, [data((before + tx + after).slice(cutB))]))
    expect(applies(actions)).toEqual([{
      type: 'apply',
      bytes: bytes(tx + after),
      commands: [['MULTI'], ['SET', 'm1', '1'], ['INCR', 'm2'], ['EXEC'], ['SET', 'b', '2']],
      startOffset: before.length,
      endOffset: (before + tx + after).length,
    }])
  })

  test('a stream cut at every byte applies the same bytes and commands as whole reads', () => {
    const stream = cmd('SELECT', '3') + cmd('SET', 'k', 'v'.repeat(300)) + cmd('MULTI') + cmd('HSET', 'h', 'f', 'x') + cmd('EXEC') +
      cmd('REPLCONF', 'GETACK', '*') + cmd('ping') + cmd('RPUSH', 'l', 'a', 'b', 'c')
    const whole = run(streamingAt(10), [data(stream)])
    const single = run(streamingAt(10), [...stream].map((c) => data(c)))
    const flat = (actions: UpstreamAction[]) => ({
      bytes: applies(actions).map((a) => text(a.bytes)).join(''),
      commands: applies(actions).flatMap((a) => a.commands),
      acks: sent(actions),
    })
    expect(flat(single.actions)).toEqual(flat(whole.actions))
    expect(flat(whole.actions).bytes).toBe(stream)
    expect(whole.state).toMatchObject({ offset: 10 + stream.length })
    expect(single.state).toMatchObject({ offset: 10 + stream.length })
    // Contiguous offsets.
    let at = 10
    for (const a of applies(single.actions)) {
      expect(a.startOffset).toBe(at)
      at = a.endOffset
    }
  })

  test('bad streams close: nested MULTI, EXEC alone, inline commands', () => {
    for (const bad of [cmd('MULTI') + cmd('MULTI'), cmd('EXEC'), 'SET k v\r\n']) {
      const { state, actions } = run(streamingAt(0), [data(cmd('SET', 'ok', '1') + bad)])
      expect(state).toMatchObject({ kind: 'disconnected', offset: cmd('SET', 'ok', '1').length })
      expect(kinds(actions)).toEqual(['apply', 'close'])
      expect((actions[1] as { error: Error }).error).toBeInstanceOf(ReplicationProtocolError)
    }
  })
})

describe('upstream link machine: partial resync and time', () => {
  test('+CONTINUE keeps the ID; +CONTINUE <new id> shifts it; PSYNC asks for offset + 1', () => {
    const state0 = run(streamingAt(1000), [data(cmd('SET', 'a', '1')), { type: 'disconnected', now: 100 }]).state
    expect(state0).toMatchObject({ kind: 'disconnected', downSince: 100 })
    const handshake = run(state0, [{ type: 'connecting', now: 101 }, { type: 'connected', now: 102 }, data('+PONG\r\n+OK\r\n+OK\r\n')])
    expect(sent(handshake.actions).at(-1)).toEqual(['PSYNC', R, '1028'])
    let { state, actions } = run(handshake.state, [data('\n+CONTINUE\r\n')])
    expect(actions).toEqual([{ type: 'continue', replid: R, previous: R, offset: 1027 }])
    expect(state).toMatchObject({ kind: 'streaming', lastSync: 'partial', partialSyncs: 1, downSince: null })
    ;({ state, actions } = run(handshake.state, [data(`+CONTINUE ${NEW}\r\n${cmd('SET', 'b', '2')}`)]))
    expect(actions[0]).toEqual({ type: 'continue', replid: NEW, previous: R, offset: 1027 })
    expect(applies(actions)[0]).toMatchObject({ startOffset: 1027, endOffset: 1054 })
    expect(state).toMatchObject({ replid: NEW })
  })

  test('timeout: silence for timeoutMs in any linked state closes; bytes and keep-alives reset it', () => {
    const options = { ...OPTIONS, timeoutMs: 5000 }
    let { state, actions } = run(awaitingPsync(undefined, options).state, [data('\n', 4000), { type: 'tick', now: 8999 }], options)
    expect(actions).toEqual([])
    ;({ state, actions } = run(state, [{ type: 'tick', now: 9001 }], options))
    expect(state.kind).toBe('disconnected')
    expect((actions[0] as { error: Error }).error).toBeInstanceOf(ReplicationTimeoutError)
    const connecting = run(initialUpstreamState(), [{ type: 'connecting', now: 0 }, { type: 'tick', now: 5001 }], options)
    expect(kinds(connecting.actions)).toEqual(['close'])
  })

  test('no-ops: data and ticks while disconnected; connected while not connecting', () => {
    const state = initialUpstreamState()
    for (const event of [data('+PONG\r\n'), { type: 'tick', now: 1 } as const, { type: 'connected', now: 1 } as const, { type: 'disconnected', now: 1 } as const, { type: 'loaded', now: 1 } as const]) {
      const step = stepUpstream(state, event, OPTIONS)
      expect(step.state).toBe(state)
      expect(step.actions).toEqual([])
    }
  })
})

describe('upstream link machine: seeded fuzz', () => {
  test('any cut of a whole exchange gives the same RDB, stream bytes, commands and ACKs', () => {
    const rdb = 'REDIS0010' + Array.from({ length: 300 }, (_, i) => String.fromCharCode(i % 256)).join('')
    const stream = cmd('SELECT', '0') + cmd('SET', 'k', 'v') + cmd('MULTI') + cmd('SET', 'a', '1') + cmd('EXEC') + cmd('REPLCONF', 'GETACK', '*') + cmd('ping')
    for (const form of ['length', 'eof'] as const) {
      const wire = `\n+FULLRESYNC ${R} 7\r\n\n` + (form === 'length' ? `$${rdb.length}\r\n${rdb}${stream}` : `$EOF:${MARK}\r\n${rdb}${MARK}`)
      const reference = exchange(wire, [wire.length], form === 'eof' ? stream : '')
      let seed = 12345
      const random = (): number => {
        seed = (seed * 1103515245 + 12345) % 2147483648
        return seed / 2147483648
      }
      for (let round = 0; round < 200; round++) {
        const cuts: number[] = []
        for (let left = wire.length; left > 0;) {
          const n = 1 + Math.floor(random() * 60)
          cuts.push(Math.min(n, left))
          left -= n
        }
        expect(exchange(wire, cuts, form === 'eof' ? stream : ''), `form ${form}, round ${round}`).toEqual(reference)
      }
      expect(reference.rdb).toBe(rdb)
      expect(reference.stream).toBe(stream)
    }

    function exchange(wire: string, cuts: readonly number[], afterAck: string) {
      let state = awaitingPsync().state
      const actions: UpstreamAction[] = []
      let at = 0
      for (const n of cuts) {
        const step = stepUpstream(state, data(wire.slice(at, at + n)), OPTIONS)
        at += n
        state = step.state
        actions.push(...step.actions)
        if (step.actions.some((a) => a.type === 'rdb-end')) {
          const loaded = stepUpstream(state, { type: 'loaded', now: 11 }, OPTIONS)
          state = loaded.state
          actions.push(...loaded.actions)
        }
      }
      if (afterAck !== '') {
        const step = stepUpstream(state, data(afterAck), OPTIONS)
        state = step.state
        actions.push(...step.actions)
      }
      return {
        rdb: rdbOf(actions),
        stream: applies(actions).map((a) => text(a.bytes)).join(''),
        commands: applies(actions).flatMap((a) => a.commands),
        acks: sent(actions),
        offset: state.offset,
      }
    }
  })
})
