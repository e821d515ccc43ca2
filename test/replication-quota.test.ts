// Storage failures on a replica, over real sockets (DESIGN §5, docs/operations.md): "A quota error or
// a failed transaction is reported in the status events and recovered (the replica resumes from what
// is durable); it is never silently dropped."
//
//   (a) a commit that fails once: reported (status lastError, 'error' event), rolled back to the
//       durable point, the lost bytes re-sent, and storage ends exactly at the master's offset;
//   (b) a store too small for the data: reads keep working, the error is reported, retries back off
//       (no hot loop), and the replica recovers once the storage takes writes again;
//   (c) a snapshot that cannot be stored: reported, the old data stays readable, a later full sync
//       succeeds;
// and two orderings that used to go wrong: a commit queued behind the failing one must not be stored
// (the store would claim an offset whose data it lacks), and a commit that fails while a new
// snapshot loads must not cancel the snapshot.
import { encodeCommand, RdbWriter, simple, type KeyRecord } from '@replicast/core'
import {
  createMemoryStorage,
  StorageQuotaError,
  type FullSyncWriter,
  type ReplicaStatusInfo,
  type ReplicaStorage,
  type ReplicationMeta,
  type StorageChange,
} from '@replicast/replica/node'
import type { Replica } from '@replicast/replica/node'
import { createMemoryBacking, type MemoryBacking } from '../packages/replica/src/storage/memory.ts'
import { describe, expect, test } from 'vitest'
import { caughtUp, startMaster, startReplica, waitForStatus } from './support/cluster.ts'
import { startFakeMaster, type FakeMasterConnection } from './support/fake-master.ts'
import { LinkTap } from './support/link-tap.ts'

const REPLID_A = 'a'.repeat(40)
const REPLID_B = 'b'.repeat(40)

const QUIET = { pingPeriodMs: 3_600_000, timeoutMs: 7_200_000 }

function quotaError(what: string): StorageQuotaError {
  return new StorageQuotaError(`${what}: the store is full (test); nothing was written. Raise the quota.`, { limit: 'test-quota' })
}

/** What a replica reported: its 'error' events and every distinct lastError its status showed. */
function watch(replica: Replica): { errors: (Error & { code?: string; cause?: unknown })[]; lastErrors: NonNullable<ReplicaStatusInfo['lastError']>[] } {
  const errors: (Error & { code?: string; cause?: unknown })[] = []
  const lastErrors: NonNullable<ReplicaStatusInfo['lastError']>[] = []
  replica.on('error', (error) => errors.push(error))
  replica.on('status', (status) => {
    if (status.lastError !== null && JSON.stringify(lastErrors.at(-1)) !== JSON.stringify(status.lastError)) lastErrors.push(status.lastError)
  })
  return { errors, lastErrors }
}

/** What a backing holds, read through a fresh storage (as after a restart). */
async function storedState(backing: MemoryBacking): Promise<{ meta: ReplicationMeta | null; records: KeyRecord[] }> {
  const storage = createMemoryStorage({ backing })
  const meta = await storage.open()
  const records: KeyRecord[] = []
  await storage.load((batch) => records.push(...batch))
  await storage.close()
  return { meta, records }
}

/** A memory storage whose `commit` a test can make fail (after `delayMs`), recording every call. */
function faultyStorage(backing: MemoryBacking, options: { delayMs?: number } = {}) {
  const inner = createMemoryStorage({ backing })
  const calls: { readonly offset: number; readonly changes: readonly StorageChange[]; outcome: 'ok' | 'failed' | 'pending' }[] = []
  const control = {
    /** Commits still to fail. */
    failNext: 0,
    /** Every commit fails while true (a full store). */
    full: false,
    calls,
    /** Called after each successful commit with the storage's state. */
    afterCommit: null as null | ((meta: ReplicationMeta) => void | Promise<void>),
  }
  const storage: ReplicaStorage = {
    open: () => inner.open(),
    load: (onRecords) => inner.load(onRecords),
    get: (db, key) => inner.get(db, key),
    beginFullSync: () => inner.beginFullSync(),
    close: () => inner.close(),
    async commit(changes, meta) {
      const call = { offset: meta.offset, changes, outcome: 'pending' as 'ok' | 'failed' | 'pending' }
      calls.push(call)
      if (control.failNext > 0 || control.full) {
        if (control.failNext > 0) control.failNext--
        if (options.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.delayMs))
        call.outcome = 'failed'
        throw quotaError(`commit up to offset ${meta.offset}`)
      }
      await inner.commit(changes, meta)
      call.outcome = 'ok'
      await control.afterCommit?.(meta)
    },
  }
  return { storage, control }
}

