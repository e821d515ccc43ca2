// The storage worker: a dedicated Worker that owns a replica's IndexedDB, so that neither the
// transactions nor the (de)serialization of records run on the page's main thread (DESIGN §9). It
// answers the requests of worker-storage.ts (see worker-protocol.ts) and, in the leader tab, tells the
// follower tabs about every commit once it is durable (tab-protocol.ts).
//
//   owner mode   the IndexedDB adapter (createIndexedDbStorage) for open, commit, full syncs and
//                close; loads and gets read the committed state directly (storage/idb-read.ts) and send
//                values as stored, without decoding them here
//   reader mode  loads and gets only (a follower tab): no writes, no clean-up
//
// Requests are handled in arrival order, and each storage call is made synchronously on arrival, so
// the adapter sees commits and full-sync writes in exactly the order the main thread sent them.
//
// Deliberately left out: any retry. A failure goes back to the caller with its class and code.
import { createIndexedDbStorage, type IndexedDbStorage } from '../storage/indexeddb.ts'
import { StorageClosedError, StorageError, type FullSyncWriter, type ReplicationMeta } from '../storage/storage.ts'
import type { LogOverlay } from '../storage/idb-pages.ts'
import { openReplicaDatabase, PAGES_PER_READ, readGeneration, readKey, readMeta, toReplicationMeta, type StoredMeta } from '../storage/idb-read.ts'
import { storeOwnerLock } from './leader-election.ts'
import { decodeChanges, decodeRecords, RecordPacker } from '../storage/record-codec.ts'
import type { TabMessage, TabPoint } from './tab-protocol.ts'
import { serializeError, type WorkerMessage, type WorkerReply, type WorkerRequest } from './worker-protocol.ts'

/** The part of a DedicatedWorkerGlobalScope the worker uses. */
export interface WorkerScope {
  onmessage: ((event: MessageEvent<WorkerMessage>) => void) | null
  postMessage(message: WorkerReply, transfer: Transferable[]): void
}

/** Records per batch read and sent to the main thread while loading (which unpacks them a slice at a time). */
const LOAD_BATCH_DEFAULT = 2000

