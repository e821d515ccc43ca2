import { describe, expect, test } from 'vitest'
import { err, harness, OK_REPLY, T0, WRONGTYPE_REPLY } from '../test-util.ts'

describe('SET', () => {
  test('plain SET and GET, binary-safe, __proto__ is a key like any other', () => {
    const h = harness()
    expect(h.run('SET', '__proto__', 'a\x00b\xff\r\n')).toEqual(OK_REPLY)
    expect(h.run('GET', '__proto__')).toBe('a\x00b\xff\r\n')
    expect(h.run('GET', 'missing')).toBeNull()
  })

  test('options: NX, XX, GET, KEEPTTL, and their conflicts', () => {
    const h = harness()
    expect(h.run('SET', 'k', 'v', 'NX')).toEqual(OK_REPLY)
    expect(h.run('SET', 'k', 'w', 'nx')).toBeNull()
    expect(h.run('SET', 'other', 'w', 'XX')).toBeNull()
    expect(h.run('SET', 'k', 'w', 'xx', 'get')).toBe('v')
    expect(h.run('SET', 'k', 'x', 'NX', 'GET')).toBe('w')
    expect(h.run('SET', 'k', 'v', 'nx', 'xx')).toEqual(err('ERR syntax error'))
    expect(h.run('SET', 'k', 'v', 'ex', '10', 'px', '10')).toEqual(err('ERR syntax error'))
    expect(h.run('SET', 'k', 'v', 'keepttl', 'ex', '10')).toEqual(err('ERR syntax error'))
    expect(h.run('SET', 'k', 'v', 'ex')).toEqual(err('ERR syntax error'))
    expect(h.run('SET', 'k', 'v', 'get', 'get')).toBe('w')
    expect(h.run('SET', 'k')).toEqual(err("ERR wrong number of arguments for 'set' command"))
  })

  test('expiry validation and WRONGTYPE with GET', () => {
    const h = harness()
    expect(h.run('SET', 'k', 'v', 'EX', '0')).toEqual(err("ERR invalid expire time in 'set' command"))
    expect(h.run('SET', 'k', 'v', 'EX', 'abc')).toEqual(err('ERR value is not an integer or out of range'))
    expect(h.run('SET', 'k', 'v', 'PX', '9223372036854775807')).toEqual(err("ERR invalid expire time in 'set' command"))
    expect(h.run('SET', 'k', 'v', 'EX', '9223372036854775')).toEqual(err("ERR invalid expire time in 'set' command"))
    h.run('LPUSH', 'l', 'a')
    expect(h.run('SET', 'l', 'v', 'GET')).toEqual(WRONGTYPE_REPLY)
    expect(h.run('SET', 'l', 'v')).toEqual(OK_REPLY)
  })

  test('EX/PX/EXAT are propagated as SET PXAT; GET tokens are dropped; NX failure propagates nothing', () => {
    const h = harness()
    expect(h.effects('SET', 'k', 'v', 'EX', '100')).toEqual([[0, 'SET', 'k', 'v', 'PXAT', String(T0 + 100_000)]])
    expect(h.effects('set', 'k', 'v', 'px', '5', 'nx')).toEqual([])
    expect(h.effects('set', 'k', 'v', 'xx', 'px', '5')).toEqual([[0, 'SET', 'k', 'v', 'PXAT', String(T0 + 5)]])
    expect(h.effects('set', 'k', 'w', 'Get', 'XX')).toEqual([[0, 'set', 'k', 'w', 'XX']])
    expect(h.effects('set', 'k', 'v', 'exat', '2000000000', 'get')).toEqual([[0, 'SET', 'k', 'v', 'PXAT', '2000000000000']])
    expect(h.effects('set', 'k', 'v', 'keepttl')).toEqual([[0, 'set', 'k', 'v', 'keepttl']])
  })

  test('SET without KEEPTTL removes the TTL; KEEPTTL keeps it', () => {
    const h = harness()
    h.run('SET', 'k', 'v', 'EX', '100')
    h.run('SET', 'k', 'w', 'KEEPTTL')
    expect(h.run('TTL', 'k')).toBe(100)
    h.run('SET', 'k', 'x')
    expect(h.run('TTL', 'k')).toBe(-1)
  })

  test('a key SET with a past EXAT is stored, then lazily deleted on access with a DEL effect', () => {
    const h = harness()
    expect(h.run('SET', 'k', 'v', 'EXAT', '1')).toEqual(OK_REPLY)
    expect(h.ds.dbsize(0)).toBe(1)
    const result = h.exec('GET', 'k')
    expect(result.reply).toEqual({ kind: 'bulk', value: null })
    expect(result.effects).toEqual([{ db: 0, argv: ['DEL', 'k'] }])
    expect(h.ds.dbsize(0)).toBe(0)
  })
})

