// Reads on a replica are Redis read commands run against its read-only dataset, so their replies
// are exactly Redis's (WRONGTYPE, ranges, scores, hidden expired keys). This file turns replies into
// JavaScript values, and answers a read from storage, key by key, before the dataset is loaded.
import { bytesToByteString, byteStringToBytes, byteStringToUtf8, Dataset, ReplicastError, utf8ToByteString, type ByteString, type KeyRecord, type RespValue } from '@replicast/core'

/** A read's argument as callers give it: text (sent as UTF-8), raw bytes, or a number. */
export type ReadArg = string | Uint8Array | number

/** A read's argument as the dataset takes it. */
export function argToByteString(arg: ReadArg): ByteString {
  if (typeof arg === 'number') return String(arg)
  if (typeof arg === 'string') return utf8ToByteString(arg)
  return bytesToByteString(arg)
}

/** A reply as JavaScript: bulk strings as text (UTF-8) or bytes, integers as numbers, arrays as arrays. */
export type ReplyValue = string | Uint8Array | number | bigint | null | ReplyValue[]

/** A command the replica's dataset refused (WRONGTYPE, syntax, READONLY for writes). */
export class ReplicaCommandError extends ReplicastError {
  constructor(readonly reply: string) {
    super('ERR_REPLICA_COMMAND', reply)
  }
}

export function toReplyValue(value: RespValue, encoding: 'utf8' | 'bytes'): ReplyValue {
  switch (value.kind) {
    case 'simple': return value.value
    case 'error': throw new ReplicaCommandError(value.message)
    case 'integer': return value.value
    case 'bulk':
      if (value.value === null) return null
      return encoding === 'utf8' ? byteStringToUtf8(value.value) : byteStringToBytes(value.value)
    case 'array': return value.value === null ? null : value.value.map((v) => toReplyValue(v, encoding))
  }
}

// Read commands whose keys are all their arguments; every other keyed read names one key, first.
const ALL_ARGS_ARE_KEYS = new Set(['mget', 'exists'])
// Reads that need the whole dataset (they cannot be answered key by key from storage).
const WHOLE_DATASET = new Set(['keys', 'scan', 'dbsize', 'randomkey'])
const NO_KEYS = new Set(['ping', 'echo'])

/** The keys a read touches, or 'all' when it needs the whole dataset. */
export function readKeys(argv: readonly ByteString[]): readonly ByteString[] | 'all' {
  const name = argv[0]!.toLowerCase()
  if (WHOLE_DATASET.has(name)) return 'all'
  if (NO_KEYS.has(name)) return []
  if (ALL_ARGS_ARE_KEYS.has(name)) return argv.slice(1)
  return argv.length > 1 ? [argv[1]!] : []
}

/** Where a read that comes before the dataset is loaded finds what it needs. */
export interface UnloadedSource {
  /** The stored record of a key. */
  get(db: number, key: ByteString): Promise<KeyRecord | undefined>
  loaded(): boolean
  /** Resolves once the dataset is loaded. */
  whenLoaded(): Promise<void>
}

/**
 * Answers a read while the dataset is not loaded yet, from a one-off dataset holding just the keys
 * it needs, read from storage. Resolves to null when the loaded dataset must answer instead: the
 * read needs the whole dataset (null once it is loaded), or the dataset got loaded while the keys
 * were being read (it may be newer than what was read).
 */
export async function readBeforeLoad(argv: ByteString[], db: number, source: UnloadedSource): Promise<RespValue | null> {
  const keys = readKeys(argv)
  if (keys === 'all') {
    await source.whenLoaded()
    return null
  }
  const records = await Promise.all(keys.map((key) => source.get(db, key)))
  if (source.loaded()) return null
  const partial = new Dataset({ role: 'replica' })
  for (const record of records) if (record !== undefined) partial.loadRecord(record)
  const session = partial.createSession()
  session.db = db
  return partial.execute(session, argv, Date.now()).reply
}
