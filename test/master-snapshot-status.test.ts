// INFO persistence's rdb_last_bgsave_status follows the last snapshot's outcome: `err` after a
// snapshot that could not be made (its replica is closed with ERR_SNAPSHOT_FAILED and retries), `ok`
// again after the next one succeeds, as Redis after a failed and then a good BGSAVE.
import type { Dataset } from '@replicast/core'
import { describe, expect, test } from 'vitest'
import { infoField, nextReplicaError, startMaster, startReplica } from './support/cluster.ts'

describe('rdb_last_bgsave_status', () => {
  test('ok before any snapshot, err after a failed one, ok after the next', async () => {
    const master = await startMaster()
    master.command(['SET', 'k', 'v'])
    const status = (): string | undefined => infoField(master.info('persistence'), 'rdb_last_bgsave_status')
    expect(status()).toBe('ok')

    // The dataset's snapshot cursor fails part-way (as a defect in serialization would).
    const dataset: Dataset = master.core.dataset
    const beginSnapshot = dataset.beginSnapshot.bind(dataset)
    let failing = true
    dataset.beginSnapshot = () => {
      const cursor = beginSnapshot()
      if (failing) cursor.next = () => { throw new Error('serialization exploded') }
      return cursor
    }
    const failed = nextReplicaError(master, (e) => e.code === 'ERR_SNAPSHOT_FAILED')
    const replica = await startReplica(master, { backoff: { initialDelayMs: 20, maxDelayMs: 100 } })
    expect((await failed).message).toMatch(/serialization exploded/)
    expect(status()).toBe('err')

    failing = false
    await replica.waitForOffset(master.offset, { timeoutMs: 15_000 })
    expect(await replica.get('k')).toBe('v')
    expect(status()).toBe('ok')
  })
})
