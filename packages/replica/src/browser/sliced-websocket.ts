// A WebSocket for the leader tab's replica that hands large frames to it in slices, each in its own
// task, so the main thread never spends long on one message (DESIGN §9: no gap over 50 ms).
//
// The master sends a snapshot in frames of about 1 MiB; parsing one (some 8,000 records) and filing
// them takes a couple of hundred ms on a small machine, during which the page cannot paint or answer
// input. Sliced, a SNAPSHOT_CHUNK becomes several SNAPSHOT_CHUNKs of at most `sliceBytes`, and a
// STREAM frame several STREAM frames with their start offsets moved on: both are frames the master
// may send itself (docs/protocol.md §2.2: chunks carry "1 or more RDB bytes", stream frames may cut a
// command at any byte), so the replica machine checks and applies them as it would the originals.
//
// Slices are delivered in order by a TaskPump (a few per task, then a yield). Small frames that find
// nothing queued are delivered at once; everything else (other frames, the close) waits its turn, so
// the replica sees the link's events in their original order.
import { decodeMasterFrame, encodeMasterFrame, MASTER_FRAME_KINDS } from '@replicast/core'
import { messageBytes, type WebSocketConstructor, type WebSocketLike } from '../websocket.ts'
import { TaskPump } from './task-pump.ts'

export interface SliceOptions {
  /** Largest payload of a delivered SNAPSHOT_CHUNK or STREAM frame, in bytes. @default 65536 */
  readonly sliceBytes?: number
  /** Most time spent delivering slices in one task before yielding, in ms. @default 8 */
  readonly sliceBudgetMs?: number
}

type Event =
  | { readonly type: 'message'; readonly data: unknown }
  | { readonly type: 'close'; readonly event: { readonly code: number; readonly reason: string } }

/** Returns a WebSocket class that behaves as `Base` but delivers large frames in slices. */
export function slicedWebSocket(Base: WebSocketConstructor, options: SliceOptions = {}): WebSocketConstructor {
  const sliceBytes = options.sliceBytes ?? 64 * 1024
  const budgetMs = options.sliceBudgetMs ?? 8

  return class SlicedWebSocket implements WebSocketLike {
    readonly #socket: WebSocketLike
    readonly #pump = new TaskPump(budgetMs)
    onopen: ((event: unknown) => void) | null = null
    onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null = null
    onerror: ((event: unknown) => void) | null = null
    onmessage: ((event: { readonly data: unknown }) => void) | null = null

    constructor(url: string, protocols?: string | string[]) {
      const socket = new Base(url, protocols)
      this.#socket = socket
      socket.onopen = (event) => this.onopen?.(event)
      socket.onerror = (event) => this.onerror?.(event)
      socket.onclose = (event) => this.#push({ type: 'close', event })
      socket.onmessage = (event) => this.#receive(event.data)
    }

    get binaryType(): string {
      return this.#socket.binaryType
    }

    set binaryType(value: string) {
      this.#socket.binaryType = value
    }

    get readyState(): number {
      return this.#socket.readyState
    }

    send(data: Uint8Array): void {
      this.#socket.send(data)
    }

    close(code?: number, reason?: string): void {
      this.#socket.close(code, reason)
    }

    #receive(data: unknown): void {
      const bytes = messageBytes(data)
      const kind = bytes?.[0]
      const header = kind === MASTER_FRAME_KINDS.stream ? 9 : 1
      if (bytes === null || (kind !== MASTER_FRAME_KINDS.snapshotChunk && kind !== MASTER_FRAME_KINDS.stream) || bytes.length - header <= sliceBytes) {
        this.#push({ type: 'message', data })
        return
      }
      let message
      try {
        message = decodeMasterFrame(bytes)
      } catch {
        // Malformed: the replica machine reports it, with the original bytes.
        this.#push({ type: 'message', data })
        return
      }
      if (message.kind !== 'snapshot-chunk' && message.kind !== 'stream') return this.#push({ type: 'message', data })
      for (let at = 0; at < message.bytes.length; at += sliceBytes) {
        const slice = message.bytes.subarray(at, Math.min(message.bytes.length, at + sliceBytes))
        const frame = message.kind === 'stream'
          ? encodeMasterFrame({ kind: 'stream', startOffset: message.startOffset + at, bytes: slice })
          : encodeMasterFrame({ kind: 'snapshot-chunk', bytes: slice })
        this.#pump.push(() => this.#deliver({ type: 'message', data: frame }))
      }
    }

    #push(event: Event): void {
      if (this.#pump.busy) this.#pump.push(() => this.#deliver(event))
      else this.#deliver(event)
    }

    #deliver(event: Event): void {
      if (event.type === 'message') this.onmessage?.({ data: event.data })
      else this.onclose?.(event.event)
    }
  }
}