describe('SETNX, SETEX, PSETEX, GETSET, GETDEL, MSET, MGET', () => {
  test('replies and effects', () => {
    const h = harness()
    expect(h.run('SETNX', 'k', '1')).toBe(1)
    expect(h.run('SETNX', 'k', '2')).toBe(0)
    expect(h.effects('SETEX', 's', '10', 'v')).toEqual([[0, 'SET', 's', 'v', 'PXAT', String(T0 + 10_000)]])
    expect(h.run('SETEX', 's', '0', 'v')).toEqual(err("ERR invalid expire time in 'setex' command"))
    expect(h.effects('PSETEX', 'p', '10', 'v')).toEqual([[0, 'SET', 'p', 'v', 'PXAT', String(T0 + 10)]])
    expect(h.effects('GETSET', 'k', 'new')).toEqual([[0, 'SET', 'k', 'new']])
    expect(h.run('GETSET', 'missing', 'v')).toBeNull()
    expect(h.effects('GETDEL', 'k')).toEqual([[0, 'DEL', 'k']])
    expect(h.effects('GETDEL', 'k')).toEqual([])
    expect(h.run('MSET', 'a', '1', 'b')).toEqual(err("ERR wrong number of arguments for 'mset' command"))
    expect(h.run('MSET', 'a', '1', 'b', '2')).toEqual(OK_REPLY)
    h.run('LPUSH', 'l', 'x')
    expect(h.run('MGET', 'a', 'l', 'nope', 'b')).toEqual(['1', null, null, '2'])
  })

  test('GETSET drops the TTL', () => {
    const h = harness()
    h.run('SET', 'k', 'v', 'EX', '100')
    h.run('GETSET', 'k', 'w')
    expect(h.run('TTL', 'k')).toBe(-1)
  })
})

describe('INCR family', () => {
  test('integer rules of string2ll', () => {
    const h = harness()
    expect(h.run('INCR', 'n')).toBe(1)
    expect(h.run('INCRBY', 'n', '41')).toBe(42)
    expect(h.run('DECRBY', 'n', '2')).toBe(40)
    expect(h.run('DECR', 'n')).toBe(39)
    for (const bad of ['01', '+1', ' 1', '-0', '1.0', '', 'x']) {
      h.run('SET', 'b', bad)
      expect(h.run('INCR', 'b')).toEqual(err('ERR value is not an integer or out of range'))
    }
    expect(h.run('INCRBY', 'n', ' 1')).toEqual(err('ERR value is not an integer or out of range'))
  })

  test('64-bit limits', () => {
    const h = harness()
    h.run('SET', 'n', '9223372036854775806')
    expect(h.run('INCR', 'n')).toBe(9223372036854775807n)
    expect(h.run('INCR', 'n')).toEqual(err('ERR increment or decrement would overflow'))
    expect(h.run('DECRBY', 'm', '-9223372036854775808')).toEqual(err('ERR decrement would overflow'))
    expect(h.run('DECRBY', 'm', '9223372036854775807')).toBe(-9223372036854775807n)
    expect(h.run('DECR', 'm')).toBe(-9223372036854775808n)
    expect(h.run('DECR', 'm')).toEqual(err('ERR increment or decrement would overflow'))
    expect(h.run('INCRBY', 'm', '9223372036854775808')).toEqual(err('ERR value is not an integer or out of range'))
  })

  test('INCR keeps the TTL; WRONGTYPE', () => {
    const h = harness()
    h.run('SET', 'n', '1', 'EX', '100')
    h.run('INCR', 'n')
    expect(h.run('TTL', 'n')).toBe(100)
    h.run('LPUSH', 'l', 'x')
    expect(h.run('INCR', 'l')).toEqual(WRONGTYPE_REPLY)
  })
})

