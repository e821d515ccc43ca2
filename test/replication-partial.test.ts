// Partial resynchronization (PSYNC <replid> <offset+1> → +CONTINUE) over real sockets, with exactly
// the missed bytes sent, and every case where Redis falls back to +FULLRESYNC instead (REDIS.md
// §3.3), with INFO's sync_full / sync_partial_ok / sync_partial_err counted as Redis counts them.
import type { Master } from '@replicast/master'
import { createMemoryStorage, type MemoryStorage, type Replica } from '@replicast/replica/node'
import { describe, expect, test } from 'vitest'
import { caughtUp, client, eventually, infoNumber, startMaster, startReplica } from './support/cluster.ts'
import { commandText, LinkTap, type TappedSocket } from './support/link-tap.ts'

// At most one stream `ping` per test (on the first cron tick with a link); byte counts are taken
// with caughtUp(), which holds with or without it.
const QUIET = { pingPeriodMs: 60_000, timeoutMs: 120_000 } as const

function syncStats(master: Master) {
  return {
    full: infoNumber(master, 'sync_full'),
    ok: infoNumber(master, 'sync_partial_ok'),
    err: infoNumber(master, 'sync_partial_err'),
  }
}

/** The reply the master gave to PSYNC on `socket`. */
function psyncReply(socket: TappedSocket): string {
  const replies = socket.received.filter((r) => r.message.kind === 'reply').map((r) => r.message)
  const last = replies.at(-1)
  if (last?.kind !== 'reply' || last.value.kind !== 'simple') throw new Error(`no simple reply to PSYNC: ${JSON.stringify(replies)}`)
  return last.value.value
}

function psyncSent(socket: TappedSocket): string {
  const psync = socket.sent.find((argv) => argv[0] === 'PSYNC')
  if (psync === undefined) throw new Error('the replica sent no PSYNC')
  return commandText(psync)
}

/** STREAM frames delivered on `socket` cover exactly (from, to], each starting where the last ended. */
function expectContiguousStream(socket: TappedSocket, from: number, to: number): void {
  let at = from
  for (const { message, dropped } of socket.received) {
    if (message.kind !== 'stream' || dropped) continue
    expect(message.startOffset).toBe(at)
    at += message.bytes.length
  }
  expect(at).toBe(to)
}

type MemoryBacking = MemoryStorage['backing']

/** An empty memory store's backing, to reopen it across replica instances. */
const newBacking = (): MemoryBacking => createMemoryStorage().backing

/** A replica of `master` on `backing`, brought to the master's offset durably, then closed. */
async function syncAndClose(master: Master, backing: MemoryBacking): Promise<number> {
  const replica = await startReplica(master, { storage: createMemoryStorage({ backing }) })
  await caughtUp(replica, master, { durable: true })
  return closeAndForget(master, replica)
}

/** Closes `replica`, waits until the master has dropped its link, and returns the stored offset. */
async function closeAndForget(master: Master, replica: Replica): Promise<number> {
  await replica.close()
  // No event tells it: the master drops the link when the socket closes. From then on the
  // master pings nobody, and counts output bytes for the next link only.
  await eventually(() => infoNumber(master, 'connected_slaves') === 0, 'the master to drop the closed link')
  return replica.status.durableOffset
}

/** The +FULLRESYNC <replid> <S> on `socket`: S is the master's offset when the link was attached. */
function fullResyncOffset(socket: TappedSocket, replid: string): number {
  const match = new RegExp(`^FULLRESYNC ${replid} (\\d+)$`).exec(psyncReply(socket))
  if (match === null) throw new Error(`expected +FULLRESYNC ${replid} <offset>, got +${psyncReply(socket)}`)
  return Number(match[1])
}

