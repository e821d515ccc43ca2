import { describe, expect, test } from 'vitest'
import { err, harness, OK_REPLY, WRONGTYPE_REPLY } from '../test-util.ts'

describe('hashes', () => {
  test('HSET/HMSET/HGET/HMGET/HGETALL/HKEYS/HVALS/HLEN/HEXISTS', () => {
    const h = harness()
    expect(h.run('HSET', 'h', 'f')).toEqual(err("ERR wrong number of arguments for 'hset' command"))
    expect(h.run('HSET', 'h', 'f', 'v', 'g')).toEqual(err("ERR wrong number of arguments for 'hset' command"))
    expect(h.run('HMSET', 'h', 'f', 'v', 'g')).toEqual(err("ERR wrong number of arguments for 'hmset' command"))
    expect(h.run('HSET', 'h', 'f', 'v', 'f', 'w')).toBe(1)
    expect(h.run('HMSET', 'h', '__proto__', '\x00')).toEqual(OK_REPLY)
    expect(h.run('HGET', 'h', 'f')).toBe('w')
    expect(h.run('HGET', 'h', 'nope')).toBeNull()
    expect(h.run('HMGET', 'h', 'f', 'nope', '__proto__')).toEqual(['w', null, '\x00'])
    expect(h.run('HMGET', 'missing', 'f')).toEqual([null])
    expect(h.run('HGETALL', 'h')).toEqual(['f', 'w', '__proto__', '\x00'])
    expect(h.run('HKEYS', 'h')).toEqual(['f', '__proto__'])
    expect(h.run('HVALS', 'h')).toEqual(['w', '\x00'])
    expect(h.run('HLEN', 'h')).toBe(2)
    expect(h.run('HEXISTS', 'h', 'f')).toBe(1)
    expect(h.run('HEXISTS', 'h', 'x')).toBe(0)
    expect(h.run('HGETALL', 'missing')).toEqual([])
    h.run('SET', 's', 'x')
    for (const argv of [['HGET', 's', 'f'], ['HMGET', 's', 'f'], ['HSET', 's', 'f', 'v'], ['HLEN', 's'], ['HGETALL', 's'], ['HDEL', 's', 'f']]) {
      expect(h.run(...argv)).toEqual(WRONGTYPE_REPLY)
    }
  })

  test('HSET always propagates (even unchanged values); HDEL only when it deleted; the key goes with its last field', () => {
    const h = harness()
    expect(h.effects('hset', 'h', 'f', '1')).toEqual([[0, 'hset', 'h', 'f', '1']])
    expect(h.effects('hset', 'h', 'f', '1')).toEqual([[0, 'hset', 'h', 'f', '1']])
    expect(h.effects('hdel', 'h', 'x')).toEqual([])
    expect(h.run('HDEL', 'h', 'f', 'f')).toBe(1)
    expect(h.run('EXISTS', 'h')).toBe(0)
  })

  test('HINCRBY', () => {
    const h = harness()
    expect(h.run('HINCRBY', 'h', 'n', '5')).toBe(5)
    expect(h.run('HINCRBY', 'h', 'n', 'x')).toEqual(err('ERR value is not an integer or out of range'))
    expect(h.run('HINCRBY', 'h', 'n', '9223372036854775807')).toEqual(err('ERR increment or decrement would overflow'))
    h.run('HSET', 'h', 's', 'abc')
    expect(h.run('HINCRBY', 'h', 's', '1')).toEqual(err('ERR hash value is not an integer'))
  })

  test('HINCRBYFLOAT is long double arithmetic and propagates as HSET', () => {
    const h = harness()
    expect(h.run('HINCRBYFLOAT', 'h', 'f', '0.1')).toBe('0.1')
    expect(h.effects('HINCRBYFLOAT', 'h', 'f', '0.2')).toEqual([[0, 'HSET', 'h', 'f', '0.3']])
    expect(h.run('HINCRBYFLOAT', 'h', 'f', 'inf')).toEqual(err('ERR value is NaN or Infinity'))
    expect(h.run('HINCRBYFLOAT', 'h', 'f', '1e5000')).toEqual(err('ERR value is not a valid float'))
    h.run('HSET', 'h', 'i', 'inf')
    expect(h.run('HINCRBYFLOAT', 'h', 'i', '1')).toEqual(err('ERR increment would produce NaN or Infinity'))
    h.run('HSET', 'h', 's', 'x')
    expect(h.run('HINCRBYFLOAT', 'h', 's', '1')).toEqual(err('ERR hash value is not a float'))
    expect(h.run('HINCRBYFLOAT', 'h', 'f', '-0.3')).toBe('0')
  })
})
