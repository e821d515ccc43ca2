import { describe, expect, test } from 'vitest'
import { err, harness, WRONGTYPE_REPLY } from '../test-util.ts'

describe('ZADD, ZINCRBY', () => {
  test('options, errors, replies', () => {
    const h = harness()
    expect(h.run('ZADD', 'z', '1')).toEqual(err("ERR wrong number of arguments for 'zadd' command"))
    expect(h.run('ZADD', 'z', '1', 'a', '2')).toEqual(err('ERR syntax error'))
    expect(h.run('ZADD', 'z', 'x', 'a')).toEqual(err('ERR value is not a valid float'))
    expect(h.run('ZADD', 'z', 'nan', 'a')).toEqual(err('ERR value is not a valid float'))
    expect(h.run('ZADD', 'z', 'nx', 'xx', '1', 'a')).toEqual(err('ERR XX and NX options at the same time are not compatible'))
    expect(h.run('ZADD', 'z', 'gt', 'lt', '1', 'a')).toEqual(err('ERR GT, LT, and/or NX options at the same time are not compatible'))
    expect(h.run('ZADD', 'z', 'incr', '1', 'a', '2', 'b')).toEqual(err('ERR INCR option supports a single increment-element pair'))
    expect(h.run('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c')).toBe(3)
    expect(h.run('ZADD', 'z', 'ch', '1', 'a', '5', 'b', '4', 'd')).toBe(2)
    expect(h.run('ZADD', 'z', 'xx', 'ch', '10', 'a', '10', 'zz')).toBe(1)
    expect(h.run('ZADD', 'z', 'nx', '10', 'a', '10', 'zz')).toBe(1)
    expect(h.run('ZADD', 'z', 'gt', 'ch', '1', 'a', '20', 'b')).toBe(1)
    expect(h.run('ZADD', 'z', 'incr', '5', 'a')).toBe('15')
    expect(h.run('ZADD', 'z', 'incr', 'nx', '5', 'a')).toBeNull()
    expect(h.run('ZADD', 'z', 'incr', '+inf', 'a')).toBe('inf')
    expect(h.run('ZADD', 'z', 'incr', '-inf', 'a')).toEqual(err('ERR resulting score is not a number (NaN)'))
    expect(h.run('ZINCRBY', 'z', 'nx', 'a')).toEqual(err('ERR syntax error'))
    expect(h.run('ZINCRBY', 'z', '0.1', 'new')).toBe('0.10000000000000001')
    expect(h.run('ZINCRBY', 'z', '0.2', 'new')).toBe('0.30000000000000004')
    expect(h.run('ZADD', 'z', 'xx', '1', 'brandnew')).toBe(0)
    expect(h.run('ZADD', 'missing', 'xx', '1', 'a')).toBe(0)
    expect(h.run('EXISTS', 'missing')).toBe(0)
  })

  test('effects only when something changed', () => {
    const h = harness()
    expect(h.effects('zadd', 'z', '1', 'a')).toEqual([[0, 'zadd', 'z', '1', 'a']])
    expect(h.effects('zadd', 'z', '1', 'a')).toEqual([])
    expect(h.effects('zadd', 'z', 'gt', '0', 'a')).toEqual([])
    expect(h.effects('zincrby', 'z', '1', 'a')).toEqual([[0, 'zincrby', 'z', '1', 'a']])
  })

  test('-0: a small (listpack) set stores 0, a large (skiplist) one keeps -0; ZINCRBY replies the computed score', () => {
    const h = harness()
    h.run('ZADD', 'small', '-0', 'a')
    expect(h.run('ZSCORE', 'small', 'a')).toBe('0')
    expect(h.run('ZINCRBY', 'fresh', '-0', 'a')).toBe('-0')
    expect(h.run('ZSCORE', 'fresh', 'a')).toBe('0')
    h.run('ZADD', 'long', '-0', 'm'.repeat(70))
    h.run('ZADD', 'long', '-0', 'b')
    expect(h.run('ZSCORE', 'long', 'b')).toBe('-0')
    const args: string[] = []
    for (let i = 0; i < 129; i++) args.push(String(i), `m${i}`)
    h.run('ZADD', 'big', ...args)
    h.run('ZADD', 'big', '-0', 'neg')
    expect(h.run('ZSCORE', 'big', 'neg')).toBe('-0')
  })
})

describe('ZREM, ZSCORE, ZCARD, ZRANK', () => {
  test('replies', () => {
    const h = harness()
    h.run('ZADD', 'z', '1', 'a', '2', 'b', '2', 'c')
    expect(h.run('ZRANK', 'z', 'c')).toBe(2)
    expect(h.run('ZRANK', 'z', 'nope')).toBeNull()
    expect(h.run('ZSCORE', 'z', 'nope')).toBeNull()
    expect(h.run('ZCARD', 'z')).toBe(3)
    expect(h.run('ZREM', 'z', 'a', 'a', 'x')).toBe(1)
    expect(h.run('ZREM', 'z', 'b', 'c')).toBe(2)
    expect(h.run('EXISTS', 'z')).toBe(0)
    h.run('SET', 's', '1')
    expect(h.run('ZSCORE', 's', 'a')).toEqual(WRONGTYPE_REPLY)
  })
})

