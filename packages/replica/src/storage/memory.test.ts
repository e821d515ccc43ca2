// What only the memory adapter promises: its quota counts key + serialized value bytes of both
// generations during a full sync, a rejected write leaves the count as it was, and a backing
// carries the store from one instance to the next.
import { describe, expect, test } from 'vitest'
import { writeRdbValue } from '@replicast/core'
import { createMemoryStorage, MemoryBacking } from './memory.ts'
import { STORAGE_ERROR_CODES, StorageQuotaError } from './storage.ts'

const meta = { replid: 'a'.repeat(40), offset: 1, selectedDb: 0 }
const value = (s: string) => ({ type: 'string' as const, value: s })

describe('memory storage', () => {
  test('estimateBytes counts key + RDB value bytes, over both generations during a full sync', async () => {
    const storage = createMemoryStorage()
    await storage.open()
    await storage.commit([{ kind: 'set', record: { db: 0, key: 'key', value: value('v'.repeat(100)), expireAt: null } }], meta)
    const one = 3 + writeRdbValue(value('v'.repeat(100))).length
    expect(await storage.estimateBytes()).toBe(one)
    const writer = await storage.beginFullSync()
    await writer.write([{ db: 0, key: 'key', value: value('v'.repeat(100)), expireAt: null }])
    expect(await storage.estimateBytes()).toBe(2 * one)
    await writer.commit(meta)
    expect(await storage.estimateBytes()).toBe(one)
  })

  test('a commit over quotaBytes names the numbers and leaves the count and data as they were', async () => {
    const storage = createMemoryStorage({ quotaBytes: 1000 })
    await storage.open()
    await storage.commit([{ kind: 'set', record: { db: 0, key: 'a', value: value('x'), expireAt: null } }], meta)
    const before = await storage.estimateBytes()
    const error = await storage
      .commit([{ kind: 'flush-all' }, { kind: 'set', record: { db: 0, key: 'b', value: value('y'.repeat(2000)), expireAt: null } }], meta)
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StorageQuotaError)
    expect(error).toMatchObject({ code: STORAGE_ERROR_CODES.quota, limit: 'quotaBytes', limitBytes: 1000 })
    expect((error as Error).message).toMatch(/would bring the memory store to \d+ bytes, over quotaBytes \(1000\)/)
    expect(await storage.estimateBytes()).toBe(before)
    expect((await storage.get(0, 'a'))?.value).toEqual(value('x'))
  })

  test('a backing passed to a new storage reopens the store', async () => {
    const backing = new MemoryBacking()
    const first = createMemoryStorage({ backing })
    await first.open()
    await first.commit([{ kind: 'set', record: { db: 2, key: 'k', value: value('v'), expireAt: 5 } }], meta)
    await first.close()
    const second = createMemoryStorage({ backing })
    expect(await second.open()).toEqual(meta)
    expect(await second.get(2, 'k')).toEqual({ db: 2, key: 'k', value: value('v'), expireAt: 5 })
  })

  test('invalid options are refused', () => {
    expect(() => createMemoryStorage({ quotaBytes: 0 })).toThrow(RangeError)
    expect(() => createMemoryStorage({ loadBatchRecords: 0 })).toThrow(RangeError)
  })
})
