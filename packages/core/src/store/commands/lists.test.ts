import { describe, expect, test } from 'vitest'
import { err, harness, OK_REPLY, WRONGTYPE_REPLY } from '../test-util.ts'

describe('lists', () => {
  test('LPUSH inserts one by one at the head; RPUSH appends', () => {
    const h = harness()
    expect(h.run('LPUSH', 'l', 'a', 'b', 'c')).toBe(3)
    expect(h.run('RPUSH', 'l', 'd')).toBe(4)
    expect(h.run('LRANGE', 'l', '0', '-1')).toEqual(['c', 'b', 'a', 'd'])
    expect(h.run('LPUSH', 'l')).toEqual(err("ERR wrong number of arguments for 'lpush' command"))
  })

  test('LPOP/RPOP with and without count', () => {
    const h = harness()
    h.run('RPUSH', 'l', 'a', 'b', 'c', 'd')
    expect(h.run('LPOP', 'l', '0')).toEqual([])
    expect(h.effects('LPOP', 'l', '0')).toEqual([])
    expect(h.run('LPOP', 'l', '-1')).toEqual(err('ERR value is out of range, must be positive'))
    expect(h.run('LPOP', 'l', 'x')).toEqual(err('ERR value is out of range, must be positive'))
    expect(h.run('LPOP', 'l', '1', '2')).toEqual(err("ERR wrong number of arguments for 'lpop' command"))
    expect(h.run('LPOP', 'l', '2')).toEqual(['a', 'b'])
    expect(h.effects('RPOP', 'l', '10')).toEqual([[0, 'RPOP', 'l', '10']])
    expect(h.run('EXISTS', 'l')).toBe(0)
    expect(h.run('LPOP', 'l')).toBeNull()
    expect(h.run('LPOP', 'l', '2')).toBeNull()
    expect(h.run('LPOP', 'l', '0')).toBeNull()
  })

  test('LRANGE, LINDEX, LLEN index arithmetic and argument order', () => {
    const h = harness()
    h.run('RPUSH', 'l', 'a', 'b', 'c', 'd', 'e')
    expect(h.run('LRANGE', 'l', '-100', '100')).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(h.run('LRANGE', 'l', '3', '1')).toEqual([])
    expect(h.run('LRANGE', 'l', '-2', '-1')).toEqual(['d', 'e'])
    expect(h.run('LRANGE', 'l', 'x', '1')).toEqual(err('ERR value is not an integer or out of range'))
    expect(h.run('LRANGE', 'missing', 'x', '1')).toEqual(err('ERR value is not an integer or out of range'))
    expect(h.run('LINDEX', 'l', '-1')).toBe('e')
    expect(h.run('LINDEX', 'l', '5')).toBeNull()
    expect(h.run('LINDEX', 'missing', 'x')).toBeNull() // the key is looked up first
    expect(h.run('LINDEX', 'l', 'x')).toEqual(err('ERR value is not an integer or out of range'))
    expect(h.run('LLEN', 'l')).toBe(5)
  })

  test('LSET', () => {
    const h = harness()
    h.run('RPUSH', 'l', 'a', 'b')
    expect(h.run('LSET', 'l', '-1', 'x')).toEqual(OK_REPLY)
    expect(h.run('LSET', 'l', '2', 'x')).toEqual(err('ERR index out of range'))
    expect(h.run('LSET', 'missing', '0', 'x')).toEqual(err('ERR no such key'))
    expect(h.run('LSET', 'l', 'x', 'x')).toEqual(err('ERR value is not an integer or out of range'))
    expect(h.run('LRANGE', 'l', '0', '-1')).toEqual(['a', 'x'])
  })

  test('LTRIM propagates only when it removed something', () => {
    const h = harness()
    h.run('RPUSH', 'l', 'a', 'b', 'c', 'd', 'e')
    expect(h.effects('LTRIM', 'l', '0', '-1')).toEqual([])
    expect(h.effects('LTRIM', 'l', '1', '-2')).toEqual([[0, 'LTRIM', 'l', '1', '-2']])
    expect(h.run('LRANGE', 'l', '0', '-1')).toEqual(['b', 'c', 'd'])
    expect(h.run('LTRIM', 'l', '5', '10')).toEqual(OK_REPLY)
    expect(h.run('EXISTS', 'l')).toBe(0)
    expect(h.run('LTRIM', 'missing', '0', '1')).toEqual(OK_REPLY)
  })

  test('LREM from head, tail, all', () => {
    const h = harness()
    h.run('RPUSH', 'l', 'a', 'b', 'a', 'c', 'a')
    expect(h.run('LREM', 'l', '-1', 'a')).toBe(1)
    expect(h.run('LRANGE', 'l', '0', '-1')).toEqual(['a', 'b', 'a', 'c'])
    expect(h.run('LREM', 'l', '1', 'a')).toBe(1)
    expect(h.effects('LREM', 'l', '0', 'zz')).toEqual([])
    expect(h.run('LREM', 'l', '0', 'a')).toBe(1)
    expect(h.run('LRANGE', 'l', '0', '-1')).toEqual(['b', 'c'])
    expect(h.run('LREM', 'l', 'x', 'a')).toEqual(err('ERR value is not an integer or out of range'))
    h.run('SET', 's', 'v')
    expect(h.run('LREM', 's', '0', 'a')).toEqual(WRONGTYPE_REPLY)
  })

  test('a long list keeps O(1) ends', () => {
    const h = harness()
    for (let i = 0; i < 10_000; i++) h.run(i % 2 === 0 ? 'LPUSH' : 'RPUSH', 'l', String(i))
    expect(h.run('LLEN', 'l')).toBe(10_000)
    expect(h.run('LINDEX', 'l', '0')).toBe('9998')
    expect(h.run('LINDEX', 'l', '-1')).toBe('9999')
  })
})
