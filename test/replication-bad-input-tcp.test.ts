// Bad input on the RESP port (TCP), the counterpart of replication-bad-input.test.ts: every abuse gets
// Redis's error reply, and a close where Redis closes (protocol errors: setProtocolError), while a
// real replica follows a writer through the abuse and ends equal to the master without reconnecting,
// and another client keeps working. A connection that did SYNC/PSYNC and then sends garbage is a
// replica link: it gets no reply (Redis writes nothing to a replica), the link closes, and the error
// is reported as 'replica-error', as a WebSocket replica's would be.
import { connect, type Socket } from 'node:net'
import { error as errorReply, RespDecoder, simple, type RespValue } from '@replicast/core'
import type { Master } from '@replicast/master'
import { describe, expect, onTestFinished, test } from 'vitest'
import { client, eventually, infoNumber } from './support/cluster.ts'
import { withBystanders } from './support/bystanders.ts'

/** A raw TCP connection to the RESP port: bytes in as given, every byte out kept. */
class RawTcp {
  readonly socket: Socket
  received = Buffer.alloc(0)
  /** Resolves with every byte received once the master closed the connection. */
  readonly closed: Promise<Buffer>
  readonly #decoder = new RespDecoder()
  #fed = 0
  #waiters: (() => void)[] = []

