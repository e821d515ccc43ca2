// The snapshotter's sharing rules and failure reporting: a snapshot being built is shared by full
// syncs of the same replication ID; one of another ID fails the build it replaces (its `done`
// rejects), so that links attached to it hear `snapshot-failed` instead of waiting forever.
import { Dataset, newReplicationIds, RdbReader, ReplicationBacklog, type ReplId, type RespValue, type SnapshotCursor } from '@replicast/core'
import { afterEach, describe, expect, test } from 'vitest'
import type { LinkTransport } from './link-transport.ts'
import { MasterCore } from './master.ts'
import { ReplicaLink } from './replica-link.ts'
import { Snapshotter, type Snapshot } from './snapshotter.ts'

const REPLID_A = 'a'.repeat(40) as ReplId
const REPLID_B = 'b'.repeat(40) as ReplId

/** A snapshotter whose slices end after every clock read and whose yields the test releases. */
function manualSnapshotter(dataset: Dataset, aux = () => ({ 'redis-ver': '7.0.15' })): { snapshotter: Snapshotter; step(): Promise<void> } {
  let clock = 0
  const waiting: (() => void)[] = []
  const snapshotter = new Snapshotter(dataset, {
    sliceMs: 1,
    reuseMs: 60_000,
    // Every read is a millisecond later: a slice holds one batch of keys.
    now: () => clock++,
    yieldToLoop: () => new Promise<void>((resolve) => waiting.push(resolve)),
    aux,
  })
  return {
    snapshotter,
    // Lets every build waiting between two slices run its next slice.
    async step() {
      for (const resolve of waiting.splice(0)) resolve()
      await new Promise((resolve) => setImmediate(resolve))
    },
  }
}

function fill(dataset: Dataset, keys: number): void {
  const session = dataset.createSession()
  for (let i = 0; i < keys; i++) dataset.execute(session, ['SET', `key:${i}`, String(i)], 0)
}

/** The keys of a finished snapshot's RDB. */
function rdbKeys(snapshot: Snapshot): string[] {
  const reader = new RdbReader()
  const keys: string[] = []
  for (const chunk of snapshot.chunks) for (const event of reader.push(chunk)) if (event.kind === 'key') keys.push(event.record.key)
  reader.finish()
  return keys
}

async function settle(snapshot: Snapshot): Promise<{ status: 'ready' | 'failed'; error?: unknown }> {
  try {
    await snapshot.done
    return { status: 'ready' }
  } catch (error) {
    return { status: 'failed', error }
  }
}

