import { describe, expect, test } from 'vitest'
import { addLongDouble, formatLongDoubleHuman, parseLongDouble } from './long-double.ts'

const incr = (a: string, b: string): string | null => {
  const x = parseLongDouble(a)
  const y = parseLongDouble(b)
  return x === null || y === null ? null : formatLongDoubleHuman(addLongDouble(x, y))
}

describe('x87 long double emulation (INCRBYFLOAT), vectors from redis-server 7.0.15', () => {
  test.each([
    ['0', '0.1', '0.1'],
    ['0.1', '0.2', '0.3'],
    ['0', '1e20', '100000000000000000000'],
    ['0', '1e-20', '0'],
    ['3000', '-3000', '0'],
    ['0', '0x10', '16'],
    ['0', '0x1p3', '8'],
    ['0', '1.0000000000000000001', '1'],
    ['0', '5e-4940', '0'],
    ['0', '-0', '0'],
    ['10.5', '-0.25', '10.25'],
    ['1e308', '1e308', '199999999999999999993371759311691291321120199694831134415594095989843469737676123744200253843777078640893494450108026446304269499187921167194841628860392837535918200039206381557326219209014213335878306791577877829121087126122536729803237260434173178506889763247582601711514636284849020905456510092687857156096'],
  ])('%s + %s = %s', (a, b, expected) => {
    expect(incr(a, b)).toBe(expected)
  })

  test('1e4000 is finite in long double and prints in full', () => {
    const text = incr('1e4000', '0')!
    expect(text).toHaveLength(4000)
    expect(text.startsWith('9999999999999999999965463873099623784932492583506957631301508333')).toBe(true)
    expect(text.endsWith('1956972190272729951206648276349901340672')).toBe(true)
  })

  test('string2ld refusals', () => {
    for (const bad of ['', ' 1', '1 ', 'abc', 'nan', '1e5000', '-1e5000', '1e-5000', '1\x00', '0x', '.', 'e5']) {
      expect(parseLongDouble(bad), JSON.stringify(bad)).toBeNull()
    }
    expect(parseLongDouble('inf')).toEqual({ kind: 'inf', negative: false })
    expect(parseLongDouble('-Infinity')).toEqual({ kind: 'inf', negative: true })
  })

  test('inf + -inf is NaN; overflow gives infinity', () => {
    expect(addLongDouble(parseLongDouble('inf')!, parseLongDouble('-inf')!).kind).toBe('nan')
    expect(addLongDouble(parseLongDouble('1.1e4932')!, parseLongDouble('1.1e4932')!)).toEqual({ kind: 'inf', negative: false })
  })
})