describe('partial resync', () => {
  test('a replica restarted on the same storage gets +CONTINUE and exactly the bytes it missed', async () => {
    const master = await startMaster(QUIET)
    const redis = client(master)
    for (let i = 0; i < 200; i++) await redis.set(`k:${i}`, `v${i}`)
    const backing = newBacking()
    const storedOffset = await syncAndClose(master, backing)

    // Writes the replica misses.
    await redis.pipeline().hset('h', 'a', '1').rpush('l', 'x', 'y').del('k:3').incr('n').set('k:5', 'changed').exec()
    for (let i = 0; i < 50; i++) await redis.set(`missed:${i}`, 'v'.repeat(i))
    const before = syncStats(master)
    const outputBefore = infoNumber(master, 'total_net_repl_output_bytes')
    expect(master.offset).toBeGreaterThan(storedOffset)

    const tap = new LinkTap()
    const replica = await startReplica(master, { storage: createMemoryStorage({ backing }), WebSocket: tap.WebSocket })
    expect(replica.status.offset).toBe(storedOffset)
    const masterOffset = await caughtUp(replica, master)

    const socket = tap.last
    expect(tap.sockets).toHaveLength(1)
    expect(psyncSent(socket)).toBe(`PSYNC ${master.replid} ${storedOffset + 1}`)
    expect(psyncReply(socket)).toBe(`CONTINUE ${master.replid}`)
    expect(socket.received.some((r) => r.message.kind === 'snapshot-begin')).toBe(false)
    expect(socket.streamBytes).toBe(masterOffset - storedOffset)
    expectContiguousStream(socket, storedOffset, masterOffset)
    expect(infoNumber(master, 'total_net_repl_output_bytes') - outputBefore).toBe(masterOffset - storedOffset)
    expect(replica.status.lastSync).toBe('partial')
    expect(syncStats(master)).toEqual({ ...before, ok: before.ok + 1 })
    expect(await replica.digest()).toBe(master.digest())
    expect(await replica.get('k:5')).toBe('changed')
  })

  test('the stream\'s selected database survives the restart: the continued stream has no SELECT', async () => {
    const master = await startMaster(QUIET)
    const redis = client(master)
    await redis.select(3)
    const backing = newBacking()
    const first = await startReplica(master, { storage: createMemoryStorage({ backing }) })
    await caughtUp(first, master)
    // A full sync resets the stream's db (Redis: slaveseldb = -1), so this write carries SELECT 3.
    await redis.set('a', '1')
    await caughtUp(first, master, { durable: true })
    const storedOffset = await closeAndForget(master, first)

    // Same client, same db: the master does not repeat SELECT (Redis keeps slaveseldb across PSYNC).
    await redis.set('b', '2')
    await redis.hset('h', 'f', 'v')
    const tap = new LinkTap()
    const replica = await startReplica(master, { storage: createMemoryStorage({ backing }), WebSocket: tap.WebSocket })
    const end = await caughtUp(replica, master)
    expect(psyncReply(tap.last)).toBe(`CONTINUE ${master.replid}`)
    const missed = tap.last.received.flatMap((r) => (r.message.kind === 'stream' ? [Buffer.from(r.message.bytes).toString('latin1')] : [])).join('')
    expect(missed).not.toMatch(/SELECT/i)
    expect(tap.last.streamBytes).toBe(end - storedOffset)
    expect(await replica.get('b', 3)).toBe('2')
    expect(await replica.get('b', 0)).toBeNull()
    expect(await replica.digest()).toBe(master.digest())
  })

  test('a link cut under a live replica resumes with +CONTINUE on the next socket', async () => {
    const master = await startMaster(QUIET)
    const tap = new LinkTap()
    const replica = await startReplica(master, { WebSocket: tap.WebSocket, backoff: { initialDelayMs: 20, maxDelayMs: 200 } })
    master.command(['SET', 'a', '1'])
    await replica.waitForOffset(master.offset, { timeoutMs: 15_000 })
    const before = syncStats(master)

    // The network drops (no close handshake); writes go on meanwhile.
    tap.last.ws.terminate()
    for (let i = 0; i < 20; i++) master.command(['INCRBY', 'n', String(i)])
    await tap.socketCount(2)
    const end = await caughtUp(replica, master)

    const second = tap.sockets[1]!
    const [, replid, wanted] = psyncSent(second).split(' ')
    expect(replid).toBe(master.replid)
    expect(psyncReply(second)).toBe(`CONTINUE ${master.replid}`)
    expect(second.streamBytes).toBe(end - (Number(wanted) - 1))
    expectContiguousStream(second, Number(wanted) - 1, end)
    expect(replica.status.lastSync).toBe('partial')
    expect(replica.status.stats.fullSyncs).toBe(1)
    expect(syncStats(master)).toEqual({ ...before, ok: before.ok + 1 })
    expect(await replica.digest()).toBe(master.digest())
  })
})