describe('Snapshotter.acquire', () => {
  test('a full sync of the same replication ID shares the snapshot being built', async () => {
    const dataset = new Dataset()
    fill(dataset, 2000)
    const backlog = new ReplicationBacklog({ sizeBytes: 1 << 20 })
    const { snapshotter, step } = manualSnapshotter(dataset)
    let starts = 0
    const first = snapshotter.acquire(REPLID_A, backlog, () => starts++)
    expect(first.status).toBe('building')
    const second = snapshotter.acquire(REPLID_A, backlog, () => starts++)
    expect(second).toBe(first)
    expect(starts).toBe(1)
    const settled = settle(first)
    while (first.status === 'building') await step()
    expect(await settled).toEqual({ status: 'ready' })
    expect(rdbKeys(first)).toHaveLength(2000)
  })

  test('a build that fails as it starts is settled at once, so the next full sync starts its own', async () => {
    const dataset = new Dataset()
    fill(dataset, 10)
    const backlog = new ReplicationBacklog({ sizeBytes: 1 << 20 })
    let failAux = true
    const snapshotter = new Snapshotter(dataset, {
      sliceMs: 50,
      reuseMs: 60_000,
      now: () => 0,
      yieldToLoop: () => new Promise<void>((resolve) => setImmediate(resolve)),
      aux: () => {
        if (failAux) throw new Error('aux fields unavailable')
        return { 'redis-ver': '7.0.15' }
      },
    })
    const broken = snapshotter.acquire(REPLID_A, backlog, () => {})
    expect(broken.status).toBe('failed')
    expect(String((await settle(broken)).error)).toContain('aux fields unavailable')
    expect(snapshotter.current).toBeNull()

    failAux = false
    const next = snapshotter.acquire(REPLID_A, backlog, () => {})
    expect(next).not.toBe(broken)
    expect(await settle(next)).toEqual({ status: 'ready' })
    expect(rdbKeys(next)).toHaveLength(10)
  })

  test('a full sync of another replication ID fails the build it abandons (done rejects) and starts its own', async () => {
    const dataset = new Dataset()
    fill(dataset, 2000)
    const backlog = new ReplicationBacklog({ sizeBytes: 1 << 20 })
    const { snapshotter, step } = manualSnapshotter(dataset)
    const old = snapshotter.acquire(REPLID_A, backlog, () => {})
    const oldSettled = settle(old)
    await step()
    expect(old.status).toBe('building')

    const fresh = snapshotter.acquire(REPLID_B, backlog, () => {})
    expect(fresh).not.toBe(old)
    expect(fresh.replid).toBe(REPLID_B)
    expect(snapshotter.current).toBe(fresh)
    const abandoned = await oldSettled
    expect(abandoned.status).toBe('failed')
    expect(String(abandoned.error)).toMatch(new RegExp(`${old.id} of replication ID ${REPLID_A} was abandoned.*${REPLID_B}`))
    expect(old.status).toBe('failed')

    // The new build runs to the end, alone; the old one's slices never run again.
    const freshSettled = settle(fresh)
    while (fresh.status === 'building') await step()
    expect(await freshSettled).toEqual({ status: 'ready' })
    expect(rdbKeys(fresh)).toHaveLength(2000)
    expect(old.chunks.reduce((n, c) => n + c.length, 0)).toBeLessThan(fresh.length)
  })

  test('the abandoned build releases its copy-on-write cursor at once (writes stop preserving values for it)', async () => {
    const dataset = new Dataset()
    fill(dataset, 2000)
    const cursors: SnapshotCursor[] = []
    const begin = dataset.beginSnapshot.bind(dataset)
    dataset.beginSnapshot = () => {
      const cursor = begin()
      cursors.push(cursor)
      return cursor
    }
    const backlog = new ReplicationBacklog({ sizeBytes: 1 << 20 })
    const { snapshotter, step } = manualSnapshotter(dataset)
    void settle(snapshotter.acquire(REPLID_A, backlog, () => {}))
    await step()
    const fresh = snapshotter.acquire(REPLID_B, backlog, () => {})
    expect(cursors).toHaveLength(2)
    expect(cursors[0]!.open).toBe(false)
    // Overwrite every key: only the new build's cursor keeps old values, and its image has none of these writes.
    const session = dataset.createSession()
    for (let i = 0; i < 2000; i++) dataset.execute(session, ['SET', `key:${i}`, 'new'], 0)
    expect(cursors[0]!.preservedKeys).toBe(0)
    expect(cursors[1]!.preservedKeys).toBeGreaterThan(0)
    while (fresh.status === 'building') await step()
    const reader = new RdbReader()
    const values = new Set<string>()
    for (const chunk of fresh.chunks) {
      for (const event of reader.push(chunk)) if (event.kind === 'key' && event.record.value.type === 'string') values.add(event.record.value.value)
    }
    expect(values.has('new')).toBe(false)
    expect(values.size).toBe(2000)
  })
})

describe('Snapshotter.lastStatus (INFO rdb_last_bgsave_status)', () => {
  test('a genuine failure sets err and a finished snapshot ok; abort, abandon and stop leave it as it was', async () => {
    const dataset = new Dataset()
    fill(dataset, 2000)
    const backlog = new ReplicationBacklog({ sizeBytes: 1 << 20 })
    let failAux = false
    const { snapshotter, step } = manualSnapshotter(dataset, () => {
      if (failAux) throw new Error('aux fields unavailable')
      return { 'redis-ver': '7.0.15' }
    })
    const finish = async (snapshot: Snapshot): Promise<void> => {
      while (snapshot.status === 'building') await step()
    }
    /** Starts a build under `replid`, runs one slice, and gives it up the way `giveUp` does. */
    const abandoned = async (replid: ReplId, giveUp: () => void): Promise<Snapshot> => {
      const build = snapshotter.acquire(replid, backlog, () => {})
      void settle(build)
      await step()
      expect(build.status).toBe('building')
      giveUp()
      await step()
      expect(build.status).toBe('failed')
      return build
    }
    expect(snapshotter.lastStatus).toBe('ok')

    // From 'ok': none of the three ways of giving a build up is a failure.
    await abandoned(REPLID_A, () => snapshotter.abort('the upstream started a full resync'))
    expect(snapshotter.lastStatus).toBe('ok')
    await abandoned(REPLID_A, () => snapshotter.acquire(REPLID_B, backlog, () => {}))
    expect(snapshotter.lastStatus).toBe('ok')
    await finish(snapshotter.current!)
    expect(snapshotter.lastStatus).toBe('ok')

    // A genuine failure: 'err', and giving builds up afterwards does not hide it.
    failAux = true
    snapshotter.abort('drop the finished one')
    expect(snapshotter.acquire(REPLID_A, backlog, () => {}).status).toBe('failed')
    expect(snapshotter.lastStatus).toBe('err')
    failAux = false
    await abandoned(REPLID_A, () => snapshotter.abort('the upstream started a full resync'))
    await abandoned(REPLID_A, () => snapshotter.acquire(REPLID_B, backlog, () => {}))
    expect(snapshotter.lastStatus).toBe('err')

    // The next snapshot that is made sets it back to 'ok'.
    await finish(snapshotter.current!)
    expect(snapshotter.current!.status).toBe('ready')
    expect(snapshotter.lastStatus).toBe('ok')

    // A failure mid-build (the cursor throws in a later slice) is genuine too; stop is not.
    const begin = dataset.beginSnapshot.bind(dataset)
    dataset.beginSnapshot = () => {
      const cursor = begin()
      const next = cursor.next.bind(cursor)
      let slices = 0
      cursor.next = (n) => (++slices > 1 ? (() => { throw new Error('serialization exploded') })() : next(n))
      return cursor
    }
    snapshotter.abort('drop the finished one')
    const broken = snapshotter.acquire(REPLID_A, backlog, () => {})
    const brokenSettled = settle(broken)
    await finish(broken)
    expect(String((await brokenSettled).error)).toContain('serialization exploded')
    expect(snapshotter.lastStatus).toBe('err')
    dataset.beginSnapshot = begin
    await abandoned(REPLID_A, () => snapshotter.stop())
    expect(snapshotter.lastStatus).toBe('err')
  })
})

