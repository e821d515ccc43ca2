// The public surface of @replicast/replica (isomorphic: browsers and Node).
export { createReplica, Replica, type ReplicaChange, type ReplicaEvents, type ReplicaStatusInfo } from './replica.ts'
export { REPLICA_DEFAULTS, ReplicaOptionsError, type ReplicaOptions } from './options.ts'
export { ReplicaCommandError, type ReplyValue } from './reads.ts'
export { ReplicaUnappliedCommandError } from './unapplied-command-error.ts'
export type { WebSocketConstructor, WebSocketLike } from './websocket.ts'
export * from './storage/storage.ts'
export { createMemoryStorage, type MemoryStorage, type MemoryStorageOptions } from './storage/memory.ts'
export { createIndexedDbStorage, type IndexedDbStorage, type IndexedDbStorageOptions } from './storage/indexeddb.ts'
