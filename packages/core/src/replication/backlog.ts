// The replication backlog: Redis 7's shared replication buffer (REDIS.md §3.2, §7).
//
// One list of blocks holds the stream. It serves two purposes at once, without copying per replica:
//   - the backlog: at least `sizeBytes` of history, for partial resyncs (PSYNC);
//   - every replica's pending output: each link reads through a `BacklogReader`, whose position pins
//     the blocks it has not been sent yet, so the buffer may outgrow `sizeBytes` while a slow replica
//     (or one waiting for its snapshot) still needs old bytes. `pendingBytes(reader)` is that
//     replica's output-buffer usage, checked against the output-buffer limits.
//
//   blocks:   [ start=0 used=16384 ][ start=16384 used=16384 ][ start=32768 used=903 ......free ]
//   offsets:  heldStart ─────────────────────────────────────────────────────► masterReplOffset
//   readers:              ▲ replica A (pins from its block on)          ▲ replica B (caught up)
//
// Trimming follows incrementalTrimReplicationBacklog (replication.c): drop the head block only while
// the history left after dropping it stays above `sizeBytes` and no reader still needs it; never drop
// the last block.
//
// Offsets are replication offsets (offset.ts): `read(from)` returns the bytes *after* offset `from`.
// INFO's numbers are Redis's: `firstByteOffset` = first held byte, 1-based; `histlen` = bytes held.
//
// Deliberately left out: what the bytes mean (propagator.ts writes them), and time. Redis frees its
// backlog after `repl-backlog-ttl` without replicas (and changes its replid); Replicast does not, in
// the core or in the shell: the backlog lives for the master's lifetime, because a browser that comes
// back after a night offline, when no replica was attached for hours, must still find it and
// continue with `+CONTINUE`.
import type { Offset } from './offset.ts'

export interface BacklogOptions {
  /**
   * History kept for partial resyncs, in bytes (Redis's `repl-backlog-size`). The buffer holds more
   * while readers pin older blocks. Redis's minimum is 16384; the core accepts any positive size
   * (tests use small ones), the shell's options enforce the minimum.
   * @default 1048576
   */
  readonly sizeBytes: number
  /**
   * Smallest block allocated, in bytes (Redis's PROTO_REPLY_CHUNK_BYTES). Blocks grow up to
   * max(sizeBytes / 16, blockBytes) for large appends, as Redis's do.
   * @default 16384
   */
  readonly blockBytes: number
}

export const BACKLOG_DEFAULTS: BacklogOptions = Object.freeze({ sizeBytes: 1024 * 1024, blockBytes: 16 * 1024 })

/** What the PSYNC decision and the master machine need to know of a backlog. */
export interface BacklogView {
  /** Total stream bytes ever appended (Redis's `master_repl_offset`). */
  readonly masterReplOffset: Offset
  /** First byte held, 1-based (`repl_backlog_first_byte_offset`); masterReplOffset + 1 when empty. */
  readonly firstByteOffset: number
  /** Bytes held (`repl_backlog_histlen`). */
  readonly histlen: number
  /** True when the bytes after `offset` up to masterReplOffset are all held. */
  covers(offset: Offset): boolean
}

/** One link's position in the shared buffer: the offset up to which it has been sent the stream. */
export interface BacklogReader {
  /** Bytes already taken by this reader (a replication offset). */
  readonly position: Offset
  readonly closed: boolean
  /** Marks `n` more bytes as sent. */
  advance(n: number): void
  /** Moves the reader to `offset` (forwards or back); the backlog must cover it. */
  seek(offset: Offset): void
  /** Releases the reader; the blocks it pinned may then be trimmed. Idempotent. */
  close(): void
}

interface Block {
  /** Offset before the block's first byte. */
  readonly start: number
  readonly data: Uint8Array
  used: number
}

const EMPTY = new Uint8Array(0)

function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`Backlog option ${name} must be a positive integer, got ${String(value)}.`)
  }
}

interface ReaderHooks {
  release(reader: Reader): void
  advanced(from: Offset, to: Offset): void
}

class Reader implements BacklogReader {
  #position: Offset
  #closed = false
  readonly #backlog: ReplicationBacklog
  readonly #hooks: ReaderHooks

  constructor(backlog: ReplicationBacklog, position: Offset, hooks: ReaderHooks) {
    this.#backlog = backlog
    this.#position = position
    this.#hooks = hooks
  }

  get position(): Offset {
    return this.#position
  }

  get closed(): boolean {
    return this.#closed
  }

