// RESP2 encoder. Symmetric with decoder.ts:
//
//   encodeCommand(['SET', 'k', 'v'])  →  *3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n  ←  RequestDecoder
//   encodeValue(simple('OK'))          →  +OK\r\n                                  ←  RespDecoder
//
// Commands are always written in the multibulk form Redis uses for its own replication stream
// (replicationFeedSlaves): `*<argc>\r\n` then `$<len>\r\n<arg>\r\n` per argument. Offsets count these
// bytes exactly, so `commandByteLength` must agree with `writeCommand` byte for byte.
import { ByteWriter, type ByteString } from '../bytes.ts'
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
  // Byte by byte rather than through template strings: this runs once per propagated write.
  writer.byte(42 /* * */).decimal(args.length).byte(13).byte(10)
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    writer.byte(36 /* $ */).decimal(arg.length).byte(13).byte(10).byteString(arg).byte(13).byte(10)
  }
}

/** Encodes one command as a RESP multibulk array of bulk strings. */
export function encodeCommand(args: readonly ByteString[]): Uint8Array {
  const writer = new ByteWriter(commandByteLength(args))
  writeCommand(writer, args)
  return writer.finish()
}

// Simple strings and errors cannot hold CR or LF (the line would end early). Redis replaces them
// with spaces in addReplyErrorLength for the same reason.
function singleLine(text: string): string {
  return /[\r\n]/.test(text) ? text.replace(/[\r\n]/g, ' ') : text
}

/** Appends one RESP2 value. */
export function writeValue(writer: ByteWriter, value: RespValue): void {
  switch (value.kind) {
    case 'simple':
      writer.byteString(`+${singleLine(value.value)}${CRLF}`)
      return
    case 'error':
      writer.byteString(`-${singleLine(value.message)}${CRLF}`)
      return
    case 'integer':
      writer.byteString(`:${value.value}${CRLF}`)
      return
    case 'bulk':
      if (value.value === null) writer.byteString(`$-1${CRLF}`)
      else writer.byteString(`$${value.value.length}${CRLF}`).byteString(value.value).byteString(CRLF)
      return
    case 'array':
      if (value.value === null) {
        writer.byteString(`*-1${CRLF}`)
        return
      }
      writer.byteString(`*${value.value.length}${CRLF}`)
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
