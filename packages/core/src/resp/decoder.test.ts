import { describe, expect, test } from 'vitest'
import { RequestDecoder, RespDecoder, splitInlineArgs } from './decoder.ts'
import { encodeCommand, encodeValue } from './encoder.ts'
import { RespLimitError, RespProtocolError } from './errors.ts'
import { array, bulk, error, integer, simple, type RespValue } from './value.ts'
import { bytes, feeds } from './test-util.ts'

function decodeCommands(input: Uint8Array, chunks: Uint8Array[], options = {}): { commands: string[][]; sizes: number[] } {
  const decoder = new RequestDecoder(options)
  const commands: string[][] = []
  const sizes: number[] = []
  for (const chunk of chunks) {
    decoder.push(chunk)
    for (let c = decoder.next(); c !== undefined; c = decoder.next()) {
      commands.push(c)
      sizes.push(decoder.lastCommandBytes)
    }
  }
  expect(decoder.offset).toBe(input.length)
  return { commands, sizes }
}

function decodeValues(chunks: Uint8Array[], limits = {}): RespValue[] {
  const decoder = new RespDecoder(limits)
  const values: RespValue[] = []
  for (const chunk of chunks) {
    decoder.push(chunk)
    for (let v = decoder.next(); v !== undefined; v = decoder.next()) values.push(v)
  }
  return values
}

interface LimitCase {
  readonly input: string
  readonly options: object
  readonly limit: string
  readonly offset: number
  readonly reply: string
  readonly message: string | RegExp
}

function expectLimitError(run: () => unknown, c: LimitCase): void {
  let caught: unknown
  try {
    run()
  } catch (e) {
    caught = e
  }
  expect(caught).toBeInstanceOf(RespLimitError)
  const err = caught as RespLimitError
  expect(err.code).toBe('ERR_RESP_LIMIT')
  expect(err.limit).toBe(c.limit)
  expect(err.limitValue).toBe((c.options as Record<string, number>)[c.limit])
  expect(err.actual).toBeGreaterThan(err.limitValue)
  expect(err.offset).toBe(c.offset)
  expect(err.redisReply).toBe(c.reply)
  if (typeof c.message === 'string') expect(err.message).toBe(c.message)
  else expect(err.message).toMatch(c.message)
}

const binary = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i))