  advance(n: number): void {
    if (this.#closed) throw new Error('BacklogReader.advance() after close()')
    const next = this.#position + n
    if (!Number.isSafeInteger(n) || n < 0 || next > this.#backlog.masterReplOffset) {
      throw new RangeError(`Cannot advance a backlog reader at ${this.#position} by ${n}: the stream ends at ${this.#backlog.masterReplOffset}.`)
    }
    const previous = this.#position
    this.#position = next
    this.#hooks.advanced(previous, next)
  }

  seek(offset: Offset): void {
    if (this.#closed) throw new Error('BacklogReader.seek() after close()')
    if (!this.#backlog.covers(offset)) {
      throw new RangeError(`Cannot seek a backlog reader to ${offset}: the backlog holds offsets ${this.#backlog.firstByteOffset - 1}..${this.#backlog.masterReplOffset}.`)
    }
    this.#position = offset
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#hooks.release(this)
  }
}

/** Redis 7's shared replication buffer: the backlog and every replica's pending output. */
export class ReplicationBacklog implements BacklogView {
  readonly #sizeBytes: number
  readonly #blockBytes: number
  readonly #maxBlockBytes: number
  #blocks: Block[] = []
  #heldStart: Offset
  #masterReplOffset: Offset
  readonly #readers = new Set<Reader>()

  /** `startOffset`: the master's offset when the backlog is created (Redis: master_repl_offset). */
  constructor(options: Partial<BacklogOptions> = {}, startOffset: Offset = 0) {
    const { sizeBytes, blockBytes } = { ...BACKLOG_DEFAULTS, ...options }
    checkPositiveInteger('sizeBytes', sizeBytes)
    checkPositiveInteger('blockBytes', blockBytes)
    if (!Number.isSafeInteger(startOffset) || startOffset < 0) throw new RangeError(`Backlog start offset must be a non-negative integer, got ${startOffset}.`)
    this.#sizeBytes = sizeBytes
    this.#blockBytes = blockBytes
    this.#maxBlockBytes = Math.max(Math.floor(sizeBytes / 16), blockBytes)
    this.#heldStart = startOffset
    this.#masterReplOffset = startOffset
  }

  /** The configured history size (INFO `repl_backlog_size`). */
  get sizeBytes(): number {
    return this.#sizeBytes
  }

  get masterReplOffset(): Offset {
    return this.#masterReplOffset
  }

  get firstByteOffset(): number {
    return this.#heldStart + 1
  }

  get histlen(): number {
    return this.#masterReplOffset - this.#heldStart
  }

  /** Blocks currently allocated (for memory reporting and tests). */
  get blockCount(): number {
    return this.#blocks.length
  }

  /** Open readers. */
  get readerCount(): number {
    return this.#readers.size
  }

  covers(offset: Offset): boolean {
    return Number.isSafeInteger(offset) && offset >= this.#heldStart && offset <= this.#masterReplOffset
  }

  /** Appends stream bytes; returns the offsets before and after them. */
  append(bytes: Uint8Array): { readonly startOffset: Offset; readonly endOffset: Offset } {
    const startOffset = this.#masterReplOffset
    let from = 0
    let added = false
    const last = this.#blocks[this.#blocks.length - 1]
    if (last !== undefined && last.used < last.data.length) {
      const n = Math.min(last.data.length - last.used, bytes.length)
      // Most appends (one command) fit whole: no view to allocate then.
      last.data.set(n === bytes.length ? bytes : bytes.subarray(0, n), last.used)
      last.used += n
      from = n
    }
    while (from < bytes.length) {
      const remaining = bytes.length - from
      // Redis: size = min(max(len, PROTO_REPLY_CHUNK_BYTES), max(backlog_size / 16, PROTO_REPLY_CHUNK_BYTES)).
      const size = Math.min(Math.max(remaining, this.#blockBytes), this.#maxBlockBytes)
      const n = Math.min(size, remaining)
      const data = new Uint8Array(size)
      data.set(bytes.subarray(from, from + n))
      this.#blocks.push({ start: startOffset + from, data, used: n })
      from += n
      added = true
    }
    this.#masterReplOffset = startOffset + bytes.length
    if (added) this.#trim()
    return { startOffset, endOffset: this.#masterReplOffset }
  }

  /**
   * For writers that encode straight into the buffer: the last block's array when it has room for
   * `n` more bytes, to be written from index `tailIndex` on and then counted with `commitTail(n)`;
   * null when they do not fit (use `append`). Bytes past the end are nobody's yet, so writing them
   * never touches what readers were handed.
   */
  tailRoom(n: number): Uint8Array | null {
    const last = this.#blocks[this.#blocks.length - 1]
    return last !== undefined && last.data.length - last.used >= n ? last.data : null
  }

  /** Where the next byte goes in the array `tailRoom` returned. */
  get tailIndex(): number {
    return this.#blocks[this.#blocks.length - 1]?.used ?? 0
  }

  /** Counts `n` bytes written after `tailIndex` (after `tailRoom(n)` gave room for them). */
  commitTail(n: number): { readonly startOffset: Offset; readonly endOffset: Offset } {
    const last = this.#blocks[this.#blocks.length - 1]
    if (last === undefined || !Number.isSafeInteger(n) || n < 0 || last.data.length - last.used < n) {
      throw new RangeError(`Cannot commit ${n} bytes to the backlog's last block: tailRoom(${n}) gave no room for them.`)
    }
    const startOffset = this.#masterReplOffset
    last.used += n
    this.#masterReplOffset = startOffset + n
    return { startOffset, endOffset: this.#masterReplOffset }
  }

  /**
   * The bytes after offset `from`, at most `maxBytes` of them (all available when omitted). The
   * result may be a view into the buffer: never modify it. Throws a RangeError when the backlog
   * does not cover `from` (check `covers` first).
   */
  read(from: Offset, maxBytes = Infinity): Uint8Array {
    const n = this.#available(from, maxBytes)
    if (n === 0) return EMPTY
    let index = this.#blockIndex(from)
    const first = this.#blocks[index]!
    const at = from - first.start
    if (at + n <= first.used) return first.data.subarray(at, at + n)
    const out = new Uint8Array(n)
    let written = 0
    let position = from
    while (written < n) {
      const block = this.#blocks[index++]!
      const start = position - block.start
      const take = Math.min(block.used - start, n - written)
      out.set(block.data.subarray(start, start + take), written)
      written += take
      position += take
    }
    return out
  }

  /**
   * Like `read`, without copying: returns at most up to the end of the block holding offset `from`,
   * so it may return fewer bytes than available. Call again from the new position for the rest.
   */
  readView(from: Offset, maxBytes = Infinity): Uint8Array {
    const n = this.#available(from, maxBytes)
    if (n === 0) return EMPTY
    const block = this.#blocks[this.#blockIndex(from)]!
    const at = from - block.start
    return block.data.subarray(at, at + Math.min(n, block.used - at))
  }

  /**
   * Registers a reader at `position` (default: the end of the stream, i.e. only new bytes). The
   * backlog keeps every byte after the reader's position until it advances or closes.
   */
  openReader(position: Offset = this.#masterReplOffset): BacklogReader {
    if (!this.covers(position)) {
      throw new RangeError(`Cannot open a backlog reader at ${position}: the backlog holds offsets ${this.#heldStart}..${this.#masterReplOffset}.`)
    }
    const reader = new Reader(this, position, {
      release: (r) => {
        this.#readers.delete(r)
        this.#trim()
      },
      advanced: (from, to) => {
        // Only a reader leaving the head block can unpin it.
        const head = this.#blocks[0]
        if (head !== undefined && this.#blocks.length > 1 && from < head.start + head.used && to >= head.start + head.used) this.#trim()
      },
    })
    this.#readers.add(reader)
    return reader
  }

  /** Bytes appended but not yet taken by `reader`: its output-buffer usage. */
  pendingBytes(reader: BacklogReader): number {
    return this.#masterReplOffset - reader.position
  }

  /**
   * Restarts the backlog at `offset`, empty: for a master restarted from persisted state whose
   * offset continues (REDIS.md §4.1). No reader may be open.
   */
  rebase(offset: Offset): void {
    if (this.#readers.size > 0) throw new Error(`Cannot rebase a backlog with ${this.#readers.size} open reader(s).`)
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`Cannot rebase a backlog to ${offset}.`)
    this.#blocks = []
    this.#heldStart = offset
    this.#masterReplOffset = offset
  }

  #available(from: Offset, maxBytes: number): number {
    if (!this.covers(from)) {
      throw new RangeError(`The backlog does not cover offset ${from}: it holds offsets ${this.#heldStart}..${this.#masterReplOffset}.`)
    }
    if (!(maxBytes >= 0)) throw new RangeError(`maxBytes must be non-negative, got ${maxBytes}.`)
    return Math.min(maxBytes, this.#masterReplOffset - from)
  }

  /** Index of the block holding the byte after offset `from` (from < masterReplOffset). */
  #blockIndex(from: Offset): number {
    let lo = 0
    let hi = this.#blocks.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (this.#blocks[mid]!.start <= from) lo = mid
      else hi = mid - 1
    }
    return lo
  }

  // Redis: incrementalTrimReplicationBacklog(), replication.c.
  #trim(): void {
    if (this.histlen <= this.#sizeBytes) return
    let pinnedFrom = Infinity
    for (const reader of this.#readers) pinnedFrom = Math.min(pinnedFrom, reader.position)
    let drop = 0
    let histlen = this.histlen
    // We never trim the backlog to less than one block.
    while (this.#blocks.length - drop > 1) {
      const first = this.#blocks[drop]!
      // A reader that has not been sent all of this block still needs it.
      if (pinnedFrom < first.start + first.used) break
      // Don't trim if the history left would be no more than the configured size.
      if (histlen - first.used <= this.#sizeBytes) break
      histlen -= first.used
      drop++
    }
    if (drop === 0) return
    // Usually one block goes at a time, from a list of thousands (a 64 MB backlog holds 4096):
    // shift() drops it in place, where slice() would copy the whole list for every new block.
    if (drop === 1) this.#blocks.shift()
    else this.#blocks = this.#blocks.slice(drop)
    this.#heldStart = this.#blocks[0]!.start
  }
}