describe('(a) a commit that fails once', () => {
  test('is reported, rolled back to the durable point, re-sent on the same link; storage ends at the master offset', async () => {
    const master = await startMaster(QUIET)
    for (let i = 0; i < 50; i++) master.command(['SET', `before:${i}`, String(i)])
    const backing = createMemoryBacking()
    const { storage, control } = faultyStorage(backing, { delayMs: 50 })
    const tap = new LinkTap()
    const replica = await startReplica(master, { storage, WebSocket: tap.WebSocket, persistBatchCommands: 1 })
    const seen = watch(replica)
    const durableBefore = await caughtUp(replica, master, { durable: true })

    // The batch holding SET a fails (after 50 ms); the batch holding SET b is queued behind it. Storage
    // must never claim an offset past SET a without holding a.
    control.failNext = 1
    let violations = 0
    master.command(['SET', 'a', '1'])
    const offsetA = master.offset
    control.afterCommit = async (meta) => {
      if (meta.offset < offsetA) return
      const stored = (await storedState(backing)).records
      if (!stored.some((r) => r.key === 'a')) violations++
    }
    await replica.waitForOffset(offsetA, { timeoutMs: 15_000 })
    master.command(['RPUSH', 'list', 'x'])
    master.command(['SET', 'b', '2'])
    const end = await caughtUp(replica, master, { durable: true })

    expect(violations).toBe(0)
    expect(replica.status.stats.rollbacks).toBe(1)
    // Reported: one 'error' event, and the status showed it, with the storage's error as the cause.
    expect(seen.errors).toHaveLength(1)
    expect(seen.errors[0]!.code).toBe('ERR_PERSIST_FAILED')
    expect((seen.errors[0]!.cause as { code?: string }).code).toBe('ERR_STORAGE_QUOTA')
    expect(seen.lastErrors[0]).toMatchObject({ code: 'ERR_PERSIST_FAILED', causeCode: 'ERR_STORAGE_QUOTA' })
    expect(seen.lastErrors[0]!.message).toMatch(/store is full \(test\)/)
    expect(seen.lastErrors[0]!.message).toMatch(new RegExp(`rolled back to the durable offset ${durableBefore}`))
    // Recovered on the same link: RESEND from the durable point, no new PSYNC, no full sync.
    expect(tap.sockets).toHaveLength(1)
    expect(tap.last.sent.some((argv) => argv[0] === 'REPLCONF' && argv.includes('RESEND') && argv.at(-1) === String(durableBefore))).toBe(true)
    expect(replica.status.lastSync).toBe('full')
    expect(replica.status.stats.fullSyncs).toBe(1)
    // Memory and storage are exactly the master's.
    expect(replica.status).toMatchObject({ offset: end, durableOffset: end, unpersistedBytes: 0 })
    expect(await replica.digest()).toBe(master.digest())
    expect(await replica.lrange('list', 0, -1)).toEqual(['x'])
    const stored = await storedState(backing)
    expect(stored.meta).toMatchObject({ replid: master.replid, offset: end })
    expect(stored.records.map((r) => r.key).sort()).toEqual(['a', 'b', ...Array.from({ length: 50 }, (_, i) => `before:${i}`), 'list'].sort())
  })
})


/** Times of the replica's 'error' events from now on. */
function errorTimes(replica: Replica): number[] {
  const times: number[] = []
  replica.on('error', () => times.push(Date.now()))
  return times
}

const FAST_BACKOFF = { initialDelayMs: 50, maxDelayMs: 400 }