describe('RequestDecoder', () => {
  const commands = [
    ['SET', 'key', 'value'],
    ['PING'],
    ['SET', '', ''],
    ['SET', binary, '\r\n\r\n$3\r\n*1\r\n'],
    ['MSET', ...Array.from({ length: 100 }, (_, i) => `k${i}`)],
    ['SET', '__proto__', 'x'.repeat(70_000)],
  ]
  const input = bytes(commands.map((c) => String.fromCharCode(...encodeCommand(c))).join(''))

  for (const { name, chunks } of feeds(input)) {
    test(`round-trips multibulk commands fed ${name}`, () => {
      const { commands: decoded, sizes } = decodeCommands(input, chunks)
      expect(decoded).toEqual(commands)
      expect(sizes).toEqual(commands.map((c) => encodeCommand(c).length))
    })
  }

  // The decoder hands out a repeated command name as the same string: names that change, differ
  // only in case or length, or are too long to keep must still come out as sent.
  const names = [['SET', 'a', '1'], ['SET', 'b', '2'], ['set', 'c', '3'], ['SETNX', 'd', '4'], ['SET', 'e', '5'], ['SE', 'f'], ['S'.repeat(40)], ['S'.repeat(40)], ['S'.repeat(39) + 'T'], ['', 'g'], ['SET', 'h', '6']]
  const namesInput = bytes(names.map((c) => String.fromCharCode(...encodeCommand(c))).join(''))
  for (const { name, chunks } of feeds(namesInput)) {
    test(`repeated and changing command names fed ${name}`, () => {
      expect(decodeCommands(namesInput, chunks).commands).toEqual(names)
    })
  }

  const inline = bytes('PING\r\nSET a "b c" \'d\\\'e\'\n"\\x41\\n"\r\n\r\n\n')
  for (const { name, chunks } of feeds(inline)) {
    test(`reads inline commands and bare newlines fed ${name}`, () => {
      const { commands: decoded, sizes } = decodeCommands(inline, chunks)
      expect(decoded).toEqual([['PING'], ['SET', 'a', 'b c', "d'e"], ['A\n'], [], []])
      expect(sizes).toEqual([6, 19, 10, 2, 1])
    })
  }

  test('skips empty multibulk requests', () => {
    const input = bytes('*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n')
    expect(decodeCommands(input, [input]).commands).toEqual([['PING']])
  })

  test('offset stays at the start of a partial command', () => {
    const decoder = new RequestDecoder()
    decoder.push(bytes('*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n'))
    expect(decoder.next()).toEqual(['PING'])
    expect(decoder.next()).toBeUndefined()
    expect(decoder.offset).toBe(14)
    expect(decoder.buffered).toBe(13)
  })

  const malformed: Array<[string, string, string, number]> = [
    ['*x\r\n', 'Protocol error: invalid multibulk length', 'ERR_RESP_PROTOCOL', 0],
    ['*1\r\n+PING\r\n', "Protocol error: expected '$', got '+'", 'ERR_RESP_PROTOCOL', 4],
    ['*1\r\n$-2\r\n', 'Protocol error: invalid bulk length', 'ERR_RESP_PROTOCOL', 4],
    ['*1\r\n$abc\r\n', 'Protocol error: invalid bulk length', 'ERR_RESP_PROTOCOL', 4],
    ['*1\r\n$4\r\nPINGxx', 'Protocol error: invalid bulk length', 'ERR_RESP_PROTOCOL', 12],
    ['*1\n', 'Protocol error: invalid multibulk length', 'ERR_RESP_PROTOCOL', 0],
    ['SET "a\r\n', 'Protocol error: unbalanced quotes in request', 'ERR_RESP_PROTOCOL', 6],
    ['SET "a"b\r\n', 'Protocol error: unbalanced quotes in request', 'ERR_RESP_PROTOCOL', 6],
  ]
  for (const [input, reply, code, offset] of malformed) {
    for (const { name, chunks } of feeds(bytes(input))) {
      test(`${JSON.stringify(input)} fed ${name} gives "${reply}" at byte ${offset}`, () => {
        let caught: unknown
        try {
          decodeCommands(bytes(input), chunks)
        } catch (e) {
          caught = e
        }
        expect(caught).toBeInstanceOf(RespProtocolError)
        const err = caught as RespProtocolError
        expect(err.redisReply).toBe(reply)
        expect(err.code).toBe(code)
        expect(err.offset).toBe(offset)
        expect(err.message).toContain(`at byte ${offset}`)
      })
    }
  }

  // Each limit is checked fed whole, byte by byte and in uneven chunks: a limit must not depend on how
  // the bytes arrive. A line's length is what was seen before the limit tripped, so it varies by feed.
  const requestLimits: LimitCase[] = [
    { input: '*2\r\n$3\r\nSET\r\n$11\r\n', options: { maxBulkBytes: 10 }, limit: 'maxBulkBytes', offset: 13, reply: 'Protocol error: invalid bulk length', message: 'Bulk length 11 at byte 13 exceeds maxBulkBytes (10); raise the maxBulkBytes option if this is intended.' },
    { input: '*4\r\n', options: { maxArrayLength: 3 }, limit: 'maxArrayLength', offset: 0, reply: 'Protocol error: invalid multibulk length', message: 'Command with argument count 4 at byte 0 exceeds maxArrayLength (3); raise the maxArrayLength option if this is intended.' },
    { input: 'SET aaaaaaaaaaaa', options: { maxInlineBytes: 8 }, limit: 'maxInlineBytes', offset: 0, reply: 'Protocol error: too big inline request', message: /^Inline command line of (9|1\d) bytes without CRLF at byte 0 exceeds maxInlineBytes \(8\)/ },
    { input: '*1\r\n$0000000000000', options: { maxInlineBytes: 8 }, limit: 'maxInlineBytes', offset: 4, reply: 'Protocol error: too big bulk count string', message: /^Bulk header line of (9|1\d) bytes without CRLF at byte 4 exceeds maxInlineBytes \(8\)/ },
  ]
  for (const c of requestLimits) {
    for (const { name, chunks } of feeds(bytes(c.input))) {
      test(`${c.limit} ${JSON.stringify(c.options)}: ${JSON.stringify(c.input)} fed ${name} is refused at byte ${c.offset}`, () => {
        expectLimitError(() => decodeCommands(bytes(c.input), chunks, c.options), c)
      })
    }
  }

  test('inline commands can be refused (a master stream never carries them)', () => {
    const decoder = new RequestDecoder({ allowInline: false })
    decoder.push(bytes('\nPING\r\n'))
    expect(decoder.next()).toEqual([])
    expect(() => decoder.next()).toThrow(RespProtocolError)
  })

  // Commands that lie whole in one chunk are read by a fast path; byte by byte they never do. Both
  // must give the same commands, sizes and errors (class, reply, offset), including at the edges
  // the fast path hands over to the general one.
  describe('the in-chunk fast path agrees with the general path', () => {
    type Outcome = { commands: string[][]; sizes: number[]; offset: number } | { error: string; reply: string; at: number }
    const run = (input: Uint8Array, chunks: Uint8Array[], options: object): Outcome => {
      const decoder = new RequestDecoder(options)
      const commands: string[][] = []
      const sizes: number[] = []
      try {
        for (const chunk of chunks) {
          decoder.push(chunk)
          for (let c = decoder.next(); c !== undefined; c = decoder.next()) {
            commands.push(c)
            sizes.push(decoder.lastCommandBytes)
          }
        }
      } catch (e) {
        const err = e as RespProtocolError
        return { error: err.constructor.name, reply: err.redisReply, at: err.offset }
      }
      return { commands, sizes, offset: decoder.offset }
    }
    const same = (text: string, options: object = {}): void => {
      const input = bytes(text)
      const [whole, ...others] = feeds(input).map(({ chunks }) => run(input, chunks, options))
      for (const other of others) expect(whole).toEqual(other)
    }

    const edges: Array<[string, object]> = [
      ['*01\r\n$4\r\nPING\r\n', {}],
      ['*1\r\n$04\r\nPING\r\n', {}],
      ['*1\r\n$0\r\n\r\n*2\r\n$0\r\n\r\n$1\r\nx\r\n', {}],
      ['*0\r\n*1\r\n$1\r\na\r\n*-1\r\n*1\r\n$1\r\nb\r\n', {}],
      ['*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\n0123456789\r\n', { maxBulkBytes: 10 }],
      ['*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$11\r\n0123456789a\r\n', { maxBulkBytes: 10 }],
      ['*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n', { maxArrayLength: 3 }],
      ['*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$1\r\nw\r\n', { maxArrayLength: 3 }],
      ['*1\r\n$99999999999999999999\r\n', {}],
      ['*99999999999999999999\r\n', {}],
      ['*2\r\n$1\r\na\r\n$1\r\nbXY', {}],
      ['*2\r\n$1\r\na\r\n:1\r\n', {}],
      ['*1\r\n$1\ra\r\n', {}],
      ['*1\n$1\r\na\r\n', {}],
      ['*1\r\n$+1\r\na\r\n', {}],
      ['*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n*1\r\n$4\r\nPI', {}],
    ]
    for (const [text, options] of edges) {
      test(`${JSON.stringify(text).slice(0, 60)} ${JSON.stringify(options)}`, () => same(text, options))
    }

    test('random mutations of a pipelined burst (seeded)', () => {
      let seed = 0x2545f491
      const random = (n: number): number => {
        seed ^= seed << 13
        seed ^= seed >>> 17
        seed ^= seed << 5
        return (seed >>> 0) % n
      }
      const alphabet = '*$\r\n0123456789-+:xSETk'
      for (let round = 0; round < 400; round++) {
        const commands = Array.from({ length: 1 + random(4) }, () =>
          String.fromCharCode(...encodeCommand(Array.from({ length: 1 + random(3) }, () => 'ab\r\n$*'.repeat(random(3)) + 'k'.repeat(random(12))))))
        const chars = commands.join('').split('')
        for (let m = random(3); m > 0; m--) chars[random(chars.length)] = alphabet[random(alphabet.length)]!
        same(chars.join(''), random(2) === 0 ? {} : { maxBulkBytes: 1 + random(12), maxArrayLength: 1 + random(3) })
      }
    })

    // maxInlineBytes is the one limit whose outcome depends on chunking in the general path, as in
    // Redis: a header is refused once more than maxInlineBytes bytes wait without a complete line,
    // so a header of exactly maxInlineBytes chars passes when its CRLF comes with it, and not when
    // its CR comes alone. Fed whole, the fast path must do what the general path does fed whole.
    test('a header of exactly maxInlineBytes chars passes when whole; one more is refused', () => {
      const input = bytes('*1\r\n$12\r\n0123456789ab\r\n')
      expect(run(input, [input], { maxInlineBytes: 3 })).toEqual({ commands: [['0123456789ab']], sizes: [23], offset: 23 })
      const longer = bytes(`*1\r\n$123\r\n${'x'.repeat(123)}\r\n`)
      expect(run(longer, [longer], { maxInlineBytes: 4 })).toEqual({ commands: [['x'.repeat(123)]], sizes: [135], offset: 135 })
      expect(run(longer, [longer], { maxInlineBytes: 3 })).toEqual({ error: 'RespLimitError', reply: 'Protocol error: too big bulk count string', at: 4 })
    })
  })

  test('a large bulk arriving in small chunks is read in linear time', () => {
    const value = 'v'.repeat(4 * 1024 * 1024)
    const input = encodeCommand(['SET', 'k', value])
    const decoder = new RequestDecoder()
    let result: string[] | undefined
    for (let i = 0; i < input.length; i += 1024) {
      decoder.push(input.subarray(i, i + 1024))
      result = decoder.next() ?? result
    }
    expect(result?.[2]?.length).toBe(value.length)
  })
})

