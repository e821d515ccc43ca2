// What only the IndexedDB adapter promises, beyond the contract (contract.test.ts): QuotaExceededError
// becomes StorageQuotaError with nothing applied; old and orphaned generations are removed; the log
// is compacted into pages and a bucket's pages merged, keeping the data; a failed compaction is
// reported and loses nothing; a schema 1 store opens empty; a connection lost to another tab's
// deleteDatabase closes the storage and says so.
import 'fake-indexeddb/auto'
import { IDBFactory } from 'fake-indexeddb'
import { afterEach, describe, expect, test } from 'vitest'
import type { KeyRecord } from '@replicast/core'
import { createIndexedDbStorage } from './indexeddb.ts'
import { kSimulateCrash, STORAGE_ERROR_CODES, StorageError, StorageQuotaError, type ReplicationMeta } from './storage.ts'

const meta = (offset: number): ReplicationMeta => ({ replid: 'c'.repeat(40), offset, selectedDb: 0 })
const rec = (key: string, value: string, db = 0): KeyRecord => ({ db, key, value: { type: 'string', value }, expireAt: null })

function openRaw(factory: IDBFactory, name: string, version?: number): Promise<IDBDatabase> {
  return new Promise<IDBDatabase>((resolve, reject) => {
    const request = factory.open(name, version)
    request.onupgradeneeded = () => {
      if (version === 1) request.result.createObjectStore('records')
      if (version === 1) request.result.createObjectStore('meta')
    }
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
}

function keysOf(db: IDBDatabase, store: string): Promise<number[][]> {
  return new Promise((resolve, reject) => {
    const request = db.transaction(store).objectStore(store).getAllKeys()
    request.onsuccess = () => resolve(request.result as number[][])
    request.onerror = () => reject(request.error)
  })
}

/** The keys of the pages and log stores, read with raw IndexedDB. */
async function storedKeys(factory: IDBFactory, name: string): Promise<{ pages: number[][]; log: number[][] }> {
  const db = await openRaw(factory, name)
  const result = { pages: await keysOf(db, 'pages'), log: await keysOf(db, 'log') }
  db.close()
  return result
}

/** Generations present in the pages and log stores. */
async function generations(factory: IDBFactory, name: string): Promise<number[]> {
  const { pages, log } = await storedKeys(factory, name)
  return [...new Set([...pages, ...log].map((key) => key[0]!))].sort()
}

/** Polls until the background removal has left only `expected` (close() stops it at its next batch). */
async function settlesTo(factory: IDBFactory, name: string, expected: number[]): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (JSON.stringify(await generations(factory, name)) === JSON.stringify(expected)) return
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  expect(await generations(factory, name)).toEqual(expected)
}

const restore: (() => void)[] = []
afterEach(() => {
  for (const undo of restore.splice(0)) undo()
})

/** Makes put() of pages and log entries over `limit` bytes throw QuotaExceededError, as a browser over quota does. */
function quotaAt(limit: number): void {
  const original = IDBObjectStore.prototype.put
  IDBObjectStore.prototype.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
    if (value instanceof ArrayBuffer && value.byteLength > limit) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError')
    return original.call(this, value, key)
  } as typeof original
  restore.push(() => (IDBObjectStore.prototype.put = original))
}

