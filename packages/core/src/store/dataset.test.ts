import { describe, expect, test } from 'vitest'
import type { KeyChange } from './changes.ts'
import { Dataset } from './dataset.ts'
import { STORE_ERROR_CODES, StoreError } from './errors.ts'
import { err, harness, OK_REPLY, status, T0, toReply } from './test-util.ts'
import type { Command } from './command.ts'
import { bulk } from '../resp/value.ts'

describe('Dataset options and sessions', () => {
  test('defaults: 16 databases, master', () => {
    const ds = new Dataset()
    expect(ds.databases).toBe(16)
    expect(ds.role).toBe('master')
  })

  test('invalid options throw a coded StoreError naming every problem', () => {
    try {
      new Dataset({ databases: 0, role: 'primary' as never })
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(StoreError)
      expect((error as StoreError).code).toBe(STORE_ERROR_CODES.INVALID_OPTIONS)
      expect((error as Error).message).toMatch(/databases .* role/)
    }
  })

  test('sessions are independent (db, transaction)', () => {
    const ds = new Dataset({ databases: 4 })
    const a = ds.createSession()
    const b = ds.createSession()
    ds.execute(a, ['SELECT', '3'], T0)
    ds.execute(a, ['MULTI'], T0)
    ds.execute(a, ['SET', 'k', 'a'], T0)
    ds.execute(b, ['SET', 'k', 'b'], T0)
    expect(toReply(ds.execute(a, ['EXEC'], T0).reply)).toEqual([OK_REPLY])
    expect(ds.getRecord(3, 'k')?.value).toEqual({ type: 'string', value: 'a' })
    expect(ds.getRecord(0, 'k')?.value).toEqual({ type: 'string', value: 'b' })
    expect(toReply(ds.execute(b, ['SELECT', '4'], T0).reply)).toEqual(err('ERR DB index is out of range'))
  })

  test('extra commands from the shell run inside MULTI', () => {
    const info: Command = { name: 'info', arity: -1, flags: ['loading', 'stale'], execute: () => bulk('# Server\r\n') }
    const ds = new Dataset({ commands: [info] })
    const s = ds.createSession()
    expect(ds.hasCommand('INFO')).toBe(true)
    ds.execute(s, ['MULTI'], T0)
    expect(toReply(ds.execute(s, ['info'], T0).reply)).toEqual(status('QUEUED'))
    expect(toReply(ds.execute(s, ['EXEC'], T0).reply)).toEqual(['# Server\r\n'])
  })
})

describe('touched keys and subscriptions', () => {
  test('each unit reports the keys it changed and flushes, once, after the unit', () => {
    const h = harness()
    const seen: KeyChange[][] = []
    const unsubscribe = h.ds.subscribe((changes) => seen.push([...changes]))
    expect(h.exec('SET', 'a', '1').touched).toEqual([{ kind: 'key', db: 0, key: 'a' }])
    expect(h.exec('GET', 'a').touched).toEqual([])
    h.run('MULTI')
    h.run('HSET', 'h', 'f', 'v')
    h.run('DEL', 'a')
    expect(seen).toHaveLength(1)
    expect(h.exec('EXEC').touched).toEqual([{ kind: 'key', db: 0, key: 'h' }, { kind: 'key', db: 0, key: 'a' }])
    expect(seen).toHaveLength(2)
    expect(h.exec('FLUSHDB').touched).toEqual([{ kind: 'flush', db: 0 }])
    unsubscribe()
    h.run('SET', 'b', '1')
    expect(seen).toHaveLength(3)
  })

  test('lazy and active expiry, loads and clear are reported too', () => {
    const h = harness()
    h.run('SET', 'a', '1', 'PXAT', String(T0 + 5))
    h.run('SET', 'b', '1', 'PXAT', String(T0 + 5))
    h.now = T0 + 6
    expect(h.exec('GET', 'a').touched).toEqual([{ kind: 'key', db: 0, key: 'a' }])
    const seen: KeyChange[] = []
    h.ds.subscribe((changes) => seen.push(...changes))
    expect(h.ds.activeExpireCycle(T0 + 6, 10)).toEqual([{ db: 0, argv: ['DEL', 'b'] }])
    h.ds.loadRecord({ db: 1, key: 'c', value: { type: 'string', value: 'x' }, expireAt: null })
    h.ds.clear()
    expect(seen).toEqual([{ kind: 'key', db: 0, key: 'b' }, { kind: 'key', db: 1, key: 'c' }, ...Array.from({ length: 16 }, (_, db) => ({ kind: 'flush', db }))])
  })
})