describe('splitInlineArgs', () => {
  test('follows sdssplitargs quoting', () => {
    expect(splitInlineArgs(bytes('  a  "b\\tc"   \'\\\'\' "\\x00\\xff" '))).toEqual(['a', 'b\tc', "'", '\x00\xff'])
    expect(splitInlineArgs(bytes('""'))).toEqual([''])
  })
})

describe('RespDecoder', () => {
  const values: RespValue[] = [
    simple('OK'),
    error('ERR wrong number of arguments for \'set\' command'),
    integer(0),
    integer(-42),
    integer(9007199254740993n),
    bulk(null),
    bulk(''),
    bulk(binary),
    array(null),
    array([]),
    array([bulk('a'), integer(1), array([simple('x'), array([bulk(null)])]), error('E')]),
  ]
  const input = bytes(values.map((v) => String.fromCharCode(...encodeValue(v))).join(''))
  for (const { name, chunks } of feeds(input)) {
    test(`round-trips every RESP2 type fed ${name}`, () => {
      expect(decodeValues(chunks)).toEqual(values)
    })
  }

  const malformed: Array<[string, string, number]> = [
    ['?x\r\n', "unknown type byte '?'", 0],
    ['$2\r\nabc\r\n', 'not followed by CRLF', 6],
    ['$-5\r\n', 'invalid bulk length', 0],
    [':12a\r\n', 'invalid integer', 0],
    ['*1\r\n*x\r\n', 'invalid multibulk length', 4],
    ['+OK\n', 'LF without CR', 0],
  ]
  for (const [input, message, offset] of malformed) {
    for (const { name, chunks } of feeds(bytes(input))) {
      test(`${JSON.stringify(input)} fed ${name} is refused at byte ${offset}`, () => {
        expect(() => decodeValues(chunks)).toThrow(expect.objectContaining({ code: 'ERR_RESP_PROTOCOL', offset, message: expect.stringContaining(message) }))
      })
    }
  }

  const replyLimits: LimitCase[] = [
    { input: '$11\r\n', options: { maxBulkBytes: 10 }, limit: 'maxBulkBytes', offset: 0, reply: 'Protocol error: invalid bulk length', message: 'Bulk length 11 at byte 0 exceeds maxBulkBytes (10); raise the maxBulkBytes option if this is intended.' },
    { input: '*1\r\n$11\r\n', options: { maxBulkBytes: 10 }, limit: 'maxBulkBytes', offset: 4, reply: 'Protocol error: invalid bulk length', message: 'Bulk length 11 at byte 4 exceeds maxBulkBytes (10); raise the maxBulkBytes option if this is intended.' },
    { input: '*4\r\n', options: { maxArrayLength: 3 }, limit: 'maxArrayLength', offset: 0, reply: 'Protocol error: invalid multibulk length', message: 'Array length 4 at byte 0 exceeds maxArrayLength (3); raise the maxArrayLength option if this is intended.' },
    { input: '+aaaaaaaaaaaa', options: { maxInlineBytes: 8 }, limit: 'maxInlineBytes', offset: 0, reply: 'Protocol error: too big reply line', message: /^Reply line of (9|1\d) bytes without CRLF at byte 0 exceeds maxInlineBytes \(8\)/ },
    { input: '*1\r\n*1\r\n*1\r\n:1\r\n', options: { maxArrayDepth: 2 }, limit: 'maxArrayDepth', offset: 8, reply: 'Protocol error: too deeply nested reply', message: 'Array nesting depth 3 at byte 8 exceeds maxArrayDepth (2); raise the maxArrayDepth option if this is intended.' },
  ]
  for (const c of replyLimits) {
    for (const { name, chunks } of feeds(bytes(c.input))) {
      test(`${c.limit} ${JSON.stringify(c.options)}: ${JSON.stringify(c.input)} fed ${name} is refused at byte ${c.offset}`, () => {
        expectLimitError(() => decodeValues(chunks, c.options), c)
      })
    }
  }

  test('takeRemaining hands over the bytes after the last value', () => {
    const decoder = new RespDecoder()
    decoder.push(bytes('+FULLRESYNC abc 0\r\n$5\r\nREDIS'))
    expect(decoder.next()).toEqual(simple('FULLRESYNC abc 0'))
    expect(String.fromCharCode(...decoder.takeRemaining())).toBe('$5\r\nREDIS')
  })
})
