// Replica storage throughput: commits of coalesced 1,000-change batches (file with fsync 'always',
// and memory), and a full sync of 1,000,000 records into the file adapter, with its reopen.
//
//   npx tsx bench/storage.ts [records]
//
// Each figure is printed beside a yardstick measured in the same run on the same disk (DESIGN §9):
// - commits: a raw append + fdatasync of frames of the same size (what the disk allows; the
//   file adapter also compacts in the background once 64 MiB of log have accumulated);
// - full sync: Redis itself saving the same dataset as RDB (`DEBUG POPULATE n key 100`, `SAVE`), and
//   reopening: Redis loading it (`DEBUG RELOAD` minus `SAVE`), when redis-server is installed.
// Records are string keys `key:<n>` with 100-byte values, the shape of DEBUG POPULATE (REDIS.md §10).
import { execFile } from 'node:child_process'
import { mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { KeyRecord } from '../packages/core/src/values.ts'
import { createFileStorage } from '../packages/replica/src/storage/file.ts'
import { createMemoryStorage } from '../packages/replica/src/storage/memory.ts'
import type { ReplicaStorage, StorageChange } from '../packages/replica/src/storage/storage.ts'
import { startRedisServer } from '../test/support/redis-server.ts'

const RECORDS = Number(process.argv[2] ?? 1_000_000)
const VALUE_BYTES = 100
const CHANGES_PER_COMMIT = 1000
const SEQUENTIAL_COMMITS = 200
const PIPELINED_COMMITS = 400
const PIPELINE_DEPTH = 8
const FULL_SYNC_BATCH = 10_000
const REPLID = '8a0f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b'
const run = promisify(execFile)

const value = (n: number) => `value:${n}`.padEnd(VALUE_BYTES, '\x00')
const record = (n: number): KeyRecord => ({ db: 0, key: `key:${n}`, value: { type: 'string', value: value(n) }, expireAt: null })

let next = 0
function batch(): StorageChange[] {
  const changes: StorageChange[] = new Array(CHANGES_PER_COMMIT)
  for (let i = 0; i < CHANGES_PER_COMMIT; i++) changes[i] = { kind: 'set', record: record(next++ % 100_000) }
  return changes
}

const rate = (count: number, ms: number) => Math.round((count * 1000) / ms).toLocaleString('en-US')
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`
const ratio = (ours: number, theirs: number) => `${(ours / theirs).toFixed(2)}×`

async function commitsPerSecond(storage: ReplicaStorage): Promise<{ sequentialMs: number; pipelinedMs: number }> {
  let offset = 0
  // Warm-up: the first commits pay for JIT and file creation.
  for (let i = 0; i < 10; i++) await storage.commit(batch(), { replid: REPLID, offset: ++offset, selectedDb: 0 })
  let started = performance.now()
  for (let i = 0; i < SEQUENTIAL_COMMITS; i++) await storage.commit(batch(), { replid: REPLID, offset: ++offset, selectedDb: 0 })
  const sequentialMs = performance.now() - started
  // Several commits in flight, as a shell that does not wait for each: the file adapter writes what
  // queued behind an fsync as one frame.
  started = performance.now()
  const inFlight = new Set<Promise<void>>()
  for (let i = 0; i < PIPELINED_COMMITS; i++) {
    const commit = storage.commit(batch(), { replid: REPLID, offset: ++offset, selectedDb: 0 })
    inFlight.add(commit)
    void commit.finally(() => inFlight.delete(commit))
    if (inFlight.size >= PIPELINE_DEPTH) await Promise.race(inFlight)
  }
  await Promise.all(inFlight)
  return { sequentialMs, pipelinedMs: performance.now() - started }
}

/** The disk's own rate for the same work: append `bytes` and fdatasync, `count` times. */
async function rawAppends(dir: string, bytes: number, count: number): Promise<number> {
  const handle = await open(join(dir, 'raw.log'), 'w')
  const frame = new Uint8Array(bytes).fill(7)
  let position = 0
  const started = performance.now()
  for (let i = 0; i < count; i++) {
    await handle.write(frame, 0, frame.length, position)
    position += frame.length
    await handle.datasync()
  }
  const ms = performance.now() - started
  await handle.close()
  return ms
}

async function redisYardstick(): Promise<{ saveMs: number; loadMs: number } | null> {
  let server
  try {
    server = await startRedisServer()
  } catch (error) {
    console.log(`(no Redis yardstick: ${(error as Error).message.split('\n')[0]})`)
    return null
  }
  try {
    const cli = (...args: string[]) => run('redis-cli', ['-p', String(server.port), ...args], { maxBuffer: 1 << 20 })
    await cli('DEBUG', 'POPULATE', String(RECORDS), 'key', String(VALUE_BYTES))
    let saveMs = Infinity
    for (let i = 0; i < 2; i++) {
      const started = performance.now()
      await cli('SAVE')
      saveMs = Math.min(saveMs, performance.now() - started)
    }
    const started = performance.now()
    await cli('DEBUG', 'RELOAD')
    const reloadMs = performance.now() - started
    return { saveMs, loadMs: Math.max(reloadMs - saveMs, 1) }
  } finally {
    await server.stop()
  }
}

async function main(): Promise<void> {
  console.log(`bench/storage.ts: ${RECORDS.toLocaleString('en-US')} records of ${VALUE_BYTES}-byte values; commits of ${CHANGES_PER_COMMIT} changes`)
  const dir = await mkdtemp(join(tmpdir(), 'replicast-bench-storage-'))
  try {
    // ─── Commits ───
    const file = createFileStorage({ dir: join(dir, 'commits') })
    await file.open()
    const emptyLogBytes = file.stats().logBytes
    await file.commit(batch(), { replid: REPLID, offset: 0, selectedDb: 0 })
    const frameBytes = file.stats().logBytes - emptyLogBytes
    const fileCommits = await commitsPerSecond(file)
    await file.close()
    const rawMs = await rawAppends(dir, frameBytes, SEQUENTIAL_COMMITS)
    const memory = createMemoryStorage()
    await memory.open()
    const memoryCommits = await commitsPerSecond(memory)
    await memory.close()
    console.log(`\ncommits of ${CHANGES_PER_COMMIT} changes (~${Math.round(frameBytes / 1024)} KiB of log each)`)
    console.log(`  file, fsync always, one at a time   ${rate(SEQUENTIAL_COMMITS, fileCommits.sequentialMs)} commits/s  (${rate(SEQUENTIAL_COMMITS * CHANGES_PER_COMMIT, fileCommits.sequentialMs)} changes/s)`)
    console.log(`  raw append + fdatasync, same bytes  ${rate(SEQUENTIAL_COMMITS, rawMs)} writes/s   → file/raw ${ratio(rawMs, fileCommits.sequentialMs)}`)
    console.log(`  file, fsync always, ${PIPELINE_DEPTH} in flight     ${rate(PIPELINED_COMMITS, fileCommits.pipelinedMs)} commits/s  (${rate(PIPELINED_COMMITS * CHANGES_PER_COMMIT, fileCommits.pipelinedMs)} changes/s; group commit)`)
    console.log(`  memory, one at a time               ${rate(SEQUENTIAL_COMMITS, memoryCommits.sequentialMs)} commits/s  (${rate(SEQUENTIAL_COMMITS * CHANGES_PER_COMMIT, memoryCommits.sequentialMs)} changes/s)`)
    console.log(`  memory, ${PIPELINE_DEPTH} in flight                  ${rate(PIPELINED_COMMITS, memoryCommits.pipelinedMs)} commits/s  (${rate(PIPELINED_COMMITS * CHANGES_PER_COMMIT, memoryCommits.pipelinedMs)} changes/s)`)

    // ─── Full sync of RECORDS into the file adapter, then reopen ───
    const records: KeyRecord[] = new Array(RECORDS)
    for (let i = 0; i < RECORDS; i++) records[i] = record(i)
    const syncDir = join(dir, 'full-sync')
    const target = createFileStorage({ dir: syncDir })
    await target.open()
    let started = performance.now()
    const writer = await target.beginFullSync()
    for (let i = 0; i < RECORDS; i += FULL_SYNC_BATCH) await writer.write(records.slice(i, i + FULL_SYNC_BATCH))
    await writer.commit({ replid: REPLID, offset: 1, selectedDb: -1 })
    const fullSyncMs = performance.now() - started
    const diskBytes = target.stats().diskBytes
    await target.close()
    records.length = 0
    const reopened = createFileStorage({ dir: syncDir })
    started = performance.now()
    await reopened.open()
    const openMs = performance.now() - started
    started = performance.now()
    let loaded = 0
    await reopened.load((batch) => (loaded += batch.length))
    const loadMs = performance.now() - started
    started = performance.now()
    for (let i = 0; i < 10_000; i++) await reopened.get(0, `key:${(i * 7919) % RECORDS}`)
    const getMs = performance.now() - started
    await reopened.close()

    const redis = await redisYardstick()
    console.log(`\nfull sync of ${RECORDS.toLocaleString('en-US')} records into the file adapter (fsync always)`)
    console.log(`  write + commit        ${seconds(fullSyncMs)}  (${rate(RECORDS, fullSyncMs)} records/s, ${(diskBytes / RECORDS).toFixed(1)} bytes/record on disk)`)
    if (redis !== null) console.log(`  Redis SAVE, same data ${seconds(redis.saveMs)}  → ours/Redis ${ratio(fullSyncMs, redis.saveMs)}`)
    console.log(`  reopen (open)         ${seconds(openMs)}  (reads the snapshot into the index)`)
    if (redis !== null) console.log(`  Redis load, same data ${seconds(redis.loadMs)}  → ours/Redis ${ratio(openMs, redis.loadMs)}`)
    console.log(`  load() of ${loaded.toLocaleString('en-US')}    ${seconds(loadMs)}`)
    console.log(`  get() after reopen    ${(getMs / 10_000 * 1000).toFixed(2)} µs each`)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
