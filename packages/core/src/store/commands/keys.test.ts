import { describe, expect, test } from 'vitest'
import { err, harness, OK_REPLY, status, T0 } from '../test-util.ts'

describe('DEL, UNLINK, EXISTS, TYPE', () => {
  test('replies and effects', () => {
    const h = harness()
    h.run('SET', 'a', '1')
    h.run('RPUSH', 'l', 'x')
    expect(h.run('EXISTS', 'a', 'a', 'nope', 'l')).toBe(3)
    expect(h.run('TYPE', 'l')).toEqual(status('list'))
    expect(h.run('TYPE', 'nope')).toEqual(status('none'))
    expect(h.effects('DEL', 'nope')).toEqual([])
    expect(h.effects('del', 'a', 'nope', 'a')).toEqual([[0, 'del', 'a', 'nope', 'a']])
    expect(h.run('UNLINK', 'l')).toBe(1)
    expect(h.run('DEL')).toEqual(err("ERR wrong number of arguments for 'del' command"))
  })

  test('an expired key is lazily deleted (DEL propagated) and then counts as absent', () => {
    const h = harness()
    h.run('SET', 'a', '1', 'PXAT', String(T0 + 10))
    h.now = T0 + 10
    expect(h.run('EXISTS', 'a')).toBe(1) // expired only when now > expireAt
    h.now = T0 + 11
    const result = h.exec('DEL', 'a')
    expect(result.reply).toEqual({ kind: 'integer', value: 0 })
    expect(result.effects).toEqual([{ db: 0, argv: ['DEL', 'a'] }])
  })
})

describe('EXPIRE family', () => {
  test('options and their conflicts', () => {
    const h = harness()
    h.run('SET', 'a', '1')
    expect(h.run('EXPIRE', 'a', '10', 'nx', 'xx')).toEqual(err('ERR NX and XX, GT or LT options at the same time are not compatible'))
    expect(h.run('EXPIRE', 'a', '10', 'gt', 'lt')).toEqual(err('ERR GT and LT options at the same time are not compatible'))
    expect(h.run('EXPIRE', 'a', '10', 'foo')).toEqual(err('ERR Unsupported option foo'))
    expect(h.run('EXPIRE', 'a', 'abc')).toEqual(err('ERR value is not an integer or out of range'))
    expect(h.run('EXPIRE', 'a', '10', 'GT')).toBe(0) // no TTL counts as infinite
    expect(h.run('EXPIRE', 'a', '10', 'XX')).toBe(0)
    expect(h.run('EXPIRE', 'a', '10', 'LT')).toBe(1)
    expect(h.run('EXPIRE', 'a', '20', 'LT')).toBe(0)
    expect(h.run('EXPIRE', 'a', '50', 'GT')).toBe(1)
    expect(h.run('EXPIRE', 'a', '50', 'NX')).toBe(0)
    expect(h.run('TTL', 'a')).toBe(50)
    expect(h.run('EXPIRE', 'nope', '10')).toBe(0)
  })

  test('overflow checks', () => {
    const h = harness()
    h.run('SET', 'a', '1')
    expect(h.run('PEXPIRE', 'a', '9223372036854775807')).toEqual(err("ERR invalid expire time in 'pexpire' command"))
    expect(h.run('EXPIRE', 'a', '9223372036854775')).toEqual(err("ERR invalid expire time in 'expire' command"))
    expect(h.effects('EXPIREAT', 'a', '9223372036854775')).toEqual([[0, 'PEXPIREAT', 'a', '9223372036854775000']])
  })

  test('propagated as PEXPIREAT with the options kept; PEXPIREAT passes through', () => {
    const h = harness()
    h.run('SET', 'a', '1')
    expect(h.effects('expire', 'a', '100', 'lt')).toEqual([[0, 'PEXPIREAT', 'a', String(T0 + 100_000), 'lt']])
    expect(h.effects('pexpire', 'a', '5000')).toEqual([[0, 'PEXPIREAT', 'a', String(T0 + 5000)]])
    expect(h.effects('expireat', 'a', '2000000000')).toEqual([[0, 'PEXPIREAT', 'a', '2000000000000']])
    expect(h.effects('pexpireat', 'a', '2000000000001', 'xx')).toEqual([[0, 'pexpireat', 'a', '2000000000001', 'xx']])
    expect(h.effects('expire', 'a', '100', 'nx')).toEqual([])
  })

  test('a time already past deletes the key on a master and propagates DEL', () => {
    const h = harness()
    for (const argv of [['EXPIRE', 'a', '-1'], ['EXPIRE', 'a', '0'], ['PEXPIREAT', 'a', '0'], ['EXPIREAT', 'a', '1']]) {
      h.run('SET', 'a', '1')
      expect(h.effects(...argv)).toEqual([[0, 'DEL', 'a']])
      expect(h.run('EXISTS', 'a')).toBe(0)
    }
  })

  test('PERSIST, TTL, PTTL', () => {
    const h = harness()
    h.run('SET', 'a', '1', 'PX', '1499')
    expect(h.run('TTL', 'a')).toBe(1)
    expect(h.run('PTTL', 'a')).toBe(1499)
    expect(h.effects('PERSIST', 'a')).toEqual([[0, 'PERSIST', 'a']])
    expect(h.effects('PERSIST', 'a')).toEqual([])
    expect(h.run('TTL', 'a')).toBe(-1)
    expect(h.run('TTL', 'nope')).toBe(-2)
  })
})

