// The file adapter's append-only log: one frame per group of commits, each frame checked by its
// length and a checksum, so that a crash that tore the last write is detected and cut off.
//
//   file   := "RCLOG001" frame*
//   frame  := u32le payloadBytes · checksum (8 bytes LE) · payload
//   checksum = CRC-64/Jones (as in RDB) of payloadBytes' 4 bytes and the payload, started from
//              FRAME_CRC_SEED instead of 0: from 0, a run of zero bytes has checksum 0, and zeros
//              are exactly what a crash can leave where a file grew (a zero "frame" would pass)
//   payload:= u8 version (1) · meta · u32le changeCount · change*
//   meta   := u16le replidBytes · replid · f64le offset · i32le selectedDb
//   change := u8 1 (set)      · u16le db · u32le keyBytes · key · u8 hasExpiry · [f64le expireAt]
//                              · u32le valueBytes · value (writeRdbValue: RDB type byte + payload)
//           | u8 2 (delete)   · u16le db · u32le keyBytes · key
//           | u8 3 (flush-db) · u16le db
//           | u8 4 (flush-all)
//
// A frame holds the changes of one or more commits in order and the meta of the last one: group
// commit (file.ts) writes everything queued behind an fsync as one frame, so a frame is also the
// unit of atomicity after a crash. Offsets and expiries are f64: exact for every safe integer.
//
// Torn tail or corruption? With fsync 'always' each frame is written by one write() and made durable
// before the next is written, so only the last frame can be damaged by a crash. A damaged frame
// (short header, impossible length, short payload, wrong checksum) with no valid frame after it is
// a torn tail: cut off, and the state is the last complete frame. A damaged frame followed by a
// valid one is damage to data that was once durable: StorageCorruptError.
import { bytesToByteString, Crc64, writeByteString } from '@replicast/core'
import type { ByteString, KeyRecord } from '@replicast/core'
import { decodeValue, freezeRecord, type PreparedChange } from './input.ts'
import { StorageCorruptError, type ReplicationMeta } from './storage.ts'

export const LOG_MAGIC = 'RCLOG001'
export const LOG_HEADER_BYTES = LOG_MAGIC.length
/** Payload length (4) and checksum (8). */
export const FRAME_HEADER_BYTES = 12
const PAYLOAD_VERSION = 1
/** The smallest possible payload: version, a 1-byte replid, offset, db, change count. */
const MIN_PAYLOAD_BYTES = 1 + 2 + 1 + 8 + 4 + 4
/** A frame's length field is 32 bits. */
export const MAX_PAYLOAD_BYTES = 0xffff_ffff

/** "REPLCAST" as a number: any nonzero start makes all-zero bytes fail the checksum. */
const FRAME_CRC_SEED = 0x5245504c43415354n

function frameChecksum(bytes: Uint8Array, frameStart: number, frameEnd: number): Crc64 {
  return new Crc64(FRAME_CRC_SEED).update(bytes, frameStart, frameStart + 4).update(bytes, frameStart + FRAME_HEADER_BYTES, frameEnd)
}

const KIND_SET = 1
const KIND_DELETE = 2
const KIND_FLUSH_DB = 3
const KIND_FLUSH_ALL = 4

/** The bytes that start every log file. */
export function logHeader(): Uint8Array {
  const out = new Uint8Array(LOG_HEADER_BYTES)
  writeByteString(out, 0, LOG_MAGIC)
  return out
}