export function serveStorageWorker(scope: WorkerScope): void {
  let name = ''
  let mode: 'owner' | 'reader' | null = null
  let loadBatchRecords = LOAD_BATCH_DEFAULT
  let storage: IndexedDbStorage | null = null
  let database: IDBDatabase | null = null
  /** The log as last read, reused by the next get while the log has not moved. */
  let overlay: LogOverlay | null = null
  let channel: BroadcastChannel | null = null
  let closed = false
  /** The last durable point, as the followers know it (what the next commit builds on). */
  let durable: TabPoint | null = null
  let releaseOwnerLock: () => void = () => {}
  const writers = new Map<number, FullSyncWriter>()
  let nextWriter = 1

  const reply = (message: WorkerReply, transfer: Transferable[] = []) => scope.postMessage(message, transfer)
  const broadcast = (message: TabMessage) => {
    if (channel === null) return
    try {
      channel.postMessage(message)
    } catch (error) {
      reply({ event: 'background-error', error: serializeError(error) })
    }
  }

  const owner = (): IndexedDbStorage => {
    if (closed) throw new StorageClosedError(`IndexedDB storage "${name}"`)
    if (storage === null) throw new StorageError(`The storage worker for "${name}" is not open in owner mode; open() first.`)
    return storage
  }
  const idb = (): IDBDatabase => {
    if (closed) throw new StorageClosedError(`IndexedDB storage "${name}"`)
    if (database === null) throw new StorageError(`The storage worker for "${name}" is not open; open() first.`)
    return database
  }
  const writer = (id: number): FullSyncWriter => {
    const w = writers.get(id)
    if (w === undefined) throw new StorageError(`No full sync ${id} in the storage worker for "${name}".`)
    return w
  }
  const point = (meta: ReplicationMeta | StoredMeta): TabPoint => ({ replid: meta.replid, offset: meta.offset })

  /** Handles one request; `announce` is what to tell the follower tabs once the reply is sent. */
  async function handle(id: number, request: WorkerRequest, announce: (message: TabMessage) => void): Promise<unknown> {
    switch (request.op) {
      case 'open': {
        if (mode !== null) throw new StorageError(`The storage worker for "${request.name}" was already opened.`)
        mode = request.mode
        name = request.name
        loadBatchRecords = request.idb.loadBatchRecords ?? LOAD_BATCH_DEFAULT
        const factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB
        if (factory === undefined) throw new StorageError('IndexedDB is not available in this worker.')
        if (request.mode === 'owner') {
          releaseOwnerLock = await storeOwnerLock(name)
          try {
            storage = createIndexedDbStorage({
              name,
              ...request.idb,
              onBackgroundError: (error) => reply({ event: 'background-error', error: serializeError(error) }),
            })
            const meta = await storage.open()
            durable = meta === null ? null : point(meta)
            if (request.broadcast !== null) channel = new BroadcastChannel(request.broadcast)
            database = await openReplicaDatabase(factory, name)
            return meta
          } catch (error) {
            releaseOwnerLock()
            throw error
          }
        }
        database = await openReplicaDatabase(factory, name)
        return toReplicationMeta(await readMeta(database, name))
      }
      case 'load': {
        const options = { consistent: mode === 'reader', batchRecords: loadBatchRecords, pagesPerRead: PAGES_PER_READ }
        const meta = await readGeneration(idb(), name, options, (entries) => {
          const packer = new RecordPacker()
          for (const entry of entries) packer.set(entry.db, entry.key, entry.value, entry.expireAt)
          const batch = packer.finish()
          reply({ id, batch }, [batch])
        })
        return toReplicationMeta(meta)
      }
      case 'get': {
        const found = await readKey(idb(), name, request.db, request.key, overlay)
        overlay = found.overlay
        const { entry } = found
        if (entry === undefined) return null
        const packer = new RecordPacker(64 + request.key.length + entry.value.length)
        packer.set(request.db, request.key, entry.value, entry.expireAt)
        return packer.finish()
      }
      case 'commit': {
        const changes = decodeChanges(request.batch)
        await owner().commit(changes, request.meta)
        const next = point(request.meta)
        announce({ kind: 'commit', prev: durable, point: next, batch: request.batch })
        durable = next
        return null
      }
      case 'begin-full-sync': {
        const w = await owner().beginFullSync()
        const wid = nextWriter++
        writers.set(wid, w)
        return wid
      }
      case 'write':
        return writer(request.writer).write(decodeRecords(request.batch)).then(() => null)
      case 'switch': {
        const w = writer(request.writer)
        await w.commit(request.meta)
        writers.delete(request.writer)
        durable = point(request.meta)
        announce({ kind: 'switch', point: durable })
        return null
      }
      case 'abort': {
        const w = writers.get(request.writer)
        writers.delete(request.writer)
        await w?.abort()
        return null
      }
      case 'estimate':
        return storage?.estimateBytes === undefined ? null : await storage.estimateBytes()
      case 'close': {
        if (closed) return null
        closed = true
        writers.clear()
        await storage?.close()
        database?.close()
        channel?.close()
        releaseOwnerLock()
        return null
      }
    }
  }

  scope.onmessage = (event) => {
    const { id, ...request } = event.data
    // handle() makes its storage call before its first await, so calls reach the adapter in order.
    let announcement: TabMessage | null = null
    handle(id, request as WorkerRequest, (message) => (announcement = message)).then(
      (value) => {
        const transfer = value instanceof ArrayBuffer ? [value] : []
        reply({ id, ok: true, value }, transfer)
        // Followers hear of a commit after the leader: the leader's next commit waits for this reply.
        if (announcement !== null) broadcast(announcement)
      },
      (error: unknown) => reply({ id, ok: false, error: serializeError(error) }),
    )
  }
}
