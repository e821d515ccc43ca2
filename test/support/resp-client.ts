// Raw RESP over TCP for tests that must see Redis's exact bytes: a client whose replies are the
// decoded RespValues (no ioredis conversions), and a fake replica that attaches with `SYNC`, skips the
// RDB and records the replication stream command by command (the idea of Redis's own
// attach_to_replication_stream test helper). Node only; tests stop what they start.
import { connect, type Socket } from 'node:net'
import type { ByteString } from '../../packages/core/src/bytes.ts'
import { encodeCommand } from '../../packages/core/src/resp/encoder.ts'
import { RequestDecoder, RespDecoder } from '../../packages/core/src/resp/decoder.ts'
import type { RespValue } from '../../packages/core/src/resp/value.ts'

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' })
    socket.setNoDelay(true)
    socket.once('connect', () => {
      socket.off('error', reject)
      resolve(socket)
    })
    socket.once('error', reject)
  })
}

/** A pipelining RESP client: replies resolve in order. */
export class RespClient {
  readonly #socket: Socket
  readonly #decoder = new RespDecoder()
  readonly #pending: { resolve: (value: RespValue) => void; reject: (error: Error) => void }[] = []
  #failure: Error | null = null

  private constructor(socket: Socket) {
    this.#socket = socket
    socket.on('data', (chunk: Buffer) => {
      this.#decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length))
      for (let value = this.#decoder.next(); value !== undefined; value = this.#decoder.next()) {
        this.#pending.shift()?.resolve(value)
      }
    })
    const fail = (error: Error): void => {
      this.#failure = error
      for (const pending of this.#pending.splice(0)) pending.reject(error)
    }
    socket.on('error', fail)
    socket.on('close', () => fail(new Error('connection closed')))
  }

  static async connect(port: number): Promise<RespClient> {
    return new RespClient(await open(port))
  }

  send(argv: readonly ByteString[]): Promise<RespValue> {
    if (this.#failure !== null) return Promise.reject(this.#failure)
    return new Promise((resolve, reject) => {
      this.#pending.push({ resolve, reject })
      this.#socket.write(encodeCommand(argv))
    })
  }

  close(): void {
    this.#socket.destroy()
  }
}

/** A fake replica: `SYNC`, then every command of the stream, with the stream's byte count. */
export class ReplicationStream {
  readonly #socket: Socket
  readonly #decoder = new RequestDecoder({ allowInline: false })
  readonly commands: ByteString[][] = []
  #streamBytes = 0
  #pendingHeader: Buffer | null = Buffer.alloc(0)
  #rdbLeft = -1
  #synced: () => void = () => {}
  readonly synced: Promise<void>

  private constructor(socket: Socket) {
    this.#socket = socket
    this.synced = new Promise((resolve) => {
      this.#synced = resolve
    })
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
  }

  /** Connects and waits until the RDB has been skipped. */
  static async attach(port: number): Promise<ReplicationStream> {
    const stream = new ReplicationStream(await open(port))
    stream.#socket.write('SYNC\r\n')
    await stream.synced
    return stream
  }

  #onData(chunk: Buffer): void {
    if (this.#pendingHeader !== null) {
      let data = Buffer.concat([this.#pendingHeader, chunk])
      while (data.length > 0 && data[0] === 10) data = data.subarray(1)
      const crlf = data.indexOf('\r\n')
      if (crlf < 0) {
        this.#pendingHeader = data
        return
      }
      this.#rdbLeft = Number(data.subarray(1, crlf).toString('latin1'))
      this.#pendingHeader = null
      chunk = data.subarray(crlf + 2)
    }
    if (this.#rdbLeft > 0) {
      const take = Math.min(this.#rdbLeft, chunk.length)
      this.#rdbLeft -= take
      chunk = chunk.subarray(take)
      if (this.#rdbLeft > 0) return
    }
    if (this.#rdbLeft === 0) {
      this.#rdbLeft = -1
      this.#synced()
    }
    if (chunk.length === 0) return
    this.#streamBytes += chunk.length
    this.#decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length))
    for (let command = this.#decoder.next(); command !== undefined; command = this.#decoder.next()) {
      this.commands.push(command)
    }
  }

  /** Stream bytes received after the RDB. */
  get bytes(): number {
    return this.#streamBytes
  }

  /** Resolves once at least `bytes` stream bytes arrived (rejects after `timeoutMs`). */
  async waitForBytes(bytes: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (this.#streamBytes < bytes) {
      if (Date.now() > deadline) throw new Error(`replication stream stalled at ${this.#streamBytes} of ${bytes} bytes`)
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
  }

  close(): void {
    this.#socket.destroy()
  }
}
