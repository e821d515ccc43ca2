// What only the file adapter promises, beyond the contract (contract.test.ts): its snapshots are RDB
// that redis-check-rdb accepts, with the replication AUX fields; compaction folds the logs away
// without losing commits made meanwhile, and survives a crash; a torn tail is cut off, while damage
// followed by valid data, a damaged snapshot or manifest are StorageCorruptError; stray files go.
import { execFile } from 'node:child_process'
import { appendFile, mkdtemp, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { KeyRecord } from '@replicast/core'
import { createFileStorage, type FileStorage, type FileStorageOptions } from './file.ts'
import { fsError } from './file-manifest.ts'
import { kSimulateCrash, STORAGE_ERROR_CODES, StorageError, StorageQuotaError, type ReplicationMeta, type StorageChange } from './storage.ts'

const run = promisify(execFile)
const REPLID = '0123456789abcdef0123456789abcdef01234567'
const meta = (offset: number, selectedDb = 0): ReplicationMeta => ({ replid: REPLID, offset, selectedDb })
const rec = (db: number, key: string, value: string, expireAt: number | null = null): KeyRecord => ({
  db,
  key,
  value: { type: 'string', value },
  expireAt,
})

let dir: string
const opened: FileStorage[] = []

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'replicast-file-'))
})
afterEach(async () => {
  for (const storage of opened.splice(0)) await storage.close()
  await rm(dir, { recursive: true, force: true })
})

async function openStorage(options: Partial<FileStorageOptions> = {}): Promise<{ storage: FileStorage; meta: ReplicationMeta | null }> {
  const storage = createFileStorage({ dir, ...options })
  opened.push(storage)
  return { storage, meta: await storage.open() }
}

function crash(storage: FileStorage): void {
  storage[kSimulateCrash]()
}

async function loadAll(storage: FileStorage): Promise<Map<string, KeyRecord>> {
  const all = new Map<string, KeyRecord>()
  await storage.load((records) => {
    for (const r of records) all.set(`${r.db}:${r.key}`, r)
  })
  return all
}

async function manifestFiles(): Promise<{ snapshot: string | null; logs: string[] }> {
  const text = await readFile(join(dir, 'MANIFEST'), 'utf8')
  return JSON.parse(text.split('\n')[0]!) as { snapshot: string | null; logs: string[] }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (condition()) return
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error(`timed out waiting for ${what}`)
}

const hasRedisCheckRdb = await run('redis-check-rdb', ['--version']).then(
  () => true,
  (error: NodeJS.ErrnoException) => error.code !== 'ENOENT',
)

async function checkRdb(path: string): Promise<string> {
  const { stdout } = await run('redis-check-rdb', [path])
  return stdout
}

describe('file storage: snapshots are RDB', () => {
  test.runIf(hasRedisCheckRdb)('a full-sync snapshot passes redis-check-rdb and carries repl-id, repl-offset and repl-stream-db', async () => {
    const { storage } = await openStorage()
    const writer = await storage.beginFullSync()
    const records: KeyRecord[] = []
    for (let i = 0; i < 500; i++) records.push(rec(i % 3, `key:${i}`, `value ${i}`, i % 4 === 0 ? 1_900_000_000_000 : null))
    records.push({ db: 1, key: 'h', value: { type: 'hash', fields: [['f', 'v']] }, expireAt: null })
    records.push({ db: 2, key: 'z', value: { type: 'zset', entries: [['m', 2.5]] }, expireAt: null })
    await writer.write(records)
    // A key repeated within the sync stays out of the RDB (Redis refuses duplicate keys) yet wins.
    await writer.write([rec(0, 'key:0', 'repeated')])
    await writer.commit({ replid: REPLID, offset: 5_000_000_000, selectedDb: -1 })
    expect((await storage.get(0, 'key:0'))?.value).toEqual({ type: 'string', value: 'repeated' })
    const { snapshot } = await manifestFiles()
    const out = await checkRdb(join(dir, snapshot!))
    expect(out).toContain('RDB looks OK')
    expect(out).toContain('Checksum OK')
    expect(out).toContain(`repl-id = '${REPLID}'`)
    expect(out).toContain(`repl-offset = '5000000000'`)
    expect(out).toContain(`repl-stream-db = '-1'`)
    expect(out).toContain('502 keys read')
    await storage.close()
    const { storage: again, meta: reopened } = await openStorage()
    expect(reopened).toEqual({ replid: REPLID, offset: 5_000_000_000, selectedDb: -1 })
    expect((await again.get(0, 'key:0'))?.value).toEqual({ type: 'string', value: 'repeated' })
    expect((await loadAll(again)).size).toBe(502)
  })
})

