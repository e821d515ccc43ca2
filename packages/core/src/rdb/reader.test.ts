import { describe, expect, test } from 'vitest'
import type { KeyRecord, PlainValue } from '../values.ts'
import { lzfCompress } from './lzf.ts'
import { RdbReader, type RdbEvent } from './reader.ts'
import {
  ALL_BYTES, bytes, f64le, feeds, hexBytes, i64le, intset, len, listpack, rdbFile, readAll, str, u32le, ziplist, zipmap,
} from './test-util.ts'
import { encodeRdb } from './writer.ts'

const keysOf = (events: readonly RdbEvent[]): KeyRecord[] =>
  events.flatMap((e) => (e.kind === 'key' ? [e.record] : []))
const rec = (key: string, value: PlainValue, db = 0, expireAt: number | null = null): KeyRecord => ({ db, key, value, expireAt })

/** An LZF-compressed RDB string (0xC3 <clen> <len> <data>). */
function lzfString(s: string | Uint8Array): number[] {
  const src = typeof s === 'string' ? bytes(s) : s
  const out = new Uint8Array(src.length + 64)
  const n = lzfCompress(src, 0, src.length, out, 0, src.length - 4)
  if (n === 0) throw new Error('test string does not compress')
  return [0xc3, ...len(n), ...len(src.length), ...out.subarray(0, n)]
}

const INTEGER_LIKE = [
  '0', '-1', '1', '007', '-0', '+1', '127', '128', '-128', '-129', '255', '256', '32767', '32768', '-32768', '-32769',
  '65535', '65536', '2147483647', '2147483648', '-2147483648', '-2147483649', '4294967296', '9223372036854775807',
  '-9223372036854775808', '9223372036854775808', '1e3', '1.5', ' 1', '',
]