describe('RENAME', () => {
  test('moves value and TTL, overwrites, same-key and missing-key cases', () => {
    const h = harness()
    expect(h.run('RENAME', 'nope', 'x')).toEqual(err('ERR no such key'))
    expect(h.run('RENAME', 'nope', 'nope')).toEqual(err('ERR no such key'))
    h.run('SET', 'a', '1', 'EX', '100')
    expect(h.effects('RENAME', 'a', 'a')).toEqual([])
    h.run('RPUSH', 'l', 'x')
    expect(h.effects('RENAME', 'a', 'l')).toEqual([[0, 'RENAME', 'a', 'l']])
    expect(h.run('TYPE', 'l')).toEqual(status('string'))
    expect(h.run('TTL', 'l')).toBe(100)
    expect(h.run('EXISTS', 'a')).toBe(0)
  })
})

describe('KEYS, SCAN, DBSIZE', () => {
  test('KEYS matches glob patterns and hides expired keys without deleting them', () => {
    const h = harness()
    h.run('MSET', 'k1', 'a', 'k2', 'b', 'x', 'c')
    h.run('SET', 'k3', 'v', 'PXAT', '1')
    expect((h.run('KEYS', 'k*') as string[]).sort()).toEqual(['k1', 'k2'])
    expect(h.run('KEYS', '[^k]*')).toEqual(['x'])
    expect(h.run('DBSIZE')).toBe(4)
    expect(h.exec('KEYS', '*').effects).toEqual([])
  })

  test('SCAN iterates everything across steps, even while keys change', () => {
    const h = harness()
    for (let i = 0; i < 100; i++) h.run('SET', `k${i}`, 'v')
    const seen = new Set<string>()
    let cursor = '0'
    let steps = 0
    do {
      const [next, keys] = h.run('SCAN', cursor, 'COUNT', '7') as [string, string[]]
      keys.forEach((k) => seen.add(k))
      cursor = next
      // Churn that SCAN must survive: deletes and new keys.
      h.run('DEL', `k${steps * 3}`)
      h.run('SET', `new${steps}`, 'v')
      steps++
    } while (cursor !== '0')
    for (let i = 0; i < 100; i++) if (i % 3 !== 0 || i / 3 >= steps) expect(seen.has(`k${i}`)).toBe(true)
  })

  test('SCAN resumes from a cursor it has not cached (fallback walk)', () => {
    const h = harness()
    for (let i = 0; i < 20; i++) h.run('SET', `k${i}`, 'v')
    const [cursor, first] = h.run('SCAN', '0', 'COUNT', '5') as [string, string[]]
    const other = harness()
    for (let i = 0; i < 20; i++) other.run('SET', `k${i}`, 'v')
    const [, rest] = other.run('SCAN', cursor, 'COUNT', '100') as [string, string[]]
    expect([...first, ...rest].sort()).toEqual(Array.from({ length: 20 }, (_, i) => `k${i}`).sort())
  })

  test('SCAN options, errors, TYPE, and lazy expiry propagated unwrapped', () => {
    const h = harness()
    h.run('SET', 'a', '1')
    h.run('SADD', 's', 'x')
    h.run('SET', 'old1', '1', 'PXAT', '1')
    h.run('SET', 'old2', '1', 'PXAT', '1')
    expect(h.run('SCAN', 'x')).toEqual(err('ERR invalid cursor'))
    expect(h.run('SCAN', ' 0')).toEqual(err('ERR invalid cursor'))
    expect(h.run('SCAN', '0', 'COUNT', '0')).toEqual(err('ERR syntax error'))
    expect(h.run('SCAN', '0', 'COUNT', 'x')).toEqual(err('ERR value is not an integer or out of range'))
    expect(h.run('SCAN', '0', 'MATCH')).toEqual(err('ERR syntax error'))
    // The TYPE filter looks keys up, so it also expires them (one unwrapped DEL each).
    const result = h.exec('SCAN', '', 'TYPE', 'SET')
    expect(result.reply).toEqual({ kind: 'array', value: [{ kind: 'bulk', value: '0' }, { kind: 'array', value: [{ kind: 'bulk', value: 's' }] }] })
    expect(result.atomic).toBe(false)
    expect(result.effects.map((e) => e.argv)).toEqual([['DEL', 'old1'], ['DEL', 'old2']])
    expect(h.exec('SCAN', '0').effects).toEqual([])
  })

  test('DBSIZE counts expired keys not yet deleted', () => {
    const h = harness()
    h.run('SET', 'a', '1', 'PXAT', '1')
    expect(h.run('DBSIZE')).toBe(1)
  })
})

