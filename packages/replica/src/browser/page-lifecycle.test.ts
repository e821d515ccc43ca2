// StallClock: the leader's link clock does not count time the page was not running.
import { describe, expect, test } from 'vitest'
import { StallClock } from './page-lifecycle.ts'

function clockAt(start: number): { clock: StallClock; set(t: number): void } {
  let wall = start
  return { clock: new StallClock({ stallMs: 2000, stepMs: 100, wall: () => wall }), set: (t) => (wall = t) }
}

describe('StallClock', () => {
  test('follows the wall clock while readings come often', () => {
    const { clock, set } = clockAt(1000)
    for (let t = 1000; t <= 61_000; t += 1000) {
      set(t)
      expect(clock.now()).toBe(t)
    }
    expect(clock.skippedMs).toBe(0)
  })

  test('counts a gap longer than stallMs as one step: a frozen page heard nothing because it ran nothing', () => {
    const { clock, set } = clockAt(0)
    set(100)
    const before = clock.now()
    set(100 + 3_600_000)
    expect(clock.now() - before).toBe(100)
    set(100 + 3_600_000 + 500)
    expect(clock.now() - before).toBe(600)
    expect(clock.skippedMs).toBe(3_600_000 - 100)
  })

  test('a gap up to stallMs counts in full', () => {
    const { clock, set } = clockAt(0)
    set(2000)
    expect(clock.now()).toBe(2000)
  })

  test('never runs backwards when the wall clock is set back', () => {
    const { clock, set } = clockAt(10_000)
    set(12_000)
    const a = clock.now()
    set(5_000)
    expect(clock.now()).toBe(a)
    set(5_500)
    expect(clock.now()).toBe(a + 500)
  })
})
