// Runs THE storage contract (contract.ts) against every adapter that runs in Node: memory, file
// (in temp dirs) and IndexedDB over fake-indexeddb (a fresh IDBFactory per case).
import 'fake-indexeddb/auto'
import { mkdtemp, open, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { IDBFactory } from 'fake-indexeddb'
import { sameStoreHarness } from './contract.ts'
import { runStorageContract } from './contract-vitest.ts'
import { createFileStorage } from './file.ts'
import { createIndexedDbStorage } from './indexeddb.ts'
import { createMemoryStorage, MemoryBacking, type MemoryStorage } from './memory.ts'

runStorageContract('memory', () => {
  let backing = new MemoryBacking()
  let quotaBytes: number | undefined
  const make = () => createMemoryStorage({ backing, loadBatchRecords: 50, ...(quotaBytes === undefined ? {} : { quotaBytes }) })
  return {
    async create() {
      return make()
    },
    async reopen(previous) {
      await previous.close()
      backing = (previous as MemoryStorage).backing
      return make()
    },
    async createLimited(limitBytes) {
      quotaBytes = limitBytes
      return make()
    },
  }
})

runStorageContract('file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'replicast-storage-'))
  // Small enough that the many-commits case compacts several times.
  let options = { dir, compactAfterBytes: 64 * 1024, loadBatchRecords: 50 }
  const make = () => createFileStorage(options)
  return {
    ...sameStoreHarness(make),
    async createLimited(limitBytes) {
      options = { ...options, maxBytes: limitBytes } as typeof options
      return make()
    },
    async tearTail(bytes) {
      const manifest = await readFile(join(dir, 'MANIFEST'), 'utf8')
      const logs = (JSON.parse(manifest.split('\n')[0]!) as { logs: string[] }).logs
      const handle = await open(join(dir, logs[logs.length - 1]!), 'r+')
      try {
        const { size } = await handle.stat()
        if (size - bytes < 8) throw new Error(`the log has ${size} bytes; cannot tear ${bytes}`)
        await handle.truncate(size - bytes)
      } finally {
        await handle.close()
      }
    },
    async dispose() {
      await rm(dir, { recursive: true, force: true })
    },
  }
})

/** Sizes that make every path of the IndexedDB adapter run on a few hundred records. */
const SMALL_IDB_SIZES = {
  fullSyncBatchBytes: 4096,
  pageBuckets: 8,
  compactLogBytes: 2048,
  bucketPagesLimit: 3,
  loadBatchRecords: 50,
  deleteBatchPages: 4,
} as const

runStorageContract('indexeddb (fake-indexeddb)', () => {
  const idbFactory = new IDBFactory()
  // Small sizes, so that every path of the adapter (several bulk transactions per full sync, several
  // getAll steps per load, compactions of the log, merges of a bucket's pages, several delete
  // transactions per old generation) runs in these cases.
  const make = () =>
    createIndexedDbStorage({ name: 'replica', idbFactory, ...SMALL_IDB_SIZES })
  return {
    ...sameStoreHarness(make),
  }
})