describe('reportTouched: false', () => {
  test('touched stays empty while listeners still hear every change', () => {
    const ds = new Dataset({ reportTouched: false })
    const s = ds.createSession()
    expect(ds.execute(s, ['SET', 'a', '1'], T0).touched).toEqual([])
    const seen: KeyChange[] = []
    const unsubscribe = ds.subscribe((changes) => seen.push(...changes))
    expect(ds.execute(s, ['SET', 'a', '2'], T0).touched).toEqual([{ kind: 'key', db: 0, key: 'a' }])
    ds.execute(s, ['FLUSHDB'], T0)
    unsubscribe()
    expect(ds.execute(s, ['SET', 'b', '1'], T0).touched).toEqual([])
    expect(seen).toEqual([{ kind: 'key', db: 0, key: 'a' }, { kind: 'flush', db: 0 }])
  })

  test('must be a boolean', () => {
    expect(() => new Dataset({ reportTouched: 'no' as never })).toThrow(/reportTouched must be a boolean/)
  })
})

describe('SET over an existing key', () => {
  test('a string is overwritten in place with the TTL rules of a new entry; other types are replaced', () => {
    const h = harness()
    h.run('SET', 'k', 'a', 'PXAT', String(T0 + 1000))
    expect(h.ds.expiresCount(0)).toBe(1)
    h.run('SET', 'k', 'b', 'KEEPTTL')
    expect(h.ds.getRecord(0, 'k')).toEqual({ db: 0, key: 'k', value: { type: 'string', value: 'b' }, expireAt: T0 + 1000 })
    h.run('SET', 'k', 'c')
    expect(h.ds.getRecord(0, 'k')).toEqual({ db: 0, key: 'k', value: { type: 'string', value: 'c' }, expireAt: null })
    expect(h.ds.expiresCount(0)).toBe(0)
    h.run('SET', 'k', 'd', 'PXAT', String(T0 + 2000))
    expect(h.ds.expiresCount(0)).toBe(1)
    h.run('RPUSH', 'l', 'x')
    h.run('SET', 'l', 'e')
    expect(h.ds.getRecord(0, 'l')?.value).toEqual({ type: 'string', value: 'e' })
    expect(h.ds.getRecord(0, 'k')?.expireAt).toBe(T0 + 2000)
  })
})

