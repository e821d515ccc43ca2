// RESP2 encoder. Symmetric with decoder.ts:
//
//   encodeCommand(['SET', 'k', 'v'])  →  *3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n  ←  RequestDecoder
//   encodeValue(simple('OK'))          →  +OK\r\n                                  ←  RespDecoder
//
// Commands are always written in the multibulk form Redis uses for its own replication stream
// (replicationFeedSlaves): `*<argc>\r\n` then `$<len>\r\n<arg>\r\n` per argument. Offsets count these
// bytes exactly, so `commandByteLength` must agree with `writeCommand` byte for byte.
import { ByteWriter, writeByteString, type ByteString } from '../bytes.ts'
import type { RespValue } from './value.ts'

const CRLF = '\r\n'

/** Decimal digits of a non-negative safe integer, without allocating a string. */
function digitCount(n: number): number {
  let digits = 1
  while (n >= 10) {
    n = Math.floor(n / 10)
    digits++
  }
  return digits
}

/** The exact number of bytes `writeCommand(args)` produces. */
export function commandByteLength(args: readonly ByteString[]): number {
  let length = 3 + digitCount(args.length) // *<argc>\r\n
  for (const arg of args) length += 5 + digitCount(arg.length) + arg.length // $<len>\r\n<arg>\r\n
  return length
}

/** Appends one command as a RESP multibulk array of bulk strings. */
export function writeCommand(writer: ByteWriter, args: readonly ByteString[]): void {
  const size = commandByteLength(args)
  writeCommandInto(writer.room(size), writer.length, args)
  writer.advance(size)
}

/**
 * Writes one command into `target` from index `at`, which must have `commandByteLength(args)` bytes
 * of room; returns the index after it. For callers that own the buffer (the backlog's last block).
 */
export function writeCommandInto(target: Uint8Array, at: number, args: readonly ByteString[]): number {
  // Straight into the buffer: this runs once per propagated write, and a method call with its
  // capacity check per byte cost more than the bytes themselves.
  let p = writeDecimal(target, at, 42 /* * */, args.length)
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    p = writeDecimal(target, p, 36 /* $ */, arg.length)
    p = writeByteString(target, p, arg)
    target[p++] = 13
    target[p++] = 10
  }
  return p
}

/** Writes `<prefix><n>\r\n` at `at` (n a non-negative safe integer); returns the index after it. */
function writeDecimal(b: Uint8Array, at: number, prefix: number, n: number): number {
  b[at++] = prefix
  const end = at + digitCount(n)
  for (let p = end - 1; p >= at; p--) {
    b[p] = 48 + (n % 10)
    n = Math.floor(n / 10)
  }
  b[end] = 13
  b[end + 1] = 10
  return end + 2
}

/** Encodes one command as a RESP multibulk array of bulk strings. */
export function encodeCommand(args: readonly ByteString[]): Uint8Array {
  const writer = new ByteWriter(commandByteLength(args))
  writeCommand(writer, args)
  return writer.finish()
}

// Simple strings and errors cannot hold CR or LF (the line would end early). Redis replaces them
// with spaces in addReplyErrorLength for the same reason.
function writeLine(writer: ByteWriter, prefix: number, text: string): void {
  const b = writer.room(text.length + 3)
  let p = writer.length
  b[p++] = prefix
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    b[p++] = c === 13 || c === 10 ? 32 : c
  }
  b[p++] = 13
  b[p++] = 10
  writer.advance(text.length + 3)
}

/** Appends one RESP2 value. */
export function writeValue(writer: ByteWriter, value: RespValue): void {
  // Without template strings: this answers every command of a pipelined burst.
  switch (value.kind) {
    case 'simple':
      writeLine(writer, 43 /* + */, value.value)
      return
    case 'error':
      writeLine(writer, 45 /* - */, value.message)
      return
    case 'integer':
      writer.byteString(`:${value.value}${CRLF}`)
      return
    case 'bulk':
      if (value.value === null) writer.byteString(`$-1${CRLF}`)
      else writer.byte(36 /* $ */).decimal(value.value.length).byte(13).byte(10).byteString(value.value).byte(13).byte(10)
      return
    case 'array':
      if (value.value === null) {
        writer.byteString(`*-1${CRLF}`)
        return
      }
      writer.byte(42 /* * */).decimal(value.value.length).byte(13).byte(10)
      for (const element of value.value) writeValue(writer, element)
      return
  }
}

/** Encodes one RESP2 value. */
export function encodeValue(value: RespValue): Uint8Array {
  const writer = new ByteWriter(64)
  writeValue(writer, value)
  return writer.finish()
}
