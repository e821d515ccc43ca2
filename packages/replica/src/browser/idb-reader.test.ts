// A follower tab's reader gives its connection up when another tab deletes or upgrades the
// database, so it never blocks that tab, and reads again afterwards on a new connection.
import 'fake-indexeddb/auto'
import { IDBFactory } from 'fake-indexeddb'
import { describe, expect, test } from 'vitest'
import type { KeyRecord } from '@replicast/core'
import { createIndexedDbStorage } from '../storage/indexeddb.ts'
import { StorageError, type ReplicationMeta } from '../storage/storage.ts'
import { deleteDatabaseElsewhere, openDatabaseAt } from '../storage/idb-test-util.ts'
import { createIdbReader } from './idb-reader.ts'

const meta = (offset: number): ReplicationMeta => ({ replid: 'd'.repeat(40), offset, selectedDb: 0 })
const rec = (key: string, value: string): KeyRecord => ({ db: 0, key, value: { type: 'string', value }, expireAt: null })

async function storedStore(factory: IDBFactory, name: string): Promise<void> {
  const storage = createIndexedDbStorage({ name, idbFactory: factory })
  await storage.open()
  await storage.commit([{ kind: 'set', record: rec('k', 'v') }], meta(10))
  await storage.close()
}

describe('createIdbReader', () => {
  test('a deleteDatabase elsewhere is not blocked; the next read opens a new connection', async () => {
    const factory = new IDBFactory()
    await storedStore(factory, 'r')
    const reader = createIdbReader({ name: 'r', factory })
    expect(await reader.open()).toEqual(meta(10))
    expect((await reader.get(0, 'k'))?.value).toEqual({ type: 'string', value: 'v' })

    await deleteDatabaseElsewhere(factory, 'r')
    // The database is gone: the new connection finds it empty.
    expect(await reader.get(0, 'k')).toBeUndefined()
    await reader.close()
  })

  test('an upgrade elsewhere is not blocked; reads then say the store has a newer schema', async () => {
    const factory = new IDBFactory()
    await storedStore(factory, 'u')
    const reader = createIdbReader({ name: 'u', factory })
    await reader.open()
    expect(await openDatabaseAt(factory, 'u', 99)).toBe('opened')
    await expect(reader.get(0, 'k')).rejects.toBeInstanceOf(StorageError)
    await reader.close()
  })
})
