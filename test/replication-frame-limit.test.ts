// A WebSocket message over maxFrameBytes: ws refuses it from the frame header and reports its own
// RangeError; the link closes with 1009 ("message too big", the documented contract: the peer learns
// why from the code), and the master reports a LimitError naming maxFrameBytes (ERR_LINK_FRAME_LIMIT).
// A real replica beside it is undisturbed. A frame ws refuses as malformed is reported the same way,
// as a LinkProtocolError whose byte position is unknown (ws does not say where it stopped).
import { connect, type Socket } from 'node:net'
import { encodeCommand, error as errorReply, LimitError, LINK_SUBPROTOCOL, LinkProtocolError } from '@replicast/core'
import type { Master } from '@replicast/master'
import { describe, expect, onTestFinished, test } from 'vitest'
import { nextReplicaError, startMaster, startReplica } from './support/cluster.ts'
import { RawLink } from './support/raw-link.ts'

/** A WebSocket upgraded by hand on a plain socket, to send frames no WebSocket client would. */
async function upgradeByHand(master: Master): Promise<{ readonly socket: Socket; received(): Buffer; readonly closed: Promise<void> }> {
  const url = new URL(master.url)
  const socket = connect({ host: url.hostname, port: Number(url.port) })
  onTestFinished(() => { socket.destroy() })
  let received = Buffer.alloc(0)
  socket.on('data', (chunk: Buffer) => { received = Buffer.concat([received, chunk]) })
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  socket.on('error', () => undefined)
  socket.write([
    `GET ${url.pathname} HTTP/1.1`, `Host: ${url.host}`, 'Upgrade: websocket', 'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13', `Sec-WebSocket-Protocol: ${LINK_SUBPROTOCOL}`, '', '',
  ].join('\r\n'))
  while (!received.includes('\r\n\r\n')) await new Promise((resolve) => socket.once('data', resolve))
  const end = received.indexOf('\r\n\r\n') + 4
  expect(received.subarray(0, end).toString('latin1')).toMatch(/^HTTP\/1\.1 101 /)
  received = received.subarray(end)
  return { socket, received: () => received, closed }
}

describe('maxFrameBytes', () => {
  test('a message over it closes the link with 1009 and reports ERR_LINK_FRAME_LIMIT on the master', async () => {
    const master = await startMaster({ maxFrameBytes: 1024 })
    const replica = await startReplica(master)
    master.command(['SET', 'before', '1'])
    await replica.waitForOffset(master.offset, { timeoutMs: 15_000 })

    const reported = nextReplicaError(master)
    const link = await RawLink.open(master.url)
    link.send('REPLCONF', 'ip-address', 'x'.repeat(2000))
    expect((await link.closed).code).toBe(1009)

    const error = await reported
    expect(error).toBeInstanceOf(LimitError)
    const limit = error as LimitError
    expect({ code: limit.code, limit: limit.limit, limitValue: limit.limitValue }).toEqual({ code: 'ERR_LINK_FRAME_LIMIT', limit: 'maxFrameBytes', limitValue: 1024 })
    expect(limit.message).toMatch(/^A replica sent a WebSocket message whose payload exceeds maxFrameBytes \(1024 bytes\); closing the link\. Raise maxFrameBytes \(--max-frame-size\)/)
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

  test('a frame ws refuses as malformed: closed, and reported as ERR_LINK_PROTOCOL with an unknown byte position', async () => {
    const master = await startMaster()
    const reported = nextReplicaError(master)
    const raw = await upgradeByHand(master)
    // FIN + opcode 3 (reserved, RFC 6455 §5.2), masked as a client's frame must be, empty payload.
    raw.socket.write(Uint8Array.of(0x83, 0x80, 1, 2, 3, 4))
    const error = await reported
    expect(error).toBeInstanceOf(LinkProtocolError)
    const protocol = error as LinkProtocolError
    expect({ code: protocol.code, offset: protocol.offset }).toEqual({ code: 'ERR_LINK_PROTOCOL', offset: -1 })
    expect(protocol.message).toMatch(/^Malformed link frame \(byte position unknown\): the WebSocket layer refused the frame: .*\(WS_ERR_INVALID_OPCODE\)$/)
    await raw.closed
    // The master's close frame: opcode 8, then the code (1002, protocol error).
    const frame = raw.received()
    expect(frame[0]).toBe(0x88)
    expect(frame.readUInt16BE(2)).toBe(1002)
    expect(master.core.links.size).toBe(0)
  })
})