describe('replica role', () => {
  test('client writes answer READONLY (also inside MULTI, aborting it); reads work', () => {
    const ds = new Dataset({ role: 'replica' })
    const s = ds.createSession()
    ds.loadRecord({ db: 0, key: 'a', value: { type: 'string', value: '1' }, expireAt: null })
    expect(toReply(ds.execute(s, ['SET', 'a', '2'], T0).reply)).toEqual(err("READONLY You can't write against a read only replica."))
    expect(toReply(ds.execute(s, ['GET', 'a'], T0).reply)).toBe('1')
    ds.execute(s, ['MULTI'], T0)
    expect(toReply(ds.execute(s, ['DEL', 'a'], T0).reply)).toEqual(err("READONLY You can't write against a read only replica."))
    expect(toReply(ds.execute(s, ['EXEC'], T0).reply)).toEqual(err('EXECABORT Transaction discarded because of previous errors.'))
  })

  test('expired keys are hidden from clients but kept, with no effects, until the master DELs them', () => {
    const ds = new Dataset({ role: 'replica' })
    const client = ds.createSession()
    const link = ds.createSession()
    ds.applyReplicated(link, ['SET', 'a', '1', 'PXAT', String(T0 + 10)], T0)
    ds.applyReplicated(link, ['SET', 'b', '1'], T0)
    const later = T0 + 11
    for (const argv of [['GET', 'a'], ['EXISTS', 'a'], ['TTL', 'a'], ['KEYS', '*'], ['SCAN', '0'], ['TYPE', 'a']]) {
      const result = ds.execute(client, argv, later)
      expect(result.effects).toEqual([])
      expect(result.touched).toEqual([])
    }
    expect(toReply(ds.execute(client, ['GET', 'a'], later).reply)).toBeNull()
    expect(toReply(ds.execute(client, ['KEYS', '*'], later).reply)).toEqual(['b'])
    expect(toReply(ds.execute(client, ['TTL', 'a'], later).reply)).toBe(-2)
    expect(toReply(ds.execute(client, ['DBSIZE'], later).reply)).toBe(2)
    expect(ds.activeExpireCycle(later, 100)).toEqual([])
    expect(ds.dbsize(0)).toBe(2)
    // The master's stream still applies to the logically expired key (INCR as sent).
    ds.applyReplicated(link, ['SET', 'n', '5', 'PXAT', String(T0)], T0)
    expect(toReply(ds.applyReplicated(link, ['INCR', 'n'], later))).toBe(6)
    ds.applyReplicated(link, ['DEL', 'a'], later)
    expect(ds.dbsize(0)).toBe(2)
  })

  test('applyReplicated: SELECT, MULTI/EXEC as a unit, PING/REPLCONF ignored, past expiries stored, errors returned', () => {
    const ds = new Dataset({ role: 'replica' })
    const link = ds.createSession()
    const units: KeyChange[][] = []
    ds.subscribe((changes) => units.push([...changes]))
    expect(toReply(ds.applyReplicated(link, ['PING'], T0))).toEqual(status('PONG'))
    expect(toReply(ds.applyReplicated(link, ['REPLCONF', 'GETACK', '*'], T0))).toEqual(OK_REPLY)
    ds.applyReplicated(link, ['SELECT', '2'], T0)
    expect(link.db).toBe(2)
    ds.applyReplicated(link, ['MULTI'], T0)
    ds.applyReplicated(link, ['SET', 'x', '1'], T0)
    ds.applyReplicated(link, ['INCR', 'x'], T0)
    expect(units).toHaveLength(0)
    expect(toReply(ds.applyReplicated(link, ['EXEC'], T0))).toEqual([OK_REPLY, 2])
    expect(units).toEqual([[{ kind: 'key', db: 2, key: 'x' }]])
    ds.applyReplicated(link, ['PEXPIREAT', 'x', '1'], T0)
    expect(ds.getRecord(2, 'x')?.expireAt).toBe(1)
    expect(toReply(ds.applyReplicated(link, ['LPUSH', 'x', 'a'], T0))).toEqual(err('WRONGTYPE Operation against a key holding the wrong kind of value'))
    expect(toReply(ds.applyReplicated(link, ['NOSUCH'], T0))).toEqual(err("ERR unknown command 'NOSUCH', with args beginning with: "))
  })

  test('applyReplicated: what Redis 7.0 streams with no dataset effect (PUBLISH, SPUBLISH, FUNCTION) is a no-op, also inside MULTI', () => {
    const ds = new Dataset({ role: 'replica' })
    const link = ds.createSession()
    const units: KeyChange[][] = []
    ds.subscribe((changes) => units.push([...changes]))
    // As `redis-cli --replica` shows them on a 7.0.15 master (mixed case: a script's are lowercase).
    const neutral = [
      ['PUBLISH', 'ch', 'hello'],
      ['SPUBLISH', 'ch2', 'hi'],
      ['FUNCTION', 'LOAD', "#!lua name=mylib\nredis.register_function('f', function() return 1 end)"],
      ['FUNCTION', 'DELETE', 'mylib'],
      ['FUNCTION', 'FLUSH'],
      ['publish', 'c', 'm'],
    ]
    for (const argv of neutral) expect(ds.applyReplicated(link, argv, T0).kind, argv[0]).not.toBe('error')
    expect(toReply(ds.applyReplicated(link, ['PUBLISH', 'ch', 'x'], T0))).toBe(0)
    expect(units).toEqual([])
    expect(ds.digest()).toBe(new Dataset().digest())
    // An EVAL that wrote and published: MULTI, set, publish, EXEC.
    ds.applyReplicated(link, ['MULTI'], T0)
    ds.applyReplicated(link, ['set', 'a', '1'], T0)
    ds.applyReplicated(link, ['publish', 'c', 'm'], T0)
    expect(toReply(ds.applyReplicated(link, ['EXEC'], T0))).toEqual([OK_REPLY])
    expect(ds.getRecord(0, 'a')?.value).toEqual({ type: 'string', value: '1' })
  })

  test('applyReplicated: a command Replicast cannot apply inside MULTI is refused alone; the rest of the transaction applies', () => {
    const ds = new Dataset({ role: 'replica' })
    const link = ds.createSession()
    // An EVAL doing SET then HSETNX (not implemented): MULTI, set, hsetnx, EXEC.
    ds.applyReplicated(link, ['MULTI'], T0)
    expect(toReply(ds.applyReplicated(link, ['set', 'b', '1'], T0))).toEqual(status('QUEUED'))
    expect(toReply(ds.applyReplicated(link, ['hsetnx', 'h', 'f', 'v'], T0))).toEqual(err("ERR unknown command 'hsetnx', with args beginning with: 'h' 'f' 'v' "))
    expect(toReply(ds.applyReplicated(link, ['SET', 'c'], T0))).toEqual(err("ERR wrong number of arguments for 'set' command"))
    expect(toReply(ds.applyReplicated(link, ['EXEC'], T0))).toEqual([OK_REPLY])
    expect(link.inTransaction).toBe(false)
    expect(ds.getRecord(0, 'b')?.value).toEqual({ type: 'string', value: '1' })
    // A client's transaction keeps Redis's rule: a refused command aborts it at EXEC.
    const client = ds.createSession()
    ds.execute(client, ['MULTI'], T0)
    ds.execute(client, ['hsetnx', 'h', 'f', 'v'], T0)
    expect(toReply(ds.execute(client, ['EXEC'], T0).reply)).toEqual(err('EXECABORT Transaction discarded because of previous errors.'))
  })

  test('promotion: a replica turned master expires keys and propagates', () => {
    const ds = new Dataset({ role: 'replica' })
    ds.loadRecord({ db: 0, key: 'a', value: { type: 'string', value: '1' }, expireAt: T0 })
    ds.role = 'master'
    const s = ds.createSession()
    expect(ds.execute(s, ['GET', 'a'], T0 + 1).effects).toEqual([{ db: 0, argv: ['DEL', 'a'] }])
  })
})

