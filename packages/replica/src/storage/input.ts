// What every adapter checks and converts in the same way, so that a bad record fails identically
// everywhere and before anything is written (which is what keeps a rejected commit from being
// half-applied), and so that values are serialized by the one codec the core owns (the RDB value
// encoding: `writeRdbValue` / `readRdbValue`).
import { isByteString, readRdbValue, writeRdbValue } from '@replicast/core'
import type { ByteString, KeyRecord, PlainValue } from '@replicast/core'
import {
  STORAGE_CHANGE_KINDS,
  StorageCorruptError,
  StorageError,
  StorageInputError,
  type ReplicationMeta,
  type StorageChange,
} from './storage.ts'

/** Highest db index a store accepts (the file log stores it in 16 bits). Redis's default is 15. */
export const MAX_DB_INDEX = 0xffff

export function checkDb(db: number, what = 'db'): void {
  if (!Number.isInteger(db) || db < 0 || db > MAX_DB_INDEX) {
    throw new StorageInputError(`${what} must be an integer from 0 to ${MAX_DB_INDEX}, got ${String(db)}.`)
  }
}

export function checkKey(key: ByteString): void {
  if (typeof key !== 'string' || !isByteString(key)) {
    throw new StorageInputError(
      'A key must be a ByteString (a string of char codes 0..255, one per byte); encode text with utf8ToByteString.',
    )
  }
}

export function checkRecord(record: KeyRecord): void {
  checkDb(record.db)
  checkKey(record.key)
  const { expireAt, value } = record
  if (expireAt !== null && !Number.isSafeInteger(expireAt)) {
    throw new StorageInputError(`expireAt must be null or an integer of Unix ms, got ${String(expireAt)}.`)
  }
  // Redis never keeps an empty collection (the key is deleted instead), an RDB must not contain one
  // (REDIS.md §8.4) and a reader skips it; storing one would make adapters disagree.
  const size =
    value === null || typeof value !== 'object'
      ? undefined
      : value.type === 'list' ? value.items.length
      : value.type === 'set' ? value.members.length
      : value.type === 'hash' ? value.fields.length
      : value.type === 'zset' ? value.entries.length
      : value.type === 'string' ? 1
      : undefined
  if (size === undefined) {
    throw new StorageInputError(`The value of key ${JSON.stringify(record.key)} is not a PlainValue (type ${JSON.stringify((value as { type?: unknown } | null)?.type)}).`)
  }
  if (size === 0) {
    throw new StorageInputError(`The ${value.type} at key ${JSON.stringify(record.key)} is empty; Redis deletes an empty collection, so commit a delete instead.`)
  }
  if (value.type === 'zset') {
    for (const entry of value.entries) {
      if (typeof entry[1] !== 'number' || Number.isNaN(entry[1])) {
        throw new StorageInputError(`The zset at key ${JSON.stringify(record.key)} has a NaN or non-number score; Redis never stores one.`)
      }
    }
  }
  // Elements are not re-checked to be ByteStrings (that would read every byte of every value); the
  // core's decoders only produce ByteStrings.
}

export function checkChange(change: StorageChange): void {
  switch (change.kind) {
    case 'set':
      return checkRecord(change.record)
    case 'delete':
      checkDb(change.db)
      return checkKey(change.key)
    case 'flush-db':
      return checkDb(change.db)
    case 'flush-all':
      return
    default:
      throw new StorageInputError(
        `Unknown change kind ${JSON.stringify((change as { kind: unknown }).kind)}; expected one of ${STORAGE_CHANGE_KINDS.join(', ')}.`,
      )
  }
}

export function checkMeta(meta: ReplicationMeta): void {
  if (meta === null || typeof meta !== 'object') throw new StorageInputError('meta must be a ReplicationMeta object.')
  if (typeof meta.replid !== 'string' || meta.replid.length === 0 || !isByteString(meta.replid)) {
    throw new StorageInputError(`meta.replid must be a non-empty byte string, got ${JSON.stringify(meta.replid)}.`)
  }
  if (!Number.isSafeInteger(meta.offset) || meta.offset < 0) {
    throw new StorageInputError(`meta.offset must be a safe integer >= 0, got ${String(meta.offset)}.`)
  }
  if (meta.selectedDb !== -1) checkDb(meta.selectedDb, 'meta.selectedDb (or -1)')
}

/**
 * Serializes a value with the core's RDB codec (one value's type byte and payload). A value the codec
 * refuses (a NaN score) becomes a StorageInputError.
 */
