import { describe, expect, test } from 'vitest'
import type { KeyRecord, PlainValue } from '../values.ts'
import { RdbWriteError } from './errors.ts'
import { integerEncodingOf } from './output.ts'
import { encodeRdb, RdbWriter } from './writer.ts'
import { hexBytes, readAll, toHex } from './test-util.ts'

const string = (value: string): PlainValue => ({ type: 'string', value })
const key = (k: string, value: PlainValue, db = 0, expireAt: number | null = null): KeyRecord => ({ db, key: k, value, expireAt })

/** The bytes the writer produces for one string value (after `REDIS0010 FE 00 00 01 6b`). */
function encodedString(value: string, compression = false): string {
  const w = new RdbWriter({ compression })
  w.writeHeader()
  w.writeKey(key('k', string(value)))
  return toHex(w.take()).slice(toHex(hexBytes('524544495330303130fe0000016b')).length)
}

describe('RdbWriter', () => {
  test('the one-key file of REDIS.md §8.6, byte for byte', () => {
    expect(toHex(encodeRdb([key('a', string('b'))]))).toBe('524544495330303130fe00fb01000001610162ff95635a2325984865')
  })

  test('an empty file', () => {
    const w = new RdbWriter()
    w.writeHeader()
    w.writeEnd()
    expect(toHex(w.take())).toBe('524544495330303130ffa9fd37fe89a77eeb')
  })

  test("reproduces Redis 7.0.15's 172-byte diskless payload from its AUX fields, integers int-encoded", () => {
    const w = new RdbWriter()
    w.writeHeader({
      'redis-ver': '7.0.15', 'redis-bits': 64, ctime: 1795528278, 'used-mem': 1013800, 'repl-stream-db': 0,
      'repl-id': '4eed2c88ca9d0774d9d0b16e0865e731a5a5d645', 'repl-offset': 0n, 'aof-base': 0,
    })
    w.writeEnd()
    const out = w.take()
    expect(out.length).toBe(172)
    expect(toHex(out)).toBe(
      '524544495330303130fa0972656469732d76657206372e302e3135fa0a72656469732d62697473c040fa056374696d65c25696056bfa08757365642d' +
        '6d656dc228780f00fa0e7265706c2d73747265616d2d6462c000fa077265706c2d69642834656564326338386361396430373734643964306231366530' +
        '383635653733316135613564363435fa0b7265706c2d6f6666736574c000fa08616f662d62617365c000ff1348ef85ba475ab8',
    )
  })

  test('integer-like strings are int-encoded exactly when string2ll would round-trip them (rdbTryIntegerEncoding)', () => {
    expect(encodedString('0')).toBe('c000')
    expect(encodedString('-1')).toBe('c0ff')
    expect(encodedString('127')).toBe('c07f')
    expect(encodedString('-128')).toBe('c080')
    expect(encodedString('128')).toBe('c18000')
    expect(encodedString('-32768')).toBe('c10080')
    expect(encodedString('32768')).toBe('c200800000')
    expect(encodedString('-2147483648')).toBe('c200000080')
    expect(encodedString('2147483647')).toBe('c2ffffff7f')
    // Out of int32, not canonical, or too long: plain strings.
    for (const s of ['2147483648', '-2147483649', '007', '+1', '-0', ' 1', '1 ', '1.0', '', '-', '9223372036854775807', '12345678901']) {
      expect(integerEncodingOf(s)).toBeNull()
      expect(encodedString(s)).toBe(toHex(Uint8Array.of(s.length, ...Array.from(s, (c) => c.charCodeAt(0)))))
    }
  })

  test('LZF only when compression is on, the string is over 20 bytes, and it saves at least 4 bytes', () => {
    expect(encodedString('a'.repeat(20), true)).toBe('14' + '61'.repeat(20))
    expect(encodedString('a'.repeat(21), true).slice(0, 2)).toBe('c3')
    expect(encodedString('a'.repeat(21), false).slice(0, 2)).toBe('15')
    const incompressible = String.fromCharCode(...Array.from({ length: 40 }, (_, i) => (i * 97 + 13) & 0xff))
    expect(encodedString(incompressible, true).slice(0, 2)).toBe('28')
    expect(readAll([encodeRdb([key('k', string('abc'.repeat(1000)))], {}, { compression: true })]).events[2]).toMatchObject({
      record: { value: { value: 'abc'.repeat(1000) } },
    })
  })

  test('take() slices concatenate to the one-shot file, with one CRC across them', () => {
    const records = Array.from({ length: 500 }, (_, i) => key(`k${i}`, string('v'.repeat(i % 50)), i % 3, i % 7 === 0 ? 1_700_000_000_000 + i : null))
    const w = new RdbWriter()
    const parts: Uint8Array[] = []
    w.writeHeader({ 'redis-ver': '7.0.15' })
    parts.push(w.take())
    for (const r of records) {
      w.writeKey(r)
      if (r.key.endsWith('3')) parts.push(w.take())
    }
    parts.push(w.take(), w.take())
    w.writeEnd()
    expect(w.bytesWritten).toBe(parts.reduce((n, p) => n + p.length, 0) + w.take().length)
  })

  test('take() slices give the same bytes as one take', () => {
    const write = (slices: boolean): Uint8Array[] => {
      const w = new RdbWriter()
      const out: Uint8Array[] = []
      w.writeHeader()
      for (let i = 0; i < 100; i++) {
        w.writeKey(key(`k${i}`, string(`v${i}`), i < 50 ? 0 : 1))
        if (slices) out.push(w.take())
      }
      w.writeEnd()
      out.push(w.take())
      return out
    }
    const one = write(false)[0]!
    const many = write(true)
    expect(Buffer.concat(many)).toEqual(Buffer.from(one))
    expect(readAll(many).events.at(-1)).toEqual({ kind: 'end', checksum: 'ok' })
  })

  test('AUX fields between keys (read back in place; redis-check-rdb accepts them there too)', () => {
    const w = new RdbWriter()
    w.writeHeader({ 'redis-ver': '7.0.15' })
    w.writeKey(key('k', string('v')))
    w.writeAux({ 'repl-id': 'a'.repeat(40), 'repl-offset': 123456789012, 'repl-stream-db': 2 })
    w.writeEnd()
    expect(readAll([w.take()]).events).toEqual([
      { kind: 'aux', key: 'redis-ver', value: '7.0.15' },
      { kind: 'db', db: 0 },
      { kind: 'key', record: key('k', string('v')) },
      { kind: 'aux', key: 'repl-id', value: 'a'.repeat(40) },
      { kind: 'aux', key: 'repl-offset', value: '123456789012' },
      { kind: 'aux', key: 'repl-stream-db', value: '2' },
      { kind: 'end', checksum: 'ok' },
    ])
  })

  test('checksum: false writes 8 zero bytes ("checksum disabled")', () => {
    const out = encodeRdb([key('a', string('b'))], {}, { checksum: false })
    expect(toHex(out.subarray(out.length - 8))).toBe('0000000000000000')
    expect(readAll([out]).events.at(-1)).toEqual({ kind: 'end', checksum: 'disabled' })
  })

  test('a key of another database selects it first; expiries are EXPIRETIME_MS little-endian', () => {
    const w = new RdbWriter()
    w.writeHeader()
    w.writeKey(key('x', string('1'), 3, 0x0102030405))
    expect(toHex(w.take())).toBe('524544495330303130' + 'fe03' + 'fc' + '0504030201000000' + '00' + '0178' + 'c001')
    expect(w.selectedDb).toBe(3)
  })

  test('empty collections are skipped entirely (redis-check-rdb rejects them)', () => {
    const w = new RdbWriter()
    w.writeHeader()
    const before = w.bytesWritten
    for (const value of [{ type: 'list', items: [] }, { type: 'set', members: [] }, { type: 'hash', fields: [] }, { type: 'zset', entries: [] }] as PlainValue[]) {
      expect(w.writeKey(key('empty', value, 0, 123))).toBe(false)
    }
    expect(w.bytesWritten).toBe(before)
    expect(w.writeKey(key('s', string('')))).toBe(true)
  })

  test('encodeRdb groups by database with RESIZEDB and skips databases left empty', () => {
    const out = encodeRdb([
      key('b1', string('x'), 1, 5), key('a0', string('y'), 0), key('b2', string('z'), 1), key('e', { type: 'list', items: [] }, 2),
    ])
    expect(readAll([out]).events.filter((e) => e.kind !== 'key')).toEqual([
      { kind: 'db', db: 0 }, { kind: 'resize-db', keys: 1, expires: 0 },
      { kind: 'db', db: 1 }, { kind: 'resize-db', keys: 2, expires: 1 },
      { kind: 'end', checksum: 'ok' },
    ])
  })

  describe('misuse and records Redis could not load', () => {
    const expectWriteError = (run: () => unknown, code: string, message: RegExp): void => {
      let error: unknown
      try { run() } catch (e) { error = e }
      expect(error).toBeInstanceOf(RdbWriteError)
      expect((error as RdbWriteError).code).toBe(code)
      expect((error as RdbWriteError).message).toMatch(message)
    }

    test('calls out of order', () => {
      const w = new RdbWriter()
      expectWriteError(() => w.writeKey(key('a', string('b'))), 'ERR_RDB_WRITER_STATE', /writeKey\(\) cannot be called before writeHeader\(\)/)
      w.writeHeader()
      expectWriteError(() => w.writeHeader(), 'ERR_RDB_WRITER_STATE', /after writeHeader/)
      w.writeEnd()
      expectWriteError(() => w.writeKey(key('a', string('b'))), 'ERR_RDB_WRITER_STATE', /after writeEnd\(\)/)
      expectWriteError(() => w.writeEnd(), 'ERR_RDB_WRITER_STATE', /after writeEnd\(\)/)
    })

    test('a NaN score, before any byte of the key is written', () => {
      const w = new RdbWriter()
      w.writeHeader()
      const before = w.bytesWritten
      expectWriteError(() => w.writeKey(key('z', { type: 'zset', entries: [['a', 1], ['b', NaN]] })), 'ERR_RDB_INVALID_RECORD', /Key "z" has a NaN score/)
      expect(w.bytesWritten).toBe(before)
    })

    test('databases out of range, bad expiries, duplicate keys, bad AUX values, unknown types', () => {
      const w = new RdbWriter({ databases: 4 })
      w.writeHeader()
      expectWriteError(() => w.selectDb(4), 'ERR_RDB_INVALID_RECORD', /Database 4 is outside 0\.\.3/)
      expectWriteError(() => w.selectDb(-1), 'ERR_RDB_INVALID_RECORD', /outside/)
      expectWriteError(() => w.writeKey(key('a', string('b'), 0, 1.5)), 'ERR_RDB_INVALID_RECORD', /expireAt 1\.5/)
      expectWriteError(() => w.writeKey(key('a', { type: 'stream' } as unknown as PlainValue)), 'ERR_RDB_INVALID_RECORD', /Unknown value type "stream"/)
      expectWriteError(() => encodeRdb([key('a', string('1')), key('a', string('2'))]), 'ERR_RDB_INVALID_RECORD', /Duplicate key "a" in db 0/)
      expectWriteError(() => new RdbWriter().writeHeader({ ctime: 1.5 }), 'ERR_RDB_INVALID_RECORD', /AUX field "ctime"/)
      expect(() => new RdbWriter({ databases: 0 })).toThrow(RangeError)
    })
  })
})