describe('IndexedDB storage', () => {
  test('QuotaExceededError becomes StorageQuotaError; nothing of the commit is stored', async () => {
    const storage = createIndexedDbStorage({ name: 'q', idbFactory: new IDBFactory() })
    await storage.open()
    await storage.commit([{ kind: 'set', record: rec('a', 'before') }], meta(1))
    quotaAt(10_000)
    const error = await storage
      .commit([{ kind: 'set', record: rec('a', 'changed') }, { kind: 'set', record: rec('big', 'x'.repeat(20_000)) }], meta(2))
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StorageQuotaError)
    expect(error).toMatchObject({ code: STORAGE_ERROR_CODES.quota, limit: 'browser-quota' })
    expect((error as Error).message).toContain("this site's storage quota is used up")
    expect((await storage.get(0, 'a'))?.value).toEqual({ type: 'string', value: 'before' })
    expect(await storage.get(0, 'big')).toBeUndefined()
    await storage.commit([{ kind: 'set', record: rec('c', 'after') }], meta(3))
    await storage.close()
  })

  test('QuotaExceededError in a full sync fails the writer; abort keeps the old generation', async () => {
    const idbFactory = new IDBFactory()
    const storage = createIndexedDbStorage({ name: 'q', idbFactory, fullSyncBatchBytes: 64 })
    await storage.open()
    await storage.commit([{ kind: 'set', record: rec('old', '1') }], meta(1))
    quotaAt(10_000)
    const writer = await storage.beginFullSync()
    const failed = await (async () => {
      await writer.write([rec('n1', '1'), rec('n2', 'x'.repeat(20_000))])
      await writer.write([rec('n3', '3'), rec('n4', '4')])
      await writer.commit(meta(9))
    })().catch((e: unknown) => e)
    expect(failed).toBeInstanceOf(StorageQuotaError)
    await expect(writer.commit(meta(9))).rejects.toBeInstanceOf(StorageQuotaError)
    await writer.abort()
    expect((await storage.get(0, 'old'))?.value).toEqual({ type: 'string', value: '1' })
    await storage.close()
    expect(await generations(idbFactory, 'q')).toEqual([0])
  })

  test('the old generation is removed after a switch, and an orphaned one after a crash', async () => {
    const idbFactory = new IDBFactory()
    let storage = createIndexedDbStorage({ name: 'g', idbFactory, fullSyncBatchBytes: 200, pageBuckets: 4, deleteBatchPages: 7 })
    await storage.open()
    const many = Array.from({ length: 100 }, (_, i) => rec(`k${i}`, String(i)))
    await storage.commit(many.map((record) => ({ kind: 'set' as const, record })), meta(1))
    let writer = await storage.beginFullSync()
    await writer.write(many)
    await writer.commit(meta(2))
    await settlesTo(idbFactory, 'g', [1])
    await storage.close()

    storage = createIndexedDbStorage({ name: 'g', idbFactory, fullSyncBatchBytes: 200, pageBuckets: 4, deleteBatchPages: 7 })
    await storage.open()
    writer = await storage.beginFullSync()
    await writer.write(many)
    storage[kSimulateCrash]()
    expect(await generations(idbFactory, 'g')).toEqual([1, 2])
    storage = createIndexedDbStorage({ name: 'g', idbFactory, deleteBatchPages: 7 })
    expect(await storage.open()).toEqual(meta(2))
    await settlesTo(idbFactory, 'g', [1])
    await storage.close()
  })

  test('the log is compacted into pages and the pages of a bucket merged; the data stays whole', async () => {
    const idbFactory = new IDBFactory()
    const errors: StorageError[] = []
    const make = () =>
      createIndexedDbStorage({ name: 'c', idbFactory, pageBuckets: 4, compactLogBytes: 1000, bucketPagesLimit: 2, onBackgroundError: (e) => errors.push(e) })
    let storage = make()
    await storage.open()
    const expected = new Map<string, string>()
    for (let round = 0; round < 40; round++) {
      const changes = []
      for (let i = 0; i < 10; i++) {
        const key = `k${(round * 7 + i * 13) % 50}`
        if ((round + i) % 5 === 0) {
          changes.push({ kind: 'delete' as const, db: 0, key })
          expected.delete(key)
        } else {
          changes.push({ kind: 'set' as const, record: rec(key, `${round}.${i}`) })
          expected.set(key, `${round}.${i}`)
        }
      }
      await storage.commit(changes, meta(round + 1))
    }
    await storage.close()
    const { pages, log } = await storedKeys(idbFactory, 'c')
    // Compactions ran (the log holds less than a compaction's worth), and merges kept every bucket
    // within twice the limit although more compactions than that wrote to each.
    expect(log.length).toBeLessThan(40)
    const perBucket = new Map<string, number>()
    for (const key of pages) perBucket.set(`${key[1]}:${key[2]}`, (perBucket.get(`${key[1]}:${key[2]}`) ?? 0) + 1)
    expect(Math.max(...perBucket.values())).toBeLessThanOrEqual(4)
    expect(Math.max(...pages.map((key) => key[3]!))).toBeGreaterThan(4 * 4)
    expect(errors).toEqual([])

    storage = make()
    expect(await storage.open()).toEqual(meta(40))
    for (let i = 0; i < 50; i++) {
      expect((await storage.get(0, `k${i}`))?.value ?? null).toEqual(expected.has(`k${i}`) ? { type: 'string', value: expected.get(`k${i}`) } : null)
    }
    const loaded = new Map<string, unknown>()
    await storage.load((records) => records.forEach((r) => loaded.set(r.key, r.value)))
    expect(loaded).toEqual(new Map([...expected].map(([k, v]) => [k, { type: 'string', value: v }])))
    await storage.close()
  })

  test('flushes in the log hide older pages, before and after a compaction', async () => {
    const idbFactory = new IDBFactory()
    const make = () => createIndexedDbStorage({ name: 'f', idbFactory, pageBuckets: 2, compactLogBytes: 300 })
    let storage = make()
    await storage.open()
    await storage.commit(Array.from({ length: 20 }, (_, i) => ({ kind: 'set' as const, record: rec(`a${i}`, 'x'.repeat(20), i % 2) })), meta(1))
    await storage.commit([{ kind: 'flush-db', db: 1 }, { kind: 'set', record: rec('b', 'after', 1) }], meta(2))
    await storage.commit([{ kind: 'flush-all' }, { kind: 'set', record: rec('c', 'last', 0) }], meta(3))
    const state = async () => {
      const all: string[] = []
      await storage.load((records) => all.push(...records.map((r) => `${r.db}:${r.key}`)))
      return all.sort()
    }
    expect(await state()).toEqual(['0:c'])
    expect(await storage.get(1, 'b')).toBeUndefined()
    expect(await storage.get(0, 'a0')).toBeUndefined()
    await storage.commit(Array.from({ length: 20 }, (_, i) => ({ kind: 'set' as const, record: rec(`d${i}`, 'y'.repeat(20), 1) })), meta(4))
    await storage.close()
    storage = make()
    await storage.open()
    expect((await state()).length).toBe(21)
    expect((await storage.get(0, 'c'))?.value).toEqual({ type: 'string', value: 'last' })
    await storage.close()
  })

  test('a compaction of the old generation started just before a switch does not outlive it', async () => {
    const idbFactory = new IDBFactory()
    const make = () => createIndexedDbStorage({ name: 'cs', idbFactory, pageBuckets: 2, compactLogBytes: 100 })
    let storage = make()
    await storage.open()
    await storage.commit([{ kind: 'set', record: rec('old', '1') }], meta(1))
    const writer = await storage.beginFullSync()
    await writer.write([rec('new', '2')])
    // This commit fills the old generation's log past compactLogBytes; the switch is queued behind it.
    const committed = storage.commit([{ kind: 'set', record: rec('big', 'x'.repeat(200)) }], meta(2))
    const switched = writer.commit(meta(3))
    await committed
    await switched
    await storage.commit([{ kind: 'set', record: rec('after', '4') }], meta(4))
    await storage.close()
    storage = make()
    expect(await storage.open()).toEqual(meta(4))
    const keys: string[] = []
    await storage.load((records) => keys.push(...records.map((r) => r.key)))
    expect(keys.sort()).toEqual(['after', 'new'])
    await storage.close()
  })

  test('a compaction that fails is reported; the log keeps the data and commits go on', async () => {
    const idbFactory = new IDBFactory()
    const errors: StorageError[] = []
    const storage = createIndexedDbStorage({ name: 'cf', idbFactory, pageBuckets: 1, compactLogBytes: 500, onBackgroundError: (e) => errors.push(e) })
    await storage.open()
    // A page of the whole log is larger than any one commit: only the compaction's put fails.
    quotaAt(400)
    for (let i = 0; i < 5; i++) await storage.commit([{ kind: 'set', record: rec(`k${i}`, 'v'.repeat(150)) }], meta(i + 1))
    expect(errors).toEqual([expect.any(StorageQuotaError)])
    expect(errors[0]!.message).toContain('compacting the commit log')
    for (let i = 0; i < 5; i++) expect((await storage.get(0, `k${i}`))?.value).toEqual({ type: 'string', value: 'v'.repeat(150) })
    await storage.close()
  })

  test('a store of schema 1 (one record per key) opens empty, so the replica full-syncs once', async () => {
    const idbFactory = new IDBFactory()
    const old = await openRaw(idbFactory, 'v1', 1)
    old.close()
    const storage = createIndexedDbStorage({ name: 'v1', idbFactory })
    expect(await storage.open()).toBeNull()
    await storage.commit([{ kind: 'set', record: rec('a', '1') }], meta(1))
    expect((await storage.get(0, 'a'))?.value).toEqual({ type: 'string', value: '1' })
    await storage.close()
  })

  test('another connection deleting the database closes the storage and reports it', async () => {
    const idbFactory = new IDBFactory()
    const errors: StorageError[] = []
    const storage = createIndexedDbStorage({ name: 'd', idbFactory, onBackgroundError: (e) => errors.push(e) })
    await storage.open()
    await new Promise<void>((resolve, reject) => {
      const request = idbFactory.deleteDatabase('d')
      request.onsuccess = () => resolve()
      request.onerror = () => reject(request.error)
    })
    expect(errors.map((e) => e.message)).toEqual([expect.stringContaining('is being deleted or upgraded by another connection')])
    await expect(storage.get(0, 'a')).rejects.toMatchObject({ code: STORAGE_ERROR_CODES.closed })
  })

  test('invalid options are refused together', () => {
    expect(() => createIndexedDbStorage({ name: '', fullSyncBatchBytes: 0, pageBuckets: 1.5, commitDurability: 'eventually' as 'strict' })).toThrow(
      /name \(""\) must be a non-empty string; fullSyncBatchBytes \(0\) must be a positive integer; pageBuckets \(1.5\) must be a positive integer; commitDurability \(eventually\)/,
    )
  })
})
