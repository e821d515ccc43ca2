// The script of the storage worker (`new Worker(new URL('./storage-worker-entry.ts', import.meta.url),
// { type: 'module' })`; bundlers such as Vite follow that pattern and emit it as its own chunk).
import { serveStorageWorker, type WorkerScope } from './storage-worker.ts'

serveStorageWorker(globalThis as unknown as WorkerScope)