describe('active expiry', () => {
  test('examines at most maxKeys volatile keys per call, resumes, and deletes only expired ones', () => {
    const h = harness({ databases: 3 })
    for (let i = 0; i < 10; i++) h.run('SET', `e${i}`, 'v', 'PXAT', String(T0 + 1))
    for (let i = 0; i < 10; i++) h.run('SET', `f${i}`, 'v', 'PXAT', String(T0 + 1_000_000))
    for (let i = 0; i < 1000; i++) h.run('SET', `p${i}`, 'v')
    h.run('SELECT', '2')
    h.run('SET', 'e2', 'v', 'PXAT', String(T0 + 1))
    const deleted: string[] = []
    for (let call = 0; call < 10; call++) {
      const effects = h.ds.activeExpireCycle(T0 + 2, 3)
      expect(effects.length).toBeLessThanOrEqual(3)
      for (const effect of effects) deleted.push(`${effect.db}:${effect.argv[1]}`)
    }
    expect(deleted.sort()).toEqual([...Array.from({ length: 10 }, (_, i) => `0:e${i}`), '2:e2'].sort())
    expect(h.ds.keyCount()).toBe(1010)
  })
})

describe('records', () => {
  test('loadRecord replaces, getRecord returns as stored (expired or not), records() iterates all', () => {
    const ds = new Dataset({ databases: 2 })
    ds.loadRecords([
      { db: 0, key: 'l', value: { type: 'list', items: ['a', 'b'] }, expireAt: 5 },
      { db: 1, key: 'z', value: { type: 'zset', entries: [['m', 1.5], ['n', -Infinity]] }, expireAt: null },
      { db: 1, key: 'h', value: { type: 'hash', fields: [['__proto__', 'v']] }, expireAt: null },
      { db: 1, key: 's', value: { type: 'set', members: ['x'] }, expireAt: null },
    ])
    ds.loadRecord({ db: 0, key: 'l', value: { type: 'list', items: ['c'] }, expireAt: null })
    expect(ds.getRecord(0, 'l')).toEqual({ db: 0, key: 'l', value: { type: 'list', items: ['c'] }, expireAt: null })
    expect(ds.getRecord(1, 'z')?.value).toEqual({ type: 'zset', entries: [['n', -Infinity], ['m', 1.5]] })
    expect([...ds.records()].map((r) => `${r.db}:${r.key}`)).toEqual(['0:l', '1:z', '1:h', '1:s'])
    ds.loadRecord({ db: 1, key: 's', value: { type: 'set', members: [] }, expireAt: null })
    expect(ds.getRecord(1, 's')).toBeUndefined()
    expect(ds.keyCount()).toBe(3)
    expect(() => ds.getRecord(2, 'x')).toThrowError(expect.objectContaining({ code: STORE_ERROR_CODES.DB_OUT_OF_RANGE }))
    expect(() => ds.loadRecord({ db: 0, key: 'bad', value: { type: 'zset', entries: [['m', NaN]] }, expireAt: null })).toThrowError(
      expect.objectContaining({ code: STORE_ERROR_CODES.INVALID_RECORD }),
    )
  })

  test('loaded records behave like written ones', () => {
    const ds = new Dataset()
    ds.loadRecord({ db: 0, key: 'n', value: { type: 'string', value: '41' }, expireAt: null })
    const s = ds.createSession()
    expect(toReply(ds.execute(s, ['INCR', 'n'], T0).reply)).toBe(42)
  })
})
