// The browser replica's page side in Node: its replica worker runs in-process (a ReplicaEngine behind
// a Worker-shaped object), IndexedDB is fake-indexeddb, and without Web Locks the tab leads alone.
// Real browsers run the rest (test/e2e/).
import 'fake-indexeddb/auto'
import { ReplicastError } from '@replicast/core'
import { describe, expect, onTestFinished, test, vi } from 'vitest'
import { WaitForOffsetTimeoutError } from '../errors.ts'
import type { WebSocketLike } from '../websocket.ts'
import { createBrowserReplica, type BrowserReplica } from './browser-replica.ts'
import type { EngineMessage, EngineOutput } from './engine-protocol.ts'
import { ReplicaEngine } from './replica-worker.ts'

/** A replica worker in this thread: messages cross as they would (cloned, and never in the same turn). */
function inProcessWorker(): Worker {
  const worker = {
    onmessage: null as ((event: { data: EngineOutput }) => void) | null,
    onerror: null,
    postMessage(message: EngineMessage) {
      const copy = structuredClone(message)
      setTimeout(() => engine.receive(copy))
    },
    terminate() {},
  }
  const engine = new ReplicaEngine((message) => {
    const copy = structuredClone(message)
    setTimeout(() => worker.onmessage?.({ data: copy }))
  })
  return worker as unknown as Worker
}

/** Never made: the replica does not connect. Given, the worker's sockets would relay through the page. */
class UnusedWebSocket implements WebSocketLike {
  binaryType = 'arraybuffer'
  readonly readyState = 3
  onopen = null
  onclose = null
  onerror = null
  onmessage = null

  constructor() {
    throw new Error('the replica was not asked to connect')
  }

  send(): void {}
  close(): void {}
}

let replicas = 0

async function browserReplica(): Promise<BrowserReplica> {
  // Without Web Locks (as in Node) the tab leads alone, and says so.
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
  onTestFinished(() => warn.mockRestore())
  const replica = await createBrowserReplica({
    url: 'ws://127.0.0.1:9/replication',
    name: `browser-replica-${replicas++}`,
    worker: inProcessWorker,
    WebSocket: UnusedWebSocket,
    autoConnect: false,
  })
  onTestFinished(() => replica.close())
  return replica
}

describe('BrowserReplica.waitForOffset with timeoutMs', () => {
  test('rejects with WaitForOffsetTimeoutError (ERR_WAIT_TIMEOUT): the target, what was reached, the timeout and the role', async () => {
    const replica = await browserReplica()
    expect(replica.role).toBe('leader')
    const error = await replica.waitForOffset(50, { timeoutMs: 30 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WaitForOffsetTimeoutError)
    expect(error).toBeInstanceOf(ReplicastError)
    expect(error).toMatchObject({ name: 'WaitForOffsetTimeoutError', code: 'ERR_WAIT_TIMEOUT', offset: 50, durable: false, timeoutMs: 30, reachedOffset: 0 })
    expect((error as Error).message).toMatch(/^waitForOffset\(50\) timed out after 30 ms at offset 0 \(durable 0\), link down, role leader\. /)

    const durable = await replica.waitForOffset(9, { durable: true, timeoutMs: 30 }).catch((e: unknown) => e)
    expect(durable).toMatchObject({ code: 'ERR_WAIT_TIMEOUT', offset: 9, durable: true, timeoutMs: 30, reachedOffset: 0 })
  })
})
