import { describe, expect, test } from 'vitest'
import { client, infoField, startMaster, startReplica } from './support/cluster.ts'

describe('master and Node replica', () => {
  test('a new replica full-syncs, then follows the stream; digests are equal', async () => {
    const master = await startMaster()
    const redis = client(master)
    for (let i = 0; i < 100; i++) await redis.set(`before:${i}`, `v${i}`)
    const replica = await startReplica(master)
    await replica.waitForOffset(master.offset, { timeoutMs: 10_000 })
    await redis.hset('h', 'a', '1', 'b', '2')
    await redis.rpush('l', 'x', 'y')
    await redis.zadd('z', 1, 'one', 2, 'two')
    await redis.sadd('s', 'm')
    await redis.set('e', 'v', 'EX', 100)
    await replica.waitForOffset(master.offset, { timeoutMs: 10_000 })
    expect(await replica.digest()).toBe(master.digest())
    expect(await replica.get('before:7')).toBe('v7')
    expect(await replica.hgetall('h')).toEqual({ a: '1', b: '2' })
    expect(await replica.zrangeWithScores('z', 0, -1)).toEqual([['one', 1], ['two', 2]])
    expect(replica.status.lastSync).toBe('full')
    const info = master.info('replication', 'stats')
    expect(infoField(info, 'connected_slaves')).toBe('1')
    expect(infoField(info, 'sync_full')).toBe('1')
  })
})
