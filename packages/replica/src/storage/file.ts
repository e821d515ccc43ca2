// The file adapter: a Node replica's durable copy, in one directory (Node only; the other adapters
// are isomorphic).
//
//   MANIFEST              which files are current (file-manifest.ts); switched by write-temp + rename
//   snapshot-NNNNNN.rdb   RDB with repl-id / repl-offset / repl-stream-db AUX (file-snapshot.ts)
//   log-NNNNNN.log        committed batches since the snapshot, framed and checksummed (file-log.ts)
//
// The state is the snapshot with the logs replayed over it, and the meta is that of the last frame
// (or the snapshot's AUX fields when no frame follows). So:
// - commit: append one frame, fdatasync (fsync 'always'), then apply to the index and resolve.
//   Commits queued while a frame is being written go out together as the next frame (group commit:
//   one fsync for all of them; commit-queue.ts). A group is atomic: if its frame cannot be written
//   (disk full), every commit in it fails. A torn last frame is cut off on open.
// - full sync: a new snapshot file written as records arrive, finished with the meta at commit, a
//   new empty log, then the manifest switched to them (generation + 1) and the old files deleted.
//   Until the switch, nothing refers to the new files; on open, files the manifest does not name
//   are deleted.
// - compaction: once the logs since the snapshot pass `compactAfterBytes`, appends move to a fresh
//   log (one manifest switch), the index's state at that moment is written as a new snapshot in the
//   background — a slice at a time, so commits keep going — and a second switch drops the old
//   snapshot and logs.
//
// The index in memory holds the records themselves (frozen KeyRecords), not their file positions:
// open() must read the whole snapshot and log anyway (checksums, torn tails, the last meta), and
// keeping what it decoded makes get() a map lookup with no I/O, load() a pass over memory, and
// compaction a pass over memory that neither re-reads nor re-decodes files. The price is memory of
// the order of the dataset, which the replica holds anyway; positions would save the values' share
// of it but cost a read per get() and need the RDB reader to report each value's byte offset.
//
// Deliberately left out: sharing a directory between processes (one process per directory; a second
// storage on the same directory in this process is refused) and 'everysec' (the shell coalesces).
import { mkdir, open, readdir, readFile, rm, stat, type FileHandle } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import type { KeyRecord } from '@replicast/core'
import { CommitQueue } from './commit-queue.ts'
import { encodeFrame, logHeader, scanLog, type LogChange } from './file-log.ts'
import {
  fileNumber, fsError, logName, OWN_FILE, readManifest, snapshotName, writeAll, writeManifest, type Manifest,
} from './file-manifest.ts'
import { readSnapshot, SNAPSHOT_FLUSH_BYTES, SnapshotFile } from './file-snapshot.ts'
import { checkMeta, checkRecord, copyMeta, frozenCopy, prepareChanges, type PreparedChange } from './input.ts'
import { serialize, StorageLifecycle, WriterLifecycle } from './lifecycle.ts'
import { RecordIndex, type IndexBase } from './record-index.ts'
import {
  kSimulateCrash,
  StorageCorruptError,
  StorageError,
  StorageQuotaError,
  type CrashableStorage,
  type FullSyncWriter,
  type ReplicationMeta,
} from './storage.ts'

