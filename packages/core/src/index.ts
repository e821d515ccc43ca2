// The public surface of @replicast/core: re-exports only.
export * from './bytes.ts'
export * from './byte-queue.ts'
export * from './errors.ts'
export * from './values.ts'
export * from './resp/index.ts'
export * from './rdb/index.ts'
export * from './store/index.ts'
export * from './replication/index.ts'
