// Loss detection on the link (DESIGN §4, docs/protocol.md §6): a STREAM frame that never reaches the
// replica is noticed from the next frame's start offset, the replica's ACK carries RESEND, and the
// master re-sends from its backlog on the same socket: no new PSYNC, no full sync.
import type { MasterMessage } from '@replicast/core'
import type { Master } from '@replicast/master'
import { describe, expect, test } from 'vitest'
import { client, infoNumber, nextReplicaError, startMaster, startReplica } from './support/cluster.ts'
import { commandText, LinkTap } from './support/link-tap.ts'

/**
 * Matches the first STREAM frame holding bytes after `offset` (it may start before it: a stream
 * `ping` written just before the test's write can go out in the same frame).
 */
function streamPast(offset: number): (m: MasterMessage) => boolean {
  return (m) => m.kind === 'stream' && m.startOffset + m.bytes.length > offset
}

function streamStart(m: MasterMessage): number {
  if (m.kind !== 'stream') throw new Error(`dropped a ${m.kind} frame`)
  return m.startOffset
}

function onlyLinkResends(master: Master): number {
  const links = [...master.core.links]
  expect(links).toHaveLength(1)
  return links[0]!.info(Date.now()).resends
}

describe('loss on the link', () => {
  test('one dropped STREAM frame is re-sent from the backlog on the same link', async () => {
    const master = await startMaster({ pingPeriodMs: 60_000, timeoutMs: 120_000 })
    master.command(['SET', 'before', '1'])
    const tap = new LinkTap()
    const replica = await startReplica(master, { WebSocket: tap.WebSocket })
    await replica.waitForOffset(master.offset, { timeoutMs: 15_000 })
    const stats = { full: infoNumber(master, 'sync_full'), ok: infoNumber(master, 'sync_partial_ok') }

    const lost = tap.dropNext(streamPast(master.offset))
    master.command(['HSET', 'lost', 'f', 'v'])
    const lostFrom = streamStart(await lost)
    // The next frame starts past what the replica has: a gap.
    master.command(['SET', 'after', '2'])
    await replica.waitForOffset(master.offset, { timeoutMs: 15_000 })

    const socket = tap.last
    expect(tap.sockets).toHaveLength(1)
    expect(replica.status.stats.gaps).toBeGreaterThanOrEqual(1)
    expect(socket.sent.map(commandText)).toContainEqual(expect.stringMatching(new RegExp(`^REPLCONF ACK ${lostFrom} .*RESEND ${lostFrom}$`)))
    // The dropped bytes came again, from the backlog.
    // (Once, unless a periodic ACK repeated the RESEND before the bytes came back.)
    const resent = socket.received.filter((r) => !r.dropped && r.message.kind === 'stream' && r.message.startOffset === lostFrom)
    expect(resent.length).toBeGreaterThanOrEqual(1)
    expect(onlyLinkResends(master)).toBe(resent.length)
    expect(socket.sent.filter((argv) => argv[0] === 'PSYNC')).toHaveLength(1)
    expect({ full: infoNumber(master, 'sync_full'), ok: infoNumber(master, 'sync_partial_ok') }).toEqual(stats)
    expect(replica.status.lastSync).toBe('full')
    expect(await replica.hgetall('lost')).toEqual({ f: 'v' })
    expect(await replica.digest()).toBe(master.digest())
  })

  test('a loss the backlog no longer covers closes the link (4002); the replica comes back with a full sync', async () => {
    const master = await startMaster({ pingPeriodMs: 60_000, timeoutMs: 120_000, backlogBytes: 16_384 })
    const tap = new LinkTap()
    const replica = await startReplica(master, { WebSocket: tap.WebSocket, backoff: { initialDelayMs: 20, maxDelayMs: 100 } })
    await replica.waitForOffset(master.offset, { timeoutMs: 15_000 })
    const notCovered = nextReplicaError(master)

    const lost = tap.dropNext(streamPast(master.offset))
    master.command(['SET', 'lost', '1'])
    const lostFrom = streamStart(await lost)
    // More than the backlog holds, before the replica can ask for the lost frame again.
    for (let i = 0; i < 40; i++) master.command(['SET', `big:${i}`, 'x'.repeat(1000)])
    expect((await notCovered).code).toBe('ERR_BACKLOG_NOT_COVERED')
    expect(await tap.sockets[0]!.closed).toMatchObject({ code: 4002 })
    await tap.socketCount(2)
    await replica.waitForOffset(master.offset, { timeoutMs: 15_000 })

    expect(tap.sockets[1]!.sent.find((argv) => argv[0] === 'PSYNC')).toEqual(['PSYNC', master.replid, String(lostFrom + 1)])
    expect(replica.status.lastSync).toBe('full')
    expect(replica.status.stats.fullSyncs).toBe(2)
    expect(infoNumber(master, 'sync_full')).toBe(2)
    expect(infoNumber(master, 'sync_partial_err')).toBe(1)
    expect(await replica.get('lost')).toBe('1')
    expect(await replica.digest()).toBe(master.digest())
  })

  test('a frame lost at the start of a pipelined burst with transactions: later frames are gaps, the resend fills them', async () => {
    const master = await startMaster({ pingPeriodMs: 60_000, timeoutMs: 120_000 })
    const tap = new LinkTap()
    const replica = await startReplica(master, { WebSocket: tap.WebSocket })
    await replica.waitForOffset(master.offset, { timeoutMs: 15_000 })
    const redis = client(master)

    const lost = tap.dropNext(streamPast(master.offset))
    for (let round = 0; round < 5; round++) {
      const p = redis.pipeline()
      for (let i = 0; i < 200; i++) p.set(`k:${round}:${i}`, String(i))
      await p.exec()
      await redis.multi().incr('n').rpush('l', String(round)).zadd('z', round, `m${round}`).exec()
    }
    const lostFrom = streamStart(await lost)
    await replica.waitForOffset(master.offset, { timeoutMs: 15_000 })

    expect(tap.sockets).toHaveLength(1)
    expect(replica.status.stats.gaps).toBeGreaterThanOrEqual(1)
    expect(tap.last.sent.map(commandText)).toContainEqual(expect.stringMatching(new RegExp(`RESEND ${lostFrom}$`)))
    expect(onlyLinkResends(master)).toBeGreaterThanOrEqual(1)
    expect(infoNumber(master, 'sync_full')).toBe(1)
    expect(infoNumber(master, 'sync_partial_ok')).toBe(0)
    expect(await replica.lrange('l', 0, -1)).toEqual(['0', '1', '2', '3', '4'])
    expect(await replica.digest()).toBe(master.digest())
  })
})
