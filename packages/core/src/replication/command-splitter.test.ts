import { describe, expect, test } from 'vitest'
import type { ByteString } from '../bytes.ts'
import { encodeCommand } from '../resp/encoder.ts'
import { RespLimitError, RespProtocolError } from '../resp/errors.ts'
import { CommandSplitter, NO_STREAM_TAIL, holdStreamBytes, type StreamTail } from './command-splitter.ts'
import { bytes, fuzzSeeds, prng, text, withSeed } from './test-util.ts'

interface Fed {
  readonly commands: { readonly argv: ByteString[]; readonly size: number }[]
  readonly tail: StreamTail
  /** How many chunks were decoded (not held). */
  readonly splits: number
  readonly failure: { readonly cause: unknown } | null
}

/** Feeds `chunks` the way both replication machines do: hold while short, else split. */
function feed(chunks: readonly Uint8Array[], limits = {}): Fed {
  const commands: { argv: ByteString[]; size: number }[] = []
  let tail = NO_STREAM_TAIL
  let splits = 0
  for (const chunk of chunks) {
    const held = holdStreamBytes(tail, chunk)
    if (held !== null) {
      tail = held
      continue
    }
    splits++
    const splitter = new CommandSplitter(tail, chunk, limits)
    for (let argv = splitter.next(); argv !== undefined; argv = splitter.next()) commands.push({ argv, size: splitter.size })
    if (splitter.failure !== null) return { commands, tail, splits, failure: splitter.failure }
    tail = splitter.tail()
  }
  return { commands, tail, splits, failure: null }
}

const cmd = (...argv: string[]): Uint8Array => encodeCommand(argv)
const join = (...parts: Uint8Array[]): Uint8Array => bytes(parts.map(text).join(''))
const byteByByte = (input: Uint8Array): Uint8Array[] => Array.from(input, (b) => Uint8Array.of(b))

const STREAM = join(
  cmd('SELECT', '0'),
  cmd('SET', 'k', 'v'),
  cmd('MULTI'),
  cmd('HSET', 'h', 'f', 'x'.repeat(300)),
  cmd('EXEC'),
  cmd('REPLCONF', 'GETACK', '*'),
  cmd('SET', 'empty', ''),
  cmd('PING'),
)

describe('CommandSplitter', () => {
  test('whole, byte by byte and in random chunks: the same commands, each with its size on the wire', () => {
    const whole = feed([STREAM])
    expect(whole.commands.map((c) => c.argv[0])).toEqual(['SELECT', 'SET', 'MULTI', 'HSET', 'EXEC', 'REPLCONF', 'SET', 'PING'])
    expect(whole.commands.reduce((sum, c) => sum + c.size, 0)).toBe(STREAM.length)
    // REDIS.md §5.1: GETACK's 37 bytes.
    expect(whole.commands[5]!.size).toBe(37)
    expect(whole.tail).toEqual(NO_STREAM_TAIL)
    expect(feed(byteByByte(STREAM))).toMatchObject({ commands: whole.commands, tail: NO_STREAM_TAIL })
    for (const seed of fuzzSeeds(50, 7100)) {
      withSeed(seed, () => {
        const random = prng(seed)
        const chunks: Uint8Array[] = []
        for (let at = 0; at < STREAM.length; ) {
          const take = 1 + random.int(40)
          chunks.push(STREAM.subarray(at, at + take))
          at += take
        }
        expect(feed(chunks)).toMatchObject({ commands: whole.commands, tail: NO_STREAM_TAIL, failure: null })
      })
    }
  })

  test('a large bulk cut into many chunks is decoded once, when its last byte is in', () => {
    const big = cmd('SET', 'key', 'v'.repeat(10_000))
    const chunks: Uint8Array[] = []
    for (let at = 0; at < big.length; at += 100) chunks.push(big.subarray(at, at + 100))
    const fed = feed(chunks)
    expect(fed.commands).toHaveLength(1)
    expect(fed.commands[0]!.size).toBe(big.length)
    // The first chunk shows the headers; every later one but the last is only held.
    expect(fed.splits).toBe(2)
  })

  test('the tail keeps a partial command and the least total it needs', () => {
    const set = cmd('SET', 'k', 'value')
    // Cut inside the last bulk: its `$5` header is in, so the need is exact.
    const splitter = new CommandSplitter(NO_STREAM_TAIL, join(cmd('PING'), set.subarray(0, 24)), {})
    expect(splitter.next()).toEqual(['PING'])
    expect(splitter.next()).toBeUndefined()
    const tail = splitter.tail()
    expect(tail.pendingBytes).toBe(24)
    expect(tail.pendingNeed).toBe(set.length)
    expect(text(tail.pending!.bytes)).toBe(text(set.subarray(0, 24)))
    // A header not complete yet: one byte more than there is.
    expect(new CommandSplitter(NO_STREAM_TAIL, bytes('*3\r'), {}).tail()).toMatchObject({ pendingBytes: 3, pendingNeed: 4 })
    // Short of the need: held, nothing decoded; reaching it: split, with the held bytes first.
    const held = holdStreamBytes(tail, set.subarray(24, set.length - 1))!
    expect(held).toMatchObject({ pendingBytes: set.length - 1, pendingNeed: set.length })
    expect(holdStreamBytes(held, set.subarray(set.length - 1))).toBeNull()
    const rest = new CommandSplitter(held, set.subarray(set.length - 1), {})
    expect(text(rest.input)).toBe(text(set))
    expect(rest.next()).toEqual(['SET', 'k', 'value'])
    expect(rest.tail()).toEqual(NO_STREAM_TAIL)
  })

  test('a malformed stream ends the commands and keeps what the decoder threw', () => {
    const splitter = new CommandSplitter(NO_STREAM_TAIL, join(cmd('SET', 'a', '1'), bytes('*1\r\n:5\r\n'), cmd('SET', 'b', '2')), {})
    expect(splitter.next()).toEqual(['SET', 'a', '1'])
    expect(splitter.next()).toBeUndefined()
    expect(splitter.failure?.cause).toBeInstanceOf(RespProtocolError)
    expect(splitter.next()).toBeUndefined()
    // Inline commands are not replication: a stream is multibulk only.
    expect(feed([bytes('SET a 1\r\n')]).failure?.cause).toBeInstanceOf(RespProtocolError)
    const overLimit = feed([cmd('SET', 'k', 'x'.repeat(100))], { maxBulkBytes: 10 })
    expect(overLimit.failure?.cause).toBeInstanceOf(RespLimitError)
    expect(overLimit.commands).toEqual([])
  })
})
