// An input queue for incremental decoders: chunks go in as they arrive from a socket, and come out as
// lines or exact-length slices. Chunks are concatenated only when a read needs bytes from more than
// one of them, and a read that waits for N bytes does not copy anything until N bytes are there, so a
// large value arriving in many small chunks costs O(n), not O(n^2).
//
// Offsets: `offset` is the absolute stream position of the next unread byte (bytes read so far).

const EMPTY = new Uint8Array(0)
const CR = 13
const LF = 10

export class ByteQueue {
  #buffer: Uint8Array = EMPTY
  #pos = 0
  #pending: Uint8Array[] = []
  #pendingBytes = 0
  #base = 0

  /** Absolute position in the stream of the next unread byte. */
  get offset(): number {
    return this.#base + this.#pos
  }

  /** Bytes queued and not yet read. */
  get available(): number {
    return this.#buffer.length - this.#pos + this.#pendingBytes
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return
    if (this.#pos === this.#buffer.length && this.#pendingBytes === 0) {
      this.#base += this.#pos
      this.#buffer = chunk
      this.#pos = 0
      return
    }
    this.#pending.push(chunk)
    this.#pendingBytes += chunk.length
  }

  #merge(): void {
    if (this.#pendingBytes === 0) return
    const rest = this.#buffer.length - this.#pos
    const merged = new Uint8Array(rest + this.#pendingBytes)
    merged.set(this.#buffer.subarray(this.#pos), 0)
    let at = rest
    for (const chunk of this.#pending) {
      merged.set(chunk, at)
      at += chunk.length
    }
    this.#base += this.#pos
    this.#buffer = merged
    this.#pos = 0
    this.#pending = []
    this.#pendingBytes = 0
  }

  /**
   * The chunk being read (later chunks are not in it) and, below, the read position in it: for a
   * decoder's fast path, which reads a value in place when it lies whole in this chunk and uses the
   * other methods otherwise. Never modify it.
   */
  get chunk(): Uint8Array {
    return this.#buffer
  }

  /** The read position in `chunk`. */
  get chunkPosition(): number {
    return this.#pos
  }

  /** The next byte without consuming it, or -1 when the queue is empty. */
  peek(): number {
    if (this.#pos < this.#buffer.length) return this.#buffer[this.#pos]!
    if (this.#pendingBytes === 0) return -1
    this.#merge()
    return this.#buffer[this.#pos]!
  }

  /**
   * Makes `n` bytes contiguous and returns the buffer and the index they start at, without
   * consuming them; undefined while fewer than `n` bytes are queued.
   */
  view(n: number): { readonly bytes: Uint8Array; readonly start: number } | undefined {
    if (this.#buffer.length - this.#pos < n) {
      if (this.available < n) return undefined
      this.#merge()
    }
    return { bytes: this.#buffer, start: this.#pos }
  }

  /** Consumes `n` bytes (they must be available). */
  skip(n: number): void {
    if (this.#buffer.length - this.#pos < n) this.#merge()
    this.#pos += n
  }

  /** Consumes and returns exactly `n` bytes (a view, not a copy), or undefined while fewer are queued. */
  take(n: number): Uint8Array | undefined {
    const v = this.view(n)
    if (v === undefined) return undefined
    this.#pos += n
    return v.bytes.subarray(v.start, v.start + n)
  }

  /** Consumes and returns everything queued. */
  takeAll(): Uint8Array {
    this.#merge()
    const out = this.#buffer.subarray(this.#pos)
    this.#pos = this.#buffer.length
    return out
  }

  /**
   * Finds the next LF. Returns the index of the LF relative to the read position, or -1 if none is
   * queued yet. `scanLimit` bounds the search: callers pass their maximum line length + 2.
   */
  indexOfLf(scanLimit: number): number {
    this.#merge()
    const bytes = this.#buffer
    const end = Math.min(bytes.length, this.#pos + scanLimit)
    const at = bytes.indexOf(LF, this.#pos)
    if (at === -1 || at >= end) return -1
    return at - this.#pos
  }

  /** The byte at `index` relative to the read position (it must be queued and merged). */
  at(index: number): number {
    return this.#buffer[this.#pos + index]!
  }

  /**
   * Reads a CRLF-terminated line, returning its bytes without the CRLF (a view), or undefined if no
   * complete line is queued. A lone LF also ends a line when `acceptBareLf` (inline commands do).
   * Returns null when a LF is found that is not preceded by CR and `acceptBareLf` is false.
   */
  readLine(scanLimit: number, acceptBareLf = false): Uint8Array | null | undefined {
    const lf = this.indexOfLf(scanLimit)
    if (lf === -1) return undefined
    const start = this.#pos
    const hasCr = lf > 0 && this.#buffer[start + lf - 1] === CR
    if (!hasCr && !acceptBareLf) return null
    this.#pos += lf + 1
    return this.#buffer.subarray(start, start + (hasCr ? lf - 1 : lf))
  }
}
