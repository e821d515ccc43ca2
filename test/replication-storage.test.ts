// A Node replica on file storage survives a restart: re-created on the same directory it answers
// reads from what is stored before any network, then resumes with PSYNC (+CONTINUE), not a full sync.
import { createFileStorage } from '@replicast/replica/node'
import { describe, expect, test } from 'vitest'
import { caughtUp, client, eventually, infoNumber, startMaster, startReplica, tempDir } from './support/cluster.ts'
import { LinkTap } from './support/link-tap.ts'

describe('file storage across restarts', () => {
  test('a restarted replica serves reads from storage at once, then continues with +CONTINUE', async () => {
    const master = await startMaster({ pingPeriodMs: 60_000, timeoutMs: 120_000 })
    const redis = client(master)
    const dir = await tempDir()
    await redis.pipeline().set('s', 'stored').hset('h', 'a', '1', 'b', '2').zadd('z', 1, 'one', 2, 'two').set('t', 'ttl', 'EX', 86_400).exec()
    for (let i = 0; i < 500; i++) await redis.rpush('l', String(i))

    const first = await startReplica(master, { storage: createFileStorage({ dir }) })
    await caughtUp(first, master)
    // The last write before the restart selects db 5 in the stream; the first after it needs no SELECT.
    const redis5 = client(master)
    await redis5.select(5)
    await redis5.set('in5', 'a')
    await caughtUp(first, master, { durable: true })
    const storedDigest = await first.digest()
    await first.close()
    const storedOffset = first.status.durableOffset
    // No event tells it; from then on the master pings nobody until the next link.
    await eventually(() => infoNumber(master, 'connected_slaves') === 0, 'the master to drop the closed link')

    // The master moves on while the replica is down.
    await redis5.set('in5', 'b')
    await redis.pipeline().set('s', 'newer').del('h').rpush('l', 'tail').exec()
    const stats = { full: infoNumber(master, 'sync_full'), ok: infoNumber(master, 'sync_partial_ok') }
    const connections = infoNumber(master, 'total_connections_received')

    const tap = new LinkTap()
    const second = await startReplica(master, { storage: createFileStorage({ dir }), WebSocket: tap.WebSocket, autoConnect: false })
    // Reads right away, from storage: the state at the stored offset, with no link.
    expect(await second.get('s')).toBe('stored')
    expect(await second.get('in5', 5)).toBe('a')
    expect(await second.hgetall('h')).toEqual({ a: '1', b: '2' })
    expect(await second.zrangeWithScores('z', 0, -1)).toEqual([['one', 1], ['two', 2]])
    expect(await second.call(['LLEN', 'l'])).toBe(500)
    expect((await second.call(['TTL', 't'])) as number).toBeGreaterThan(86_000)
    expect(second.status).toMatchObject({ link: 'down', offset: storedOffset, durableOffset: storedOffset, replid: master.replid })
    await second.ready
    expect(await second.digest()).toBe(storedDigest)
    expect(tap.sockets).toHaveLength(0)
    expect(infoNumber(master, 'total_connections_received')).toBe(connections)

    second.connect()
    const end = await caughtUp(second, master, { durable: true })
    expect(tap.last.sent.find((argv) => argv[0] === 'PSYNC')).toEqual(['PSYNC', master.replid, String(storedOffset + 1)])
    expect(tap.last.received.some((r) => r.message.kind === 'snapshot-begin')).toBe(false)
    expect(tap.last.streamBytes).toBe(end - storedOffset)
    expect(second.status.lastSync).toBe('partial')
    expect({ full: infoNumber(master, 'sync_full'), ok: infoNumber(master, 'sync_partial_ok') }).toEqual({ ...stats, ok: stats.ok + 1 })
    expect(await second.get('s')).toBe('newer')
    expect(await second.get('in5', 5)).toBe('b')
    expect(await second.digest()).toBe(master.digest())
    await second.close()

    // And once more, from what the partial resync stored.
    const third = await startReplica(master, { storage: createFileStorage({ dir }), autoConnect: false })
    expect(await third.get('s')).toBe('newer')
    expect(third.status.offset).toBe(second.status.durableOffset)
    expect(await third.digest()).toBe(master.digest())
  })
})
