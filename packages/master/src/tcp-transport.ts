// A replica link over Redis's own wire, for `redis-server --replicaof` and `redis-cli --replica`
// (REDIS.md §2.4): `+FULLRESYNC <replid> <offset>\r\n`, then `$<length>\r\n` and the RDB with no
// trailing CRLF, then the stream bytes as they are; a bare `\n` as keep-alive. A connection that
// began with the old `SYNC` gets no `+FULLRESYNC` line (Redis: "not sent at all to a SYNC client").
import { encodeValue, utf8ToByteString, byteStringToBytes, type RespValue } from '@replicast/core'
import type { Socket } from 'node:net'
import { LINK_LOW_WATER_BYTES, type LinkTransport } from './link-transport.ts'

const NEWLINE = Uint8Array.of(10)

export class TcpTransport implements LinkTransport {
  readonly kind = 'tcp'
  readonly remoteAddress: string
  readonly #socket: Socket
  readonly #legacySync: boolean
  #drainListeners: (() => void)[] = []
  #closed = false

  constructor(socket: Socket, options: { legacySync: boolean }) {
    this.#socket = socket
    this.#legacySync = options.legacySync
    this.remoteAddress = socket.remoteAddress ?? '?'
    socket.on('drain', () => {
      const listeners = this.#drainListeners
      this.#drainListeners = []
      for (const listener of listeners) listener()
    })
    socket.once('close', () => {
      this.#closed = true
      this.#drainListeners = []
    })
  }

  get closed(): boolean {
    return this.#closed || this.#socket.destroyed
  }

  #write(bytes: Uint8Array): void {
    if (!this.closed) this.#socket.write(bytes)
  }

  sendReply(value: RespValue): void {
    if (this.#legacySync && value.kind === 'simple' && value.value.startsWith('FULLRESYNC')) return
    this.#write(encodeValue(value))
  }

  sendKeepalive(): void {
    this.#write(NEWLINE)
  }

  sendSnapshotBegin(length: number): void {
    this.#write(byteStringToBytes(utf8ToByteString(`$${length}\r\n`)))
  }

  sendSnapshotChunk(bytes: Uint8Array): void {
    this.#write(bytes)
  }

  sendSnapshotEnd(): void {
    // `$<length>` form: the replica counts the bytes; the stream follows at once.
  }

  sendStream(_startOffset: number, bytes: Uint8Array): void {
    this.#write(bytes)
  }

  bufferedBytes(): number {
    return this.#socket.writableLength
  }

  onDrain(listener: () => void): void {
    if (this.closed) return
    if (this.#socket.writableLength < LINK_LOW_WATER_BYTES) queueMicrotask(listener)
    else this.#drainListeners.push(listener)
  }

  close(_code: number, _reason: string): void {
    if (this.#closed) return
    this.#closed = true
    this.#socket.end()
    this.#socket.destroySoon()
  }
}
