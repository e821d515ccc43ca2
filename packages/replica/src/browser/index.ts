// The browser entry of @replicast/replica (`@replicast/replica/browser`): everything of the isomorphic
// entry, plus the replica shared by the tabs of an origin (createBrowserReplica) and the IndexedDB
// storage that runs in a dedicated worker (createWorkerStorage). Nothing here runs in Node.
export * from '../index.ts'
export {
  BROWSER_REPLICA_DEFAULTS,
  BrowserReplica,
  createBrowserReplica,
  type BrowserReplicaEvents,
  type BrowserReplicaOptions,
  type BrowserReplicaRole,
  type BrowserReplicaStatus,
} from './browser-replica.ts'
export { createWorkerReader, createWorkerStorage, type WorkerReader, type WorkerStorage, type WorkerStorageOptions } from './worker-storage.ts'
export { defaultStorageWorker, type StorageWorkerFactory } from './worker-client.ts'
export type { WorkerIdbOptions } from './worker-protocol.ts'
export { StallClock } from './page-lifecycle.ts'