describe('RdbReader: round trips of the writer', () => {
  const records: KeyRecord[] = [
    rec('plain', { type: 'string', value: 'hello' }),
    rec('empty', { type: 'string', value: '' }),
    rec(ALL_BYTES, { type: 'string', value: ALL_BYTES + ALL_BYTES }),
    rec('__proto__', { type: 'string', value: '__proto__' }),
    rec('constructor', { type: 'hash', fields: [['__proto__', 'x'], ['constructor', ''], [ALL_BYTES, ALL_BYTES]] }),
    ...INTEGER_LIKE.map((s, i) => rec(`int:${i}`, { type: 'string', value: s })),
    rec('ints-as-keys', { type: 'set', members: INTEGER_LIKE }),
    rec('list', { type: 'list', items: ['a', '', 'a', ALL_BYTES, '1', '-1', '007', 'x'.repeat(70_000)] }),
    rec('set', { type: 'set', members: ['a', '', ALL_BYTES, '12', '-12'] }),
    rec('hash', { type: 'hash', fields: [['f', 'v'], ['', ''], ['1', '2'], ['big', 'y'.repeat(20_000)]] }),
    rec('zset', { type: 'zset', entries: [['a', 1], ['b', -2.5], ['c', Infinity], ['d', -Infinity], ['e', 0], ['f', -0], ['g', 1e-300], ['h', Number.MAX_VALUE]] }),
    rec('expiring', { type: 'string', value: 'soon' }, 0, 1_795_528_378_938),
    rec('expired', { type: 'list', items: ['old'] }, 0, 1),
    rec('far', { type: 'string', value: 'x' }, 0, 8_640_000_000_000_000),
    rec('db1', { type: 'string', value: 'one' }, 1),
    rec('db1-hash', { type: 'hash', fields: [['a', 'b']] }, 1, 2_000_000_000_000),
    rec('db15', { type: 'zset', entries: [['m', 3]] }, 15),
  ]
  for (const compression of [false, true]) {
    const file = encodeRdb(records, { 'redis-ver': '7.0.15', 'redis-bits': 64 }, { compression })
    for (const { name, chunks } of feeds(file)) {
      test(`every type, binary, integer-like, expiries, 3 databases; compression ${compression ? 'on' : 'off'}; fed ${name}`, () => {
        const { events, warnings } = readAll(chunks)
        expect(keysOf(events)).toEqual(records)
        expect(events.slice(0, 2)).toEqual([{ kind: 'aux', key: 'redis-ver', value: '7.0.15' }, { kind: 'aux', key: 'redis-bits', value: '64' }])
        expect(events.filter((e) => e.kind === 'db')).toEqual([{ kind: 'db', db: 0 }, { kind: 'db', db: 1 }, { kind: 'db', db: 15 }])
        expect(events.at(-1)).toEqual({ kind: 'end', checksum: 'ok' })
        expect(warnings).toEqual([])
      })
    }
  }

  test('negative zero and other scores survive bit for bit', () => {
    const { events } = readAll([encodeRdb([rec('z', { type: 'zset', entries: [['a', -0], ['b', 5e-324]] })])])
    const entries = (keysOf(events)[0]!.value as Extract<PlainValue, { type: 'zset' }>).entries
    expect(Object.is(entries[0]![1], -0)).toBe(true)
    expect(entries[1]![1]).toBe(5e-324)
  })

  test('large collections, fed whole and in uneven chunks', () => {
    const n = 60_000
    const big: KeyRecord[] = [
      rec('list', { type: 'list', items: Array.from({ length: n }, (_, i) => `item:${i}`) }),
      rec('set', { type: 'set', members: Array.from({ length: n }, (_, i) => String(i * 7)) }),
      rec('hash', { type: 'hash', fields: Array.from({ length: n }, (_, i) => [`f${i}`, `v${i % 100}`] as const) }),
      rec('zset', { type: 'zset', entries: Array.from({ length: n }, (_, i) => [`m${i}`, i / 3] as const) }),
    ]
    const file = encodeRdb(big)
    expect(keysOf(readAll([file]).events)).toEqual(big)
    const chunks: Uint8Array[] = []
    for (let at = 0, step = 1; at < file.length; at += step, step = (step * 13) % 997 + 1) chunks.push(file.subarray(at, at + step))
    expect(keysOf(readAll(chunks).events)).toEqual(big)
  })

  test('input arriving in small pieces is read in linear time (an 8 MB value in 64-byte chunks, 200k items in 5-byte chunks)', () => {
    // A reader that re-parsed or re-merged its buffer on every chunk would take minutes here.
    const file = encodeRdb([
      rec('big', { type: 'string', value: 'v'.repeat(8 * 1024 * 1024) }),
      rec('many', { type: 'list', items: Array.from({ length: 200_000 }, (_, i) => String(i)) }),
    ])
    const reader = new RdbReader()
    const events: RdbEvent[] = []
    const split = file.length - 1_200_000
    for (let at = 0; at < split; at += 64) events.push(...reader.push(file.subarray(at, Math.min(split, at + 64))))
    for (let at = split; at < file.length; at += 5) events.push(...reader.push(file.subarray(at, at + 5)))
    reader.finish()
    const keys = keysOf(events)
    expect(keys.map((k) => k.key)).toEqual(['big', 'many'])
    expect((keys[1]!.value as Extract<PlainValue, { type: 'list' }>).items.length).toBe(200_000)
    expect(reader.bytesRead).toBe(file.length)
  })
})

