// THE storage contract (packages/replica/src/storage/contract.ts) against real IndexedDB in Chromium,
// for two adapters: the IndexedDB adapter on the page's main thread, and the worker storage (the same
// adapter in a dedicated worker behind a postMessage proxy, as browser replicas use it).
import { createIndexedDbStorage } from '@replicast/replica'
import { runStorageContractCase, sameStoreHarness, storageContractCases, type StorageHarness } from '../../../packages/replica/src/storage/contract.ts'
import { createWorkerStorage } from '@replicast/replica/browser'

export type ContractAdapter = 'indexeddb' | 'worker'

// Smaller than the defaults so that every path runs (several bulk transactions per full sync, several
// batches per load, compactions of the log and merges of pages), larger than fake-indexeddb's
// unit-test settings because real IndexedDB pays per transaction.
const BATCHES = {
  fullSyncBatchBytes: 32 * 1024,
  pageBuckets: 16,
  compactLogBytes: 16 * 1024,
  bucketPagesLimit: 4,
  loadBatchRecords: 500,
  deleteBatchPages: 16,
} as const

let databases = 0

function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name)
    request.onsuccess = () => resolve()
    request.onerror = () => reject(request.error)
    // A connection still open (a case that failed midway) delays the delete; do not wait for it.
    request.onblocked = () => resolve()
  })
}

function harness(adapter: ContractAdapter): StorageHarness {
  const name = `contract-${adapter}-${Date.now()}-${databases++}`
  const make = () => (adapter === 'indexeddb' ? createIndexedDbStorage({ name, ...BATCHES }) : createWorkerStorage({ name, ...BATCHES }))
  return {
    ...sameStoreHarness(make),
    async dispose() {
      await deleteDatabase(name)
    },
  }
}

export const contractApi = {
  contractCases: (): string[] => storageContractCases.map((c) => c.name),

  /** Runs one case by name; never throws. */
  async runContractCase(adapter: ContractAdapter, name: string): Promise<{ status: 'passed' | 'failed' | 'skipped'; error?: string; ms: number }> {
    const contractCase = storageContractCases.find((c) => c.name === name)
    if (contractCase === undefined) return { status: 'failed', error: `no case named ${JSON.stringify(name)}`, ms: 0 }
    const started = performance.now()
    try {
      const ran = await runStorageContractCase(() => harness(adapter), contractCase)
      return { status: ran ? 'passed' : 'skipped', ms: performance.now() - started }
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error))
      return { status: 'failed', error: `${e.name}: ${e.message}\n${e.stack ?? ''}`, ms: performance.now() - started }
    }
  },
}
