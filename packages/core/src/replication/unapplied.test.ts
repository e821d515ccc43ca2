import { describe, expect, test } from 'vitest'
import { UnappliedCommandReports } from './unapplied.ts'

describe('UnappliedCommandReports', () => {
  test('the first command of each name, then every power of ten of the total, is due a report', () => {
    const reports = new UnappliedCommandReports()
    const due: number[] = []
    for (let count = 1; count <= 1000; count++) if (reports.due(count === 5 ? 'lmove' : 'xadd', count)) due.push(count)
    expect(due).toEqual([1, 5, 10, 100, 1000])
  })

  test('past 256 names, only the powers of ten are', () => {
    const reports = new UnappliedCommandReports()
    for (let i = 1; i <= 256; i++) expect(reports.due(`cmd${i}`, i)).toBe(true)
    expect(reports.due('another', 257)).toBe(false)
    expect(reports.due('yet-another', 1000)).toBe(true)
  })
})
