import { describe, expect, test } from 'vitest'
import { streamCommands, StreamDbTracker, wrapExecutionUnit } from './propagation.ts'

describe('execution units in the replication stream', () => {
  test('one effect alone, several wrapped; SELECT before MULTI for the first db (Redis 7.0)', () => {
    const tracker = new StreamDbTracker()
    expect(streamCommands([{ db: 0, argv: ['SET', 'a', '1'] }], true, tracker)).toEqual([['SELECT', '0'], ['SET', 'a', '1']])
    expect(
      streamCommands([{ db: 2, argv: ['SET', 'a', '2'] }, { db: 0, argv: ['SET', 'a', '3'] }], true, tracker),
    ).toEqual([['SELECT', '2'], ['MULTI'], ['SET', 'a', '2'], ['SELECT', '0'], ['SET', 'a', '3'], ['EXEC']])
    expect(streamCommands([{ db: 0, argv: ['DEL', 'x'] }, { db: 0, argv: ['DEL', 'y'] }], false, tracker)).toEqual([['DEL', 'x'], ['DEL', 'y']])
    expect(streamCommands([{ db: -1, argv: ['ping'] }], true, tracker)).toEqual([['ping']])
    tracker.reset()
    expect(tracker.selectBefore({ db: 0, argv: ['DEL', 'x'] })).toEqual(['SELECT', '0'])
  })

  test('wrapExecutionUnit leaves single and non-atomic units alone', () => {
    const one = [{ db: 0, argv: ['SET', 'a', '1'] }]
    expect(wrapExecutionUnit(one)).toBe(one)
    expect(wrapExecutionUnit([])).toEqual([])
  })
})