/** Encodes the changes of `commits` (in order) and the meta of the last one as one frame. */
export function encodeFrame(commits: readonly { readonly changes: readonly PreparedChange[]; readonly meta: ReplicationMeta }[]): Uint8Array {
  const meta = commits[commits.length - 1]!.meta
  let size = FRAME_HEADER_BYTES + 1 + 2 + meta.replid.length + 8 + 4 + 4
  let count = 0
  for (const commit of commits) {
    for (const change of commit.changes) {
      count++
      switch (change.kind) {
        case 'set':
          size += 1 + 2 + 4 + change.key.length + 1 + (change.expireAt === null ? 0 : 8) + 4 + change.bytes.length
          break
        case 'delete':
          size += 1 + 2 + 4 + change.key.length
          break
        case 'flush-db':
          size += 1 + 2
          break
        case 'flush-all':
          size += 1
          break
      }
    }
  }
  const payloadBytes = size - FRAME_HEADER_BYTES
  if (payloadBytes > MAX_PAYLOAD_BYTES) {
    throw new RangeError(`A log frame of ${payloadBytes} bytes exceeds the format's ${MAX_PAYLOAD_BYTES}; commit in smaller batches.`)
  }
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  let p = FRAME_HEADER_BYTES
  out[p++] = PAYLOAD_VERSION
  view.setUint16(p, meta.replid.length, true)
  p = writeByteString(out, p + 2, meta.replid)
  view.setFloat64(p, meta.offset, true)
  view.setInt32(p + 8, meta.selectedDb, true)
  view.setUint32(p + 12, count, true)
  p += 16
  const key = (s: ByteString) => {
    view.setUint32(p, s.length, true)
    p = writeByteString(out, p + 4, s)
  }
  for (const commit of commits) {
    for (const change of commit.changes) {
      switch (change.kind) {
        case 'set':
          out[p] = KIND_SET
          view.setUint16(p + 1, change.db, true)
          p += 3
          key(change.key)
          if (change.expireAt === null) out[p++] = 0
          else {
            out[p] = 1
            view.setFloat64(p + 1, change.expireAt, true)
            p += 9
          }
          view.setUint32(p, change.bytes.length, true)
          out.set(change.bytes, p + 4)
          p += 4 + change.bytes.length
          break
        case 'delete':
          out[p] = KIND_DELETE
          view.setUint16(p + 1, change.db, true)
          p += 3
          key(change.key)
          break
        case 'flush-db':
          out[p] = KIND_FLUSH_DB
          view.setUint16(p + 1, change.db, true)
          p += 3
          break
        case 'flush-all':
          out[p++] = KIND_FLUSH_ALL
          break
      }
    }
  }
  view.setUint32(0, payloadBytes, true)
  frameChecksum(out, 0, size).writeLE(out, 4)
  return out
}

/** A decoded change: like StorageChange, with the record frozen (the index keeps it). */
export type LogChange =
  | { readonly kind: 'set'; readonly record: KeyRecord }
  | { readonly kind: 'delete'; readonly db: number; readonly key: ByteString }
  | { readonly kind: 'flush-db'; readonly db: number }
  | { readonly kind: 'flush-all' }

export interface LogFrame {
  readonly meta: ReplicationMeta
  readonly changes: readonly LogChange[]
}

export interface LogScan {
  /** Bytes of the file up to the end of the last valid frame. */
  readonly validBytes: number
  /** Bytes after it: a torn tail to cut off (0 when the log is whole). */
  readonly tornBytes: number
  readonly frames: number
}

/** True when a whole, valid frame starts at `p`. */
function frameAt(bytes: Uint8Array, view: DataView, p: number): boolean {
  if (p + FRAME_HEADER_BYTES > bytes.length) return false
  const length = view.getUint32(p, true)
  if (length < MIN_PAYLOAD_BYTES || p + FRAME_HEADER_BYTES + length > bytes.length) return false
  return frameChecksum(bytes, p, p + FRAME_HEADER_BYTES + length).equalsLE(bytes, p + 4)
}

/**
 * Reads every frame of a log file's bytes, in order, into `onFrame`. Stops at a torn tail and reports
 * it; throws StorageCorruptError for a bad header, for damage followed by a valid frame, and for a
 * frame whose checksum holds but whose payload does not decode.
 */
