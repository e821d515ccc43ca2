// What only the IndexedDB adapter promises, beyond the contract (contract.test.ts): QuotaExceededError
// becomes StorageQuotaError with nothing applied; old and orphaned generations are removed; keys sort
// in byte order; a connection lost to another tab's deleteDatabase closes the storage and says so.
import 'fake-indexeddb/auto'
import { IDBFactory } from 'fake-indexeddb'
import { afterEach, describe, expect, test } from 'vitest'
import type { KeyRecord } from '@replicast/core'
import { createIndexedDbStorage } from './indexeddb.ts'
import { kSimulateCrash, STORAGE_ERROR_CODES, StorageError, StorageQuotaError, type ReplicationMeta } from './storage.ts'

const meta = (offset: number): ReplicationMeta => ({ replid: 'c'.repeat(40), offset, selectedDb: 0 })
const rec = (key: string, value: string, db = 0): KeyRecord => ({ db, key, value: { type: 'string', value }, expireAt: null })

/** Generations present in the records store, read with raw IndexedDB. */
async function generations(factory: IDBFactory, name: string): Promise<number[]> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = factory.open(name)
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
  const keys = await new Promise<IDBValidKey[]>((resolve, reject) => {
    const request = db.transaction('records').objectStore('records').getAllKeys()
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
  db.close()
  return [...new Set(keys.map((key) => (key as [number])[0]))].sort()
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

/** Makes put() of values over `limit` bytes throw QuotaExceededError, as a browser over quota does. */
function quotaAt(limit: number): void {
  const original = IDBObjectStore.prototype.put
  IDBObjectStore.prototype.put = function (this: IDBObjectStore, value: { v?: Uint8Array }, key?: IDBValidKey) {
    if ((value?.v?.length ?? 0) > limit) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError')
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
    const storage = createIndexedDbStorage({ name: 'q', idbFactory, fullSyncBatchRecords: 2 })
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
    let storage = createIndexedDbStorage({ name: 'g', idbFactory, fullSyncBatchRecords: 10, deleteBatchRecords: 7 })
    await storage.open()
    const many = Array.from({ length: 100 }, (_, i) => rec(`k${i}`, String(i)))
    await storage.commit(many.map((record) => ({ kind: 'set' as const, record })), meta(1))
    let writer = await storage.beginFullSync()
    await writer.write(many)
    await writer.commit(meta(2))
    await settlesTo(idbFactory, 'g', [1])
    await storage.close()

    storage = createIndexedDbStorage({ name: 'g', idbFactory, fullSyncBatchRecords: 10, deleteBatchRecords: 7 })
    await storage.open()
    writer = await storage.beginFullSync()
    await writer.write(many)
    storage[kSimulateCrash]()
    expect(await generations(idbFactory, 'g')).toEqual([1, 2])
    storage = createIndexedDbStorage({ name: 'g', idbFactory, deleteBatchRecords: 7 })
    expect(await storage.open()).toEqual(meta(2))
    await settlesTo(idbFactory, 'g', [1])
    await storage.close()
  })

  test('keys are stored as byte strings: load delivers them in byte order', async () => {
    const storage = createIndexedDbStorage({ name: 'o', idbFactory: new IDBFactory(), loadBatchRecords: 10 })
    await storage.open()
    const keys = Array.from({ length: 256 }, (_, b) => String.fromCharCode(b)).flatMap((c) => [c, `${c}\x00`, `${c}\xff`])
    const shuffled = [...keys].sort(() => 0).reverse()
    await storage.commit(shuffled.map((key) => ({ kind: 'set' as const, record: rec(key, 'v') })), meta(1))
    const loaded: string[] = []
    await storage.load((records) => loaded.push(...records.map((r) => r.key)))
    expect(loaded).toEqual([...keys].sort())
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
    expect(() => createIndexedDbStorage({ name: '', fullSyncBatchRecords: 0, commitDurability: 'eventually' as 'strict' })).toThrow(
      /name \(""\) must be a non-empty string; fullSyncBatchRecords \(0\) must be a positive integer; commitDurability \(eventually\)/,
    )
  })
})
