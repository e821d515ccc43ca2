import { describe, expect, test } from 'vitest'
import { harness, WRONGTYPE_REPLY } from '../test-util.ts'

describe('sets', () => {
  test('SADD/SREM/SMEMBERS/SISMEMBER/SCARD and effects', () => {
    const h = harness()
    expect(h.run('SADD', 's', 'a', 'b', 'a')).toBe(2)
    expect(h.effects('SADD', 's', 'a')).toEqual([])
    expect(h.run('SISMEMBER', 's', 'a')).toBe(1)
    expect(h.run('SISMEMBER', 'missing', 'a')).toBe(0)
    expect(h.run('SCARD', 's')).toBe(2)
    expect((h.run('SMEMBERS', 's') as string[]).sort()).toEqual(['a', 'b'])
    expect(h.effects('SREM', 's', 'x')).toEqual([])
    expect(h.effects('SREM', 's', 'a', 'x')).toEqual([[0, 'SREM', 's', 'a', 'x']])
    expect(h.run('SREM', 's', 'b')).toBe(1)
    expect(h.run('EXISTS', 's')).toBe(0)
    expect(h.run('SMEMBERS', 's')).toEqual([])
    h.run('SET', 'str', 'v')
    expect(h.run('SADD', 'str', 'x')).toEqual(WRONGTYPE_REPLY)
    expect(h.run('SMEMBERS', 'str')).toEqual(WRONGTYPE_REPLY)
  })
})