describe('(b) a store too small for the data', () => {
  test('createMemoryStorage({ quotaBytes }) overflowed by the stream: reads keep working, the error is reported, retries back off; it recovers once the data fits again', async () => {
    const master = await startMaster(QUIET)
    for (let i = 0; i < 10; i++) master.command(['SET', `small:${i}`, 'x'.repeat(100)])
    const replica = await startReplica(master, { storage: createMemoryStorage({ quotaBytes: 3000 }), backoff: FAST_BACKOFF })
    const seen = watch(replica)
    const durable = await caughtUp(replica, master, { durable: true })
    const times = errorTimes(replica)

    for (let i = 0; i < 40; i++) master.command(['SET', `big:${i}`, 'y'.repeat(100)])
    await waitForStatus(replica, (s) => s.lastError?.causeCode === 'ERR_STORAGE_QUOTA', 'the quota error in the status')
    const rollbacksAtFirst = replica.status.stats.rollbacks
    await new Promise((resolve) => setTimeout(resolve, 2000))

    // No hot loop: a handful of attempts in 2 s, further and further apart (without the backoff,
    // rollback and immediate re-send made ~80 a second).
    const rollbacks = replica.status.stats.rollbacks - rollbacksAtFirst
    expect(rollbacks).toBeGreaterThanOrEqual(2)
    expect(rollbacks).toBeLessThanOrEqual(20)
    const gaps = times.slice(1).map((t, i) => t - times[i]!)
    expect(Math.max(...gaps.slice(-2))).toBeGreaterThanOrEqual(150)
    // Reported, every time, with the storage's error as the cause; storage still at the durable point.
    expect(seen.errors.length).toBe(replica.status.stats.rollbacks)
    expect(seen.errors.every((e) => e.code === 'ERR_PERSIST_FAILED' && (e.cause as { code?: string }).code === 'ERR_STORAGE_QUOTA')).toBe(true)
    expect(replica.status.lastError).toMatchObject({ code: 'ERR_PERSIST_FAILED', causeCode: 'ERR_STORAGE_QUOTA' })
    expect(replica.status.lastError!.message).toMatch(/over quotaBytes \(3000\)/)
    expect(replica.status.durableOffset).toBe(durable)
    // Reads are served all along (from memory, at the durable point at least).
    expect(await replica.get('small:3')).toBe('x'.repeat(100))

    // The data shrinks below the quota: the next attempt stores it, and the replica is current again.
    for (let i = 0; i < 40; i++) master.command(['DEL', `big:${i}`])
    const end = await caughtUp(replica, master, { durable: true, timeoutMs: 15_000 })
    expect(replica.status).toMatchObject({ durableOffset: end, offset: end, unpersistedBytes: 0 })
    expect(await replica.digest()).toBe(master.digest())
    const failures = seen.errors.length
    master.command(['SET', 'small:0', 'fits'])
    await caughtUp(replica, master, { durable: true })
    expect(seen.errors.length).toBe(failures)
    expect(await replica.get('small:0')).toBe('fits')
  })

  test('a store that is full until it is given room: retries back off while full, and catch up once there is room', async () => {
    const master = await startMaster(QUIET)
    master.command(['SET', 'first', '1'])
    const backing = createMemoryBacking()
    const { storage, control } = faultyStorage(backing)
    const replica = await startReplica(master, { storage, backoff: FAST_BACKOFF })
    const seen = watch(replica)
    const durable = await caughtUp(replica, master, { durable: true })

    control.full = true
    for (let i = 0; i < 20; i++) master.command(['RPUSH', 'list', String(i)])
    await waitForStatus(replica, (s) => s.lastError?.causeCode === 'ERR_STORAGE_QUOTA', 'the quota error in the status')
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const failedCommits = control.calls.filter((c) => c.outcome === 'failed').length
    expect(failedCommits).toBeGreaterThanOrEqual(2)
    expect(failedCommits).toBeLessThanOrEqual(15)
    expect(replica.status.durableOffset).toBe(durable)
    expect((await storedState(backing)).meta?.offset).toBe(durable)
    expect(await replica.get('first')).toBe('1')

    // Room again (the user freed space; the browser granted more): the next retry catches up.
    control.full = false
    const end = await caughtUp(replica, master, { durable: true, timeoutMs: 15_000 })
    expect(replica.status.durableOffset).toBe(end)
    expect(await replica.lrange('list', 0, -1)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)))
    expect(await replica.digest()).toBe(master.digest())
    const stored = await storedState(backing)
    expect(stored.meta?.offset).toBe(end)
    expect(stored.records.find((r) => r.key === 'list')?.value).toEqual({ type: 'list', items: Array.from({ length: 20 }, (_, i) => String(i)) })
    // Every failed commit was reported, and nothing after the recovery.
    expect(seen.errors.length).toBe(control.calls.filter((c) => c.outcome === 'failed').length)
  })

  test('a snapshot too big for the store: full syncs are retried with a growing backoff, reads keep answering; it succeeds once the data fits', async () => {
    // No reuse of a finished snapshot: every retry then gets the dataset as it is now (with reuse, it
    // would get the same too-big image until the backlog or reuseMs drops it).
    const master = await startMaster({ ...QUIET, snapshotReuseMs: 0 })
    for (let i = 0; i < 100; i++) master.command(['SET', `k:${i}`, 'x'.repeat(100)])
    const replica = await startReplica(master, { storage: createMemoryStorage({ quotaBytes: 3000 }), backoff: FAST_BACKOFF })
    const seen = watch(replica)
    await waitForStatus(replica, (s) => s.lastError?.causeCode === 'ERR_STORAGE_QUOTA', 'the quota error in the status')
    const syncsAtFirst = infoFull(master)
    await new Promise((resolve) => setTimeout(resolve, 2000))
    const syncs = infoFull(master) - syncsAtFirst
    expect(syncs).toBeGreaterThanOrEqual(2)
    expect(syncs).toBeLessThanOrEqual(20)
    // One report per failed snapshot.
    expect(seen.errors.length).toBe(replica.status.stats.rollbacks)
    expect(seen.errors[0]!.message).toMatch(/full-sync write would bring the memory store to \d+ bytes, over quotaBytes \(3000\)/)
    expect(await replica.call(['DBSIZE'])).toBeTypeOf('number')

    for (let i = 10; i < 100; i++) master.command(['DEL', `k:${i}`])
    const end = await caughtUp(replica, master, { durable: true, timeoutMs: 15_000 })
    expect(replica.status.durableOffset).toBe(end)
    expect(await replica.digest()).toBe(master.digest())
    expect(await replica.get('k:3')).toBe('x'.repeat(100))
  })
})

