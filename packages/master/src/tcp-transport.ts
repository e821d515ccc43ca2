// A replica link over Redis's own wire, for `redis-server --replicaof` and `redis-cli --replica`
// (REDIS.md §2.4): `+FULLRESYNC <replid> <offset>\r\n`, then the RDB in one of Redis's two forms,
// then the stream bytes as they are; a bare `\n` as keep-alive. A connection that began with the old
// `SYNC` gets no `+FULLRESYNC` line (Redis: "not sent at all to a SYNC client").
//
// The two snapshot forms:
//
//   'length'  $<rdb length>\r\n<rdb>            the stream follows the last RDB byte at once
//             (Redis's disk-based sync: updateSlavesWaitingBgsave + sendBulkToSlave)
//   'eof'     $EOF:<40 hex mark>\r\n<rdb><mark>   then NOTHING until the replica's first
//             REPLCONF ACK (Redis's diskless sync: rdbSaveRioWithEOFMark, repl_start_cmd_stream_on_ack)
//
// Why the wait: a disk-loading Redis replica finds the end of an EOF-marked RDB only by comparing the
// last 40 bytes it has read with the mark, so a byte sent after the mark hides it and the replica
// waits for an end that never comes (REDIS.md §2.4, observed with 7.0.15). Stream bytes handed to
// this transport meanwhile are held here, and count as buffered; the link's pump stops at the high
// water mark and the rest waits in the backlog, under the output-buffer limits. The first ACK after
// the mark (`ackReceived`, from the connection) releases them.
import { randomBytes } from 'node:crypto'
import type { Socket } from 'node:net'
import { encodeValue, utf8ToByteString, byteStringToBytes, type RespValue } from '@replicast/core'
import { LINK_LOW_WATER_BYTES, type LinkTransport } from './link-transport.ts'

const NEWLINE = Uint8Array.of(10)

/** How the RDB of a full sync is framed on the wire (see the header). */
export type TcpSnapshotForm = 'length' | 'eof'

/** Redis's RDB_EOF_MARK_SIZE. */
export const EOF_MARK_BYTES = 40

export interface TcpTransportOptions {
  /** The connection began with `SYNC` (no `+FULLRESYNC` line; always the length form). */
  readonly legacySync: boolean
  readonly snapshotForm: TcpSnapshotForm
  /** `REPLCONF rdb-only 1` (redis-cli --rdb): close once the RDB is sent. @default false */
  readonly rdbOnly?: boolean
}

export class TcpTransport implements LinkTransport {
  readonly kind = 'tcp'
  readonly remoteAddress: string
  readonly #socket: Socket
  readonly #legacySync: boolean
  readonly #form: TcpSnapshotForm
  readonly #rdbOnly: boolean
  #mark: Uint8Array | null = null
  /** Stream bytes held between the EOF mark and the first ACK; null when not holding. */
  #held: Uint8Array[] | null = null
  #heldBytes = 0
  #drainListeners: (() => void)[] = []
  #closed = false

  constructor(socket: Socket, options: TcpTransportOptions) {
    this.#socket = socket
    this.#legacySync = options.legacySync
    this.#form = options.legacySync ? 'length' : options.snapshotForm
    this.#rdbOnly = options.rdbOnly ?? false
    this.remoteAddress = socket.remoteAddress ?? '?'
    socket.on('drain', this.#socketOnDrain)
    socket.once('close', this.#socketOnClose)
  }

  readonly #socketOnDrain = (): void => {
    if (this.#held === null) this.#fireDrain()
  }

  readonly #socketOnClose = (): void => {
    this.#closed = true
    this.#drainListeners = []
    this.#held = null
  }

  /**
   * Gives the socket back to its connection: PSYNC was refused with an error reply, and the
   * connection stays an ordinary client (a client that retries must not pile up listeners).
   */
  detach(): void {
    this.#socket.off('drain', this.#socketOnDrain)
    this.#socket.off('close', this.#socketOnClose)
  }

  get closed(): boolean {
    return this.#closed || this.#socket.destroyed
  }

  #write(bytes: Uint8Array): void {
    if (!this.closed) this.#socket.write(bytes)
  }

  #fireDrain(): void {
    const listeners = this.#drainListeners
    this.#drainListeners = []
    for (const listener of listeners) listener()
  }

  sendReply(value: RespValue): void {
    if (this.#legacySync && value.kind === 'simple' && value.value.startsWith('FULLRESYNC')) return
    this.#write(encodeValue(value))
  }

  sendKeepalive(): void {
    this.#write(NEWLINE)
  }

  sendSnapshotBegin(length: number): void {
    if (this.#form === 'eof') {
      // Redis: getRandomHexChars(eofmark, RDB_EOF_MARK_SIZE).
      const mark = randomBytes(EOF_MARK_BYTES / 2).toString('hex')
      this.#mark = byteStringToBytes(mark)
      this.#write(byteStringToBytes(`$EOF:${mark}\r\n`))
    } else {
      this.#write(byteStringToBytes(utf8ToByteString(`$${length}\r\n`)))
    }
  }

  sendSnapshotChunk(bytes: Uint8Array): void {
    this.#write(bytes)
  }

  sendSnapshotEnd(): void {
    if (this.#form === 'eof' && this.#mark !== null) {
      this.#write(this.#mark)
      this.#mark = null
      this.#held = []
    }
    // Redis: an rdb-only replica is closed once its RDB is written (replicaPutOnline is skipped).
    if (this.#rdbOnly) this.close(1000, 'rdb-only: the RDB was sent')
    // `$<length>` form: the replica counts the bytes; the stream follows at once.
  }

  sendStream(_startOffset: number, bytes: Uint8Array): void {
    if (this.#held !== null) {
      // Views into the backlog's blocks stay valid: the backlog never rewrites a byte.
      this.#held.push(bytes)
      this.#heldBytes += bytes.length
      return
    }
    this.#write(bytes)
  }

  /**
   * The replica sent `REPLCONF ACK`: after an EOF-marked RDB the first one means it has loaded the
   * RDB, and the stream may flow (Redis: replconfCommand → replicaStartCommandStream).
   */
  ackReceived(): void {
    const held = this.#held
    if (held === null) return
    this.#held = null
    this.#heldBytes = 0
    for (const bytes of held) this.#write(bytes)
    if (this.#socket.writableLength < LINK_LOW_WATER_BYTES) this.#fireDrain()
  }

  bufferedBytes(): number {
    return this.#socket.writableLength + this.#heldBytes
  }

  onDrain(listener: () => void): void {
    if (this.closed) return
    if (this.#held === null && this.#socket.writableLength < LINK_LOW_WATER_BYTES) queueMicrotask(listener)
    else this.#drainListeners.push(listener)
  }

  // Redis's wire has no close frame: the peer sees the connection end, and the code and reason go only
  // to the master's report (ReplicaLink hands the error to 'replica-error', as for a WebSocket).
  close(_code: number, _reason: string): void {
    if (this.#closed) return
    this.#closed = true
    this.#held = null
    this.#socket.end()
    this.#socket.destroySoon()
  }
}
