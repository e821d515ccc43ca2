import { describe, expect, test } from 'vitest'
import type { KeyRecord } from '../values.ts'
import { Dataset } from './dataset.ts'
import { SeededRandom, T0 } from './test-util.ts'

function drain(cursor: ReturnType<Dataset['beginSnapshot']>, slice: number): KeyRecord[] {
  const out: KeyRecord[] = []
  for (let records = cursor.next(slice); records !== null; records = cursor.next(slice)) out.push(...records)
  return out
}

const byKey = (records: readonly KeyRecord[]): Map<string, KeyRecord> => new Map(records.map((r) => [`${r.db}\x00${r.key}`, r]))

describe('snapshot cursor', () => {
  test('yields every key once, in slices, and then null', () => {
    const ds = new Dataset({ databases: 3 })
    const s = ds.createSession()
    for (let i = 0; i < 100; i++) ds.execute(s, ['SET', `k${i}`, String(i)], T0)
    ds.execute(s, ['SELECT', '2'], T0)
    ds.execute(s, ['RPUSH', 'l', 'a', 'b'], T0)
    ds.execute(s, ['SET', 'e', 'v', 'PXAT', '5'], T0)
    const cursor = ds.beginSnapshot()
    const first = cursor.next(10)!
    expect(first).toHaveLength(10)
    const records = [...first, ...drain(cursor, 7)]
    expect(records).toHaveLength(102)
    expect(byKey(records).get('2\x00l')).toEqual({ db: 2, key: 'l', value: { type: 'list', items: ['a', 'b'] }, expireAt: null })
    expect(byKey(records).get('2\x00e')?.expireAt).toBe(5)
    expect(cursor.open).toBe(false)
    expect(cursor.next(10)).toBeNull()
  })

  test('writes after the beginning do not show; deleted keys still do; new keys do not', () => {
    const ds = new Dataset()
    const s = ds.createSession()
    for (let i = 0; i < 10; i++) ds.execute(s, ['SET', `k${i}`, 'old'], T0)
    ds.execute(s, ['HSET', 'h', 'f', 'old'], T0)
    const cursor = ds.beginSnapshot()
    const head = cursor.next(3)!
    ds.execute(s, ['SET', 'k9', 'new'], T0)
    ds.execute(s, ['DEL', 'k8'], T0)
    ds.execute(s, ['HSET', 'h', 'f', 'new', 'g', 'x'], T0)
    ds.execute(s, ['SET', 'brand-new', 'v'], T0)
    ds.execute(s, ['DEL', 'k7'], T0)
    ds.execute(s, ['SET', 'k7', 'recreated'], T0)
    ds.execute(s, ['EXPIRE', 'k6', '100'], T0)
    const records = byKey([...head, ...drain(cursor, 2)])
    expect(records.size).toBe(11)
    for (let i = 0; i < 10; i++) expect(records.get(`0\x00k${i}`)).toEqual({ db: 0, key: `k${i}`, value: { type: 'string', value: 'old' }, expireAt: null })
    expect(records.get('0\x00h')?.value).toEqual({ type: 'hash', fields: [['f', 'old']] })
    expect(records.has('0\x00brand-new')).toBe(false)
  })

  test('FLUSHDB/FLUSHALL while a snapshot is open detach the old Map in O(1)', () => {
    const ds = new Dataset({ databases: 2 })
    const s = ds.createSession()
    for (let i = 0; i < 1000; i++) ds.execute(s, ['SET', `k${i}`, 'v'], T0)
    const cursor = ds.beginSnapshot()
    cursor.next(10)
    ds.execute(s, ['FLUSHALL'], T0)
    ds.execute(s, ['SET', 'k1', 'after'], T0)
    const rest = drain(cursor, 100)
    expect(rest).toHaveLength(990)
    expect(rest.every((r) => r.value.type === 'string' && r.value.value === 'v')).toBe(true)
  })

  test('several cursors at once, each with its own image', () => {
    const ds = new Dataset({ databases: 1 })
    const s = ds.createSession()
    ds.execute(s, ['SET', 'a', '1'], T0)
    const one = ds.beginSnapshot()
    ds.execute(s, ['SET', 'a', '2'], T0)
    ds.execute(s, ['SET', 'b', '2'], T0)
    const two = ds.beginSnapshot()
    ds.execute(s, ['SET', 'a', '3'], T0)
    ds.execute(s, ['DEL', 'b'], T0)
    expect(drain(one, 1).map((r) => r.value)).toEqual([{ type: 'string', value: '1' }])
    expect(drain(two, 1).map((r) => (r.value.type === 'string' ? `${r.key}=${r.value.value}` : ''))).toEqual(['a=2', 'b=2'])
  })

  test('extra memory is proportional to the keys changed, not to the dataset', () => {
    const ds = new Dataset({ databases: 1 })
    const s = ds.createSession()
    for (let i = 0; i < 10_000; i++) ds.execute(s, ['SET', `k${i}`, 'v'], T0)
    const cursor = ds.beginSnapshot()
    expect(cursor.preservedKeys).toBe(0)
    expect(cursor.next(5000)).toHaveLength(5000)
    // Keys already visited need nothing; unvisited ones are kept once, however often they change.
    for (let i = 0; i < 5000; i++) ds.execute(s, ['SET', `k${i}`, 'w'], T0)
    for (let round = 0; round < 3; round++) for (let i = 5000; i < 5010; i++) ds.execute(s, ['SET', `k${i}`, `w${round}`], T0)
    expect(cursor.preservedKeys).toBe(10)
    const rest = drain(cursor, 1000)
    expect(rest).toHaveLength(5000)
    expect(rest.every((r) => r.value.type === 'string' && r.value.value === 'v')).toBe(true)
    expect(cursor.preservedKeys).toBe(0)
  })

  test('fuzz: random writes, deletes, flushes and renames interleaved with cursor steps', () => {
    const seeds = process.env.FUZZ_SEED !== undefined ? [Number(process.env.FUZZ_SEED)] : [1, 2, 3, 4, 5, 6, 7, 8]
    for (const seed of seeds) {
      try {
        fuzzOnce(seed)
      } catch (error) {
        console.error(`FUZZ_SEED=${seed}`)
        throw error
      }
    }
  })
})

