import { expect, test } from 'vitest'
import { SeenSet } from './seen-set.ts'

test('finds duplicates across shards', () => {
  const seen = new SeenSet<string>(3)
  for (let i = 0; i < 10; i++) expect(seen.add(`m${i}`)).toBe(true)
  for (let i = 0; i < 10; i++) expect(seen.add(`m${i}`)).toBe(false)
  expect(seen.add('__proto__')).toBe(true)
  expect(seen.add('__proto__')).toBe(false)
})
