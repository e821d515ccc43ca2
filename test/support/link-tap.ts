// A WebSocket class to pass as a replica's `WebSocket` option: it opens a real `ws` socket and lets a
// test see every frame both ways (decoded with core's link codec), count STREAM bytes, drop chosen
// frames from the master before the replica sees them (loss injection), and terminate the socket.
//
//   const tap = new LinkTap()
//   const replica = await startReplica(master, { WebSocket: tap.WebSocket })
//   tap.dropNext((m) => m.kind === 'stream')    // resolves with the frame once it was dropped
//
// Everything here observes the real bytes on the real socket; nothing is simulated.
import { decodeMasterFrame, decodeReplicaFrame, type ByteString, type MasterMessage } from '@replicast/core'
import type { WebSocketConstructor, WebSocketLike } from '@replicast/replica/node'
import { WebSocket as Ws } from 'ws'

/** One socket the replica opened through the tap. */
export interface TappedSocket {
  readonly index: number
  readonly ws: Ws
  /** Frames from the master, decoded, in arrival order (dropped ones included, marked). */
  readonly received: { readonly message: MasterMessage; readonly dropped: boolean }[]
  /** Commands the replica sent (an empty argv is the keep-alive). */
  readonly sent: ByteString[][]
  /** Sum of the stream bytes of the STREAM frames delivered to the replica. */
  streamBytes: number
  /** Resolves when the socket has closed, with the close code and reason. */
  readonly closed: Promise<{ readonly code: number; readonly reason: string }>
}

type Matcher = (message: MasterMessage, socket: TappedSocket) => boolean

export class LinkTap {
  readonly sockets: TappedSocket[] = []
  readonly WebSocket: WebSocketConstructor
  #drops: { readonly match: Matcher; readonly resolve: (m: MasterMessage) => void }[] = []

  #socketWaiters: { readonly count: number; readonly resolve: () => void }[] = []

  /**
   * `browserClose`: close() validates its code as browsers (and Node 22's global WebSocket) do, per
   * the WHATWG spec: any code but 1000 and 3000–4999 throws an InvalidAccessError.
   */
  constructor(options: { readonly browserClose?: boolean } = {}) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const tap = this
    class TappedWebSocket implements WebSocketLike {
      readonly #ws: Ws
      readonly #socket: TappedSocket

      constructor(url: string, protocols?: string | string[]) {
        this.#ws = new Ws(url, protocols)
        let resolveClosed!: (c: { code: number; reason: string }) => void
        const socket: TappedSocket = {
          index: tap.sockets.length,
          ws: this.#ws,
          received: [],
          sent: [],
          streamBytes: 0,
          closed: new Promise((resolve) => { resolveClosed = resolve }),
        }
        this.#ws.on('close', (code: number, reason: Buffer) => resolveClosed({ code, reason: reason.toString() }))
        this.#socket = socket
        tap.sockets.push(socket)
        tap.#socketWaiters = tap.#socketWaiters.filter((w) => {
          if (tap.sockets.length < w.count) return true
          w.resolve()
          return false
        })
      }

      get binaryType(): string {
        return this.#ws.binaryType
      }

      set binaryType(value: string) {
        this.#ws.binaryType = value as Ws['binaryType']
      }

      get readyState(): number {
        return this.#ws.readyState
      }

      set onopen(listener: ((event: unknown) => void) | null) {
        this.#ws.onopen = listener
      }

      set onclose(listener: ((event: { readonly code: number; readonly reason: string }) => void) | null) {
        this.#ws.onclose = listener
      }

      set onerror(listener: ((event: unknown) => void) | null) {
        this.#ws.onerror = listener
      }

      set onmessage(listener: ((event: { readonly data: unknown }) => void) | null) {
        if (listener === null) {
          this.#ws.onmessage = null
          return
        }
        this.#ws.onmessage = (event) => {
          const data = event.data
          if (!(data instanceof ArrayBuffer)) return listener(event)
          let message: MasterMessage
          try {
            message = decodeMasterFrame(new Uint8Array(data))
          } catch {
            // Malformed (a test's fake master sent it on purpose): the replica's to judge.
            return listener(event)
          }
          const drop = tap.#drops.find((d) => d.match(message, this.#socket))
          this.#socket.received.push({ message, dropped: drop !== undefined })
          if (drop !== undefined) {
            tap.#drops = tap.#drops.filter((d) => d !== drop)
            drop.resolve(message)
            return
          }
          if (message.kind === 'stream') this.#socket.streamBytes += message.bytes.length
          listener(event)
        }
      }

      // The replica only sets these handlers; the getters exist for the interface.
      get onopen(): null { return null }
      get onclose(): null { return null }
      get onerror(): null { return null }
      get onmessage(): null { return null }

      send(data: Uint8Array): void {
        this.#socket.sent.push(decodeReplicaFrame(data))
        this.#ws.send(data)
      }

      close(code?: number, reason?: string): void {
        if (options.browserClose === true && code !== undefined && code !== 1000 && (code < 3000 || code > 4999)) {
          throw new DOMException(`Failed to execute 'close' on 'WebSocket': The close code must be either 1000, or between 3000 and 4999. ${code} is neither.`, 'InvalidAccessError')
        }
        this.#ws.close(code, reason)
      }
    }
    this.WebSocket = TappedWebSocket
  }

  /** The socket opened last. */
  get last(): TappedSocket {
    const socket = this.sockets.at(-1)
    if (socket === undefined) throw new Error('The replica has not opened a socket through the tap yet.')
    return socket
  }

  /** Resolves once the replica has opened `count` sockets through the tap. */
  socketCount(count: number): Promise<void> {
    if (this.sockets.length >= count) return Promise.resolve()
    return new Promise((resolve) => this.#socketWaiters.push({ count, resolve }))
  }

  /** Drops the next frame from the master that `match` accepts; resolves with it once dropped. */
  dropNext(match: Matcher): Promise<MasterMessage> {
    return new Promise((resolve) => this.#drops.push({ match, resolve }))
  }
}

/** The argv as text, for assertions on what a replica sent. */
export function commandText(argv: readonly ByteString[]): string {
  return argv.join(' ')
}