describe('INCRBYFLOAT', () => {
  test('long double arithmetic, printed as Redis prints it', () => {
    const h = harness()
    expect(h.run('INCRBYFLOAT', 'f', '0.1')).toBe('0.1')
    expect(h.run('INCRBYFLOAT', 'f', '0.2')).toBe('0.3')
    expect(h.run('INCRBYFLOAT', 'g', '1e20')).toBe('100000000000000000000')
    expect(h.run('INCRBYFLOAT', 'h', '0x10')).toBe('16')
    expect(h.run('INCRBYFLOAT', 'i', '5e-4940')).toBe('0')
    expect(h.run('INCRBYFLOAT', 'j', '-0')).toBe('0')
    h.run('SET', 'big', '1e308')
    expect(h.run('INCRBYFLOAT', 'big', '1e308')).toBe(
      '199999999999999999993371759311691291321120199694831134415594095989843469737676123744200253843777078640893494450108026446304269499187921167194841628860392837535918200039206381557326219209014213335878306791577877829121087126122536729803237260434173178506889763247582601711514636284849020905456510092687857156096',
    )
  })

  test('errors', () => {
    const h = harness()
    for (const bad of ['abc', '', ' 1', '1 ', 'nan', '1e5000', '1e-5000']) {
      expect(h.run('INCRBYFLOAT', 'f', bad)).toEqual(err('ERR value is not a valid float'))
    }
    expect(h.run('INCRBYFLOAT', 'f', 'inf')).toEqual(err('ERR increment would produce NaN or Infinity'))
    h.run('SET', 's', '5\x00')
    expect(h.run('INCRBYFLOAT', 's', '1')).toEqual(err('ERR value is not a valid float'))
  })

  test('propagated as SET ... KEEPTTL, keeping the TTL', () => {
    const h = harness()
    h.run('SET', 'f', '1', 'EX', '100')
    expect(h.effects('INCRBYFLOAT', 'f', '1.5')).toEqual([[0, 'SET', 'f', '2.5', 'KEEPTTL']])
    expect(h.run('TTL', 'f')).toBe(100)
  })
})

describe('APPEND, STRLEN', () => {
  test('APPEND creates the key (even with an empty value) and always propagates', () => {
    const h = harness()
    expect(h.effects('APPEND', 'e', '')).toEqual([[0, 'APPEND', 'e', '']])
    expect(h.run('EXISTS', 'e')).toBe(1)
    expect(h.run('APPEND', 'e', 'ab')).toBe(2)
    expect(h.run('STRLEN', 'e')).toBe(2)
    expect(h.run('STRLEN', 'nope')).toBe(0)
    h.run('SADD', 's', 'x')
    expect(h.run('APPEND', 's', 'x')).toEqual(WRONGTYPE_REPLY)
    expect(h.run('STRLEN', 's')).toEqual(WRONGTYPE_REPLY)
  })

  test('huge values', () => {
    const h = harness()
    const big = 'x'.repeat(5_000_000)
    h.run('SET', 'big', big)
    expect(h.run('APPEND', 'big', 'y')).toBe(5_000_001)
  })
})
