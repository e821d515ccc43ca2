// What an application sees of a replica: change subscriptions by key and by glob (and 'resync' on a
// full sync), and status events that tell the link state, position and snapshot progress.
import { createMemoryStorage, type ReplicaChange, type ReplicaStatusInfo } from '@replicast/replica/node'
import { randomBytes } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { caughtUp, client, startMaster, startReplica, waitForStatus } from './support/cluster.ts'

const describeChange = (c: ReplicaChange): string => (c.kind === 'key' ? `${c.kind}:${c.db}:${c.key}` : `${c.kind}:${c.db}`)

describe('subscriptions', () => {
  test('key and glob subscriptions fire for matching changes only; resync fires on a full sync', async () => {
    const master = await startMaster()
    master.command(['SET', 'user:0', 'before'])
    const redis = client(master)
    const replica = await startReplica(master, { autoConnect: false })
    await replica.ready

    const exact: string[] = []
    const glob: string[] = []
    const anyDb: string[] = []
    const cancelled: string[] = []
    replica.subscribe('user:1', (c) => exact.push(describeChange(c)))
    replica.subscribe('user:*', (c) => glob.push(describeChange(c)), { glob: true })
    replica.subscribe('user:?', (c) => anyDb.push(describeChange(c)), { glob: true, db: null })
    const unsubscribe = replica.subscribe('user:1', (c) => cancelled.push(describeChange(c)))

    replica.connect()
    await replica.waitForOffset(master.offset, { timeoutMs: 15_000 })
    expect(exact).toEqual(['resync:-1'])
    expect(glob).toEqual(['resync:-1'])
    unsubscribe()

    await redis.set('user:1', 'a')
    await redis.hset('user:22', 'f', 'v')
    await redis.set('other', 'x')
    await redis.set('user', 'no')
    await redis.del('user:1')
    await redis.select(3)
    await redis.set('user:2', 'in db 3')
    await redis.select(0)
    await redis.flushdb()
    await replica.waitForOffset(master.offset, { timeoutMs: 15_000 })

    expect(exact).toEqual(['resync:-1', 'key:0:user:1', 'key:0:user:1', 'flush:0'])
    expect(glob).toEqual(['resync:-1', 'key:0:user:1', 'key:0:user:22', 'key:0:user:1', 'flush:0'])
    expect(anyDb).toEqual(['resync:-1', 'key:0:user:1', 'key:0:user:1', 'key:3:user:2', 'flush:0'])
    expect(cancelled).toEqual(['resync:-1'])
    expect(await replica.get('user:2', 3)).toBe('in db 3')
  })

  test('without storage, listeners added and removed at any time hear exactly the writes made meanwhile', async () => {
    // Such a replica records changes only while someone listens: this checks it starts and stops
    // at the right moments, across a full resync that replaces its dataset.
    const master = await startMaster({ backlogBytes: 16 * 1024 })
    const replica = await startReplica(master)
    master.command(['SET', 'a', '0'])
    await caughtUp(replica, master)
    expect(replica.hasStorage).toBe(false)

    const heard: string[] = []
    const onChange = (c: ReplicaChange) => heard.push(`on:${describeChange(c)}`)
    replica.on('change', onChange)
    const unsubscribe = replica.subscribe('b', (c) => heard.push(`sub:${describeChange(c)}`))
    master.command(['SET', 'a', '1'])
    master.command(['SET', 'b', '1'])
    await caughtUp(replica, master)
    expect(heard).toEqual(['on:key:0:a', 'on:key:0:b', 'sub:key:0:b'])

    replica.off('change', onChange)
    master.command(['SET', 'b', '2'])
    await caughtUp(replica, master)
    unsubscribe()
    master.command(['SET', 'b', '3'])
    await caughtUp(replica, master)
    expect(heard).toEqual(['on:key:0:a', 'on:key:0:b', 'sub:key:0:b', 'sub:key:0:b'])

    // A listener kept across a full resync (a new dataset: the link drops and the backlog no longer
    // covers the gap) hears the resync, then the new dataset's writes.
    const off = replica.on('change', onChange)
    const before = heard.length
    await client(master).call('CLIENT', 'KILL', 'TYPE', 'replica')
    for (let i = 0; i < 100; i++) master.command(['SET', `filler:${i}`, 'x'.repeat(1000)])
    await waitForStatus(replica, (s) => s.link === 'up' && s.stats.fullSyncs === 2, 'a second full sync')
    master.command(['SET', 'c', '1'])
    await caughtUp(replica, master)
    off()
    expect(heard.slice(before)).toEqual(['on:resync:-1', 'on:key:0:c'])
    expect(await replica.digest()).toBe(master.digest())
  })
})