function infoFull(master: { info(...sections: string[]): string }): number {
  return Number(/^sync_full:(\d+)/m.exec(master.info('stats'))?.[1] ?? NaN)
}

describe('(c) a snapshot that cannot be stored', () => {
  for (const where of ['write', 'commit'] as const) {
    test(`a full-sync writer whose ${where} rejects: reported, the old data stays readable, a later full sync succeeds`, async () => {
      const master = await startMaster({ ...QUIET, backlogBytes: 16_384 })
      for (let i = 0; i < 20; i++) master.command(['SET', `k:${i}`, 'old'])
      const backing = createMemoryBacking()
      const inner = createMemoryStorage({ backing })
      let failSnapshot = false
      const storage: ReplicaStorage = {
        ...inner,
        async beginFullSync() {
          const writer = await inner.beginFullSync()
          if (!failSnapshot) return writer
          failSnapshot = false
          const failing: FullSyncWriter = {
            write: where === 'write' ? async () => { throw quotaError('snapshot write') } : (records) => writer.write(records),
            commit: where === 'commit' ? async () => { await writer.abort(); throw quotaError('snapshot commit') } : (meta) => writer.commit(meta),
            abort: () => writer.abort(),
          }
          return failing
        },
      }
      const tap = new LinkTap()
      const replica = await startReplica(master, { storage, WebSocket: tap.WebSocket, backoff: FAST_BACKOFF })
      const seen = watch(replica)
      const oldOffset = await caughtUp(replica, master, { durable: true })

      // Away long enough for the backlog to lose its offset: the next sync is a full one, and fails to store.
      replica.disconnect()
      for (let i = 0; i < 20; i++) master.command(['SET', `k:${i}`, 'new'.padEnd(2000, '.')])
      failSnapshot = true
      const reads: (string | null)[] = []
      const reader = setInterval(() => void replica.get('k:5').then((v) => reads.push(v)), 5)
      replica.connect()
      await waitForStatus(replica, (s) => s.lastError?.causeCode === 'ERR_STORAGE_QUOTA', 'the failed snapshot in the status')
      expect(seen.errors[0]).toMatchObject({ code: 'ERR_PERSIST_FAILED' })
      expect((seen.errors[0]!.cause as Error).message).toMatch(new RegExp(`snapshot ${where}: the store is full`))
      // Storage still holds the old generation, whole.
      const stored = await storedState(backing)
      expect(stored.meta?.offset).toBe(oldOffset)
      expect(stored.records.filter((r) => r.value.type === 'string' && r.value.value === 'old')).toHaveLength(20)

      // A later full sync succeeds.
      const end = await caughtUp(replica, master, { durable: true, timeoutMs: 15_000 })
      clearInterval(reader)
      expect(replica.status.stats.fullSyncs).toBeGreaterThanOrEqual(3)
      expect(replica.status.durableOffset).toBe(end)
      expect(await replica.digest()).toBe(master.digest())
      expect((await storedState(backing)).meta?.offset).toBe(end)
      // Reads answered throughout, with the old or the new value, never with an error or nothing.
      expect(reads.length).toBeGreaterThan(0)
      expect(reads.every((v) => v === 'old' || v === 'new'.padEnd(2000, '.'))).toBe(true)
    })
  }
})

