// A WebSocket message over maxFrameBytes: ws refuses it from the frame header (1009) and reports its
// own RangeError; the master reports it as a LimitError naming maxFrameBytes (ERR_LINK_FRAME_LIMIT),
// and the close reason says so, so that the peer can tell why. A real replica beside it is undisturbed.
import { encodeCommand, error as errorReply, LimitError } from '@replicast/core'
import { describe, expect, test } from 'vitest'
import { nextReplicaError, startMaster, startReplica } from './support/cluster.ts'
import { RawLink } from './support/raw-link.ts'

describe('maxFrameBytes', () => {
  test('a message over it closes the link with 1009, a reason naming maxFrameBytes, and ERR_LINK_FRAME_LIMIT', async () => {
    const master = await startMaster({ maxFrameBytes: 1024 })
    const replica = await startReplica(master)
    master.command(['SET', 'before', '1'])
    await replica.waitForOffset(master.offset, { timeoutMs: 15_000 })

    const reported = nextReplicaError(master)
    const link = await RawLink.open(master.url)
    link.send('REPLCONF', 'ip-address', 'x'.repeat(2000))
    const closed = await link.closed
    expect(closed.code).toBe(1009)
    expect(closed.reason).toMatch(/^A replica sent a WebSocket message whose payload exceeds maxFrameBytes \(1024 bytes\)/)

    const error = await reported
    expect(error).toBeInstanceOf(LimitError)
    const limit = error as LimitError
    expect({ code: limit.code, limit: limit.limit, limitValue: limit.limitValue }).toEqual({ code: 'ERR_LINK_FRAME_LIMIT', limit: 'maxFrameBytes', limitValue: 1024 })
    expect(limit.message).toMatch(/Raise maxFrameBytes \(--max-frame-size\)/)
    // ws's own error is kept as the cause.
    expect((limit.cause as { code?: string }).code).toBe('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')
    expect(master.core.links.size).toBe(1)

    // A message of exactly maxFrameBytes is accepted.
    const fits = await RawLink.open(master.url)
    const exactly = ['REPLCONF', 'ip-address', 'y'.repeat(981)]
    expect(encodeCommand(exactly).length).toBe(1024)
    fits.send(...exactly)
    expect(await fits.reply()).toEqual(errorReply('ERR REPLCONF ip-address provided by replica instance is too long: 981 bytes'))
    fits.terminate()

    master.command(['SET', 'after', '2'])
    await replica.waitForOffset(master.offset, { timeoutMs: 15_000 })
    expect(await replica.digest()).toBe(master.digest())
    expect(replica.status.stats.fullSyncs).toBe(1)
    expect(replica.status.lastError).toBeNull()
  })
})