  private constructor(socket: Socket) {
    this.socket = socket
    this.closed = new Promise((resolve) => socket.once('close', () => resolve(this.received)))
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk])
      this.#wake()
    })
    socket.once('close', () => this.#wake())
    // A reset shows up as the close; keep it from being unhandled.
    socket.on('error', () => undefined)
  }

  static open(port: number): Promise<RawTcp> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' })
      onTestFinished(() => { socket.destroy() })
      socket.once('connect', () => resolve(new RawTcp(socket)))
      socket.once('error', reject)
    })
  }

  write(bytes: string | Uint8Array): void {
    this.socket.write(bytes)
  }

  send(...argv: string[]): void {
    this.write(`*${argv.length}\r\n${argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`)
  }

  #wake(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const waiter of waiters) waiter()
  }

  /** Resolves once `check` accepts what was received (rejects if the connection closes first). */
  async until(check: (text: string) => boolean, what: string): Promise<void> {
    while (!check(this.received.toString('latin1'))) {
      if (this.socket.destroyed) throw new Error(`the connection closed before ${what}; received ${JSON.stringify(this.received.toString('latin1').slice(0, 200))}`)
      await new Promise<void>((resolve) => this.#waiters.push(resolve))
    }
  }

  /** The next reply (only on a connection that speaks plain RESP: no snapshot on it). */
  async reply(): Promise<RespValue> {
    for (;;) {
      if (this.received.length > this.#fed) {
        this.#decoder.push(this.received.subarray(this.#fed))
        this.#fed = this.received.length
      }
      const value = this.#decoder.next()
      if (value !== undefined) return value
      if (this.socket.destroyed) throw new Error('the connection closed before a reply')
      await new Promise<void>((resolve) => this.#waiters.push(resolve))
    }
  }
}

/** Sends `bytes` on a fresh connection; resolves with what the master wrote before it closed it. */
async function answeredAndClosed(port: number, bytes: string | Uint8Array): Promise<string> {
  const raw = await RawTcp.open(port)
  raw.write(bytes)
  return (await raw.closed).toString('latin1')
}

/** Collects 'replica-error' reports with their transport. */
function replicaErrors(master: Master): { readonly code: string | undefined; readonly transport: string; readonly message: string }[] {
  const seen: { code: string | undefined; transport: string; message: string }[] = []
  const listener = (error: Error & { readonly code?: string }, info: { readonly transport: string }): void => {
    seen.push({ code: error.code, transport: info.transport, message: error.message })
  }
  master.core.on('replica-error', listener)
  onTestFinished(() => { master.core.off('replica-error', listener) })
  return seen
}

describe('malformed RESP and limits: an error reply, then the connection is closed', () => {
  test.each([
    ['a non-bulk argument', '*1\r\n+PING\r\n', "-ERR Protocol error: expected '$', got '+'\r\n"],
    ['a multibulk count that is not a number', '*abc\r\n', '-ERR Protocol error: invalid multibulk length\r\n'],
    ['a bulk length that is not a number', '*1\r\n$x\r\n', '-ERR Protocol error: invalid bulk length\r\n'],
    ['a bulk not followed by CRLF', '*1\r\n$4\r\nPINGxx', '-ERR Protocol error: invalid bulk length\r\n'],
    ['an inline command with an unclosed quote', 'SET "abc\r\n', '-ERR Protocol error: unbalanced quotes in request\r\n'],
    ['a bulk over maxBulkBytes', '*2\r\n$3\r\nSET\r\n$99999\r\n', '-ERR Protocol error: invalid bulk length\r\n'],
    ['an array over maxArrayLength', '*1000\r\n', '-ERR Protocol error: invalid multibulk length\r\n'],
    ['an inline line over maxInlineBytes', 'x'.repeat(3000), '-ERR Protocol error: too big inline request\r\n'],
    ['a multibulk header over maxInlineBytes', `*${'1'.repeat(3000)}`, '-ERR Protocol error: too big mbulk count string\r\n'],
  ])('%s', async (_what, bytes, expected) => {
    const b = await withBystanders({ maxBulkBytes: 1024, maxArrayLength: 100, maxInlineBytes: 2048 })
    const reported = replicaErrors(b.master)
    expect(await answeredAndClosed(b.master.port, bytes)).toBe(expected)
    // Commands before the bad bytes in the same burst are answered first.
    expect(await answeredAndClosed(b.master.port, `PING\r\n${bytes}`)).toBe(`+PONG\r\n${expected}`)
    // A client's protocol error is not a replica's.
    expect(reported).toEqual([])
    await b.check(0, 1)
  })
})

describe('a client that goes away', () => {
  test('a reset connection (ECONNRESET) is counted in INFO, not reported as an error', async () => {
    const b = await withBystanders()
    const reported: Error[] = []
    const listener = (e: Error): void => { reported.push(e) }
    b.master.on('error', listener)
    onTestFinished(() => { b.master.off('error', listener) })
    const before = infoNumber(b.master, 'replicast_connection_resets')
    const raw = await RawTcp.open(b.master.port)
    raw.send('PING')
    expect(await raw.reply()).toEqual(simple('PONG'))
    // An RST instead of a FIN: the master's next read fails with ECONNRESET.
    raw.socket.resetAndDestroy()
    await eventually(() => infoNumber(b.master, 'replicast_connection_resets') === before + 1, 'the reset to be counted')
    expect(reported).toEqual([])
    await b.check(0, 1)
  })
})

describe('commands that Redis refuses: an error reply, and the connection stays usable', () => {
  test('unknown commands, inline and multibulk', async () => {
    const b = await withBystanders()
    const raw = await RawTcp.open(b.master.port)
    raw.send('NOSUCHCMD', 'a', 'b')
    expect(await raw.reply()).toEqual(errorReply("ERR unknown command 'NOSUCHCMD', with args beginning with: 'a' 'b' "))
    raw.write('nosuch inline\r\n')
    expect(await raw.reply()).toEqual(errorReply("ERR unknown command 'nosuch', with args beginning with: 'inline' "))
    raw.send('PING')
    expect(await raw.reply()).toEqual(simple('PONG'))
    await b.check(0, 1)
  })

  test('garbage PSYNC and SYNC arguments', async () => {
    const b = await withBystanders()
    const warnings: string[] = []
    const onWarning = (warning: Error): void => { warnings.push(`${warning.name}: ${warning.message}`) }
    process.on('warning', onWarning)
    onTestFinished(() => { process.off('warning', onWarning) })
    const raw = await RawTcp.open(b.master.port)
    const cases: [string[], RespValue][] = [
      [['PSYNC', 'abc', 'def'], errorReply('ERR value is not an integer or out of range')],
      [['PSYNC', '?', 'x'], errorReply('ERR value is not an integer or out of range')],
      [['PSYNC', b.master.replid, '1.5'], errorReply('ERR value is not an integer or out of range')],
      [['PSYNC'], errorReply("ERR wrong number of arguments for 'psync' command")],
      [['PSYNC', '?'], errorReply("ERR wrong number of arguments for 'psync' command")],
      [['SYNC', 'extra'], errorReply("ERR wrong number of arguments for 'sync' command")],
    ]
    // The same connection, again and again: each refusal leaves an ordinary client behind.
    for (let round = 0; round < 3; round++) {
      for (const [argv, expected] of cases) {
        raw.send(...argv)
        expect(await raw.reply(), argv.join(' ')).toEqual(expected)
      }
    }
    // Each refused PSYNC gave the socket back whole (no listeners left behind on it).
    expect(warnings).toEqual([])
    raw.send('SET', 'abuser', 'still a client')
    expect(await raw.reply()).toEqual(simple('OK'))
    expect(b.master.core.links.size).toBe(1)
    await b.check(0, 1)
  })
})

describe('a would-be redis replica that sends garbage after SYNC or PSYNC', () => {
  test.each([
    ['PSYNC ? -1', 'malformed RESP', '*1\r\n+x\r\n', 'ERR_RESP_PROTOCOL'],
    ['PSYNC ? -1', 'a bulk over maxBulkBytes', '*1\r\n$99999\r\n', 'ERR_RESP_LIMIT'],
    ['PSYNC ? -1', 'a command that needs a reply', '*1\r\n$3\r\nGET\r\n', 'ERR_REPLICATION_PROTOCOL'],
    ['SYNC', 'malformed RESP', '*x\r\n', 'ERR_RESP_PROTOCOL'],
    ['SYNC', 'an unbalanced inline command', 'PING "x\r\n', 'ERR_RESP_PROTOCOL'],
  ])('%s, then %s: closed without a reply and reported', async (handshake, _what, garbage, code) => {
    const b = await withBystanders({ maxBulkBytes: 1024 })
    const reported = replicaErrors(b.master)
    const raw = await RawTcp.open(b.master.port)
    raw.write(`${handshake}\r\n`)
    // The snapshot's `$<length>` header (SYNC gets no +FULLRESYNC line): the link is a replica now.
    await raw.until((text) => /^(\+FULLRESYNC [0-9a-f]{40} \d+\r\n)?\n*\$\d+\r\n/.test(text), 'the snapshot header')
    expect(b.master.core.links.size).toBe(2)
    raw.write(garbage)
    const received = (await raw.closed).toString('latin1')
    // Redis writes nothing to a replica: no error reply follows the snapshot and stream.
    expect(received).not.toMatch(/-ERR/)
    expect(reported).toEqual([{ code, transport: 'tcp', message: expect.any(String) as unknown as string }])
    await b.check(1, 1)
  })
})