export interface FileStorageOptions {
  /** The directory of the store; created if missing. One storage per directory at a time. */
  readonly dir: string
  /**
   * 'always': a commit resolves only after its bytes are on disk (fdatasync), so a crash, even a
   * power loss, keeps every resolved commit. 'never': a commit resolves once the OS has its bytes;
   * a process crash loses nothing, a power loss may lose recent commits (and can leave a log that
   * opens as StorageCorruptError: delete the directory then). Snapshots and the manifest are fsynced
   * either way.
   * @default 'always'
   */
  readonly fsync?: 'always' | 'never'
  /**
   * Compact (rewrite snapshot + logs as a new snapshot, in the background) once the logs since the
   * last snapshot exceed this many bytes. Lower: faster opens and less disk; higher: less rewriting.
   * @default 67108864 (64 MiB)
   */
  readonly compactAfterBytes?: number
  /**
   * Most bytes the store's files may take together at any moment, including the second copy that
   * exists while a full sync or a compaction writes a new snapshot. A write that would pass it
   * rejects with StorageQuotaError (limit 'maxBytes') and changes nothing.
   * @default Infinity (unlimited; ENOSPC and EDQUOT still give StorageQuotaError)
   */
  readonly maxBytes?: number
  /**
   * Records per `onRecords` call of `load()`.
   * @default 1000
   */
  readonly loadBatchRecords?: number
  /**
   * Most commits written together as one log frame (one fsync) when they queue up behind a write.
   * @default 256
   */
  readonly maxGroupCommits?: number
  /**
   * Receives failures of background work (a compaction, deleting old files). The store stays
   * consistent and usable: a failed compaction is retried after another `compactAfterBytes` of log,
   * leftover files are deleted on the next open.
   * @default process.emitWarning
   */
  readonly onBackgroundError?: (error: StorageError) => void
}

export const FILE_STORAGE_DEFAULTS = Object.freeze({
  fsync: 'always',
  compactAfterBytes: 64 * 1024 * 1024,
  maxBytes: Number.POSITIVE_INFINITY,
  loadBatchRecords: 1000,
  maxGroupCommits: 256,
} as const)

export interface FileStorageStats {
  /** Bytes of the store's files, including snapshots still being written. */
  readonly diskBytes: number
  /** Bytes of the logs replayed after the snapshot (what compaction folds away). */
  readonly logBytes: number
  /** Compactions finished by this instance. */
  readonly compactions: number
  readonly generation: number
  readonly snapshot: string | null
  readonly logs: readonly string[]
}

export interface FileStorage extends CrashableStorage {
  readonly dir: string
  estimateBytes(): Promise<number>
  /** Where the store stands on disk (for status pages and tests). */
  stats(): FileStorageStats
}

/** Directories opened by a storage of this process: a second one would corrupt the first. */
const openDirs = new Set<string>()

type QueueItem =
  | {
      readonly kind: 'commit'
      /** Serialized, for the log. */
      readonly changes: readonly PreparedChange[]
      /** The same changes with frozen copies of the records, for the index. */
      readonly applied: readonly LogChange[]
      readonly meta: ReplicationMeta
    }
  | { readonly kind: 'switch'; readonly run: () => Promise<void> }

interface LogFile {
  readonly name: string
  readonly handle: FileHandle
  size: number
}

interface Compaction {
  cancelled: boolean
  done: Promise<void>
}

