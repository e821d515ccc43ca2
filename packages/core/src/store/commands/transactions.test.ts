import { describe, expect, test } from 'vitest'
import { err, harness, OK_REPLY, status, WRONGTYPE_REPLY } from '../test-util.ts'

describe('MULTI / EXEC / DISCARD', () => {
  test('queueing, per-command errors inside EXEC, and one execution unit of effects', () => {
    const h = harness()
    expect(h.run('EXEC')).toEqual(err('ERR EXEC without MULTI'))
    expect(h.run('DISCARD')).toEqual(err('ERR DISCARD without MULTI'))
    expect(h.run('MULTI')).toEqual(OK_REPLY)
    expect(h.run('MULTI')).toEqual(err('ERR MULTI calls can not be nested'))
    expect(h.run('SET', 'a', '1')).toEqual(status('QUEUED'))
    expect(h.run('LPUSH', 'a', 'x')).toEqual(status('QUEUED'))
    expect(h.run('INCR', 'a')).toEqual(status('QUEUED'))
    const result = h.exec('EXEC')
    expect(result.reply).toEqual({ kind: 'array', value: [{ kind: 'simple', value: 'OK' }, { kind: 'error', message: (WRONGTYPE_REPLY as { error: string }).error }, { kind: 'integer', value: 2 }] })
    expect(result.effects.map((e) => e.argv)).toEqual([['SET', 'a', '1'], ['INCR', 'a']])
    expect(result.atomic).toBe(true)
    expect(h.session.inTransaction).toBe(false)
  })

  test('errors while queueing abort the transaction (EXECABORT)', () => {
    const h = harness()
    h.run('MULTI')
    expect(h.run('SET', 'a')).toEqual(err("ERR wrong number of arguments for 'set' command"))
    h.run('SET', 'b', '1')
    expect(h.run('foo')).toEqual(err("ERR unknown command 'foo', with args beginning with: "))
    expect(h.run('EXEC')).toEqual(err('EXECABORT Transaction discarded because of previous errors.'))
    expect(h.run('GET', 'b')).toBeNull()
  })

  test('a rejected EXEC aborts: "EXECABORT ... because of: <reason>", even outside MULTI', () => {
    const h = harness()
    h.run('MULTI')
    h.run('SET', 'a', '1')
    expect(h.run('EXEC', 'x')).toEqual(err("EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command"))
    expect(h.session.inTransaction).toBe(false)
    expect(h.run('EXEC', 'x')).toEqual(err("EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command"))
  })

  test('DISCARD drops the queue; an empty or read-only EXEC propagates nothing', () => {
    const h = harness()
    h.run('MULTI')
    h.run('SET', 'a', '1')
    expect(h.run('DISCARD')).toEqual(OK_REPLY)
    expect(h.run('GET', 'a')).toBeNull()
    h.run('MULTI')
    expect(h.exec('EXEC').effects).toEqual([])
    h.run('MULTI')
    h.run('GET', 'a')
    h.run('PING')
    expect(h.exec('EXEC').effects).toEqual([])
  })

  test('SELECT inside a transaction moves the following effects to that database', () => {
    const h = harness()
    h.run('MULTI')
    h.run('SELECT', '2')
    h.run('SET', 'a', '2')
    h.run('SELECT', '99')
    h.run('SELECT', '0')
    h.run('SET', 'a', '3')
    const result = h.exec('EXEC')
    expect(result.reply.kind === 'array' && result.reply.value?.[2]).toEqual({ kind: 'error', message: 'ERR DB index is out of range' })
    expect(result.effects).toEqual([{ db: 2, argv: ['SET', 'a', '2'] }, { db: 0, argv: ['SET', 'a', '3'] }])
  })

  test('lazy-expiry DELs are part of the unit, in order', () => {
    const h = harness()
    h.run('SET', 'i', '1', 'PXAT', '1')
    h.run('SET', 'j', '1', 'PXAT', '1')
    h.run('MULTI')
    h.run('SET', 'i', '2')
    h.run('SET', 'j', '2')
    expect(h.exec('EXEC').effects.map((e) => e.argv)).toEqual([['DEL', 'i'], ['SET', 'i', '2'], ['DEL', 'j'], ['SET', 'j', '2']])
  })
})
