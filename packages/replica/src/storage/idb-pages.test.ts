// The packed layout's pure parts (idb-pages.ts): buckets, a bucket's pages resolved, the log as an
// overlay on the pages, and which buckets a compaction merges.
import { describe, expect, test } from 'vitest'
import { bucketOf, chooseMerges, findInPages, LogOverlay, packPage, resolvePages, type BucketChanges } from './idb-pages.ts'
import { encodeChanges } from './record-codec.ts'

const bytes = (s: string) => new Uint8Array([...s].map((c) => c.charCodeAt(0)))
const entry = (value: string, expireAt: number | null = null) => ({ value: bytes(value), expireAt })
const text = (state: { value: Uint8Array } | null | undefined) => (state == null ? state : String.fromCharCode(...state.value))

describe('packed pages', () => {
  test('bucketOf spreads keys over every bucket and is stable', () => {
    const seen = new Set<number>()
    for (let i = 0; i < 2000; i++) {
      const bucket = bucketOf(`key:${i}`, 16)
      expect(bucket).toBeGreaterThanOrEqual(0)
      expect(bucket).toBeLessThan(16)
      expect(bucketOf(`key:${i}`, 16)).toBe(bucket)
      seen.add(bucket)
    }
    expect(seen.size).toBe(16)
    expect(bucketOf('\x00\xff', 1)).toBe(0)
  })

  test('later pages win and tombstones remove, in a load and in a point read', () => {
    const pages = [
      packPage(0, [['a', entry('1')], ['b', entry('2')], ['c', entry('3', 99)]]),
      packPage(0, [['a', entry('10')], ['b', null]]),
      packPage(0, [['b', entry('20')], ['c', null]]),
    ]
    const live = resolvePages(pages)
    expect([...live.keys()].sort()).toEqual(['a', 'b'])
    expect(text(live.get('a'))).toBe('10')
    expect(text(live.get('b'))).toBe('20')
    expect(text(findInPages(pages, 'a'))).toBe('10')
    expect(findInPages(pages, 'c')).toBeNull()
    expect(findInPages(pages.slice(0, 1), 'c')).toEqual({ value: bytes('3'), expireAt: 99 })
    expect(findInPages(pages, 'zz')).toBeUndefined()
  })

  test('the log overlays the pages: last state per key, flushes hide older pages', () => {
    const log = new LogOverlay(3, 7)
    const set = (db: number, key: string, value: string) => ({ kind: 'set' as const, record: { db, key, value: { type: 'string' as const, value }, expireAt: null } })
    log.add(encodeChanges([set(0, 'a', 'x'), set(1, 'b', 'y'), { kind: 'delete', db: 0, key: 'gone' }]))
    expect(log.lookup(0, 'gone')).toBeNull()
    expect(log.lookup(0, 'other')).toBeUndefined()
    log.add(encodeChanges([{ kind: 'flush-db', db: 1 }, set(1, 'c', 'z')]))
    expect(log.pagesDead(1)).toBe(true)
    expect(log.pagesDead(0)).toBe(false)
    expect(log.lookup(1, 'b')).toBeNull()
    expect(log.lookup(1, 'other')).toBeNull()
    expect(log.lookup(1, 'c')).not.toBeNull()
    expect([...log.sets()].map((s) => `${s.db}:${s.key}`).sort()).toEqual(['0:a', '1:c'])
    // A compaction writes the tombstone of db 0 (older pages may hold the key), none for flushed db 1.
    const groups = log.byBucket(1)
    expect(groups.map((g) => [g.db, [...g.entries.keys()].sort()])).toEqual([[0, ['a', 'gone']], [1, ['c']]])
    log.add(encodeChanges([{ kind: 'flush-all' }]))
    expect(log.flushed.all).toBe(true)
    expect(log.lookup(0, 'a')).toBeNull()
    expect([...log.sets()]).toEqual([])
    expect(log.bytes).toBeGreaterThan(0)
  })

  test('a compaction merges few due buckets, fullest first, and always those at twice the limit', () => {
    const groups: BucketChanges[] = Array.from({ length: 16 }, (_, bucket) => ({ db: 0, bucket, entries: new Map() }))
    const pages = (group: BucketChanges) => [4, 4, 9, 8, 8, 8, 8, 1, 1, 1, 1, 1, 1, 1, 1, 8][group.bucket]!
    const merged = [...chooseMerges(groups, pages, 4)].map((g) => g.bucket).sort((a, b) => a - b)
    // Budget: 16 buckets / 8 = 2, the fullest (2 with 9 pages, then one with 8); 3..6 and 15 are at
    // twice the limit and merge anyway; 0 and 1 (at the limit) wait for a later compaction.
    expect(merged).toEqual([2, 3, 4, 5, 6, 15])
    expect(chooseMerges(groups, () => 1, 4).size).toBe(0)
  })
})
