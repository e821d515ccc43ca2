// WAIT numreplicas timeout through a real client (REDIS.md §5.4): it counts online replicas whose ACK
// reached the client's last write, asks them for an ACK at once (REPLCONF GETACK *), and answers with
// what it has when the timeout passes.
import { describe, expect, test } from 'vitest'
import { client, startMaster, startReplica } from './support/cluster.ts'

describe('WAIT', () => {
  test('WAIT 1 5000 after a write returns 1 once the replica acknowledged it', async () => {
    const master = await startMaster()
    const redis = client(master)
    // ACKs every 30 s on their own: only the master's GETACK can make WAIT return in time.
    const replica = await startReplica(master, { ackPeriodMs: 30_000, timeoutMs: 120_000 })
    await replica.waitForOffset(master.offset, { timeoutMs: 15_000 })

    await redis.set('k', 'v')
    const writeOffset = master.offset
    expect(await redis.call('WAIT', '1', '5000')).toBe(1)
    // The replica had the write when WAIT counted it.
    expect(replica.status.offset).toBeGreaterThanOrEqual(writeOffset)
    expect(await replica.get('k')).toBe('v')
    // Nothing new to wait for: answered at once from the last ACK.
    expect(await redis.call('WAIT', '1', '0')).toBe(1)
  })

  test('WAIT 2 200 with one replica returns 1 when the timeout passes', async () => {
    const master = await startMaster()
    const redis = client(master)
    const replica = await startReplica(master)
    await replica.waitForOffset(master.offset, { timeoutMs: 15_000 })
    await redis.set('k', 'v')
    expect(await redis.call('WAIT', '2', '200')).toBe(1)
    // The connection is usable afterwards, in order.
    expect(await redis.get('k')).toBe('v')
  })

  test('WAIT with no replicas returns 0', async () => {
    const master = await startMaster()
    const redis = client(master)
    await redis.set('k', 'v')
    expect(await redis.call('WAIT', '0', '0')).toBe(0)
    expect(await redis.call('WAIT', '1', '100')).toBe(0)
    expect(await redis.ping()).toBe('PONG')
  })
})
