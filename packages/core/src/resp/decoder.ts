// Incremental RESP2 decoders. Symmetric with encoder.ts:
//
//   RequestDecoder  ← encodeCommand   commands, as a server reads them (multibulk, or inline)
//   RespDecoder     ← encodeValue     replies, as a client reads them (any type, nested)
//
// Both take chunks as they arrive (`push`) and hand out whole values (`next`), keeping partial state
// between chunks the way Redis's processMultibulkBuffer does, so a command with many arguments or a
// large bulk that arrives in many pieces is read in linear time. Malformed input throws a
// RespProtocolError and a value over a limit a RespLimitError; both carry the absolute byte position
// and the text Redis would reply with. After an error the decoder is unusable: the stream has lost
// its framing, so the peer must be disconnected (as Redis does).
import { bytesToByteString, type ByteString } from '../bytes.ts'
import { ByteQueue } from '../byte-queue.ts'
import { RespLimitError, RespProtocolError } from './errors.ts'
import { resolveRespLimits, type RespLimits } from './limits.ts'
import type { RespValue } from './value.ts'

const CR = 13
const LF = 10
// Command names are short; a long first argument is not worth comparing or keeping.
const MAX_REUSED_NAME_BYTES = 32
// A line over its limit is refused before its CRLF arrives: its length is what has been seen so far.
const LINE_UNIT = ' bytes without CRLF'

/** Parses a CRLF-less line as a signed decimal integer the way Redis's string2ll does, or null. */
function parseInteger(line: Uint8Array, from = 0): number | null {
  const length = line.length - from
  if (length === 0 || length > 20) return null
  let i = from
  let negative = false
  if (line[i] === 45 /* - */) {
    negative = true
    i++
    if (i === line.length) return null
  }
  if (line[i] === 48 /* 0 */) return line.length - i === 1 && !negative ? 0 : null
  let value = 0
  for (; i < line.length; i++) {
    const digit = line[i]! - 48
    if (digit < 0 || digit > 9) return null
    value = value * 10 + digit
  }
  if (!Number.isSafeInteger(value)) return null
  return negative ? -value : value
}

