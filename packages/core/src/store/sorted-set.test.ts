import { describe, expect, test } from 'vitest'
import { SortedSet } from './sorted-set.ts'
import { SeededRandom } from './test-util.ts'
import { LEX_MAX, LEX_MIN } from './skiplist.ts'

const NONE = { nx: false, xx: false, gt: false, lt: false, incr: false }

describe('SortedSet (skiplist + map)', () => {
  test('order, ranks and ranges match a sorted model under random updates', () => {
    const rng = new SeededRandom(3)
    const set = new SortedSet()
    const model = new Map<string, number>()
    for (let i = 0; i < 5000; i++) {
      const member = `m${rng.int(0, 300)}`
      if (rng.int(0, 3) === 0) {
        expect(set.remove(member)).toBe(model.delete(member))
      } else {
        const score = rng.int(-50, 50) / 2
        set.add(score, member, NONE)
        model.set(member, score)
      }
    }
    const sorted = [...model].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    expect([...set.entries()]).toEqual(sorted)
    sorted.forEach(([member], rank) => {
      expect(set.rank(member)).toBe(rank)
      expect(set.rank(member, true)).toBe(sorted.length - 1 - rank)
      expect(set.nodeAt(rank)?.member).toBe(member)
    })
    const range = { min: -3, max: 4, minExclusive: true, maxExclusive: false }
    const inRange = sorted.filter(([, s]) => s > -3 && s <= 4)
    expect(set.list.firstInScoreRange(range)?.member).toBe(inRange[0]?.[0])
    expect(set.list.lastInScoreRange(range)?.member).toBe(inRange[inRange.length - 1]?.[0])
    expect(set.size).toBe(model.size)
  })

  test('lex ranges on equal scores', () => {
    const set = new SortedSet()
    for (const m of ['a', 'b', 'c', 'd']) set.add(0, m, NONE)
    expect(set.firstInLexRange({ min: 'b', max: LEX_MAX, minExclusive: true, maxExclusive: true })?.member).toBe('c')
    expect(set.lastInLexRange({ min: LEX_MIN, max: 'c', minExclusive: true, maxExclusive: true })?.member).toBe('b')
    expect(set.firstInLexRange({ min: LEX_MAX, max: LEX_MAX, minExclusive: true, maxExclusive: true })).toBeNull()
  })

  test('encoding transitions: compact up to 128 members of up to 64 bytes, then skiplist for good', () => {
    const set = new SortedSet(1)
    for (let i = 0; i < 128; i++) set.add(i, `m${i}`, NONE)
    expect(set.compact).toBe(true)
    set.add(0, 'one-more', NONE)
    expect(set.compact).toBe(false)
    set.remove('one-more')
    expect(set.compact).toBe(false)
    expect(new SortedSet(65).compact).toBe(false)
    expect(SortedSet.fromEntries([['x'.repeat(65), 1]]).compact).toBe(false)
  })
})