describe('SELECT, FLUSHDB, FLUSHALL', () => {
  test('SELECT changes the db of commands and effects', () => {
    const h = harness()
    expect(h.run('SELECT', '16')).toEqual(err('ERR DB index is out of range'))
    expect(h.run('SELECT', '-1')).toEqual(err('ERR DB index is out of range'))
    expect(h.run('SELECT', 'x')).toEqual(err('ERR value is not an integer or out of range'))
    expect(h.effects('SELECT', '3')).toEqual([])
    expect(h.effects('SET', 'a', '1')).toEqual([[3, 'SET', 'a', '1']])
    expect(h.session.db).toBe(3)
    h.run('SELECT', '0')
    expect(h.run('GET', 'a')).toBeNull()
  })

  test('FLUSHDB and FLUSHALL are always propagated and reported as flushes', () => {
    const h = harness()
    expect(h.effects('FLUSHDB')).toEqual([[0, 'FLUSHDB']])
    expect(h.run('FLUSHDB', 'foo')).toEqual(err('ERR syntax error'))
    expect(h.run('FLUSHDB', 'ASYNC')).toEqual(OK_REPLY)
    h.run('SET', 'a', '1')
    h.run('SELECT', '2')
    h.run('SET', 'b', '1')
    const result = h.exec('flushall', 'sync')
    expect(result.effects).toEqual([{ db: 2, argv: ['flushall', 'sync'] }])
    expect(result.touched.filter((c) => c.kind === 'flush')).toHaveLength(16)
    expect(h.ds.keyCount()).toBe(0)
  })
})

describe('PING, ECHO, unknown commands, arity', () => {
  test('replies', () => {
    const h = harness()
    expect(h.run('PING')).toEqual(status('PONG'))
    expect(h.run('ping', 'hi')).toBe('hi')
    expect(h.run('PING', 'a', 'b')).toEqual(err("ERR wrong number of arguments for 'ping' command"))
    expect(h.run('ECHO', 'x\x00')).toBe('x\x00')
    expect(h.run('foo', 'a', 'b')).toEqual(err("ERR unknown command 'foo', with args beginning with: 'a' 'b' "))
    expect(h.run('foo', 'a\x00b', 'c\r\nd')).toEqual(err("ERR unknown command 'foo', with args beginning with: 'a' 'c  d' "))
    expect(h.run('GET')).toEqual(err("ERR wrong number of arguments for 'get' command"))
    expect(h.run('INFO')).toEqual(err("ERR 'info' is a server command, not a dataset command: the server shell must handle it"))
  })
})