function fuzzOnce(seed: number): void {
  const rng = new SeededRandom(seed)
  const ds = new Dataset({ databases: 3 })
  const s = ds.createSession()
  const replicaLink = ds.createSession()
  const keys = Array.from({ length: 40 }, (_, i) => (i === 0 ? '__proto__' : `k${i}`))
  let now = T0
  const randomWrite = (): void => {
    const key = rng.pick(keys)
    const other = rng.pick(keys)
    const n = String(rng.int(0, 9))
    const commands: string[][] = [
      ['SET', key, String(rng.int(0, 1000))],
      ['DEL', key, other],
      ['RPUSH', key, n, n],
      ['LPOP', key],
      ['LSET', key, String(rng.int(-2, 2)), n],
      ['LTRIM', key, String(rng.int(-3, 3)), String(rng.int(-3, 3))],
      ['LREM', key, String(rng.int(-1, 1)), n],
      ['HSET', key, `f${rng.int(0, 3)}`, n],
      ['HDEL', key, `f${rng.int(0, 3)}`],
      ['HINCRBY', key, 'i', n],
      ['HINCRBYFLOAT', key, 'f', '0.5'],
      ['SADD', key, n],
      ['SREM', key, n],
      ['ZADD', key, n, `m${rng.int(0, 5)}`],
      ['ZINCRBY', key, '1.5', `m${rng.int(0, 5)}`],
      ['ZREM', key, `m${rng.int(0, 5)}`],
      ['EXPIRE', key, String(rng.int(100, 1000))],
      ['PEXPIREAT', key, String(now + rng.int(-5, 5))],
      ['SET', key, 'short', 'PX', String(rng.int(1, 3))],
      ['PERSIST', key],
      ['RENAME', key, other],
      ['INCR', key],
      ['INCRBYFLOAT', key, '1.25'],
      ['APPEND', key, 'x'],
      ['GETDEL', key],
      ['GETSET', key, n],
      ['MSET', key, n, other, n],
      ['SETEX', key, '100', n],
      ['GET', key],
      ['SELECT', String(rng.int(0, 2))],
      rng.int(0, 30) === 0 ? ['FLUSHDB'] : ['EXISTS', key],
      rng.int(0, 80) === 0 ? ['FLUSHALL'] : ['SCAN', '0', 'COUNT', '5'],
    ]
    const r = rng.int(0, commands.length + 2)
    now += rng.int(0, 2)
    if (r === commands.length) {
      ds.activeExpireCycle(now, 5)
    } else if (r === commands.length + 1) {
      ds.loadRecord({ db: rng.int(0, 2), key, value: { type: 'set', members: [n] }, expireAt: null })
    } else if (r === commands.length + 2) {
      ds.applyReplicated(replicaLink, ['HSET', other, 'r', n], now)
    } else {
      ds.execute(s, commands[r]!, now)
    }
  }
  for (let i = 0; i < 300; i++) randomWrite()
  for (let round = 0; round < 20; round++) {
    const image = [...ds.records()]
    const cursors = [ds.beginSnapshot()]
    const images = [image]
    const collected: KeyRecord[][] = [[]]
    for (let step = 0; step < 400; step++) {
      const which = rng.int(0, cursors.length - 1)
      if (rng.int(0, 2) === 0) {
        const records = cursors[which]!.next(rng.int(1, 8))
        if (records !== null) collected[which]!.push(...records)
      } else {
        randomWrite()
      }
      if (rng.int(0, 100) === 0 && cursors.length < 3) {
        images.push([...ds.records()])
        cursors.push(ds.beginSnapshot())
        collected.push([])
      }
    }
    for (let i = 0; i < cursors.length; i++) {
      collected[i]!.push(...drain(cursors[i]!, 5))
      const got = collected[i]!
      expect(got.length, `seed ${seed} round ${round}: no duplicates`).toBe(byKey(got).size)
      expect(byKey(got)).toEqual(byKey(images[i]!))
    }
  }
}