// ── The same through the master: links attached to the abandoned build are closed ────────────

class FakeTransport implements LinkTransport {
  readonly kind = 'websocket' as const
  readonly remoteAddress = '127.0.0.1'
  readonly replies: RespValue[] = []
  snapshotBegun: number | null = null
  snapshotEnded = false
  closedWith: { code: number; reason: string } | null = null

  sendReply(value: RespValue): void { this.replies.push(value) }
  sendKeepalive(): void {}
  sendSnapshotBegin(length: number): void { this.snapshotBegun = length }
  sendSnapshotChunk(): void {}
  sendSnapshotEnd(): void { this.snapshotEnded = true }
  sendStream(): void {}
  bufferedBytes(): number { return 0 }
  onDrain(listener: () => void): void { listener() }
  close(code: number, reason: string): void { this.closedWith ??= { code, reason } }
  get closed(): boolean { return this.closedWith !== null }
}

let core: MasterCore | null = null
afterEach(() => {
  core?.shutdownCore()
  core = null
})

describe('MasterCore: a full sync under a new replication ID while a snapshot is building', () => {
  test('the link waiting on the abandoned snapshot is closed with ERR_SNAPSHOT_FAILED; the new one gets its snapshot', async () => {
    const master = (core = new MasterCore({ snapshotSliceMs: 1, pingPeriodMs: 3_600_000, timeoutMs: 7_200_000 }))
    const session = master.dataset.createSession()
    // Enough keys that the snapshot takes several slices of 1 ms.
    for (let i = 0; i < 100_000; i++) master.dataset.execute(session, ['SET', `key:${i}`, 'x'.repeat(20)], 0)
    const errors: (Error & { code?: string })[] = []
    master.on('replica-error', (error) => errors.push(error))

    const firstTransport = new FakeTransport()
    const first = new ReplicaLink(master, firstTransport)
    master.links.add(first)
    first.command(['PSYNC', '?', '-1'])
    expect(master.snapshotter.current?.status).toBe('building')
    const abandoned = master.snapshotter.current!
    expect(firstTransport.replies[0]).toMatchObject({ kind: 'simple', value: `FULLRESYNC ${master.replid} 0` })

    // The history changes (as in upstream mode after a full sync from Redis), and another replica asks.
    master.setReplicationIds(newReplicationIds(REPLID_B))
    const secondTransport = new FakeTransport()
    const second = new ReplicaLink(master, secondTransport)
    master.links.add(second)
    second.command(['PSYNC', '?', '-1'])
    expect(master.snapshotter.current).not.toBe(abandoned)
    expect(abandoned.status).toBe('failed')

    await expect(abandoned.done).rejects.toThrow(/was abandoned/)
    await new Promise((resolve) => setImmediate(resolve))
    expect(firstTransport.closedWith).not.toBeNull()
    expect(first.state.kind).toBe('closed')
    expect(errors.map((e) => e.code)).toEqual(['ERR_SNAPSHOT_FAILED'])
    expect(master.links.has(first)).toBe(false)

    // The second link's snapshot, of the new history, is sent in full.
    await master.snapshotter.current!.done
    for (let i = 0; i < 100 && !secondTransport.snapshotEnded; i++) await new Promise((resolve) => setImmediate(resolve))
    expect(secondTransport.replies[0]).toMatchObject({ kind: 'simple', value: `FULLRESYNC ${REPLID_B} 0` })
    expect(secondTransport.snapshotEnded).toBe(true)
    expect(second.isOnline).toBe(true)
    expect(secondTransport.closedWith).toBeNull()
  })
})
