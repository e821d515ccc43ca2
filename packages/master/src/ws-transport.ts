// A replica link over our WebSocket framing (docs/protocol.md). Buffered bytes are counted from
// `ws.send` callbacks, which fire once a frame was written to the socket, so the link can respect
// back-pressure without reaching into ws's private socket.
import { encodeMasterFrame, MASTER_FRAME_KINDS, type RespValue } from '@replicast/core'
import type { WebSocket } from 'ws'
import { LINK_LOW_WATER_BYTES, type LinkTransport } from './link-transport.ts'
import { SNAPSHOT_CHUNK_HEADROOM_BYTES } from './snapshotter.ts'

const KEEPALIVE = encodeMasterFrame({ kind: 'keepalive' })

export class WebSocketTransport implements LinkTransport {
  readonly kind = 'websocket'
  readonly remoteAddress: string
  readonly #ws: WebSocket
  #inFlight = 0
  #drainListeners: (() => void)[] = []
  #closed = false

  constructor(ws: WebSocket, remoteAddress: string) {
    this.#ws = ws
    this.remoteAddress = remoteAddress
    ws.once('close', () => {
      this.#closed = true
      this.#drainListeners = []
    })
  }

  get closed(): boolean {
    return this.#closed || this.#ws.readyState !== this.#ws.OPEN
  }

  #send(frame: Uint8Array): void {
    if (this.closed) return
    this.#inFlight += frame.length
    this.#ws.send(frame, { binary: true }, () => {
      this.#inFlight -= frame.length
      if (this.#inFlight < LINK_LOW_WATER_BYTES && this.#drainListeners.length > 0) {
        const listeners = this.#drainListeners
        this.#drainListeners = []
        for (const listener of listeners) listener()
      }
    })
  }

  sendReply(value: RespValue): void {
    this.#send(encodeMasterFrame({ kind: 'reply', value }))
  }

  sendKeepalive(): void {
    this.#send(KEEPALIVE)
  }

  sendSnapshotBegin(length: number): void {
    this.#send(encodeMasterFrame({ kind: 'snapshot-begin', length }))
  }

  sendSnapshotChunk(bytes: Uint8Array): void {
    // The snapshotter's chunks have headroom for the kind byte (snapshotter.ts): the frame is the
    // chunk's own buffer from one byte earlier, not a 1 MB copy per chunk and per replica.
    if (bytes.byteOffset < SNAPSHOT_CHUNK_HEADROOM_BYTES) return this.#send(encodeMasterFrame({ kind: 'snapshot-chunk', bytes }))
    const frame = new Uint8Array(bytes.buffer, bytes.byteOffset - 1, bytes.length + 1)
    frame[0] = MASTER_FRAME_KINDS.snapshotChunk
    this.#send(frame)
  }

  sendSnapshotEnd(): void {
    // The WebSocket form announced the length up front: nothing marks the end.
  }

  sendStream(startOffset: number, bytes: Uint8Array): void {
    this.#send(encodeMasterFrame({ kind: 'stream', startOffset, bytes }))
  }

  bufferedBytes(): number {
    return this.#inFlight
  }

  onDrain(listener: () => void): void {
    if (this.closed) return
    if (this.#inFlight < LINK_LOW_WATER_BYTES) queueMicrotask(listener)
    else this.#drainListeners.push(listener)
  }

  close(code: number, reason: string): void {
    if (this.#closed) return
    this.#closed = true
    this.#drainListeners = []
    this.#ws.close(code, reason)
  }
}
