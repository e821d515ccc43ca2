// Bystanders for the bad-input tests: a real replica following a pipelined writer while a test
// abuses the master's ports. Whatever the abuse, the replica must end equal to the master without
// ever reconnecting, and a RESP client must still be answered.
import type { Master, MasterOptions } from '@replicast/master'
import type { Replica, ReplicaOptions } from '@replicast/replica/node'
import { expect } from 'vitest'
import { client, infoNumber, startMaster, startReplica } from './cluster.ts'
import { startWriter } from './dataset.ts'

export interface Bystanders {
  readonly master: Master
  readonly replica: Replica
  /**
   * Stops the writer and checks that nothing was lost or disturbed. `abuserFullSyncs`: full syncs
   * the abuse itself asked for; `links`: replica links the master still has (the bystander's, and
   * any the abuse left open).
   */
  check(abuserFullSyncs?: number, links?: number): Promise<void>
}

/** A master with a real replica following a pipelined writer, for the abuse to run beside. */
export async function withBystanders(options: Partial<MasterOptions> = {}, replicaOptions: Partial<ReplicaOptions> = {}, urlSuffix = ''): Promise<Bystanders> {
  const master = await startMaster({ pingPeriodMs: 60_000, timeoutMs: 120_000, ...options })
  const redis = client(master)
  const replica = await startReplica({ url: master.url + urlSuffix }, replicaOptions)
  await replica.waitForOffset(master.offset, { timeoutMs: 15_000 })
  const writer = startWriter(redis, { keys: 500, batch: 50 })
  await writer.after(1)
  return {
    master,
    replica,
    async check(abuserFullSyncs = 0, links?: number) {
      await writer.after(2)
      await writer.stop()
      await replica.waitForOffset(master.offset, { timeoutMs: 15_000 })
      expect(await replica.digest()).toBe(master.digest())
      expect(replica.status.stats.fullSyncs).toBe(1)
      expect(replica.status.stats.partialSyncs).toBe(0)
      expect(replica.status.lastError).toBeNull()
      expect(await redis.ping()).toBe('PONG')
      expect(infoNumber(master, 'sync_full')).toBe(1 + abuserFullSyncs)
      if (links !== undefined) expect(master.core.links.size).toBe(links)
    },
  }
}
