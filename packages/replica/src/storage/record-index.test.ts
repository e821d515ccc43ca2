// RecordIndex against a plain Map model, under a seeded random mix of sets, deletes, flushes and
// overlays begun and ended at random points: reads through the overlay, the frozen base, and the
// fold back must all agree with the model (the compaction depends on each of them).
import { describe, expect, test } from 'vitest'
import type { KeyRecord } from '@replicast/core'
import { RecordIndex } from './record-index.ts'

/** mulberry32: a small seeded PRNG, so a failure can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const id = (db: number, key: string) => `${db}:${key}`
const snapshot = (records: Iterable<KeyRecord>) => [...records].map((r) => `${id(r.db, r.key)}=${(r.value as { value: string }).value}`).sort()

describe('RecordIndex', () => {
  for (const seed of [1, 2, 3, 42, 1234, 99991]) {
    test(`matches a Map model through overlays (FUZZ_SEED=${seed})`, () => {
      const next = random(seed)
      const index = new RecordIndex()
      const model = new Map<string, KeyRecord>()
      let frozen: { base: ReturnType<RecordIndex['beginOverlay']>; expected: string[] } | null = null
      for (let step = 0; step < 3000; step++) {
        const db = Math.floor(next() * 3)
        const key = `k${Math.floor(next() * 40)}`
        const roll = next()
        if (roll < 0.55) {
          const record: KeyRecord = { db, key, value: { type: 'string', value: `v${step}` }, expireAt: null }
          index.set(record)
          model.set(id(db, key), record)
        } else if (roll < 0.8) {
          index.delete(db, key)
          model.delete(id(db, key))
        } else if (roll < 0.86) {
          index.flushDb(db)
          for (const k of [...model.keys()]) if (k.startsWith(`${db}:`)) model.delete(k)
        } else if (roll < 0.88) {
          index.flushAll()
          model.clear()
        } else if (roll < 0.94 && frozen === null) {
          frozen = { base: index.beginOverlay(), expected: snapshot(model.values()) }
        } else if (frozen !== null && roll >= 0.94) {
          const base: KeyRecord[] = []
          for (const keys of frozen.base.values()) for (const r of keys.values()) base.push(r)
          expect(snapshot(base), `frozen base at step ${step}`).toEqual(frozen.expected)
          index.endOverlay()
          frozen = null
        }
        const probe = `k${Math.floor(next() * 40)}`
        expect(index.get(db, probe), `get(${db}, ${probe}) at step ${step}`).toBe(model.get(id(db, probe)))
        if (step % 100 === 0) {
          const all: KeyRecord[] = []
          for (const batch of index.batches(7)) all.push(...batch)
          expect(snapshot(all), `batches at step ${step}`).toEqual(snapshot(model.values()))
        }
      }
      index.endOverlay()
      const all: KeyRecord[] = []
      for (const batch of index.batches(1000)) all.push(...batch)
      expect(snapshot(all)).toEqual(snapshot(model.values()))
    })
  }
})
