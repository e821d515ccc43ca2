// Full synchronization over real sockets: a large mixed dataset copied while a client keeps writing,
// without blocking the master, and snapshots shared between replicas that arrive together.
import { describe, expect, test } from 'vitest'
import { client, infoField, infoNumber, startMaster, startReplica, waitForStatus } from './support/cluster.ts'
import { keyName, populate, startWriter } from './support/dataset.ts'

const KEYS = 100_000

describe('full sync', () => {
  test('100,000 mixed keys with far TTLs, under a steady pipelined writer, without blocking the master', async () => {
    const master = await startMaster({ pingPeriodMs: 60_000, timeoutMs: 120_000 })
    populate(master, KEYS)
    expect(infoField(master.info('keyspace'), 'db0')).toMatch(/^keys=100000,expires=14286,/)

    const snapshotter = master.core.snapshotter
    // Pipelines sent and answered while one and the same snapshot was being made.
    let servedDuringSnapshot = 0
    let sentDuring: unknown = null
    const writer = startWriter(client(master), {
      keys: KEYS,
      seed: 7,
      onPipeline: (phase) => {
        const building = snapshotter.current?.status === 'building' ? snapshotter.current : null
        if (phase === 'sent') sentDuring = building
        else if (building !== null && building === sentDuring) servedDuringSnapshot++
      },
    })
    await writer.after(3)

    const replica = await startReplica(master, { ackPeriodMs: 200 })

    // Another client is answered while the snapshot is in progress: INFO says it is, then a PING
    // round trip completes, then INFO says the same snapshot is still in progress.
    const probe = client(master)
    let pingDuringSnapshot = false
    while (!pingDuringSnapshot && replica.status.lastSync !== 'full') {
      const before = await probe.info('persistence')
      if (infoField(before, 'rdb_bgsave_in_progress') !== '1') continue
      expect(await probe.ping()).toBe('PONG')
      const after = await probe.info('persistence')
      pingDuringSnapshot = infoField(after, 'rdb_bgsave_in_progress') === '1' &&
        infoField(after, 'replicast_snapshots') === infoField(before, 'replicast_snapshots')
    }
    expect(pingDuringSnapshot).toBe(true)

    // The writer keeps going through the whole sync and a little after it.
    await waitForStatus(replica, (s) => s.lastSync === 'full' && s.link === 'up', 'the full sync to finish', 60_000)
    await writer.after(5)
    await writer.stop()
    expect(servedDuringSnapshot).toBeGreaterThan(0)

    await replica.waitForOffset(master.offset, { durable: true, timeoutMs: 30_000 })
    expect(await replica.digest()).toBe(master.digest())
    expect(await replica.call(['DBSIZE'])).toBe(master.core.dataset.dbsize(0))
    // The digest tells which keys have a TTL, not when they expire: compare the absolute times of
    // every key that got one (as stored by the replica).
    let withTtl = 0
    for (let i = 0; i < KEYS; i += 7) {
      const key = keyName(i)
      const expected = master.core.dataset.getRecord(0, key)?.expireAt
      const stored = await replica.storage.get(0, key)
      expect(stored?.expireAt, key).toBe(expected)
      if (typeof expected === 'number') withTtl++
    }
    expect(withTtl).toBeGreaterThan(KEYS / 7 - 500)
    expect(infoNumber(master, 'sync_full')).toBe(1)
    expect(infoNumber(master, 'replicast_snapshots')).toBe(1)
    // Snapshot and stream bytes went to the replica.
    expect(infoNumber(master, 'total_net_repl_output_bytes')).toBeGreaterThan(infoNumber(master, 'replicast_last_snapshot_bytes'))
  }, 90_000)

  test('replicas that ask at once share one snapshot', async () => {
    const master = await startMaster({ pingPeriodMs: 60_000, timeoutMs: 120_000 })
    populate(master, 20_000)
    const replicas = await Promise.all([0, 1, 2, 3].map(() => startReplica(master)))
    await Promise.all(replicas.map((r) => r.waitForOffset(master.offset, { timeoutMs: 30_000 })))
    master.command(['SET', 'after', 'sync'])
    const digest = master.digest()
    for (const r of replicas) {
      await r.waitForOffset(master.offset, { timeoutMs: 10_000 })
      expect(await r.digest()).toBe(digest)
      expect(r.status.lastSync).toBe('full')
    }
    expect(infoNumber(master, 'replicast_snapshots')).toBe(1)
    expect(infoNumber(master, 'sync_full')).toBe(4)
    expect(infoNumber(master, 'sync_partial_err')).toBe(0)
    expect(infoNumber(master, 'connected_slaves')).toBe(4)
  })
})
