// The replica output-buffer limit on real sockets (REDIS.md §7): a replica that stops reading is
// dropped once its unsent stream reaches outputBufferHardBytes (never below backlogBytes), with close
// code 4001 and ERR_REPLICA_OUTPUT_BUFFER_LIMIT, counted in INFO's
// client_output_buffer_limit_disconnections, while the master keeps serving everyone else. It comes
// back with PSYNC (a partial resync if the backlog still covers it, else a full one) and ends equal.
// Nothing here sleeps: the writes go on until the master reports the drop.
import { connect } from 'node:net'
import type { Master } from '@replicast/master'
import { describe, expect, onTestFinished, test } from 'vitest'
import { client, infoNumber, startMaster, startReplica } from './support/cluster.ts'
import { LinkTap } from './support/link-tap.ts'

const KIB = 1024
const OPTIONS = {
  backlogBytes: 256 * KIB,
  outputBufferHardBytes: 1024 * KIB,
  outputBufferSoftBytes: 1024 * KIB,
  pingPeriodMs: 60_000,
  timeoutMs: 120_000,
}
// Enough to fill the kernel's socket buffers, the transport's high-water mark (4 MiB) and the limit
// many times over; the loop stops at the drop, long before.
const MAX_WRITES = 8000
const VALUE = 'v'.repeat(32 * KIB)

interface Drop {
  readonly error: Error & { readonly code?: string }
  readonly transport: string
}

/** Resolves with the first output-buffer drop the master reports. */
function nextDrop(master: Master): { readonly promise: Promise<Drop>; readonly seen: () => boolean } {
  let seen = false
  const promise = new Promise<Drop>((resolve) => {
    const listener = (error: Error & { readonly code?: string }, info: { readonly transport: string }): void => {
      if (error.code !== 'ERR_REPLICA_OUTPUT_BUFFER_LIMIT') return
      seen = true
      master.core.off('replica-error', listener)
      resolve({ error, transport: info.transport })
    }
    master.core.on('replica-error', listener)
    onTestFinished(() => { master.core.off('replica-error', listener) })
  })
  return { promise, seen: () => seen }
}

/** Writes 32 KiB values, one per event-loop turn (so the master flushes and ticks), until `stop()`. */
async function writeUntil(master: Master, stop: () => boolean): Promise<number> {
  let writes = 0
  while (!stop()) {
    if (writes >= MAX_WRITES) throw new Error(`no output-buffer drop after ${writes} writes of ${VALUE.length} bytes`)
    master.command(['SET', `big:${writes % 97}`, VALUE])
    writes++
    await new Promise((resolve) => setImmediate(resolve))
  }
  return writes
}

describe('output-buffer hard limit on a real socket', () => {
  test('a WebSocket replica that stops reading is dropped with 4001, counted, and comes back with PSYNC', async () => {
    const master = await startMaster(OPTIONS)
    const redis = client(master)
    master.command(['SET', 'before', '1'])
    const bystander = await startReplica(master)
    const tap = new LinkTap()
    const slow = await startReplica(master, { WebSocket: tap.WebSocket, backoff: { initialDelayMs: 20, maxDelayMs: 100 } })
    await bystander.waitForOffset(master.offset, { timeoutMs: 15_000 })
    await slow.waitForOffset(master.offset, { timeoutMs: 15_000 })
    expect(infoNumber(master, 'connected_slaves')).toBe(2)

    // The replica's socket stops reading: the kernel's buffers fill, then the transport's, then the
    // stream waits in the backlog, pinned by the link, until the limit.
    const first = tap.last
    first.ws.pause()
    const drop = nextDrop(master)
    await writeUntil(master, drop.seen)
    const { error, transport } = await drop.promise
    expect(transport).toBe('websocket')
    expect(error.message).toMatch(/^Replica output buffer reached \d+ bytes, over the hard limit of 1048576 bytes \(outputBufferHardBytes, never below backlogBytes\).*Raise outputBufferHardBytes \(--output-buffer-hard\)/)
    expect(infoNumber(master, 'client_output_buffer_limit_disconnections')).toBe(1)
    expect(infoNumber(master, 'connected_slaves')).toBe(1)

    // Everyone else was served all along.
    master.command(['SET', 'during', '2'])
    expect(await redis.get('during')).toBe('2')
    await bystander.waitForOffset(master.offset, { timeoutMs: 15_000 })
    expect(await bystander.digest()).toBe(master.digest())

    // Reading again, the replica takes what was in flight, then the close, and reconnects.
    first.ws.resume()
    expect(await first.closed).toEqual({ code: 4001, reason: expect.stringMatching(/^Replica output buffer reached \d+ bytes/) as unknown as string })
    await tap.socketCount(2)
    master.command(['SET', 'after', '3'])
    await slow.waitForOffset(master.offset, { timeoutMs: 30_000 })
    expect(await slow.digest()).toBe(master.digest())
    expect(slow.status.lastError?.code).toBe('WS_CLOSE_4001')

    // It asked to continue from what it had (PSYNC <replid> <offset+1>), not for a full sync; the
    // master continued it if the backlog still held that offset, else sent a new snapshot.
    const psync = tap.sockets[1]!.sent.find((argv) => argv[0] === 'PSYNC')!
    expect(psync[1]).toBe(master.replid)
    expect(Number(psync[2])).toBeGreaterThan(1)
    const { fullSyncs, partialSyncs } = slow.status.stats
    expect(fullSyncs + partialSyncs).toBe(2)
    expect(infoNumber(master, 'sync_full')).toBe(1 + fullSyncs)
    expect(infoNumber(master, 'sync_partial_ok')).toBe(partialSyncs)
    expect(infoNumber(master, 'connected_slaves')).toBe(2)
    expect(bystander.status.stats.fullSyncs).toBe(1)
    expect(bystander.status.lastError).toBeNull()
  })

  test('a redis-style TCP replica that does PSYNC and never reads is dropped and reported', async () => {
    const master = await startMaster(OPTIONS)
    master.command(['SET', 'before', '1'])
    const bystander = await startReplica(master)
    await bystander.waitForOffset(master.offset, { timeoutMs: 15_000 })

    // No 'data' listener: the socket stays paused and reads nothing.
    const socket = connect({ port: master.port, host: '127.0.0.1' })
    onTestFinished(() => { socket.destroy() })
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    socket.on('error', () => undefined)
    await new Promise((resolve) => socket.once('connect', resolve))
    const drop = nextDrop(master)
    socket.write('PSYNC ? -1\r\n')
    await writeUntil(master, drop.seen)
    const { error, transport } = await drop.promise
    expect(transport).toBe('tcp')
    expect(error.message).toMatch(/^Replica output buffer reached \d+ bytes, over the hard limit of 1048576 bytes/)
    expect(infoNumber(master, 'client_output_buffer_limit_disconnections')).toBe(1)

    // Redis's wire has no close frame: the connection just ends, once what was written is read.
    socket.resume()
    await closed
    expect(master.core.links.size).toBe(1)

    master.command(['SET', 'after', '2'])
    await bystander.waitForOffset(master.offset, { timeoutMs: 15_000 })
    expect(await bystander.digest()).toBe(master.digest())
    expect(bystander.status.lastError).toBeNull()
  })
})
