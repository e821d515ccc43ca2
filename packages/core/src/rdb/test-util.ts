// Test helpers for the RDB codec: ways to feed a reader (whole, byte by byte, uneven chunks), and
// small builders of the encodings Redis 7 no longer writes but still loads (ziplist, zipmap) or
// writes only in later versions (set listpacks, hash field TTLs), following REDIS.md §8.7 and the
// Redis sources (listpack.c lpEncode*, ziplist.c zipStoreEntryEncoding, intset.c, zipmap.c).
import { byteStringToBytes, concatBytes, type ByteString } from '../bytes.ts'
import { Crc64 } from './crc64.ts'
import { RdbReader, type RdbEvent } from './reader.ts'
import type { RdbReaderOptions } from './limits.ts'
import type { RdbWarning } from './errors.ts'

export const bytes = (s: ByteString): Uint8Array => byteStringToBytes(s)
export const hexBytes = (hex: string): Uint8Array => Uint8Array.from(hex.replace(/\s+/g, '').match(/../g) ?? [], (h) => parseInt(h, 16))
export const toHex = (u: Uint8Array): string => Array.from(u, (b) => b.toString(16).padStart(2, '0')).join('')
/** Every byte value once, 0 to 255. */
export const ALL_BYTES: ByteString = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i))

/** The ways a test feeds a stream into the reader: one chunk, byte by byte, uneven pieces. */
export function feeds(input: Uint8Array): Array<{ readonly name: string; readonly chunks: Uint8Array[] }> {
  const byByte: Uint8Array[] = []
  for (let i = 0; i < input.length; i++) byByte.push(input.subarray(i, i + 1))
  const uneven: Uint8Array[] = []
  for (let i = 0, step = 1; i < input.length; i += step, step = ((step * 7) % 23) + 1) uneven.push(input.subarray(i, i + step))
  return [
    { name: 'whole', chunks: [input] },
    { name: 'byte by byte', chunks: byByte },
    { name: 'in uneven chunks', chunks: uneven },
  ]
}

/** Reads a whole file through RdbReader, in the given chunks, and finishes it. */
export function readAll(chunks: readonly Uint8Array[], options?: Partial<RdbReaderOptions>): { events: RdbEvent[]; warnings: RdbWarning[] } {
  const warnings: RdbWarning[] = []
  const reader = new RdbReader({ ...options, onWarning: (w) => warnings.push(w) })
  const events: RdbEvent[] = []
  for (const chunk of chunks) for (const event of reader.push(chunk)) events.push(event)
  reader.finish()
  return { events, warnings }
}

// ---- RDB primitives, hand-built ------------------------------------------------------------

/** rdbSaveLen. */
export function len(n: number): number[] {
  if (n < 64) return [n]
  if (n < 16384) return [0x40 | (n >> 8), n & 0xff]
  if (n <= 0xffffffff) return [0x80, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]
  const big = BigInt(n)
  return [0x81, ...Array.from({ length: 8 }, (_, i) => Number((big >> BigInt(56 - 8 * i)) & 0xffn))]
}

/** A plain RDB string: <len><bytes>. */
export function str(s: ByteString | Uint8Array): number[] {
  const b = typeof s === 'string' ? bytes(s) : s
  return [...len(b.length), ...b]
}

export function u16le(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff]
}
export function u32le(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]
}
export function i64le(n: number | bigint): number[] {
  const v = BigInt.asUintN(64, BigInt(n))
  return Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn))
}
export function f64le(x: number): number[] {
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, x, true)
  return Array.from(new Uint8Array(view.buffer))
}

/** A whole RDB file: `REDIS<version>`, the body, EOF, and the CRC (or 8 zero bytes). */
export function rdbFile(body: readonly number[], options: { version?: number; checksum?: boolean } = {}): Uint8Array {
  const version = options.version ?? 10
  const head = bytes('REDIS' + String(version).padStart(4, '0'))
  const withEof = concatBytes([head, Uint8Array.from(body), Uint8Array.of(0xff)])
  if (version < 5) return withEof
  const out = new Uint8Array(withEof.length + 8)
  out.set(withEof)
  if (options.checksum ?? true) new Crc64().update(withEof).writeLE(out, withEof.length)
  return out
}

// ---- Listpack (listpack.c) -------------------------------------------------------------------

export type PackedInput = ByteString | number | bigint