export function scanLog(bytes: Uint8Array, path: string, onFrame: (frame: LogFrame) => void): LogScan {
  if (bytes.length < LOG_HEADER_BYTES || bytesToByteString(bytes, 0, LOG_HEADER_BYTES) !== LOG_MAGIC) {
    throw new StorageCorruptError(`${path} is not a Replicast storage log (it does not start with ${LOG_MAGIC}).`, { path, position: 0 })
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let p = LOG_HEADER_BYTES
  let frames = 0
  while (p < bytes.length) {
    if (!frameAt(bytes, view, p)) {
      for (let q = p + 1; q + FRAME_HEADER_BYTES + MIN_PAYLOAD_BYTES <= bytes.length; q++) {
        if (frameAt(bytes, view, q)) {
          throw new StorageCorruptError(
            `${path} is damaged at byte ${p}: the frame there fails its length or checksum, yet a valid frame follows at byte ${q}, ` +
              'so this is not a torn tail from a crash. Delete the storage directory; the replica will full-sync.',
            { path, position: p },
          )
        }
      }
      return { validBytes: p, tornBytes: bytes.length - p, frames }
    }
    const length = view.getUint32(p, true)
    const start = p + FRAME_HEADER_BYTES
    onFrame(decodePayload(bytes, view, start, start + length, path))
    frames++
    p = start + length
  }
  return { validBytes: p, tornBytes: 0, frames }
}

function decodePayload(bytes: Uint8Array, view: DataView, start: number, end: number, path: string): LogFrame {
  let p = start
  const fail = (detail: string): never => {
    throw new StorageCorruptError(`${path}: the frame at byte ${start - FRAME_HEADER_BYTES} has a valid checksum but ${detail}.`, { path, position: p })
  }
  const need = (n: number) => {
    if (p + n > end) fail(`ends inside it (needs ${n} more bytes at byte ${p})`)
  }
  const string = (length: number): ByteString => {
    need(length)
    const s = bytesToByteString(bytes, p, p + length)
    p += length
    return s
  }
  need(3)
  if (bytes[p] !== PAYLOAD_VERSION) fail(`payload version ${bytes[p]} (this version reads ${PAYLOAD_VERSION})`)
  const replidLength = view.getUint16(p + 1, true)
  p += 3
  const replid = string(replidLength)
  need(16)
  const meta: ReplicationMeta = { replid, offset: view.getFloat64(p, true), selectedDb: view.getInt32(p + 8, true) }
  const count = view.getUint32(p + 12, true)
  p += 16
  const changes: LogChange[] = []
  for (let i = 0; i < count; i++) {
    need(1)
    const kind = bytes[p++]
    switch (kind) {
      case KIND_SET: {
        need(6)
        const db = view.getUint16(p, true)
        const keyLength = view.getUint32(p + 2, true)
        p += 6
        const key = string(keyLength)
        need(1)
        let expireAt: number | null = null
        if (bytes[p++] === 1) {
          need(8)
          expireAt = view.getFloat64(p, true)
          p += 8
        }
        need(4)
        const valueLength = view.getUint32(p, true)
        p += 4
        need(valueLength)
        const value = decodeValue(bytes.subarray(p, p + valueLength), path)
        p += valueLength
        changes.push({ kind: 'set', record: freezeRecord({ db, key, value, expireAt }) })
        break
      }
      case KIND_DELETE: {
        need(6)
        const db = view.getUint16(p, true)
        const keyLength = view.getUint32(p + 2, true)
        p += 6
        changes.push({ kind: 'delete', db, key: string(keyLength) })
        break
      }
      case KIND_FLUSH_DB:
        need(2)
        changes.push({ kind: 'flush-db', db: view.getUint16(p, true) })
        p += 2
        break
      case KIND_FLUSH_ALL:
        changes.push({ kind: 'flush-all' })
        break
      default:
        fail(`an unknown change kind ${String(kind)} at byte ${p - 1}`)
    }
  }
  if (p !== end) fail(`${end - p} bytes after its last change`)
  return { meta, changes }
}