describe('full resync where a partial one is impossible', () => {
  test('the backlog no longer holds the missed bytes', async () => {
    const master = await startMaster({ ...QUIET, backlogBytes: 16_384 })
    master.command(['SET', 'before', '1'])
    const backing = newBacking()
    const storedOffset = await syncAndClose(master, backing)
    for (let i = 0; i < 40; i++) master.command(['SET', `big:${i}`, 'x'.repeat(1000)])
    expect(master.offset - storedOffset).toBeGreaterThan(16_384)
    const before = syncStats(master)

    const offsetBefore = master.offset
    const tap = new LinkTap()
    const replica = await startReplica(master, { storage: createMemoryStorage({ backing }), WebSocket: tap.WebSocket })
    await replica.waitForOffset(master.offset, { timeoutMs: 15_000 })
    expect(psyncSent(tap.last)).toBe(`PSYNC ${master.replid} ${storedOffset + 1}`)
    // S is the offset when the link was attached (a first ping may have come just before).
    expect(fullResyncOffset(tap.last, master.replid)).toBeGreaterThanOrEqual(offsetBefore)
    expect(replica.status.lastSync).toBe('full')
    expect(syncStats(master)).toEqual({ full: before.full + 1, ok: before.ok, err: before.err + 1 })
    expect(await replica.digest()).toBe(master.digest())
  })

  test('the stored replication ID is another master\'s', async () => {
    const masterA = await startMaster(QUIET)
    const masterB = await startMaster(QUIET)
    masterA.command(['SET', 'only-on-a', '1'])
    masterB.command(['SET', 'only-on-b', '1'])
    const backing = newBacking()
    await syncAndClose(masterA, backing)

    const tap = new LinkTap()
    const replica = await startReplica(masterB, { storage: createMemoryStorage({ backing }), WebSocket: tap.WebSocket })
    await replica.waitForOffset(masterB.offset, { timeoutMs: 15_000 })
    expect(psyncSent(tap.last)).toMatch(new RegExp(`^PSYNC ${masterA.replid} \\d+$`))
    expect(fullResyncOffset(tap.last, masterB.replid)).toBeLessThanOrEqual(masterB.offset)
    expect(syncStats(masterB)).toEqual({ full: 1, ok: 0, err: 1 })
    expect(await replica.get('only-on-a')).toBeNull()
    expect(await replica.digest()).toBe(masterB.digest())
  })

  test('the stored offset is ahead of the master\'s', async () => {
    const master = await startMaster(QUIET)
    master.command(['SET', 'k', 'v'])
    // A replica that saw writes this master does not have (its master crashed and lost them).
    const backing = newBacking()
    const forged = createMemoryStorage({ backing })
    const aheadOffset = master.offset + 1000
    await forged.open()
    await forged.commit([], { replid: master.replid, offset: aheadOffset, selectedDb: 0 })
    await forged.close()

    const tap = new LinkTap()
    const replica = await startReplica(master, { storage: createMemoryStorage({ backing }), WebSocket: tap.WebSocket })
    const end = await caughtUp(replica, master)
    expect(psyncSent(tap.last)).toBe(`PSYNC ${master.replid} ${aheadOffset + 1}`)
    expect(fullResyncOffset(tap.last, master.replid)).toBeLessThan(aheadOffset)
    expect(syncStats(master)).toEqual({ full: 1, ok: 0, err: 1 })
    expect(replica.status.offset).toBe(end)
    expect(await replica.digest()).toBe(master.digest())
  })
})