describe('ZRANGE', () => {
  const setup = () => {
    const h = harness()
    h.run('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e', '-inf', 'lo', 'inf', 'hi')
    return h
  }

  test('by rank, REV, WITHSCORES', () => {
    const h = setup()
    expect(h.run('ZRANGE', 'z', '0', '1', 'WITHSCORES')).toEqual(['lo', '-inf', 'a', '1'])
    expect(h.run('ZRANGE', 'z', '0', '1', 'REV')).toEqual(['hi', 'e'])
    expect(h.run('ZRANGE', 'z', '-2', '-1')).toEqual(['e', 'hi'])
    expect(h.run('ZRANGE', 'z', '5', '1')).toEqual([])
    expect(h.run('ZRANGE', 'missing', '0', '-1')).toEqual([])
  })

  test('BYSCORE with exclusive bounds, infinities, REV and LIMIT', () => {
    const h = setup()
    expect(h.run('ZRANGE', 'z', '(1', '3', 'BYSCORE')).toEqual(['b', 'c'])
    expect(h.run('ZRANGE', 'z', '-inf', '(-inf', 'BYSCORE')).toEqual([])
    expect(h.run('ZRANGE', 'z', '(-inf', '(inf', 'BYSCORE')).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(h.run('ZRANGE', 'z', '+inf', '(3', 'BYSCORE', 'REV', 'WITHSCORES')).toEqual(['hi', 'inf', 'e', '5', 'd', '4'])
    expect(h.run('ZRANGE', 'z', '-inf', '+inf', 'BYSCORE', 'LIMIT', '1', '2')).toEqual(['a', 'b'])
    expect(h.run('ZRANGE', 'z', '-inf', '+inf', 'BYSCORE', 'LIMIT', '1', '-1')).toEqual(['a', 'b', 'c', 'd', 'e', 'hi'])
    expect(h.run('ZRANGE', 'z', '-inf', '+inf', 'BYSCORE', 'LIMIT', '-1', '2')).toEqual([])
    expect(h.run('ZRANGE', 'z', ' 1', '2', 'BYSCORE')).toEqual(['a', 'b'])
    expect(h.run('ZRANGE', 'z', '1', '', 'BYSCORE')).toEqual([])
    expect(h.run('ZRANGE', 'z', 'x', '1', 'BYSCORE')).toEqual(err('ERR min or max is not a float'))
  })

  test('BYLEX', () => {
    const h = harness()
    h.run('ZADD', 'l', '0', 'a', '0', 'b', '0', 'c', '0', 'd')
    expect(h.run('ZRANGE', 'l', '[b', '+', 'BYLEX')).toEqual(['b', 'c', 'd'])
    expect(h.run('ZRANGE', 'l', '(b', '[c', 'BYLEX')).toEqual(['c'])
    expect(h.run('ZRANGE', 'l', '+', '-', 'BYLEX', 'REV', 'LIMIT', '1', '2')).toEqual(['c', 'b'])
    expect(h.run('ZRANGE', 'l', 'a', '+', 'BYLEX')).toEqual(err('ERR min or max not valid string range item'))
    expect(h.run('ZRANGE', 'l', '-', '+', 'BYLEX', 'WITHSCORES')).toEqual(err('ERR syntax error, WITHSCORES not supported in combination with BYLEX'))
  })

  test('argument errors in Redis order', () => {
    const h = setup()
    expect(h.run('ZRANGE', 'z', '0', '-1', 'LIMIT', '1', '2')).toEqual(err('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX'))
    expect(h.run('ZRANGE', 'z', '0', '-1', 'LIMIT', '0', '-1')).toEqual(['lo', 'a', 'b', 'c', 'd', 'e', 'hi'])
    expect(h.run('ZRANGE', 'z', '0', '1', 'LIMIT', '1')).toEqual(err('ERR syntax error'))
    expect(h.run('ZRANGE', 'z', '0', '1', 'BYSCORE', 'BYLEX')).toEqual(err('ERR syntax error'))
    expect(h.run('ZRANGE', 'z', '0', '1', 'REV', 'REV')).toEqual(err('ERR syntax error'))
    expect(h.run('ZRANGE', 'z', 'x', '1')).toEqual(err('ERR value is not an integer or out of range'))
    h.run('SET', 's', '1')
    expect(h.run('ZRANGE', 's', '0', '1')).toEqual(WRONGTYPE_REPLY)
  })

  test('order is (score, member bytes), with binary members', () => {
    const h = harness()
    h.run('ZADD', 'z', '1', '\xff', '1', '\x00', '1', 'a', '1', 'ab', '1', '', '0', 'z')
    expect(h.run('ZRANGE', 'z', '0', '-1')).toEqual(['z', '', '\x00', 'a', 'ab', '\xff'])
  })
})