export function createFileStorage(options: FileStorageOptions): FileStorage {
  const settings = { ...FILE_STORAGE_DEFAULTS, ...options }
  const { fsync, compactAfterBytes, maxBytes, loadBatchRecords, maxGroupCommits } = settings
  const bad: string[] = []
  if (typeof options.dir !== 'string' || options.dir.length === 0) bad.push(`dir (${JSON.stringify(options.dir)}) must be a non-empty path`)
  if (fsync !== 'always' && fsync !== 'never') bad.push(`fsync (${String(fsync)}) must be 'always' or 'never'`)
  if (!(compactAfterBytes > 0)) bad.push(`compactAfterBytes (${String(compactAfterBytes)}) must be a positive number`)
  if (!(maxBytes > 0)) bad.push(`maxBytes (${String(maxBytes)}) must be a positive number`)
  for (const name of ['loadBatchRecords', 'maxGroupCommits'] as const) {
    if (!Number.isSafeInteger(settings[name]) || settings[name] < 1) bad.push(`${name} (${String(settings[name])}) must be a positive integer`)
  }
  if (bad.length > 0) throw new RangeError(`Invalid file storage options: ${bad.join('; ')}.`)
  const dir = resolve(options.dir)
  const onBackgroundError =
    options.onBackgroundError ?? ((error: StorageError) => process.emitWarning(error.message, { type: error.name, code: error.code }))

  const what = `File storage at ${dir}`
  const lifecycle = new StorageLifecycle(what)
  let claimed = false
  /** Set at once by a simulated crash, and at the end of close(): background work stops. */
  let stopped = false
  let manifest: Manifest = { generation: 0, snapshot: null, logs: [], nextFile: 1 }
  let meta: ReplicationMeta | null = null
  let index = new RecordIndex()
  let log: LogFile | null = null
  /** Sizes of the files the manifest names (the current log's grows with each append). */
  const fileBytes = new Map<string, number>()
  /** Snapshots being written (a full sync, a compaction): they count against maxBytes too. */
  const growing = new Set<SnapshotFile>()
  let compaction: Compaction | null = null
  let compactions = 0
  /** Log bytes at which compaction may next start (raised after a failure, so it is not retried at once). */
  let compactAt = compactAfterBytes
  let activeSync: { readonly lifecycle: WriterLifecycle; readonly file: SnapshotFile; readonly discard: () => Promise<void> } | null = null
  /** Set when a failed write could not be undone: every later commit rejects with it. */
  let broken: StorageError | null = null
  /** Serializes manifest switches (full sync, compaction): each reads and replaces `manifest`. */
  let manifestLock: Promise<void> = Promise.resolve()

  const diskBytes = () => {
    let total = 0
    for (const size of fileBytes.values()) total += size
    for (const file of growing) total += file.size
    return total
  }
  const logBytes = () => {
    let total = 0
    for (const name of manifest.logs) total += fileBytes.get(name) ?? 0
    return total
  }

  /** Throws a StorageQuotaError unless `bytes` more fit under maxBytes. */
  function reserve(bytes: number, doing: string): void {
    const needed = diskBytes() + bytes
    if (needed <= maxBytes) return
    throw new StorageQuotaError(
      `${doing} needs ${bytes} more bytes, which would bring ${dir} to ${needed} bytes, over maxBytes (${maxBytes}); ` +
        'nothing of it was stored and the previous state is intact. Raise the maxBytes option, or free room.',
      { limit: 'maxBytes', limitBytes: maxBytes, neededBytes: needed },
    )
  }

  function withManifestLock<T>(fn: () => Promise<T>): Promise<T> {
    const result = manifestLock.then(fn)
    manifestLock = result.then(
      () => {},
      () => {},
    )
    return result
  }

  function nextFile(): number {
    const n = manifest.nextFile
    manifest = { ...manifest, nextFile: n + 1 }
    return n
  }

  /** Makes `next` (just written) the manifest, keeping file numbers handed out while it was written. */
  function adopt(next: Manifest): void {
    manifest = { ...next, nextFile: Math.max(next.nextFile, manifest.nextFile) }
  }

  /** Deletes files (old generations, compacted logs); failures are reported, not thrown. */
  async function deleteFiles(names: readonly string[]): Promise<void> {
    for (const name of names) {
      fileBytes.delete(name)
      await rm(join(dir, name), { force: true }).catch((error: unknown) => onBackgroundError(fsError(error, `deleting ${name}`)))
    }
  }

  async function createLog(n: number, frame: Uint8Array | null): Promise<LogFile> {
    const name = logName(n)
    const path = join(dir, name)
    const header = logHeader()
    const bytes = frame === null ? header : new Uint8Array(header.length + frame.length)
    if (frame !== null) {
      bytes.set(header)
      bytes.set(frame, header.length)
    }
    reserve(bytes.length, `Creating ${name}`)
    let handle: FileHandle | undefined
    try {
      handle = await open(path, 'wx')
      await writeAll(handle, bytes, 0)
      await handle.datasync()
    } catch (error) {
      await handle?.close().catch(() => {})
      await rm(path, { force: true }).catch(() => {})
      throw fsError(error, `creating ${path}`)
    }
    return { name, handle, size: bytes.length }
  }

  function applyChanges(target: RecordIndex, changes: readonly LogChange[]): void {
    for (const change of changes) {
      switch (change.kind) {
        case 'set':
          target.set(change.record)
          break
        case 'delete':
          target.delete(change.db, change.key)
          break
        case 'flush-db':
          target.flushDb(change.db)
          break
        case 'flush-all':
          target.flushAll()
          break
      }
    }
  }

  // ─── Commits ────────────────────────────────────────────────────────────────────────────────

  async function appendFrame(frame: Uint8Array): Promise<void> {
    if (broken !== null) throw broken
    const current = log!
    reserve(frame.length, 'This commit')
    try {
      await writeAll(current.handle, frame, current.size)
      if (fsync === 'always') await current.handle.datasync()
    } catch (error) {
      // Cut the partial frame off, so the next one follows the last complete frame.
      try {
        await current.handle.truncate(current.size)
        if (fsync === 'always') await current.handle.datasync()
      } catch (undoError) {
        broken = new StorageError(
          `${what} could not undo a failed log write (${fsError(undoError, 'truncating the log').message}); ` +
            'close and reopen it: the reopened store is consistent.',
          { cause: undoError },
        )
      }
      throw fsError(error, `appending to ${join(dir, current.name)}`)
    }
    current.size += frame.length
    fileBytes.set(current.name, current.size)
  }

  async function runCommits(items: readonly QueueItem[]): Promise<void> {
    const first = items[0]!
    if (first.kind === 'switch') return first.run()
    const commits = items as readonly Extract<QueueItem, { kind: 'commit' }>[]
    let frame: Uint8Array
    try {
      frame = encodeFrame(commits)
    } catch (error) {
      throw new StorageError(`${what} cannot log this commit: ${(error as Error).message}`, { cause: error })
    }
    await appendFrame(frame)
    for (const commit of commits) applyChanges(index, commit.applied)
    meta = commits[commits.length - 1]!.meta
    if (compaction === null && logBytes() >= compactAt) await startCompaction()
  }

  const queue = new CommitQueue<QueueItem>({ what, maxGroup: maxGroupCommits, run: runCommits })

  // ─── Compaction ─────────────────────────────────────────────────────────────────────────────

  /**
   * Runs inside the commit queue (no append is in flight): moves appends to a new log, freezes the
   * index, and starts writing the snapshot in the background.
   */
  async function startCompaction(): Promise<void> {
    const currentMeta = meta
    if (currentMeta === null || stopped) return
    let rotated: LogFile
    try {
      rotated = await createLog(nextFile(), null)
      fileBytes.set(rotated.name, rotated.size)
      const next: Manifest = { ...manifest, logs: [...manifest.logs, rotated.name] }
      try {
        await withManifestLock(() => writeManifest(dir, next))
      } catch (error) {
        fileBytes.delete(rotated.name)
        await rotated.handle.close().catch(() => {})
        await rm(join(dir, rotated.name), { force: true }).catch(() => {})
        throw error
      }
      adopt(next)
    } catch (error) {
      compactAt = logBytes() + compactAfterBytes
      onBackgroundError(fsError(error, 'starting a compaction'))
      return
    }
    const previousLog = log!
    log = rotated
    await previousLog.handle.close().catch(() => {})
    const covered = { generation: manifest.generation, snapshot: manifest.snapshot, logs: manifest.logs.slice(0, -1) }
    const base = index.beginOverlay()
    const frozenIndex = index
    const state: Compaction = { cancelled: false, done: Promise.resolve() }
    compaction = state
    state.done = writeCompaction(state, base, currentMeta, covered).then(
      () => {
        compactions++
        compactAt = compactAfterBytes
      },
      (error: unknown) => {
        compactAt = logBytes() + compactAfterBytes
        if (!stopped && !state.cancelled) onBackgroundError(fsError(error, 'compacting'))
      },
    ).finally(() => {
      if (index === frozenIndex) index.endOverlay()
      if (compaction === state) compaction = null
    })
  }

  async function writeCompaction(
    state: Compaction,
    base: IndexBase,
    snapshotMeta: ReplicationMeta,
    covered: { generation: number; snapshot: string | null; logs: readonly string[] },
  ): Promise<void> {
    const name = snapshotName(nextFile())
    const file = await SnapshotFile.create(join(dir, name), (bytes) => reserve(bytes, 'Compaction'))
    growing.add(file)
    const gone = () => stopped || state.cancelled
    try {
      for (const keys of base.values()) {
        for (const record of keys.values()) {
          file.writeKey(record)
          if (file.buffered >= SNAPSHOT_FLUSH_BYTES) {
            // Each await lets commits through: the compaction never holds them for more than a slice.
            await file.flush()
            if (gone()) throw new StorageError('compaction stopped')
          }
        }
      }
      await file.finish(snapshotMeta)
      await withManifestLock(async () => {
        if (gone() || manifest.generation !== covered.generation) throw new StorageError('compaction superseded')
        const next: Manifest = { ...manifest, snapshot: name, logs: manifest.logs.slice(covered.logs.length) }
        await writeManifest(dir, next)
        adopt(next)
      })
    } catch (error) {
      growing.delete(file)
      // After a simulated crash the file stays, as it would after a real one (deleted on next open).
      if (!stopped) await file.discard()
      else await file.close().catch(() => {})
      throw error
    }
    growing.delete(file)
    fileBytes.set(name, file.size)
    await deleteFiles([...(covered.snapshot === null ? [] : [covered.snapshot]), ...covered.logs])
  }

  async function stopCompaction(): Promise<void> {
    const running = compaction
    if (running === null) return
    running.cancelled = true
    await running.done
  }

  // ─── Full sync ──────────────────────────────────────────────────────────────────────────────

  function createWriter(file: SnapshotFile): FullSyncWriter {
    let switched = false
    const sync = {
      lifecycle: new WriterLifecycle(what),
      file,
      /** Deletes the new snapshot, unless the switch made it current. */
      discard: async () => {
        await write.idle()
        if (switched) return
        growing.delete(file)
        if (!stopped) await file.discard()
      },
    }
    activeSync = sync
    const newIndex = new RecordIndex()
    /** Keys written a second time: kept out of the RDB (Redis refuses duplicate keys), logged after it. */
    const repeated: KeyRecord[] = []
    const release = () => {
      if (activeSync === sync) activeSync = null
    }

    const write = serialize(async (records: readonly KeyRecord[]) => {
      sync.lifecycle.check()
      for (const record of records) checkRecord(record)
      try {
        for (const record of records) {
          const copy = frozenCopy(record)
          if (newIndex.has(copy.db, copy.key)) repeated.push(copy)
          else file.writeKey(copy)
          newIndex.set(copy)
        }
        await file.flush()
      } catch (error) {
        // Part of the batch may be in the file: this full sync cannot be completed any more.
        throw sync.lifecycle.fail(fsError(error, 'writing a full sync'))
      }
      sync.lifecycle.check()
    })

    return {
      write,

      commit(newMeta) {
        // Queued at once, even when it is bound to fail: commits called after it carry the stream
        // that follows this snapshot and must never land on the old generation (commit-queue.ts).
        return queue.push(() => {
          sync.lifecycle.check()
          checkMeta(newMeta)
          const stored = copyMeta(newMeta)
          return {
            kind: 'switch',
            run: async () => {
              await write.idle()
              sync.lifecycle.check()
              let newLog: LogFile | undefined
              let next: Manifest
              try {
                await file.finish(stored)
                const frame = repeated.length === 0
                  ? null
                  : encodeFrame([{ changes: prepareChanges(repeated.map((record) => ({ kind: 'set', record }))), meta: stored }])
                newLog = await createLog(nextFile(), frame)
                next = { generation: manifest.generation + 1, snapshot: basename(file.path), logs: [newLog.name], nextFile: manifest.nextFile }
                // A compaction of the old generation is moot now; stop it before the switch.
                await stopCompaction()
                await withManifestLock(() => writeManifest(dir, next))
              } catch (error) {
                await newLog?.handle.close().catch(() => {})
                if (newLog !== undefined) await rm(join(dir, newLog.name), { force: true }).catch(() => {})
                throw sync.lifecycle.fail(error as Error)
              }
              switched = true
              const old = manifest
              const oldLog = log
              adopt(next)
              index = newIndex
              meta = stored
              log = newLog
              growing.delete(file)
              fileBytes.set(next.snapshot!, file.size)
              fileBytes.set(newLog.name, newLog.size)
              sync.lifecycle.end('committed')
              release()
              // The switch is committed and the old log is being deleted: a failed close loses
              // nothing the store still needs, so it is reported rather than failing the commit.
              if (oldLog !== null) await oldLog.handle.close().catch((error: unknown) => onBackgroundError(fsError(error, `closing ${oldLog.name}`)))
              await deleteFiles([...(old.snapshot === null ? [] : [old.snapshot]), ...old.logs])
            },
          }
        }, false)
      },

      async abort() {
        if (!sync.lifecycle.pending) return
        sync.lifecycle.end('aborted')
        release()
        await sync.discard()
      },
    }
  }

  // ─── Open ───────────────────────────────────────────────────────────────────────────────────

  async function openStore(): Promise<ReplicationMeta | null> {
    try {
      await mkdir(dir, { recursive: true })
    } catch (error) {
      throw fsError(error, `creating ${dir}`)
    }
    const found = await readManifest(dir)
    if (found === null) {
      // A new store (or one that crashed before its first manifest): start with an empty log.
      for (const name of await readdir(dir)) if (OWN_FILE.test(name)) await rm(join(dir, name), { force: true })
      manifest = { generation: 0, snapshot: null, logs: [], nextFile: 1 }
      const first = await createLog(nextFile(), null)
      const initial: Manifest = { ...manifest, logs: [first.name] }
      await writeManifest(dir, initial)
      manifest = initial
      log = first
      fileBytes.set(first.name, first.size)
      return null
    }
    manifest = found
    index = new RecordIndex()
    meta = null
    if (found.snapshot !== null) {
      const path = join(dir, found.snapshot)
      meta = await readSnapshot(path, (record) => index.set(record))
      fileBytes.set(found.snapshot, (await stat(path)).size)
    }
    for (let i = 0; i < found.logs.length; i++) {
      const name = found.logs[i]!
      const path = join(dir, name)
      const last = i === found.logs.length - 1
      let bytes: Uint8Array
      try {
        bytes = await readFile(path)
      } catch (error) {
        throw fsError(error, `reading ${path}`)
      }
      const scan = scanLog(bytes, path, (frame) => {
        applyChanges(index, frame.changes)
        meta = frame.meta
      })
      if (scan.tornBytes > 0 && !last) {
        throw new StorageCorruptError(
          `${path} ends in ${scan.tornBytes} damaged bytes, yet a later log follows it, so it was complete once. ` +
            'Delete the storage directory; the replica will full-sync.',
          { path, position: scan.validBytes },
        )
      }
      fileBytes.set(name, scan.validBytes)
      if (!last) continue
      let handle: FileHandle | undefined
      try {
        handle = await open(path, 'r+')
        if (scan.tornBytes > 0) {
          // The state is the last complete frame: the torn one is cut off before anything follows it.
          await handle.truncate(scan.validBytes)
          await handle.datasync()
        }
      } catch (error) {
        await handle?.close().catch(() => {})
        throw fsError(error, `opening ${path}`)
      }
      log = { name, handle, size: scan.validBytes }
    }
    // Files the manifest does not name: an unfinished full sync or compaction, or one finished whose
    // old files were not deleted yet. Never part of the state; deleted.
    const named = new Set([found.snapshot, ...found.logs])
    let highest = 0
    for (const name of await readdir(dir)) {
      if (!OWN_FILE.test(name)) continue
      highest = Math.max(highest, fileNumber(name))
      if (!named.has(name)) await rm(join(dir, name), { force: true })
    }
    if (highest >= manifest.nextFile) manifest = { ...manifest, nextFile: highest + 1 }
    return meta === null ? null : copyMeta(meta)
  }

  function release(): void {
    if (claimed) openDirs.delete(dir)
    claimed = false
  }

  // ─── The storage ────────────────────────────────────────────────────────────────────────────

  const storage: FileStorage = {
    dir,

    async open() {
      lifecycle.beginOpen()
      if (openDirs.has(dir)) {
        lifecycle.close()
        throw new StorageError(`${dir} is already open by another file storage of this process; close it first.`)
      }
      openDirs.add(dir)
      claimed = true
      try {
        const result = await openStore()
        lifecycle.opened()
        return result
      } catch (error) {
        stopped = true
        lifecycle.close()
        queue.close()
        await log?.handle.close().catch(() => {})
        release()
        throw fsError(error, `opening ${dir}`)
      }
    },

    async load(onRecords) {
      lifecycle.check()
      for (const batch of index.batches(loadBatchRecords)) onRecords(batch)
    },

    async get(db, key) {
      lifecycle.check()
      return index.get(db, key)
    },

    async commit(changes, newMeta) {
      lifecycle.check()
      return queue.push(() => {
        checkMeta(newMeta)
        const prepared = prepareChanges(changes)
        const applied = prepared.map((change, i): LogChange => {
          const original = changes[i]!
          return original.kind === 'set' ? { kind: 'set', record: frozenCopy(original.record) } : (change as LogChange)
        })
        return { kind: 'commit', changes: prepared, applied, meta: copyMeta(newMeta) }
      })
    },

    async beginFullSync() {
      lifecycle.check()
      const previous = activeSync
      if (previous !== null) {
        previous.lifecycle.end('superseded')
        activeSync = null
        // A switch of the previous writer that already runs finishes first (and then is not discarded).
        await queue.barrier()
        await previous.discard()
      }
      const file = await SnapshotFile.create(join(dir, snapshotName(nextFile())), (bytes) => reserve(bytes, 'This full-sync write'))
      growing.add(file)
      lifecycle.check()
      return createWriter(file)
    },

    async estimateBytes() {
      lifecycle.check()
      return diskBytes()
    },

    stats() {
      return {
        diskBytes: diskBytes(),
        logBytes: logBytes(),
        compactions,
        generation: manifest.generation,
        snapshot: manifest.snapshot,
        logs: [...manifest.logs],
      }
    },

    async close() {
      if (!lifecycle.close()) return
      // Commits (and a full sync's commit) already called still land; then an unfinished full sync
      // is dropped, and so is a compaction in progress (redone after the next open).
      await queue.idle()
      queue.close()
      const sync = activeSync
      activeSync = null
      sync?.lifecycle.close()
      await sync?.discard()
      await stopCompaction()
      stopped = true
      // With fsync 'never', a close may be where the OS first reports a failed write-back (NFS does):
      // the caller is told, and the store is closed all the same.
      const last = log
      try {
        await last?.handle.close()
      } catch (error) {
        throw fsError(error, `closing ${last?.name ?? 'the log'}`)
      } finally {
        release()
      }
    },

    [kSimulateCrash]() {
      stopped = true
      lifecycle.close()
      queue.close()
      if (compaction !== null) compaction.cancelled = true
      activeSync?.lifecycle.close()
      // The OS closes a dead process's files, and deletes nothing: the next open does.
      void activeSync?.file.close().catch(() => {})
      activeSync = null
      void log?.handle.close().catch(() => {})
      release()
    },
  }
  return storage
}
