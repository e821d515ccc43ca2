// Cuts a replication stream that arrives in arbitrary chunks (WebSocket frames, TCP reads) into
// whole commands, each with its size as received: the machines count offsets from those sizes,
// so they are the bytes on the wire exactly as Redis counts them (REDIS.md §3.1). A command cut by
// a chunk boundary is kept as a `StreamTail` in the machine's state and joined to the next chunk.
//
//   holdStreamBytes(tail, bytes)  null ─► new CommandSplitter(tail, bytes, limits)
//        │ (still short of the command's least length)          next() … next() → undefined
//        ▼                                                      tail() ─► the state's new tail
//   the state's new tail, nothing decoded
//
// Deliberately left out: what the commands mean (MULTI/EXEC, SELECT, GETACK are the machines'),
// how a decode error is reported (the machines close the link with their own wording), and inline
// commands (a replication stream is multibulk only, as Redis's master client reads it).
import type { ByteString } from '../bytes.ts'
import { RequestDecoder } from '../resp/decoder.ts'
import type { RespLimits } from '../resp/limits.ts'

/** Bytes of a command not complete yet, newest first (an immutable list: O(1) to extend). */
export interface PendingChunks {
  readonly bytes: Uint8Array
  readonly previous: PendingChunks | null
}

/** A command cut by a chunk boundary: its bytes so far, their count, and the least total it needs. */
export interface StreamTail {
  readonly pending: PendingChunks | null
  readonly pendingBytes: number
  readonly pendingNeed: number
}

/** No partial command held. */
export const NO_STREAM_TAIL: StreamTail = Object.freeze({ pending: null, pendingBytes: 0, pendingNeed: 0 })

/**
 * `tail` extended by `bytes` while they cannot complete its command yet, so that a large bulk cut
 * into many chunks is decoded once, not once per chunk; null when the command may be complete:
 * split `tail` and `bytes` with a CommandSplitter.
 */
export function holdStreamBytes(tail: StreamTail, bytes: Uint8Array): StreamTail | null {
  if (tail.pendingBytes + bytes.length >= tail.pendingNeed) return null
  return { pending: { bytes, previous: tail.pending }, pendingBytes: tail.pendingBytes + bytes.length, pendingNeed: tail.pendingNeed }
}

/**
 * The whole commands in a held tail followed by a new chunk. `next()` hands them out in order, and
 * `size` is each one's length in `input`; `tail()` is what is left for the next chunk. A malformed
 * stream ends the commands: `failure` then holds what the RESP decoder threw (a ProtocolError or a
 * LimitError, with its code) for the machine to close the link with.
 */
export class CommandSplitter {
  /** The held tail's bytes followed by the chunk's, in one array. */
  readonly input: Uint8Array
  readonly #decoder: RequestDecoder
  #consumed = 0
  #size = 0
  #failure: { readonly cause: unknown } | null = null

  constructor(tail: StreamTail, bytes: Uint8Array, limits: Partial<RespLimits>) {
    this.input = tail.pending === null ? bytes : joinChunks(tail.pending, tail.pendingBytes, bytes)
    this.#decoder = new RequestDecoder({ ...limits, allowInline: false })
    this.#decoder.push(this.input)
  }

  /** The next whole command; undefined once the rest of `input` is incomplete, or malformed (`failure`). */
  next(): ByteString[] | undefined {
    if (this.#failure !== null) return undefined
    let argv: ByteString[] | undefined
    try {
      argv = this.#decoder.next()
    } catch (cause) {
      this.#failure = { cause }
      return undefined
    }
    if (argv === undefined) return undefined
    this.#size = this.#decoder.offset - this.#consumed
    this.#consumed = this.#decoder.offset
    return argv
  }

  /** Bytes of `input` the last command took, as received: what it adds to the offset. */
  get size(): number {
    return this.#size
  }

  /** What the decoder threw, once the stream failed to decode; null until then. */
  get failure(): { readonly cause: unknown } | null {
    return this.#failure
  }

  /** What follows the last command handed out: the partial command to join to the next chunk. */
  tail(): StreamTail {
    const rest = this.input.length - this.#consumed
    if (rest === 0) return NO_STREAM_TAIL
    return {
      pending: { bytes: this.input.subarray(this.#consumed), previous: null },
      pendingBytes: rest,
      pendingNeed: minCommandLength(this.input, this.#consumed),
    }
  }
}

function joinChunks(pending: PendingChunks, pendingBytes: number, last: Uint8Array): Uint8Array {
  const out = new Uint8Array(pendingBytes + last.length)
  out.set(last, pendingBytes)
  let end = pendingBytes
  for (let chunk: PendingChunks | null = pending; chunk !== null; chunk = chunk.previous) {
    end -= chunk.bytes.length
    out.set(chunk.bytes, end)
  }
  return out
}

/**
 * The least number of bytes (from `start`) the incomplete command at `input[start..]` needs before
 * decoding it can succeed, read from its `*<n>` and `$<len>` headers. Unknown (a header not
 * complete yet): one more byte than there is. Malformed headers are left to the decoder to report.
 */
function minCommandLength(input: Uint8Array, start: number): number {
  const have = input.length - start
  const lineEnd = (from: number): number => {
    for (let i = from; i + 1 < input.length; i++) if (input[i] === 13 && input[i + 1] === 10) return i
    return -1
  }
  const number = (from: number, to: number): number => {
    let n = 0
    for (let i = from; i < to; i++) {
      const d = input[i]! - 48
      if (d < 0 || d > 9) return -1
      n = n * 10 + d
    }
    return to > from ? n : -1
  }
  if (input[start] !== 42 /* * */) return have + 1
  let at = lineEnd(start)
  if (at < 0) return have + 1
  const count = number(start + 1, at)
  if (count < 0) return have + 1
  at += 2
  for (let i = 0; i < count; i++) {
    if (at >= input.length || input[at] !== 36 /* $ */) return Math.max(have + 1, at - start + 1)
    const end = lineEnd(at)
    if (end < 0) return have + 1
    const length = number(at + 1, end)
    if (length < 0) return have + 1
    at = end + 2 + length + 2
    if (at > input.length) {
      // Each later argument needs at least 6 more bytes ("$0\r\n\r\n").
      return at - start + (count - i - 1) * 6
    }
  }
  return have + 1
}