describe('a commit that fails while a new snapshot is loading', () => {
  test('rolls back what was not stored, and the snapshot still loads: the replica ends on the snapshot, not on the old data', async () => {
    const connections: FakeMasterConnection[] = []
    const fake = await startFakeMaster((connection) => {
      connections.push(connection)
      if (connection.index === 0) connection.fullSync(REPLID_A, 0)
    })
    const backing = createMemoryBacking()
    const { storage, control } = faultyStorage(backing, { delayMs: 300 })
    const replica = await startReplica(fake, { storage, backoff: FAST_BACKOFF })
    const seen = watch(replica)
    await replica.waitForOffset(0, { durable: true, timeoutMs: 15_000 })

    // A write whose commit fails, slowly; meanwhile the link drops and a full sync of another history starts.
    control.failNext = 1
    const set = encodeCommand(['SET', 'old', '1'])
    connections[0]!.send({ kind: 'stream', startOffset: 0, bytes: set })
    await replica.waitForOffset(set.length, { timeoutMs: 15_000 })
    connections[0]!.ws.close(1001, 'fake master drops the link')
    await fake.psyncCount(2)
    const writer = new RdbWriter()
    writer.writeHeader({ 'repl-id': REPLID_B, 'repl-offset': 500 })
    writer.writeKey({ db: 0, key: 'fresh', value: { type: 'string', value: 'yes' }, expireAt: null })
    writer.writeEnd()
    const rdb = writer.take()
    const second = connections[1]!
    second.send({ kind: 'reply', value: simple(`FULLRESYNC ${REPLID_B} 500`) })
    second.send({ kind: 'snapshot-begin', length: rdb.length })
    second.send({ kind: 'snapshot-chunk', bytes: rdb.subarray(0, 20) })
    await waitForStatus(replica, (s) => s.state === 'loading-snapshot' && (s.snapshot?.received ?? 0) > 0, 'the snapshot to start loading')
    // The commit fails now, mid-snapshot.
    await waitForStatus(replica, (s) => s.stats.rollbacks === 1, 'the rollback')
    expect(replica.status.state).toBe('loading-snapshot')
    expect(seen.errors[0]).toMatchObject({ code: 'ERR_PERSIST_FAILED' })

    second.send({ kind: 'snapshot-chunk', bytes: rdb.subarray(20) })
    await replica.waitForOffset(500, { durable: true, timeoutMs: 15_000 })
    expect(replica.status).toMatchObject({ replid: REPLID_B, offset: 500, durableOffset: 500, lastSync: 'full' })
    expect(await replica.get('fresh')).toBe('yes')
    expect(await replica.get('old')).toBeNull()
    const stored = await storedState(backing)
    expect(stored.meta).toMatchObject({ replid: REPLID_B, offset: 500 })
    expect(stored.records.map((r) => r.key)).toEqual(['fresh'])
  })
})
