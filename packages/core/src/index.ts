// The public surface of @replicast/core: re-exports only.
export * from './bytes.ts'
export * from './byte-queue.ts'
export * from './errors.ts'
export * from './resp/index.ts'
export * from './values.ts'