function lpEntry(e: PackedInput): number[] {
  let body: number[]
  if (typeof e === 'string') {
    const b = [...bytes(e)]
    if (b.length <= 63) body = [0x80 | b.length, ...b]
    else if (b.length <= 4095) body = [0xe0 | (b.length >> 8), b.length & 0xff, ...b]
    else body = [0xf0, ...u32le(b.length), ...b]
  } else {
    const v = BigInt(e)
    if (v >= 0n && v <= 127n) body = [Number(v)]
    else if (v >= -4096n && v <= 4095n) {
      const u = Number(BigInt.asUintN(13, v))
      body = [0xc0 | (u >> 8), u & 0xff]
    } else if (v >= -32768n && v <= 32767n) body = [0xf1, ...u16le(Number(BigInt.asUintN(16, v)))]
    else if (v >= -8388608n && v <= 8388607n) body = [0xf2, ...u32le(Number(BigInt.asUintN(24, v))).slice(0, 3)]
    else if (v >= -2147483648n && v <= 2147483647n) body = [0xf3, ...u32le(Number(BigInt.asUintN(32, v)))]
    else body = [0xf4, ...i64le(v)]
  }
  const l = body.length
  let backlen: number[]
  if (l <= 127) backlen = [l]
  else if (l < 16383) backlen = [l >> 7, (l & 127) | 128]
  else if (l < 2097151) backlen = [l >> 14, ((l >> 7) & 127) | 128, (l & 127) | 128]
  else backlen = [l >> 21, ((l >> 14) & 127) | 128, ((l >> 7) & 127) | 128, (l & 127) | 128]
  return [...body, ...backlen]
}

/** A listpack of the given entries, each in its smallest encoding. */
export function listpack(entries: readonly PackedInput[], options: { count?: number } = {}): Uint8Array {
  const body = entries.flatMap(lpEntry)
  const total = 6 + body.length + 1
  const count = options.count ?? (entries.length < 65535 ? entries.length : 65535)
  return Uint8Array.from([...u32le(total), ...u16le(count), ...body, 0xff])
}

// ---- Ziplist (ziplist.c) ---------------------------------------------------------------------

function zlEncoding(e: PackedInput): number[] {
  if (typeof e === 'string') {
    const b = [...bytes(e)]
    if (b.length <= 63) return [b.length, ...b]
    if (b.length <= 16383) return [0x40 | (b.length >> 8), b.length & 0xff, ...b]
    return [0x80, (b.length >>> 24) & 0xff, (b.length >>> 16) & 0xff, (b.length >>> 8) & 0xff, b.length & 0xff, ...b]
  }
  const v = BigInt(e)
  if (v >= 0n && v <= 12n) return [0xf1 + Number(v)]
  if (v >= -128n && v <= 127n) return [0xfe, Number(BigInt.asUintN(8, v))]
  if (v >= -32768n && v <= 32767n) return [0xc0, ...u16le(Number(BigInt.asUintN(16, v)))]
  if (v >= -8388608n && v <= 8388607n) return [0xf0, ...u32le(Number(BigInt.asUintN(24, v))).slice(0, 3)]
  if (v >= -2147483648n && v <= 2147483647n) return [0xd0, ...u32le(Number(BigInt.asUintN(32, v)))]
  return [0xe0, ...i64le(v)]
}

/** A ziplist of the given entries, each in its smallest encoding. */
export function ziplist(entries: readonly PackedInput[]): Uint8Array {
  const body: number[] = []
  let previous = 0
  let tail = 10
  for (const e of entries) {
    tail = 10 + body.length
    const prevlen = previous < 254 ? [previous] : [0xfe, ...u32le(previous)]
    const entry = [...prevlen, ...zlEncoding(e)]
    body.push(...entry)
    previous = entry.length
  }
  const total = 10 + body.length + 1
  return Uint8Array.from([...u32le(total), ...u32le(tail), ...u16le(Math.min(entries.length, 65535)), ...body, 0xff])
}

// ---- Intset (intset.c) and zipmap (zipmap.c) -------------------------------------------------

/** An intset of sorted, distinct integers in the given width (2, 4 or 8 bytes). */
export function intset(values: ReadonlyArray<number | bigint>, width: 2 | 4 | 8): Uint8Array {
  const out: number[] = [...u32le(width), ...u32le(values.length)]
  for (const v of values) out.push(...i64le(v).slice(0, width))
  return Uint8Array.from(out)
}

function zmLen(n: number): number[] {
  return n < 254 ? [n] : [0xfe, ...u32le(n)]
}

/** A zipmap of field/value pairs; `free` adds unused bytes after each value, as zipmapSet leaves them. */
export function zipmap(pairs: ReadonlyArray<readonly [ByteString, ByteString]>, free = 0): Uint8Array {
  const out: number[] = [pairs.length < 254 ? pairs.length : 254]
  for (const [field, value] of pairs) {
    out.push(...zmLen(field.length), ...bytes(field), ...zmLen(value.length), free, ...bytes(value))
    for (let i = 0; i < free; i++) out.push(0)
  }
  out.push(0xff)
  return Uint8Array.from(out)
}