function printable(byte: number): string {
  return byte >= 32 && byte < 127 ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`
}

function describeLine(line: Uint8Array): string {
  const shown = bytesToByteString(line, 0, Math.min(line.length, 32))
  return JSON.stringify(shown + (line.length > 32 ? '…' : ''))
}

export interface RequestDecoderOptions extends Partial<RespLimits> {
  /**
   * Accept inline commands (`SET k v\r\n`), as Redis does for telnet users. A replica reading its
   * master's stream refuses them, as Redis does.
   * @default true
   */
  readonly allowInline?: boolean
}

/**
 * Reads commands: RESP arrays of bulk strings, or inline commands. `next()` returns each command's
 * arguments; a bare newline is returned as an empty command (Redis replicas send it as a keep-alive).
 * `lastCommandBytes` is the encoded size of the command `next()` returned last: replication offsets
 * are counted with it.
 */
export class RequestDecoder {
  readonly #queue = new ByteQueue()
  readonly #limits: RespLimits
  readonly #allowInline: boolean
  #args: ByteString[] | null = null
  #remaining = 0
  #bulkLength = -1
  #commandStart = 0
  #lastCommandBytes = 0
  /** The last command name read on the fast path, handed out again while names repeat. */
  #name: ByteString = ''

  constructor(options: RequestDecoderOptions = {}) {
    const { allowInline = true, ...limits } = options
    this.#limits = resolveRespLimits(limits)
    this.#allowInline = allowInline
  }

  /** Absolute stream position up to which input has been decoded into returned commands. */
  get offset(): number {
    return this.#args === null ? this.#queue.offset : this.#commandStart
  }

  /** Size in bytes, as received, of the command returned by the last `next()`. */
  get lastCommandBytes(): number {
    return this.#lastCommandBytes
  }

  /** Bytes received but not yet part of a returned command. */
  get buffered(): number {
    return this.#queue.offset + this.#queue.available - this.offset
  }

  push(chunk: Uint8Array): void {
    this.#queue.push(chunk)
  }

  /** Returns the next whole command, or undefined until more input arrives. */
  next(): ByteString[] | undefined {
    if (this.#args === null) {
      const whole = this.#nextInChunk()
      if (whole !== undefined) return whole
    }
    const q = this.#queue
    const limits = this.#limits
    for (;;) {
      if (this.#args === null) {
        const first = q.peek()
        if (first === -1) return undefined
        this.#commandStart = q.offset
        if (first !== 42 /* * */) return this.#readInline()
        const line = q.readLine(limits.maxInlineBytes + 2)
        if (line === undefined) {
          if (q.available > limits.maxInlineBytes) {
            throw new RespLimitError('Protocol error: too big mbulk count string', 'maxInlineBytes', limits.maxInlineBytes, q.available, q.offset, 'Multibulk header of')
          }
          return undefined
        }
        if (line === null) this.#fail('Protocol error: invalid multibulk length', 'the header line ends in LF without CR', q.offset)
        const count = parseInteger(line, 1)
        if (count === null) this.#fail('Protocol error: invalid multibulk length', `header ${describeLine(line)}`, this.#commandStart)
        if (count > limits.maxArrayLength) {
          throw new RespLimitError('Protocol error: invalid multibulk length', 'maxArrayLength', limits.maxArrayLength, count, this.#commandStart, 'Command with argument count')
        }
        // `*0` and `*-1` are empty requests that Redis skips.
        if (count <= 0) continue
        this.#args = []
        this.#remaining = count
        this.#bulkLength = -1
      }

      const args: ByteString[] = this.#args
      while (this.#remaining > 0) {
        if (this.#bulkLength < 0) {
          const first = q.peek()
          if (first === -1) return undefined
          if (first !== 36 /* $ */) {
            this.#fail(`Protocol error: expected '$', got '${printable(first)}'`, 'each argument of a command must be a bulk string', q.offset)
          }
          const headerAt = q.offset
          const line = q.readLine(limits.maxInlineBytes + 2)
          if (line === undefined) {
            if (q.available > limits.maxInlineBytes) {
              throw new RespLimitError('Protocol error: too big bulk count string', 'maxInlineBytes', limits.maxInlineBytes, q.available, q.offset, 'Bulk header line of', LINE_UNIT)
            }
            return undefined
          }
          if (line === null) this.#fail('Protocol error: invalid bulk length', 'the header line ends in LF without CR', headerAt)
          const length = parseInteger(line, 1)
          if (length === null || length < 0) this.#fail('Protocol error: invalid bulk length', `header ${describeLine(line)}`, headerAt)
          if (length > limits.maxBulkBytes) {
            throw new RespLimitError('Protocol error: invalid bulk length', 'maxBulkBytes', limits.maxBulkBytes, length, headerAt, 'Bulk length')
          }
          this.#bulkLength = length
        }
        const length = this.#bulkLength
        const view = q.view(length + 2)
        if (view === undefined) return undefined
        const { bytes, start } = view
        if (bytes[start + length] !== CR || bytes[start + length + 1] !== LF) {
          this.#fail('Protocol error: invalid bulk length', `the ${length}-byte bulk is not followed by CRLF`, q.offset + length)
        }
        args.push(bytesToByteString(bytes, start, start + length))
        q.skip(length + 2)
        this.#bulkLength = -1
        this.#remaining--
      }
      this.#args = null
      this.#lastCommandBytes = q.offset - this.#commandStart
      return args
    }
  }

  /**
   * The fast path: a well-formed command that lies whole in the queue's current chunk (nearly every
   * command of a pipelined burst or a replication stream) is read in place, with no line views or
   * intermediate objects. Anything else (a command cut by a chunk boundary, an inline command, `*0`,
   * leading zeros, a header over a limit, malformed input) returns undefined having consumed
   * nothing, and the general path below reads it, reporting errors and limits with their positions.
   */
  #nextInChunk(): ByteString[] | undefined {
    const q = this.#queue
    const bytes = q.chunk
    const end = bytes.length
    const start = q.chunkPosition
    if (start >= end || bytes[start] !== 42 /* * */) return undefined
    const limits = this.#limits
    // Header digits: at most 15 (any count or length past 10^15 is over a limit anyway), and never
    // more than maxInlineBytes allows for the header line.
    const maxDigits = Math.min(15, limits.maxInlineBytes - 1)
    let p = start + 1
    let count = 0
    let digits = 0
    for (; p < end; p++) {
      const d = bytes[p]! - 48
      if (d < 0 || d > 9) break
      count = count * 10 + d
      digits++
    }
    if (digits === 0 || digits > maxDigits || (digits > 1 && bytes[start + 1] === 48)) return undefined
    if (p + 1 >= end || bytes[p] !== CR || bytes[p + 1] !== LF) return undefined
    if (count === 0 || count > limits.maxArrayLength) return undefined
    p += 2
    // Sized up front: a `[]` grown by push gets room for 16 arguments, garbage for a 3-argument SET.
    const args: ByteString[] = new Array<ByteString>(count)
    for (let i = 0; i < count; i++) {
      if (p >= end || bytes[p] !== 36 /* $ */) return undefined
      const lengthAt = ++p
      let length = 0
      for (; p < end; p++) {
        const d = bytes[p]! - 48
        if (d < 0 || d > 9) break
        length = length * 10 + d
      }
      digits = p - lengthAt
      if (digits === 0 || digits > maxDigits || (digits > 1 && bytes[lengthAt] === 48)) return undefined
      if (p + 1 >= end || bytes[p] !== CR || bytes[p + 1] !== LF) return undefined
      if (length > limits.maxBulkBytes) return undefined
      p += 2
      const after = p + length
      if (after + 1 >= end || bytes[after] !== CR || bytes[after + 1] !== LF) return undefined
      if (i === 0 && length <= MAX_REUSED_NAME_BYTES) {
        // A pipeline or a replication stream repeats one name: reuse its string (no allocation, and
        // its hash is already computed for the command table lookup).
        const name = this.#name
        let same = name.length === length
        for (let j = 0; same && j < length; j++) same = bytes[p + j] === name.charCodeAt(j)
        if (same) args[0] = name
        else args[0] = this.#name = bytesToByteString(bytes, p, after)
      } else {
        args[i] = bytesToByteString(bytes, p, after)
      }
      p = after + 2
    }
    const size = p - start
    this.#commandStart = q.offset
    q.skip(size)
    this.#lastCommandBytes = size
    return args
  }

  #readInline(): ByteString[] | undefined {
    const q = this.#queue
    const limit = this.#limits.maxInlineBytes
    const line = q.readLine(limit + 2, true)
    if (line === undefined) {
      if (q.available > limit) {
        throw new RespLimitError('Protocol error: too big inline request', 'maxInlineBytes', limit, q.available, q.offset, 'Inline command line of', LINE_UNIT)
      }
      return undefined
    }
    if (line === null) throw new Error('unreachable: bare LF is accepted for inline commands')
    const args = line.length === 0 ? [] : splitInlineArgs(line, this.#commandStart)
    if (args.length > 0 && !this.#allowInline) {
      this.#fail('Protocol error: inline commands are not accepted here', `got ${describeLine(line)}`, this.#commandStart)
    }
    this.#lastCommandBytes = q.offset - this.#commandStart
    return args
  }

  #fail(redisReply: string, detail: string, offset: number): never {
    throw new RespProtocolError(redisReply, detail, offset)
  }
}

const isSpace = (b: number): boolean => b === 32 || b === 9 || b === 10 || b === 13 || b === 11 || b === 12
const hexValue = (b: number): number =>
  b >= 48 && b <= 57 ? b - 48 : b >= 97 && b <= 102 ? b - 87 : b >= 65 && b <= 70 ? b - 55 : -1

/** Splits an inline command line into arguments with the quoting rules of Redis's sdssplitargs. */
export function splitInlineArgs(line: Uint8Array, offset = 0): ByteString[] {
  const args: ByteString[] = []
  let i = 0
  const n = line.length
  const unbalanced = (): never => {
    throw new RespProtocolError('Protocol error: unbalanced quotes in request', 'an inline argument has an unclosed quote', offset + i)
  }
  for (;;) {
    while (i < n && isSpace(line[i]!)) i++
    if (i >= n) return args
    let current = ''
    let inDouble = false
    let inSingle = false
    for (;;) {
      if (inDouble) {
        if (i >= n) unbalanced()
        const b = line[i]!
        if (b === 92 /* \ */ && i + 3 < n && line[i + 1] === 120 /* x */ && hexValue(line[i + 2]!) >= 0 && hexValue(line[i + 3]!) >= 0) {
          current += String.fromCharCode(hexValue(line[i + 2]!) * 16 + hexValue(line[i + 3]!))
          i += 3
        } else if (b === 92 && i + 1 < n) {
          i++
          const e = line[i]!
          current += e === 110 ? '\n' : e === 114 ? '\r' : e === 116 ? '\t' : e === 98 ? '\b' : e === 97 ? '\x07' : String.fromCharCode(e)
        } else if (b === 34 /* " */) {
          if (i + 1 < n && !isSpace(line[i + 1]!)) unbalanced()
          inDouble = false
          i++
          break
        } else {
          current += String.fromCharCode(b)
        }
      } else if (inSingle) {
        if (i >= n) unbalanced()
        const b = line[i]!
        if (b === 92 && i + 1 < n && line[i + 1] === 39 /* ' */) {
          current += "'"
          i++
        } else if (b === 39) {
          if (i + 1 < n && !isSpace(line[i + 1]!)) unbalanced()
          inSingle = false
          i++
          break
        } else {
          current += String.fromCharCode(b)
        }
      } else {
        if (i >= n) break
        const b = line[i]!
        if (isSpace(b)) break
        if (b === 34) inDouble = true
        else if (b === 39) inSingle = true
        else current += String.fromCharCode(b)
      }
      i++
    }
    args.push(current)
  }
}

interface ArrayFrame {
  readonly items: RespValue[]
  remaining: number
}

/** Reads RESP2 values of any type, nested arrays included, as a client reads replies. */
export class RespDecoder {
  readonly #queue = new ByteQueue()
  readonly #limits: RespLimits
  readonly #stack: ArrayFrame[] = []
  #bulkLength = -1

  constructor(limits: Partial<RespLimits> = {}) {
    this.#limits = resolveRespLimits(limits)
  }

  /** Absolute position of the next unread byte. */
  get offset(): number {
    return this.#queue.offset
  }

  push(chunk: Uint8Array): void {
    this.#queue.push(chunk)
  }

  /**
   * Hands the bytes not yet decoded to the caller and empties the decoder. Used when a connection
   * switches from replies to a raw payload (the RDB after `+FULLRESYNC`). Only valid between values.
   */
  takeRemaining(): Uint8Array {
    if (this.#stack.length > 0 || this.#bulkLength >= 0) {
      throw new Error('RespDecoder.takeRemaining() called in the middle of a value')
    }
    return this.#queue.takeAll()
  }

  /** Returns the next whole value, or undefined until more input arrives. */
  next(): RespValue | undefined {
    const q = this.#queue
    const limits = this.#limits
    for (;;) {
      let value: RespValue
      if (this.#bulkLength >= 0) {
        const length = this.#bulkLength
        const view = q.view(length + 2)
        if (view === undefined) return undefined
        if (view.bytes[view.start + length] !== CR || view.bytes[view.start + length + 1] !== LF) {
          throw new RespProtocolError('Protocol error: invalid bulk length', `the ${length}-byte bulk is not followed by CRLF`, q.offset + length)
        }
        value = { kind: 'bulk', value: bytesToByteString(view.bytes, view.start, view.start + length) }
        q.skip(length + 2)
        this.#bulkLength = -1
      } else {
        const at = q.offset
        const line = q.readLine(limits.maxInlineBytes + 2)
        if (line === undefined) {
          if (q.available > limits.maxInlineBytes) {
            throw new RespLimitError('Protocol error: too big reply line', 'maxInlineBytes', limits.maxInlineBytes, q.available, at, 'Reply line of', LINE_UNIT)
          }
          return undefined
        }
        if (line === null || line.length === 0) {
          throw new RespProtocolError('Protocol error: invalid reply', line === null ? 'a line ends in LF without CR' : 'an empty line where a value was expected', at)
        }
        const type = line[0]!
        switch (type) {
          case 43 /* + */:
            value = { kind: 'simple', value: bytesToByteString(line, 1) }
            break
          case 45 /* - */:
            value = { kind: 'error', message: bytesToByteString(line, 1) }
            break
          case 58 /* : */: {
            const n = parseInteger(line, 1)
            if (n !== null) value = { kind: 'integer', value: n }
            else {
              const text = bytesToByteString(line, 1)
              if (!/^-?(0|[1-9][0-9]{0,18})$/.test(text)) {
                throw new RespProtocolError('Protocol error: invalid integer', `integer reply ${describeLine(line)}`, at)
              }
              value = { kind: 'integer', value: BigInt(text) }
            }
            break
          }
          case 36 /* $ */: {
            const length = parseInteger(line, 1)
            if (length === null || length < -1) {
              throw new RespProtocolError('Protocol error: invalid bulk length', `header ${describeLine(line)}`, at)
            }
            if (length > limits.maxBulkBytes) {
              throw new RespLimitError('Protocol error: invalid bulk length', 'maxBulkBytes', limits.maxBulkBytes, length, at, 'Bulk length')
            }
            if (length === -1) {
              value = { kind: 'bulk', value: null }
              break
            }
            this.#bulkLength = length
            continue
          }
          case 42 /* * */: {
            const count = parseInteger(line, 1)
            if (count === null || count < -1) {
              throw new RespProtocolError('Protocol error: invalid multibulk length', `header ${describeLine(line)}`, at)
            }
            if (count > limits.maxArrayLength) {
              throw new RespLimitError('Protocol error: invalid multibulk length', 'maxArrayLength', limits.maxArrayLength, count, at, 'Array length')
            }
            if (count === -1) {
              value = { kind: 'array', value: null }
              break
            }
            if (count === 0) {
              value = { kind: 'array', value: [] }
              break
            }
            if (this.#stack.length >= limits.maxArrayDepth) {
              throw new RespLimitError('Protocol error: too deeply nested reply', 'maxArrayDepth', limits.maxArrayDepth, this.#stack.length + 1, at, 'Array nesting depth')
            }
            this.#stack.push({ items: [], remaining: count })
            continue
          }
          default:
            throw new RespProtocolError('Protocol error: invalid reply', `unknown type byte '${printable(type)}'`, at)
        }
      }
      // Hand the finished value to the array being built, closing arrays that become complete.
      for (;;) {
        const top = this.#stack[this.#stack.length - 1]
        if (top === undefined) return value
        top.items.push(value)
        if (--top.remaining > 0) break
        this.#stack.pop()
        value = { kind: 'array', value: top.items }
      }
    }
  }
}
