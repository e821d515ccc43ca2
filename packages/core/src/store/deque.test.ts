import { describe, expect, test } from 'vitest'
import { Deque } from './deque.ts'
import { SeededRandom } from './test-util.ts'

describe('Deque', () => {
  test('behaves like an array under random operations', () => {
    const rng = new SeededRandom(7)
    const deque = new Deque<number>()
    const model: number[] = []
    for (let i = 0; i < 20_000; i++) {
      const op = rng.int(0, 7)
      if (op === 0) {
        deque.push(i)
        model.push(i)
      } else if (op === 1) {
        deque.unshift(i)
        model.unshift(i)
      } else if (op === 2) expect(deque.pop()).toBe(model.pop())
      else if (op === 3) expect(deque.shift()).toBe(model.shift())
      else if (op === 4 && model.length > 0) {
        const at = rng.int(0, model.length - 1)
        expect(deque.at(at)).toBe(model[at])
        deque.set(at, -i)
        model[at] = -i
      } else if (op === 5 && rng.int(0, 50) === 0) {
        const head = rng.int(0, 3)
        const tail = rng.int(0, 3)
        deque.trim(head, tail)
        model.splice(0, head)
        model.splice(Math.max(0, model.length - tail), tail)
      } else if (op === 6 && model.length > 0 && rng.int(0, 20) === 0) {
        const value = model[rng.int(0, model.length - 1)]!
        const limit = rng.int(0, 2)
        const fromTail = rng.int(0, 1) === 1
        let removed = 0
        const indexes = model.map((_, k) => k)
        if (fromTail) indexes.reverse()
        const drop = new Set<number>()
        for (const k of indexes) if (model[k] === value && (limit === 0 || removed < limit)) {
          drop.add(k)
          removed++
        }
        expect(deque.remove(value, limit, fromTail)).toBe(removed)
        const kept = model.filter((_, k) => !drop.has(k))
        model.length = 0
        model.push(...kept)
      }
      expect(deque.length).toBe(model.length)
    }
    expect(deque.toArray()).toEqual(model)
    expect(deque.slice(1, 4)).toEqual(model.slice(1, 4))
  })
})
