// replica.waitForOffset(n) resolves once the replica holds offset n of its current history, in any
// link state but one: while a snapshot loads, the data held is about to be replaced, so it waits for
// the new image and judges by its offset. A replica that applied n and then lost its link resolves.
import { encodeCommand, RdbWriter, simple } from '@replicast/core'
import { describe, expect, test } from 'vitest'
import { createMemoryStorage } from '@replicast/replica/node'
import { createMemoryBacking } from '../packages/replica/src/storage/memory.ts'
import { caughtUp, client, startMaster, startReplica, waitForStatus } from './support/cluster.ts'
import { startFakeMaster, type FakeMasterConnection } from './support/fake-master.ts'

const REPLID_A = 'a'.repeat(40)
const REPLID_B = 'b'.repeat(40)

/** Settles within `ms`: 'resolved', 'rejected', or 'pending'. */
async function within(promise: Promise<unknown>, ms: number): Promise<'resolved' | 'rejected' | 'pending'> {
  return Promise.race([
    promise.then(() => 'resolved' as const, () => 'rejected' as const),
    new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), ms)),
  ])
}

describe('waitForOffset after the link is gone', () => {
  test('a replica that applied offset n resolves waitForOffset(n) after disconnect(), and not n+1', async () => {
    const master = await startMaster({ pingPeriodMs: 3_600_000, timeoutMs: 7_200_000 })
    const replica = await startReplica(master)
    await client(master).set('k', 'v')
    const offset = await caughtUp(replica, master, { durable: true })

    replica.disconnect()
    expect(replica.status.link).toBe('down')
    await replica.waitForOffset(offset, { timeoutMs: 1000 })
    await replica.waitForOffset(offset, { durable: true, timeoutMs: 1000 })
    await expect(replica.waitForOffset(offset + 1, { timeoutMs: 200 })).rejects.toThrow(/timed out after 200 ms at offset .*link down/)
    expect(await replica.get('k')).toBe('v')
  })

  test('a replica whose master went away resolves for what it applied while it keeps trying to reconnect', async () => {
    const master = await startMaster({ pingPeriodMs: 3_600_000, timeoutMs: 7_200_000 })
    const replica = await startReplica(master, { backoff: { initialDelayMs: 20, maxDelayMs: 50 } })
    master.command(['SET', 'k', 'v'])
    const offset = await caughtUp(replica, master, { durable: true })
    await master.close()
    await waitForStatus(replica, (s) => s.link === 'down' && s.reconnectAttempt >= 2, 'failed reconnects')

    await replica.waitForOffset(offset, { timeoutMs: 1000 })
    await replica.waitForOffset(offset, { durable: true, timeoutMs: 1000 })
    const beyond = replica.waitForOffset(offset + 1, { timeoutMs: 15_000 })
    expect(await within(beyond, 100)).toBe('pending')
    expect(await replica.get('k')).toBe('v')
    // close() settles what is still waiting.
    await replica.close()
    await expect(beyond).rejects.toThrow(/closed before it reached the offset/)
  })
})

describe('waitForOffset on a replica restored from storage', () => {
  test('waits for a first sync (the stored history may not be the master\'s), unless durable', async () => {
    const master = await startMaster({ pingPeriodMs: 3_600_000, timeoutMs: 7_200_000 })
    master.command(['SET', 'k', 'v'])
    const backing = createMemoryBacking()
    const first = await startReplica(master, { storage: createMemoryStorage({ backing }) })
    const offset = await caughtUp(first, master, { durable: true })
    await first.close()

    const second = await startReplica(master, { storage: createMemoryStorage({ backing }), autoConnect: false })
    expect(second.status).toMatchObject({ offset, lastSync: null, link: 'down' })
    await second.waitForOffset(offset, { durable: true, timeoutMs: 1000 })
    const applied = second.waitForOffset(offset, { timeoutMs: 15_000 })
    expect(await within(applied, 100)).toBe('pending')
    second.connect()
    await applied
    expect(second.status.lastSync).toBe('partial')
  })
})

describe('waitForOffset while a snapshot loads', () => {
  test('does not resolve on the data being replaced; resolves by the new history once the snapshot is in', async () => {
    const connections: FakeMasterConnection[] = []
    const fake = await startFakeMaster((connection) => {
      connections.push(connection)
      if (connection.index === 0) connection.fullSync(REPLID_A, 100)
    })
    const replica = await startReplica(fake, { backoff: { initialDelayMs: 20, maxDelayMs: 50 } })
    await replica.waitForOffset(100, { timeoutMs: 15_000 })
    expect(replica.status).toMatchObject({ replid: REPLID_A, offset: 100, state: 'streaming' })

    // The master goes away, and on the next link answers with a full sync of another history.
    connections[0]!.ws.close(1001, 'fake master drops the link')
    await fake.psyncCount(2)
    const connection = connections[1]!
    expect(fake.psyncs[1]).toEqual(['PSYNC', REPLID_A, '101'])
    const writer = new RdbWriter()
    writer.writeHeader({ 'repl-id': REPLID_B, 'repl-offset': 50 })
    writer.writeKey({ db: 0, key: 'fresh', value: { type: 'string', value: 'yes' }, expireAt: null })
    writer.writeEnd()
    const rdb = writer.take()
    connection.send({ kind: 'reply', value: simple(`FULLRESYNC ${REPLID_B} 50`) })
    connection.send({ kind: 'snapshot-begin', length: rdb.length })
    connection.send({ kind: 'snapshot-chunk', bytes: rdb.subarray(0, 10) })
    await waitForStatus(replica, (s) => s.state === 'loading-snapshot' && (s.snapshot?.received ?? 0) > 0, 'the snapshot to start loading')

    // Offset 100 of history A is held, but it is about to be replaced: no resolution now.
    const old = replica.waitForOffset(100, { timeoutMs: 15_000 })
    const early = replica.waitForOffset(40, { timeoutMs: 15_000 })
    expect(await within(old, 100)).toBe('pending')
    expect(await within(early, 0)).toBe('pending')

    connection.send({ kind: 'snapshot-chunk', bytes: rdb.subarray(10) })
    // Offset 50 of history B: the wait for 40 resolves, the one for 100 waits for 50 more stream bytes.
    await early
    expect(replica.status).toMatchObject({ replid: REPLID_B, offset: 50 })
    expect(await replica.get('fresh')).toBe('yes')
    expect(await within(old, 50)).toBe('pending')
    const set = encodeCommand(['SET', 'k', 'x'.repeat(40)])
    connection.send({ kind: 'stream', startOffset: 50, bytes: set })
    expect(50 + set.length).toBeGreaterThanOrEqual(100)
    await old
    expect(await replica.get('k')).toBe('x'.repeat(40))
  })
})
