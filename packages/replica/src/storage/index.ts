// The isomorphic storage surface of the replica: the interface and its errors, the memory and
// IndexedDB adapters, and the contract suite (for browser test pages). The file adapter is Node-only
// and is imported from './file.ts' directly, so that browser bundles never see `node:*`.
export * from './storage.ts'
export { MAX_DB_INDEX } from './input.ts'
export { createMemoryBacking, createMemoryStorage, MEMORY_STORAGE_DEFAULTS, MemoryBacking, type MemoryStorage, type MemoryStorageOptions } from './memory.ts'
export {
  createIndexedDbStorage, INDEXEDDB_SCHEMA_VERSION, INDEXEDDB_STORAGE_DEFAULTS, type IndexedDbStorage, type IndexedDbStorageOptions,
} from './indexeddb.ts'
export {
  ContractAssertionError, harnessSupports, runStorageContractCase, runStorageContractCases, storageContractCases,
  type StorageCaseResult, type StorageContractCase, type StorageHarness,
} from './contract.ts'
