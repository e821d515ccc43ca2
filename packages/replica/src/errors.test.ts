// The replica shell's own errors (errors.ts, and options.ts's): each a ReplicastError with a stable
// code, carrying its numbers. A master closing with 1009 (a message of ours over its maxFrameBytes,
// which ws closes with an empty reason) becomes an 'error' and status.lastError naming that option.
import { ReplicastError } from '@replicast/core'
import { WebSocket as WsWebSocket } from 'ws'
import { describe, expect, onTestFinished, test } from 'vitest'
import { startFakeMaster } from '../../../test/support/fake-master.ts'
import { MasterFrameLimitError, WaitForOffsetTimeoutError } from './errors.ts'
import { ReplicaOptionsError } from './options.ts'
import { createReplica, type Replica } from './replica.ts'
import { createMemoryStorage } from './storage/memory.ts'
import type { WebSocketConstructor, WebSocketLike } from './websocket.ts'

/** ws's WebSocket, recording the length of every message sent. */
function countingWebSocket(sent: number[]): WebSocketConstructor {
  return class extends (WsWebSocket as unknown as WebSocketConstructor) {
    override send(data: Uint8Array): void {
      sent.push(data.byteLength)
      super.send(data)
    }
  }
}

/** A socket driven by the test: it never connects, and its events are whatever the test fires. */
class ScriptedSocket implements WebSocketLike {
  static readonly made: ScriptedSocket[] = []
  binaryType = 'arraybuffer'
  readyState = 0
  onopen: ((event: unknown) => void) | null = null
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null = null
  onerror: ((event: unknown) => void) | null = null
  onmessage: ((event: { readonly data: unknown }) => void) | null = null

  constructor() {
    ScriptedSocket.made.push(this)
  }

  send(): void {}
  close(): void {}
}

async function replicaOf(options: Parameters<typeof createReplica>[0]): Promise<Replica> {
  const replica = await createReplica(options)
  onTestFinished(() => replica.close())
  return replica
}

describe('ReplicaOptionsError', () => {
  test('is a ReplicastError with code ERR_REPLICA_OPTIONS, listing every problem', async () => {
    const failure = await createReplica({ url: 'http://127.0.0.1:1/replication', tickMs: 0 }).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(ReplicaOptionsError)
    expect(failure).toBeInstanceOf(ReplicastError)
    const error = failure as ReplicaOptionsError
    expect({ name: error.name, code: error.code, problems: error.problems }).toEqual({
      name: 'ReplicaOptionsError',
      code: 'ERR_REPLICA_OPTIONS',
      problems: ['url must be a ws:// or wss:// URL, got http://127.0.0.1:1/replication', 'tickMs must be a positive integer, got 0'],
    })
    expect(error.message).toBe('Invalid replica options: url must be a ws:// or wss:// URL, got http://127.0.0.1:1/replication; tickMs must be a positive integer, got 0.')
  })
})

describe('waitForOffset with timeoutMs', () => {
  test('rejects with WaitForOffsetTimeoutError (ERR_WAIT_TIMEOUT): the target, what was reached, and the timeout', async () => {
    const replica = await replicaOf({ url: 'ws://127.0.0.1:9/replication', WebSocket: ScriptedSocket, autoConnect: false })
    const error = await replica.waitForOffset(120, { timeoutMs: 20 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WaitForOffsetTimeoutError)
    expect(error).toBeInstanceOf(ReplicastError)
    expect(error).toMatchObject({ name: 'WaitForOffsetTimeoutError', code: 'ERR_WAIT_TIMEOUT', offset: 120, durable: false, timeoutMs: 20, reachedOffset: 0 })
    expect((error as Error).message).toMatch(/^waitForOffset\(120\) timed out after 20 ms at offset 0 \(durable 0\), link down\. .*raise timeoutMs/)
  })

  test('a durable wait says so, and reports the stored offset it reached', async () => {
    const replica = await replicaOf({ url: 'ws://127.0.0.1:9/replication', WebSocket: ScriptedSocket, autoConnect: false, storage: createMemoryStorage() })
    const error = await replica.waitForOffset(7, { durable: true, timeoutMs: 20 }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'ERR_WAIT_TIMEOUT', offset: 7, durable: true, timeoutMs: 20, reachedOffset: 0 })
    expect((error as Error).message).toMatch(/^waitForOffset\(7, durable\) timed out after 20 ms/)
  })
})

describe('a close with 1009 (message too big)', () => {
  test("from the master: MasterFrameLimitError (ERR_MASTER_FRAME_LIMIT) naming its maxFrameBytes, as 'error' and status.lastError", async () => {
    // What ws does when a message is over maxPayload: close with 1009 and an empty reason.
    const master = await startFakeMaster((connection) => connection.ws.close(1009))
    const sent: number[] = []
    const replica = await replicaOf({ url: master.url, WebSocket: countingWebSocket(sent) })
    const error = await new Promise<Error>((resolve) => {
      const off = replica.on('error', (e) => {
        off()
        resolve(e)
      })
    })
    replica.disconnect()
    expect(error).toBeInstanceOf(MasterFrameLimitError)
    expect(error).toBeInstanceOf(ReplicastError)
    const largest = Math.max(...sent)
    expect(error).toMatchObject({ name: 'MasterFrameLimitError', code: 'ERR_MASTER_FRAME_LIMIT', largestSentBytes: largest })
    expect(error.message).toBe(
      'The master closed the link with code 1009 (message too big): a message this replica sent exceeded the master\'s maxFrameBytes option ' +
        `(the largest it sent on this link was ${largest} bytes). A replica sends only short commands (AUTH, PSYNC, REPLCONF ACK): ` +
        "raise the master's maxFrameBytes (--max-frame-size), or shorten the auth password if it is that long. The replica keeps reconnecting with backoff meanwhile.",
    )
    expect(replica.status.lastError).toEqual({ code: 'ERR_MASTER_FRAME_LIMIT', message: error.message })
  })

  test("after an 'error' of the socket itself: this end refused a message (ws's maxPayload), shown as WS_CLOSE_1009, not blamed on the master", async () => {
    const replica = await replicaOf({ url: 'ws://127.0.0.1:9/replication', WebSocket: ScriptedSocket, autoConnect: false })
    const errors: Error[] = []
    replica.on('error', (error) => errors.push(error))
    const made = ScriptedSocket.made.length
    replica.connect()
    await replica.ready
    await Promise.resolve()
    const socket = ScriptedSocket.made[made]!
    socket.onerror?.({})
    socket.onclose?.({ code: 1009, reason: '' })
    replica.disconnect()
    expect(errors).toEqual([])
    expect(replica.status.lastError).toEqual({ code: 'WS_CLOSE_1009', message: 'the link closed with code 1009' })
  })
})