describe('status events', () => {
  test('a full sync of a larger dataset reports link state, position and snapshot progress', async () => {
    const master = await startMaster({ pingPeriodMs: 60_000, timeoutMs: 120_000 })
    // About 6 MB of RDB: several SNAPSHOT_CHUNK frames of 1 MB, so progress moves in steps. Random
    // values, since snapshots are LZF-compressed (populate's padding would shrink to a fraction).
    for (let i = 0; i < 40_000; i++) master.command(['SET', `key:${i}`, randomBytes(96).toString('base64')])
    // With storage: durableOffset trails offset (without, it follows it at once).
    const replica = await startReplica(master, { autoConnect: false, storage: createMemoryStorage() })
    await replica.ready
    const seen: ReplicaStatusInfo[] = []
    replica.on('status', (s) => seen.push(s))
    expect(replica.status).toMatchObject({ link: 'down', replid: null, offset: 0, durableOffset: 0, lastSync: null, snapshot: null })

    replica.connect()
    const up = await waitForStatus(replica, (s) => s.link === 'up', 'the link to come up', 30_000)
    await waitForStatus(replica, (s) => s.durableOffset === up.offset, 'the snapshot to be stored', 30_000)

    // (A first event may repeat 'down': the status as it was when the listener came.)
    const links = seen.map((s) => s.link).filter((link, i, all) => i === 0 || link !== all[i - 1])
    expect(links.slice(links.indexOf('connecting'))).toEqual(['connecting', 'syncing', 'up'])
    expect(links.indexOf('connecting')).toBeLessThanOrEqual(1)

    const loading = seen.filter((s) => s.link === 'syncing')
    expect(loading[0]!.snapshot).toEqual({ received: 0, total: null })
    const progress = loading.map((s) => s.snapshot!).filter((p) => p.total !== null)
    const total = progress[0]!.total!
    expect(total).toBe(master.core.snapshotter.lastBytes)
    expect(progress.length).toBeGreaterThanOrEqual(3)
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i]!.total).toBe(total)
      expect(progress[i]!.received).toBeGreaterThan(progress[i - 1]!.received)
    }
    expect(progress.at(-1)!.received).toBeLessThan(total)
    // While syncing the old position stays (nothing yet), and the new one shows once up.
    expect(loading.every((s) => s.offset === 0 && s.replid === null && s.lastSync === null)).toBe(true)

    // Up at the snapshot's offset S (the stream's first ping may follow it).
    const snapshotOffset = master.core.snapshotter.current!.offset
    expect(up).toMatchObject({ link: 'up', state: 'streaming', replid: master.replid, offset: snapshotOffset, lastSync: 'full', snapshot: null })
    expect(up.stats.fullSyncs).toBe(1)
    expect(up.durableOffset).toBeLessThan(up.offset)
    const synced = await caughtUp(replica, master, { durable: true })
    expect(replica.status).toMatchObject({ durableOffset: synced, unpersistedBytes: 0, loaded: true })
    expect(await replica.digest()).toBe(master.digest())

    // A write moves offset, then durableOffset.
    master.command(['SET', 'late', '1'])
    const end = await caughtUp(replica, master, { durable: true })
    expect(end).toBeGreaterThan(synced)
    expect(seen.at(-1)).toMatchObject({ offset: end, durableOffset: end })
  })
})
