// The script of the worker a browser replica runs in (`new Worker(new URL('./storage-worker-entry.ts',
// import.meta.url), { type: 'module' })`; bundlers such as Vite follow that pattern and emit it as its
// own chunk). One script serves both kinds of worker, so that the `worker` option of
// createBrowserReplica and of createWorkerStorage makes either: the first message says which.
//
//   an engine's `init` (engine-protocol.ts)   the tab's replica worker (replica-worker.ts)
//   anything else (worker-protocol.ts)        a storage worker (storage-worker.ts: createWorkerStorage, createWorkerReader)
import { isEngineMessage } from './engine-protocol.ts'
import { serveReplicaWorker, type EngineScope } from './replica-worker.ts'
import { serveStorageWorker, type WorkerScope } from './storage-worker.ts'

const scope = globalThis as unknown as { onmessage: ((event: MessageEvent) => void) | null }
scope.onmessage = (event: MessageEvent) => {
  if (isEngineMessage(event.data)) serveReplicaWorker(scope as unknown as EngineScope)
  else serveStorageWorker(scope as unknown as WorkerScope)
  scope.onmessage?.(event)
}