describe('RdbReader: golden files from Redis (REDIS.md §8.6)', () => {
  const REAL_7_0_15 = hexBytes(
    '524544495330303130fa0972656469732d76657206372e302e3135fa0a72656469732d62697473c040fa056374696d65c25696056bfa087573' +
      '65642d6d656dc228780f00fa0e7265706c2d73747265616d2d6462c000fa077265706c2d6964283465656432633838636139643037373464' +
      '3964306231366530383635653733316135613564363435fa0b7265706c2d6f6666736574c000fa08616f662d62617365c000ff1348ef85ba475ab8',
  )
  for (const { name, chunks } of feeds(REAL_7_0_15)) {
    test(`the real 7.0.15 172-byte payload with its AUX fields, fed ${name}`, () => {
      expect(REAL_7_0_15.length).toBe(172)
      expect(readAll(chunks).events).toEqual([
        { kind: 'aux', key: 'redis-ver', value: '7.0.15' },
        { kind: 'aux', key: 'redis-bits', value: '64' },
        { kind: 'aux', key: 'ctime', value: '1795528278' },
        { kind: 'aux', key: 'used-mem', value: '1013800' },
        { kind: 'aux', key: 'repl-stream-db', value: '0' },
        { kind: 'aux', key: 'repl-id', value: '4eed2c88ca9d0774d9d0b16e0865e731a5a5d645' },
        { kind: 'aux', key: 'repl-offset', value: '0' },
        { kind: 'aux', key: 'aof-base', value: '0' },
        { kind: 'end', checksum: 'ok' },
      ])
    })
  }

  test('the one-key file and the empty v10 and v11 files', () => {
    expect(readAll([hexBytes('524544495330303130fe00fb01000001610162ff95635a2325984865')]).events).toEqual([
      { kind: 'db', db: 0 },
      { kind: 'resize-db', keys: 1, expires: 0 },
      { kind: 'key', record: rec('a', { type: 'string', value: 'b' }) },
      { kind: 'end', checksum: 'ok' },
    ])
    expect(readAll([hexBytes('524544495330303130ffa9fd37fe89a77eeb')]).events).toEqual([{ kind: 'end', checksum: 'ok' }])
    const v11 = new RdbReader()
    expect(v11.push(hexBytes('524544495330303131ffc0228a8d74389762'))).toEqual([{ kind: 'end', checksum: 'ok' }])
    expect(v11.version).toBe(11)
    expect(v11.done).toBe(true)
  })
})

// Encodings Redis 7 still loads but writes no more (or only from 7.2/7.4), built by hand.
const MODULE_CHARSET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
function moduleId(name: string, encver: number): bigint {
  let id = 0n
  for (const c of name) id = (id << 6n) | BigInt(MODULE_CHARSET.indexOf(c))
  return (id << 10n) | BigInt(encver)
}
const moduleIdBytes = (id: bigint): number[] => [0x81, ...Array.from({ length: 8 }, (_, i) => Number((id >> BigInt(56 - 8 * i)) & 0xffn))]
const MODULE_PAYLOAD = [
  ...len(1), ...len(300), // SINT
  ...len(2), ...len(5), // UINT
  ...len(3), 0, 0, 0x80, 0x3f, // FLOAT
  ...len(4), ...f64le(2.5), // DOUBLE
  ...len(5), ...str('module string'), // STRING
  ...len(5), ...lzfString('compressed module string '.repeat(4)),
  ...len(0), // EOF
]
const streamId = (ms: number, seq: number): number[] => [...i64le(ms).reverse(), ...i64le(seq).reverse()]
function stream(version: 1 | 2 | 3): number[] {
  const out = [...len(1), ...str(Uint8Array.from(streamId(1, 0))), ...str(listpack([3, 0, 1, 'field', 0, 0, 0, 'value', 4]))]
  out.push(...len(3), ...len(1700000000000), ...len(2)) // length, last id
  if (version >= 2) out.push(...len(1), ...len(0), ...len(0), ...len(0), ...len(3)) // first id, max deleted id, entries added
  out.push(...len(1)) // one group
  out.push(...str('group'), ...len(1), ...len(0))
  if (version >= 2) out.push(...len(2))
  out.push(...len(1), ...streamId(1, 0), ...i64le(1700000000000), ...len(1)) // global PEL
  out.push(...len(1), ...str('consumer'), ...i64le(1700000000000)) // one consumer, seen time
  if (version >= 3) out.push(...i64le(1700000000001)) // active time
  out.push(...len(1), ...streamId(1, 0)) // consumer PEL
  return out
}

