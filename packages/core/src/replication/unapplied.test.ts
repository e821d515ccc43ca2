import { describe, expect, test } from 'vitest'
import { ReplicastError } from '../errors.ts'
import { UnappliedCommandError, UnappliedCommandReports, unappliedCommandName } from './unapplied.ts'

describe('UnappliedCommandReports', () => {
  test('the first command of each name, then every power of ten of the total, is due a report', () => {
    const reports = new UnappliedCommandReports()
    const due: number[] = []
    for (let count = 1; count <= 1000; count++) if (reports.note(count === 5 ? 'lmove' : 'xadd').due) due.push(count)
    expect(due).toEqual([1, 5, 10, 100, 1000])
  })

  test('past 256 names, only the powers of ten are', () => {
    const reports = new UnappliedCommandReports()
    for (let i = 1; i <= 256; i++) expect(reports.note(`cmd${i}`).due).toBe(true)
    expect(reports.note('another')).toEqual({ count: 257, due: false })
    while (reports.count < 999) expect(reports.note('another').due).toBe(false)
    expect(reports.note('yet-another')).toEqual({ count: 1000, due: true })
  })

  test('note() counts, names the last command (lowercase, from an argv or a name) and decides whether it is due a report', () => {
    const reports = new UnappliedCommandReports()
    expect([reports.count, reports.lastCommand]).toEqual([0, null])
    const notes = []
    for (let i = 1; i <= 100; i++) notes.push(reports.note(i === 5 ? ['LMOVE', 'a', 'b', 'LEFT', 'RIGHT'] : 'XADD'))
    expect(notes.filter((n) => n.due).map((n) => n.count)).toEqual([1, 5, 10, 100])
    expect(notes.at(-1)).toEqual({ count: 100, due: true })
    expect([reports.count, reports.lastCommand]).toEqual([100, 'xadd'])
    expect(reports.note(['HSetNX', 'h', 'f', 'v'])).toEqual({ count: 101, due: true })
    expect(reports.lastCommand).toBe('hsetnx')
  })

  test('reset() forgets the count, the last command and the names reported', () => {
    const reports = new UnappliedCommandReports()
    reports.note('xadd')
    reports.note('xadd')
    reports.reset()
    expect([reports.count, reports.lastCommand]).toEqual([0, null])
    expect(reports.note('xadd')).toEqual({ count: 1, due: true })
    expect(reports.note('xadd')).toEqual({ count: 2, due: false })
  })

  test('an empty argv has the empty name', () => {
    expect(unappliedCommandName([])).toBe('')
    expect(unappliedCommandName('SETRANGE')).toBe('setrange')
  })
})

describe('UnappliedCommandError', () => {
  test('carries the code its subclass gives, the command, the reply and the count', () => {
    class TestUnappliedError extends UnappliedCommandError {
      constructor(command: string, count: number) {
        super('ERR_TEST_UNAPPLIED', command, 'ERR unknown command', count, `'${command}' unapplied (${count} so far)`)
      }
    }
    const e = new TestUnappliedError('lmove', 3)
    expect(e).toBeInstanceOf(ReplicastError)
    expect(e).toBeInstanceOf(UnappliedCommandError)
    expect(e).toMatchObject({ name: 'TestUnappliedError', code: 'ERR_TEST_UNAPPLIED', command: 'lmove', reply: 'ERR unknown command', count: 3 })
    expect(e.message).toBe("'lmove' unapplied (3 so far)")
  })
})