describe('file storage: compaction', () => {
  test('folds the logs into a new snapshot in the background; commits made meanwhile are kept', async () => {
    const { storage } = await openStorage({ compactAfterBytes: 256 * 1024 })
    const model = new Map<string, KeyRecord>()
    const writer = await storage.beginFullSync()
    const base: KeyRecord[] = []
    for (let i = 0; i < 60_000; i++) base.push(rec(i % 4, `base:${i}`, `v${i}`.padEnd(48, '.')))
    await writer.write(base)
    await writer.commit(meta(0))
    for (const r of base) model.set(`${r.db}:${r.key}`, r)

    let offset = 0
    const commit = async (changes: StorageChange[]) => {
      offset += 100
      await storage.commit(changes, meta(offset, offset % 4))
      for (const c of changes) {
        if (c.kind === 'set') model.set(`${c.record.db}:${c.record.key}`, c.record)
        else if (c.kind === 'delete') model.delete(`${c.db}:${c.key}`)
        else if (c.kind === 'flush-db') for (const k of [...model.keys()]) if (k.startsWith(`${c.db}:`)) model.delete(k)
      }
    }
    // Grow the log past compactAfterBytes; the commit that crosses it starts the compaction.
    let i = 0
    while (storage.stats().logs.length === 1) await commit([{ kind: 'set', record: rec(i % 4, `log:${i++}`, 'x'.repeat(1000)) }])
    expect(storage.stats().compactions).toBe(0)
    expect(storage.stats().logs, 'compaction in progress: appends moved to a second log').toHaveLength(2)
    // While the compaction writes its snapshot, change keys it is reading, flush a db, delete some.
    await commit([{ kind: 'set', record: rec(0, 'base:0', 'changed during compaction') }, { kind: 'delete', db: 1, key: 'base:1' }])
    await commit([{ kind: 'flush-db', db: 3 }, { kind: 'set', record: rec(3, 'after-flush', 'y') }])
    await commit([{ kind: 'set', record: rec(2, 'new-during', 'z', 1_900_000_000_000) }])
    await until(() => storage.stats().compactions === 1, 'the compaction to finish')
    const stats = storage.stats()
    expect(stats.logs).toHaveLength(1)
    expect(stats.snapshot).not.toBeNull()

    const expectModel = async (s: FileStorage, when: string) => {
      const loaded = await loadAll(s)
      expect(loaded.size, when).toBe(model.size)
      for (const [k, r] of model) expect(loaded.get(k), `${when}: ${k}`).toEqual(r)
    }
    await expectModel(storage, 'after compaction')
    // Only the manifest's files remain.
    const files = (await readdir(dir)).sort()
    expect(files).toEqual(['MANIFEST', stats.logs[0]!, stats.snapshot!].sort())
    if (hasRedisCheckRdb) expect(await checkRdb(join(dir, stats.snapshot!))).toContain('RDB looks OK')

    await storage.close()
    const { storage: again, meta: reopened } = await openStorage()
    expect(reopened).toEqual(meta(offset, offset % 4))
    await expectModel(again, 'after reopen')
  })

  test('a crash during compaction reopens to the same state and removes the half-written snapshot', async () => {
    const { storage } = await openStorage({ compactAfterBytes: 128 * 1024 })
    const writer = await storage.beginFullSync()
    const base: KeyRecord[] = []
    for (let i = 0; i < 60_000; i++) base.push(rec(0, `base:${i}`, `v${i}`.padEnd(48, '.')))
    await writer.write(base)
    await writer.commit(meta(0))
    let i = 0
    while (storage.stats().logs.length === 1) await storage.commit([{ kind: 'set', record: rec(1, `log:${i++}`, 'x'.repeat(1000)) }], meta(i))
    crash(storage)
    const { storage: again, meta: reopened } = await openStorage()
    expect(reopened).toEqual(meta(i))
    const loaded = await loadAll(again)
    expect(loaded.size).toBe(60_000 + i)
    const { snapshot, logs } = await manifestFiles()
    expect((await readdir(dir)).sort()).toEqual(['MANIFEST', snapshot!, ...logs].sort())
  })

  test('a compaction that does not fit under maxBytes is reported; commits go on', async () => {
    const errors: StorageError[] = []
    const { storage } = await openStorage({ compactAfterBytes: 64 * 1024, maxBytes: 1024 * 1024, onBackgroundError: (e) => errors.push(e) })
    const writer = await storage.beginFullSync()
    const base: KeyRecord[] = []
    for (let i = 0; i < 9000; i++) base.push(rec(0, `base:${i}`, `v${i}`.padEnd(64, '.')))
    await writer.write(base)
    await writer.commit(meta(0))
    // ~700 KB of snapshot: a second copy does not fit under 1 MiB, the logs do.
    let i = 0
    while (errors.length === 0 && i < 200) {
      await storage.commit([{ kind: 'set', record: rec(1, `log:${i}`, 'x'.repeat(1000)) }], meta(++i))
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    await until(() => errors.length > 0, 'the compaction failure')
    expect(errors[0]).toBeInstanceOf(StorageQuotaError)
    expect(errors[0]!.message).toContain('maxBytes (1048576)')
    await storage.commit([{ kind: 'set', record: rec(2, 'still', 'works') }], meta(++i))
    await storage.close()
    const { storage: again, meta: reopened } = await openStorage()
    expect(reopened).toEqual(meta(i))
    expect((await again.get(2, 'still'))?.value).toEqual({ type: 'string', value: 'works' })
    expect((await loadAll(again)).size).toBe(9000 + i)
  })
})

describe('file storage: crashes and damage', () => {
  test('a torn tail is cut off on open: the log ends at the last complete frame', async () => {
    const { storage } = await openStorage()
    await storage.commit([{ kind: 'set', record: rec(0, 'a', '1') }], meta(10))
    const { logs } = await manifestFiles()
    const path = join(dir, logs[0]!)
    const whole = (await stat(path)).size
    await storage.commit([{ kind: 'set', record: rec(0, 'b', '2') }], meta(20))
    crash(storage)
    // What a crash mid-append can leave: part of the frame, then zeros where the file grew.
    const handle = await open(path, 'r+')
    await handle.truncate((await handle.stat()).size - 3)
    await handle.close()
    await appendFile(path, new Uint8Array(4096))
    const { storage: again, meta: reopened } = await openStorage()
    expect(reopened).toEqual(meta(10))
    expect((await stat(path)).size).toBe(whole)
    expect(await again.get(0, 'b')).toBeUndefined()
    await again.commit([{ kind: 'set', record: rec(0, 'c', '3') }], meta(30))
    await again.close()
    const { storage: third, meta: last } = await openStorage()
    expect(last).toEqual(meta(30))
    expect([...(await loadAll(third)).keys()].sort()).toEqual(['0:a', '0:c'])
  })

  test('a damaged frame followed by a valid one is StorageCorruptError, naming the file and byte', async () => {
    const { storage } = await openStorage()
    await storage.commit([{ kind: 'set', record: rec(0, 'a', '1') }], meta(10))
    const { logs } = await manifestFiles()
    const path = join(dir, logs[0]!)
    const firstEnd = (await stat(path)).size
    await storage.commit([{ kind: 'set', record: rec(0, 'b', 'x'.repeat(100)) }], meta(20))
    await storage.commit([{ kind: 'set', record: rec(0, 'c', '3') }], meta(30))
    await storage.close()
    const bytes = await readFile(path)
    bytes[firstEnd + 40] ^= 0xff
    await writeFile(path, bytes)
    const damaged = createFileStorage({ dir })
    const error = await damaged.open().then(() => null, (e: unknown) => e as StorageError)
    expect(error?.code).toBe(STORAGE_ERROR_CODES.corrupt)
    expect(error?.message).toContain(`${path} is damaged at byte ${firstEnd}`)
    await expect(damaged.get(0, 'a')).rejects.toMatchObject({ code: STORAGE_ERROR_CODES.closed })
  })

  test('a damaged snapshot or manifest is StorageCorruptError', async () => {
    const { storage } = await openStorage()
    const writer = await storage.beginFullSync()
    await writer.write([rec(0, 'a', 'x'.repeat(200))])
    await writer.commit(meta(1))
    await storage.close()
    const { snapshot } = await manifestFiles()
    const snapshotPath = join(dir, snapshot!)
    const good = await readFile(snapshotPath)
    const bad = Uint8Array.from(good)
    bad[good.length - 20] ^= 0x01
    await writeFile(snapshotPath, bad)
    await expect(createFileStorage({ dir }).open()).rejects.toMatchObject({ code: STORAGE_ERROR_CODES.corrupt })
    await writeFile(snapshotPath, good)
    const manifest = await readFile(join(dir, 'MANIFEST'), 'utf8')
    await writeFile(join(dir, 'MANIFEST'), manifest.replace('"generation":1', '"generation":7'))
    await expect(createFileStorage({ dir }).open()).rejects.toMatchObject({ code: STORAGE_ERROR_CODES.corrupt })
    await writeFile(join(dir, 'MANIFEST'), manifest)
    const { meta: reopened } = await openStorage()
    expect(reopened).toEqual(meta(1))
  })

  test('files the manifest does not name are deleted on open; other files are left alone', async () => {
    const { storage } = await openStorage()
    await storage.commit([{ kind: 'set', record: rec(0, 'a', '1') }], meta(1))
    await storage.close()
    for (const name of ['snapshot-000099.rdb', 'log-000098.log', 'MANIFEST.tmp', 'notes.txt']) await writeFile(join(dir, name), 'leftover')
    const { storage: again } = await openStorage()
    const { logs } = await manifestFiles()
    expect((await readdir(dir)).sort()).toEqual(['MANIFEST', logs[0]!, 'notes.txt'].sort())
    // File numbers are never reused, not even those of deleted leftovers.
    const writer = await again.beginFullSync()
    await writer.commit(meta(2))
    expect(again.stats().snapshot).toBe('snapshot-000100.rdb')
  })

  test('a second storage on the same directory in this process is refused', async () => {
    await openStorage()
    const second = createFileStorage({ dir: join(dir, '.') })
    await expect(second.open()).rejects.toMatchObject({ code: STORAGE_ERROR_CODES.storage, message: expect.stringContaining('already open') })
  })

  test("fsync 'never' keeps the same semantics across a clean restart", async () => {
    const { storage } = await openStorage({ fsync: 'never' })
    for (let i = 1; i <= 20; i++) await storage.commit([{ kind: 'set', record: rec(0, `k${i}`, String(i)) }], meta(i))
    await storage.close()
    const { storage: again, meta: reopened } = await openStorage()
    expect(reopened).toEqual(meta(20))
    expect((await loadAll(again)).size).toBe(20)
  })
})

describe('file storage: errors and options', () => {
  test('ENOSPC and EDQUOT become StorageQuotaError; other fs errors StorageError with the cause', () => {
    const enospc = Object.assign(new Error('no space left on device, write'), { code: 'ENOSPC' })
    const quota = fsError(enospc, 'appending to /data/log-000001.log')
    expect(quota).toBeInstanceOf(StorageQuotaError)
    expect(quota).toMatchObject({ code: STORAGE_ERROR_CODES.quota, limit: 'disk', cause: enospc })
    expect(quota.message).toContain('The disk is full (ENOSPC) while appending to /data/log-000001.log')
    expect(fsError(Object.assign(new Error('quota'), { code: 'EDQUOT' }), 'x')).toBeInstanceOf(StorageQuotaError)
    const eio = Object.assign(new Error('i/o error'), { code: 'EIO' })
    const other = fsError(eio, 'reading')
    expect(other).not.toBeInstanceOf(StorageQuotaError)
    expect(other).toMatchObject({ code: STORAGE_ERROR_CODES.storage, cause: eio })
  })

  test('invalid options are refused together, in one message', () => {
    expect(() => createFileStorage({ dir: '', fsync: 'sometimes' as 'never', maxBytes: 0 })).toThrow(
      /dir \(""\) must be a non-empty path; fsync \(sometimes\) must be 'always' or 'never'; maxBytes \(0\) must be a positive number/,
    )
  })
})