describe('RdbReader: every encoding Redis 2.4-7.4 writes', () => {
  const cases: Array<{ name: string; body: number[]; version?: number; expected: KeyRecord[]; warnings?: string[] }> = [
    {
      name: 'type 9 hash zipmap',
      body: [9, ...str('zm'), ...str(zipmap([['f', 'v'], ['big', 'x'.repeat(300)]], 2))],
      expected: [rec('zm', { type: 'hash', fields: [['f', 'v'], ['big', 'x'.repeat(300)]] })],
    },
    {
      name: 'type 10 list ziplist',
      body: [10, ...str('zl'), ...str(ziplist(['a', 7, -70000, 'x'.repeat(100), 12, 9223372036854775807n]))],
      expected: [rec('zl', { type: 'list', items: ['a', '7', '-70000', 'x'.repeat(100), '12', '9223372036854775807'] })],
    },
    {
      name: 'type 11 intset (16, 32, 64 bits)',
      body: [
        11, ...str('i16'), ...str(intset([-5, 1, 300], 2)),
        11, ...str('i32'), ...str(intset([-70000, 70000], 4)),
        11, ...str('i64'), ...str(intset([-(2n ** 63n), 2n ** 62n], 8)),
      ],
      expected: [
        rec('i16', { type: 'set', members: ['-5', '1', '300'] }),
        rec('i32', { type: 'set', members: ['-70000', '70000'] }),
        rec('i64', { type: 'set', members: ['-9223372036854775808', '4611686018427387904'] }),
      ],
    },
    {
      name: 'type 12 zset ziplist with integer, decimal and infinite scores',
      body: [12, ...str('zz'), ...str(ziplist(['a', 1, 'b', '2.5', 'c', 'inf', 'd', '-inf', 'e', '1e3', 5, -7]))],
      expected: [rec('zz', { type: 'zset', entries: [['a', 1], ['b', 2.5], ['c', Infinity], ['d', -Infinity], ['e', 1000], ['5', -7]] })],
    },
    {
      name: 'type 13 hash ziplist',
      body: [13, ...str('hz'), ...str(ziplist(['f', 'v', 1, 2, '__proto__', 'p']))],
      expected: [rec('hz', { type: 'hash', fields: [['f', 'v'], ['1', '2'], ['__proto__', 'p']] })],
    },
    {
      name: 'type 14 quicklist of ziplists (an empty node skipped, as Redis does; an LZF-compressed node)',
      body: [14, ...str('ql'), ...len(3), ...str(ziplist(['a', 1])), ...str(ziplist([])), ...lzfString(ziplist(['b', 'c'.repeat(40)]))],
      expected: [rec('ql', { type: 'list', items: ['a', '1', 'b', 'c'.repeat(40)] })],
    },
    {
      name: 'type 16 hash listpack, 17 zset listpack, 20 set listpack',
      body: [
        16, ...str('hl'), ...str(listpack(['f1', 'v1', 'f2', 42, 100000, 'x'])),
        17, ...str('zl'), ...str(listpack(['m1', 10, 'm2', '1.5', 'm3', '-inf', 'm4', '3.0000000000000001e-05'])),
        20, ...str('sl'), ...str(listpack(['a', 1, -4000, 'b'])),
      ],
      expected: [
        rec('hl', { type: 'hash', fields: [['f1', 'v1'], ['f2', '42'], ['100000', 'x']] }),
        rec('zl', { type: 'zset', entries: [['m1', 10], ['m2', 1.5], ['m3', -Infinity], ['m4', 3.0000000000000001e-5]] }),
        rec('sl', { type: 'set', members: ['a', '1', '-4000', 'b'] }),
      ],
    },
    {
      name: 'type 18 quicklist 2: PACKED, PLAIN and LZF-compressed nodes',
      body: [
        18, ...str('q2'), ...len(4),
        ...len(2), ...str(listpack(['a', 'b'.repeat(30), 5])),
        ...len(1), ...str('P'.repeat(9000)),
        ...len(1), ...lzfString('plain and compressed '.repeat(500)),
        ...len(2), ...lzfString(listpack(['rep'.repeat(30), 'rep'.repeat(30)])),
      ],
      expected: [rec('q2', { type: 'list', items: ['a', 'b'.repeat(30), '5', 'P'.repeat(9000), 'plain and compressed '.repeat(500), 'rep'.repeat(30), 'rep'.repeat(30)] })],
    },
    {
      name: 'type 3 zset with string scores (253/254/255 specials)',
      body: [3, ...str('z3'), ...len(4), ...str('a'), 3, ...bytes('1.5'), ...str('b'), 254, ...str('c'), 255, ...str('d'), 2, ...bytes('-7')],
      expected: [rec('z3', { type: 'zset', entries: [['a', 1.5], ['b', Infinity], ['c', -Infinity], ['d', -7]] })],
    },
    {
      name: 'plain types with int-encoded and LZF elements',
      body: [
        1, ...str('l'), ...len(3), 0xc0, 0x85, 0xc1, 0x00, 0x80, ...lzfString('abcabcabcabcabcabcabcabc'),
        2, ...str('s'), ...len(2), 0xc2, ...u32le(100000), ...str('x'),
        4, ...str('h'), ...len(1), ...lzfString('field'.repeat(10)), 0xc0, 0x07,
        5, ...str('z'), ...len(1), 0xc0, 0x01, ...f64le(0.25),
      ],
      expected: [
        rec('l', { type: 'list', items: ['-123', '-32768', 'abcabcabcabcabcabcabcabc'] }),
        rec('s', { type: 'set', members: ['100000', 'x'] }),
        rec('h', { type: 'hash', fields: [['field'.repeat(10), '7']] }),
        rec('z', { type: 'zset', entries: [['1', 0.25]] }),
      ],
    },
    {
      name: 'EXPIRETIME in seconds, EXPIRETIME_MS, FREQ, IDLE and SLOT_INFO around keys',
      body: [
        0xfd, ...u32le(1700000000), 0, ...str('secs'), ...str('v'),
        0xf9, 5, 0xf8, ...len(1000), 0xfc, ...i64le(1700000000123), 0, ...str('ms'), ...str('v'),
        0xf4, ...len(100), ...len(2), ...len(1),
        0, ...str('none'), ...str('v'),
      ],
      expected: [
        rec('secs', { type: 'string', value: 'v' }, 0, 1700000000000),
        rec('ms', { type: 'string', value: 'v' }, 0, 1700000000123),
        rec('none', { type: 'string', value: 'v' }),
      ],
    },
    {
      name: 'Redis 7.4 hashes with field TTLs (types 22-25): fields kept, TTLs dropped with a warning',
      version: 12,
      body: [
        24, ...str('h24'), ...i64le(1700000000000), ...len(2), ...len(0), ...str('a'), ...str('1'), ...len(5), ...str('b'), ...str('2'),
        25, ...str('h25'), ...i64le(1700000000000), ...str(listpack(['a', '1', 0, 'b', '2', 1700000000500])),
        22, ...str('h22'), ...len(1), ...len(1700000000000), ...str('c'), ...str('3'),
        23, ...str('h23'), ...str(listpack(['d', '4', 0])),
      ],
      expected: [
        rec('h24', { type: 'hash', fields: [['a', '1'], ['b', '2']] }),
        rec('h25', { type: 'hash', fields: [['a', '1'], ['b', '2']] }),
        rec('h22', { type: 'hash', fields: [['c', '3']] }),
        rec('h23', { type: 'hash', fields: [['d', '4']] }),
      ],
      warnings: ['WARN_RDB_FIELD_TTLS_DROPPED', 'WARN_RDB_FIELD_TTLS_DROPPED', 'WARN_RDB_FIELD_TTLS_DROPPED'],
    },
    {
      name: 'module values, module AUX, functions and streams are skipped with warnings, keys after them read',
      version: 11,
      body: [
        0xf7, ...moduleIdBytes(moduleId('mymodtype', 3)), ...len(2), ...len(2), ...MODULE_PAYLOAD,
        0xf5, ...str('#!lua name=mylib\nredis.register_function("f", function() return 1 end)'),
        0xf6, ...str('lib'), ...str('LUA'), ...len(1), ...str('desc'), ...str('return 1'),
        0xfe, 2,
        7, ...str('mod'), ...moduleIdBytes(moduleId('mymodtype', 3)), ...MODULE_PAYLOAD,
        15, ...str('s1'), ...stream(1),
        19, ...str('s2'), ...stream(2),
        21, ...str('s3'), ...stream(3),
        0, ...str('after'), ...str('ok'),
      ],
      expected: [rec('after', { type: 'string', value: 'ok' }, 2)],
      warnings: [
        'WARN_RDB_MODULE_AUX_SKIPPED', 'WARN_RDB_FUNCTION_SKIPPED', 'WARN_RDB_FUNCTION_SKIPPED', 'WARN_RDB_MODULE_VALUE_SKIPPED',
        'WARN_RDB_STREAM_SKIPPED', 'WARN_RDB_STREAM_SKIPPED', 'WARN_RDB_STREAM_SKIPPED',
      ],
    },
    {
      name: 'empty collections are skipped with a warning, as Redis does',
      body: [1, ...str('el'), ...len(0), 2, ...str('es'), ...len(0), 0, ...str('k'), ...str('v')],
      expected: [rec('k', { type: 'string', value: 'v' })],
      warnings: ['WARN_RDB_EMPTY_KEY_SKIPPED', 'WARN_RDB_EMPTY_KEY_SKIPPED'],
    },
  ]
  for (const c of cases) {
    const file = rdbFile(c.body, { version: c.version ?? 10 })
    for (const { name, chunks } of feeds(file)) {
      test(`${c.name}, fed ${name}`, () => {
        const { events, warnings } = readAll(chunks)
        expect(keysOf(events)).toEqual(c.expected)
        expect(warnings.map((w) => w.code)).toEqual(c.warnings ?? [])
        expect(events.at(-1)).toEqual({ kind: 'end', checksum: 'ok' })
      })
    }
  }

  test('warnings name the key, the database, the module and the offset', () => {
    const file = rdbFile([0xfe, 3, 7, ...str('mod'), ...moduleIdBytes(moduleId('mymodtype', 3)), ...MODULE_PAYLOAD])
    const { warnings } = readAll([file])
    expect(warnings).toEqual([{
      code: 'WARN_RDB_MODULE_VALUE_SKIPPED',
      message: `key "mod" in db 3: a value of module type 'mymodtype' was skipped: Replicast has no modules (at byte 11)`,
      offset: 11, key: 'mod', db: 3,
    }])
    const reader = new RdbReader()
    reader.push(file)
    expect(reader.warnings).toEqual(warnings)
    expect(reader.warningCount).toBe(1)
  })

  test('versions 1 to 12 are accepted; before 5 there is no checksum', () => {
    for (let version = 1; version <= 12; version++) {
      const file = rdbFile([0xfe, 0, 0xfc, ...i64le(5), 0, ...str('k'), ...str('v')], { version })
      const { events } = readAll([file])
      expect(keysOf(events)).toEqual([rec('k', { type: 'string', value: 'v' }, 0, 5)])
      expect(events.at(-1)).toEqual({ kind: 'end', checksum: version < 5 ? 'disabled' : 'ok' })
    }
  })

  test('a file saved with rdbchecksum no (8 zero bytes) reports checksum disabled', () => {
    expect(readAll([rdbFile([0, ...str('k'), ...str('v')], { checksum: false })]).events.at(-1)).toEqual({ kind: 'end', checksum: 'disabled' })
  })

  test('bytesRead counts consumed bytes; pushing empty chunks is harmless', () => {
    const file = encodeRdb([rec('k', { type: 'string', value: 'v' })])
    const reader = new RdbReader()
    expect(reader.push(new Uint8Array(0))).toEqual([])
    reader.push(file.subarray(0, 12))
    expect(reader.bytesRead).toBe(11) // header, SELECTDB 0: the RESIZEDB is incomplete
    reader.push(file.subarray(12))
    expect(reader.bytesRead).toBe(file.length)
    reader.finish()
  })
})