export function encodeValue(record: KeyRecord): Uint8Array {
  try {
    return writeRdbValue(record.value)
  } catch (error) {
    throw new StorageInputError(
      `The ${record.value.type} at key ${JSON.stringify(record.key)} cannot be serialized: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
}

/** The inverse of `encodeValue`. Bytes that do not decode mean the store is damaged. */
export function decodeValue(bytes: Uint8Array, where: string): PlainValue {
  try {
    return readRdbValue(bytes)
  } catch (error) {
    throw new StorageCorruptError(`A stored value in ${where} does not decode: ${error instanceof Error ? error.message : String(error)}`, {}, { cause: error })
  }
}

/** A fresh plain copy, so a caller's later mutation of its object cannot reach the store. */
export function copyMeta(meta: ReplicationMeta): ReplicationMeta {
  return { replid: meta.replid, offset: meta.offset, selectedDb: meta.selectedDb }
}

/** Turns a failure of an underlying API into a StorageError, keeping typed ones as they are. */
export function asStorageError(error: unknown, doing: string): StorageError {
  if (error instanceof StorageError) return error
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  return new StorageError(`Storage failed while ${doing}: ${detail}`, { cause: error })
}

/** A record checked and serialized, detached from the caller's objects. */
export interface PreparedRecord {
  readonly db: number
  readonly key: ByteString
  /** `writeRdbValue(record.value)`. */
  readonly bytes: Uint8Array
  readonly expireAt: number | null
}

/** A change checked and serialized, detached from the caller's objects. */
export type PreparedChange =
  | ({ readonly kind: 'set' } & PreparedRecord)
  | { readonly kind: 'delete'; readonly db: number; readonly key: ByteString }
  | { readonly kind: 'flush-db'; readonly db: number }
  | { readonly kind: 'flush-all' }

export function prepareRecord(record: KeyRecord): PreparedRecord {
  checkRecord(record)
  return { db: record.db, key: record.key, bytes: encodeValue(record), expireAt: record.expireAt }
}

/** Checks and serializes every change; throws (a StorageInputError) before returning anything if one is bad. */
export function prepareChanges(changes: readonly StorageChange[]): PreparedChange[] {
  if (!Array.isArray(changes)) throw new StorageInputError('changes must be an array of StorageChange.')
  const out: PreparedChange[] = new Array(changes.length)
  for (let i = 0; i < changes.length; i++) {
    const change = changes[i]!
    checkChange(change)
    switch (change.kind) {
      case 'set':
        out[i] = { kind: 'set', ...prepareRecord(change.record) }
        break
      case 'delete':
        out[i] = { kind: 'delete', db: change.db, key: change.key }
        break
      case 'flush-db':
        out[i] = { kind: 'flush-db', db: change.db }
        break
      case 'flush-all':
        out[i] = { kind: 'flush-all' }
        break
    }
  }
  return out
}

/** The record a stored value stands for (decoded afresh: the caller owns it). */
export function toKeyRecord(db: number, key: ByteString, bytes: Uint8Array, expireAt: number | null, where: string): KeyRecord {
  return { db, key, value: decodeValue(bytes, where), expireAt }
}

/** Freezes a record and everything in it, in place (for records the store owns and hands out). */
export function freezeRecord(record: KeyRecord): KeyRecord {
  const value = record.value
  switch (value.type) {
    case 'list':
      Object.freeze(value.items)
      break
    case 'set':
      Object.freeze(value.members)
      break
    case 'hash':
      for (const pair of value.fields) Object.freeze(pair)
      Object.freeze(value.fields)
      break
    case 'zset':
      for (const pair of value.entries) Object.freeze(pair)
      Object.freeze(value.entries)
      break
    case 'string':
      break
  }
  Object.freeze(value)
  return Object.freeze(record)
}

/** A deep, frozen copy of a caller's record (checked by the caller first). */
export function frozenCopy(record: KeyRecord): KeyRecord {
  const value = record.value
  let copy: PlainValue
  switch (value.type) {
    case 'string':
      copy = { type: 'string', value: value.value }
      break
    case 'list':
      copy = { type: 'list', items: value.items.slice() }
      break
    case 'set':
      copy = { type: 'set', members: value.members.slice() }
      break
    case 'hash':
      copy = { type: 'hash', fields: value.fields.map((pair) => [pair[0], pair[1]] as const) }
      break
    case 'zset':
      copy = { type: 'zset', entries: value.entries.map((pair) => [pair[0], pair[1]] as const) }
      break
  }
  return freezeRecord({ db: record.db, key: record.key, value: copy, expireAt: record.expireAt })
}
