// A hand-driven connection to a master's replication endpoint, for tests that must send what a real
// replica never would (silence, garbage, text frames, commands after PSYNC) and see exactly what the
// master answers: decoded master frames in order, the close code and reason, or the HTTP status of
// a refused upgrade. Stops itself at the end of the test.
import { decodeMasterFrame, encodeCommand, LINK_SUBPROTOCOL, type MasterMessage, type RespValue } from '@replicast/core'
import { onTestFinished } from 'vitest'
import { WebSocket as Ws } from 'ws'

export interface RawLinkOptions {
  /** Subprotocols to offer; default: replicast.v1. An empty list offers none. */
  readonly protocols?: readonly string[]
  readonly headers?: Record<string, string>
  readonly origin?: string
}

/** The upgrade was refused with an HTTP status (400, 401, 403, 404, 503). */
export class UpgradeRefused extends Error {
  constructor(readonly status: number, readonly body: string) {
    super(`upgrade refused with HTTP ${status}: ${body.trim()}`)
  }
}

export class RawLink {
  readonly ws: Ws
  readonly messages: MasterMessage[] = []
  /** Resolves when the socket closed, with the code and reason the master gave. */
  readonly closed: Promise<{ readonly code: number; readonly reason: string }>
  #waiters: { readonly match: (m: MasterMessage) => boolean; readonly resolve: (m: MasterMessage) => void; from: number }[] = []

  private constructor(ws: Ws) {
    this.ws = ws
    ws.binaryType = 'arraybuffer'
    this.closed = new Promise((resolve) => ws.on('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })))
    ws.on('message', (data: ArrayBuffer) => {
      this.messages.push(decodeMasterFrame(new Uint8Array(data)))
      this.#settle()
    })
    // Errors (a refused frame, a reset) show up as the close code; keep them from being unhandled.
    ws.on('error', () => undefined)
  }

  /** Opens the link; rejects with UpgradeRefused when the master answers the upgrade with an HTTP error. */
  static open(url: string, options: RawLinkOptions = {}): Promise<RawLink> {
    const protocols = options.protocols ?? [LINK_SUBPROTOCOL]
    const ws = new Ws(url, [...protocols], { headers: options.headers, origin: options.origin })
    onTestFinished(() => { ws.terminate() })
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RawLink(ws)))
      ws.once('unexpected-response', (_request, response) => {
        let body = ''
        response.on('data', (chunk: Buffer) => { body += chunk.toString() })
        response.on('end', () => reject(new UpgradeRefused(response.statusCode ?? 0, body)))
        response.on('error', () => reject(new UpgradeRefused(response.statusCode ?? 0, body)))
      })
      ws.once('error', reject)
    })
  }

  /** Sends one command as a binary frame. */
  send(...argv: string[]): void {
    this.ws.send(encodeCommand(argv))
  }

  /** Sends raw bytes (binary) or a string (a text frame). */
  sendRaw(data: Uint8Array | string): void {
    this.ws.send(data, { binary: typeof data !== 'string' })
  }

  /** The next frame (after those already returned by `next`) that `match` accepts. */
  next(match: (m: MasterMessage) => boolean = () => true): Promise<MasterMessage> {
    return new Promise((resolve) => {
      this.#waiters.push({ match, resolve, from: this.#cursor })
      this.#settle()
    })
  }

  /** The next REPLY frame's value. */
  async reply(): Promise<RespValue> {
    const message = await this.next((m) => m.kind === 'reply')
    if (message.kind !== 'reply') throw new Error('unreachable')
    return message.value
  }

  #cursor = 0

  #settle(): void {
    for (const waiter of [...this.#waiters]) {
      const index = this.messages.findIndex((m, i) => i >= Math.max(waiter.from, this.#cursor) && waiter.match(m))
      if (index < 0) continue
      this.#cursor = index + 1
      this.#waiters = this.#waiters.filter((w) => w !== waiter)
      waiter.resolve(this.messages[index]!)
    }
  }

  terminate(): void {
    this.ws.terminate()
  }
}
