// INFO persistence's rdb_last_bgsave_status follows the last snapshot's outcome: `err` after a
// snapshot that could not be made (its replica is closed with ERR_SNAPSHOT_FAILED and retries), `ok`
// again after the next one succeeds, as Redis after a failed and then a good BGSAVE. A snapshot the
// master abandons on purpose (Snapshotter.abort, which upstream mode calls when Redis full-syncs it)
// is not a failure, as Redis does not count a BGSAVE child it kills itself: the status stays as it was.
import type { Dataset, SnapshotCursor } from '@replicast/core'
import type { Master } from '@replicast/master'
import { describe, expect, test } from 'vitest'
import { eventually, infoField, nextReplicaError, startMaster, startReplica } from './support/cluster.ts'

const status = (master: Master): string | undefined => infoField(master.info('persistence'), 'rdb_last_bgsave_status')

/** Makes every snapshot's cursor behave as `patch` says, from the next snapshot on. */
function patchCursors(dataset: Dataset, patch: (cursor: SnapshotCursor, next: SnapshotCursor['next']) => SnapshotCursor['next']): void {
  const beginSnapshot = dataset.beginSnapshot.bind(dataset)
  dataset.beginSnapshot = () => {
    const cursor = beginSnapshot()
    cursor.next = patch(cursor, cursor.next.bind(cursor))
    return cursor
  }
}

describe('rdb_last_bgsave_status', () => {
  test('ok before any snapshot, err after a failed one, ok after the next', async () => {
    const master = await startMaster()
    master.command(['SET', 'k', 'v'])
    expect(status(master)).toBe('ok')

    // The dataset's snapshot cursor fails part-way (as a defect in serialization would).
    let failing = true
    patchCursors(master.core.dataset, (_cursor, next) => (n) => {
      if (failing) throw new Error('serialization exploded')
      return next(n)
    })
    const failed = nextReplicaError(master, (e) => e.code === 'ERR_SNAPSHOT_FAILED')
    const replica = await startReplica(master, { backoff: { initialDelayMs: 20, maxDelayMs: 100 } })
    expect((await failed).message).toMatch(/serialization exploded/)
    expect(status(master)).toBe('err')

    failing = false
    await replica.waitForOffset(master.offset, { timeoutMs: 15_000 })
    expect(await replica.get('k')).toBe('v')
    expect(status(master)).toBe('ok')
  })

  test('a snapshot abandoned on purpose (Snapshotter.abort) leaves the status as it was', async () => {
    const master = await startMaster()
    master.command(['SET', 'k', 'v'])
    // Snapshots stay 'building' while held: the cursor hands out no records, slice after slice.
    let held = true
    let failing = false
    patchCursors(master.core.dataset, (_cursor, next) => (n) => {
      if (failing) throw new Error('serialization exploded')
      return held ? [] : next(n)
    })
    const building = (): Promise<void> => eventually(() => master.core.snapshotter.current?.status === 'building', 'a snapshot being built')
    const abortBuilding = async (): Promise<void> => {
      const abandoned = nextReplicaError(master, (e) => e.code === 'ERR_SNAPSHOT_FAILED')
      await building()
      master.core.snapshotter.abort('The upstream Redis started a full resync; this snapshot belonged to the old history.')
      expect((await abandoned).message).toMatch(/upstream Redis started a full resync/)
    }

    // From ok: the replica's link is closed (it retries), and the status stays ok.
    const replica = await startReplica(master, { backoff: { initialDelayMs: 20, maxDelayMs: 100 } })
    await abortBuilding()
    expect(status(master)).toBe('ok')

    // After a genuine failure, an abandon does not hide it.
    const failed = nextReplicaError(master, (e) => e.code === 'ERR_SNAPSHOT_FAILED' && /serialization exploded/.test(e.message))
    failing = true
    await failed
    expect(status(master)).toBe('err')
    failing = false
    await abortBuilding()
    expect(status(master)).toBe('err')

    held = false
    await replica.waitForOffset(master.offset, { timeoutMs: 15_000 })
    expect(await replica.get('k')).toBe('v')
    expect(status(master)).toBe('ok')
  })
})
