// The browser path: with no Node Buffer, strings are decoded and encoded by the portable loops of
// bytes.ts, input.ts and output.ts. The modules capture `Buffer` when they load, so they are loaded
// afresh here with it hidden.
import { afterAll, beforeAll, expect, test, vi } from 'vitest'
import type { KeyRecord } from '../values.ts'

type Rdb = typeof import('./index.ts')
let rdb: Rdb
const saved = globalThis.Buffer

beforeAll(async () => {
  vi.resetModules()
  ;(globalThis as { Buffer?: unknown }).Buffer = undefined
  try {
    rdb = await import('./index.ts')
  } finally {
    globalThis.Buffer = saved
  }
})
afterAll(() => {
  vi.resetModules()
})

test('without Buffer: write and read back long, short, binary and compressed strings in chunks', () => {
  const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i))
  const records: KeyRecord[] = [
    { db: 0, key: 'short', value: { type: 'string', value: 'abc' }, expireAt: null },
    { db: 0, key: all, value: { type: 'string', value: all.repeat(100) }, expireAt: null },
    { db: 0, key: 'lzf', value: { type: 'list', items: ['compress '.repeat(2000), 'x'.repeat(40_000)] }, expireAt: 1 },
    { db: 2, key: 'hash', value: { type: 'hash', fields: [['f'.repeat(50), 'v'.repeat(70)]] }, expireAt: null },
  ]
  const file = rdb.encodeRdb(records, {}, { compression: true })
  const reader = new rdb.RdbReader()
  const keys: KeyRecord[] = []
  for (let at = 0; at < file.length; at += 333) {
    for (const e of reader.push(file.subarray(at, at + 333))) if (e.kind === 'key') keys.push(e.record)
  }
  reader.finish()
  expect(keys).toEqual(records)
  expect(rdb.readRdbValue(rdb.writeRdbValue(records[1]!.value))).toEqual(records[1]!.value)
})
