// The packed batches of record-codec.ts: every change kind and value type round-trips, binary keys and
// values included, and a damaged batch is refused, never misread.
import { describe, expect, test } from 'vitest'
import type { KeyRecord } from '@replicast/core'
import type { StorageChange } from './storage.ts'
import { decodeChanges, decodeRecords, encodeChanges, encodeRecords, RecordCodecError, RecordPacker } from './record-codec.ts'

const allBytes = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i))
const records: KeyRecord[] = [
  { db: 0, key: 'plain', value: { type: 'string', value: 'v' }, expireAt: null },
  { db: 15, key: allBytes, value: { type: 'string', value: allBytes.repeat(300) }, expireAt: 1_900_000_000_123 },
  { db: 1, key: '__proto__', value: { type: 'list', items: ['a', '', allBytes] }, expireAt: null },
  { db: 2, key: 'set', value: { type: 'set', members: ['x', 'y'] }, expireAt: null },
  { db: 3, key: 'hash', value: { type: 'hash', fields: [['f', '1'], ['g', allBytes]] }, expireAt: 5 },
  { db: 65535, key: '', value: { type: 'zset', entries: [['m', -1.5], ['n', Infinity]] }, expireAt: null },
]

describe('record codec', () => {
  test('records round-trip through one transferable buffer', () => {
    const buffer = encodeRecords(records)
    expect(buffer).toBeInstanceOf(ArrayBuffer)
    expect(decodeRecords(buffer)).toEqual(records)
  })

  test('changes of every kind round-trip, in order', () => {
    const changes: StorageChange[] = [
      { kind: 'set', record: records[1]! },
      { kind: 'delete', db: 7, key: allBytes },
      { kind: 'flush-db', db: 3 },
      { kind: 'flush-all' },
      { kind: 'set', record: records[0]! },
    ]
    expect(decodeChanges(encodeChanges(changes))).toEqual(changes)
    expect(decodeChanges(encodeChanges([]))).toEqual([])
  })

  test('a packer grows past its initial buffer and starts over after finish()', () => {
    const packer = new RecordPacker(8)
    for (const record of records) packer.record(record)
    expect(packer.count).toBe(records.length)
    expect(decodeRecords(packer.finish())).toEqual(records)
    expect(packer.count).toBe(0)
    packer.delete(0, 'k')
    expect(decodeChanges(packer.finish())).toEqual([{ kind: 'delete', db: 0, key: 'k' }])
  })

  test('a truncated, padded or foreign buffer is refused', () => {
    const buffer = encodeRecords(records)
    expect(() => decodeRecords(buffer.slice(0, buffer.byteLength - 1))).toThrow(RecordCodecError)
    const padded = new Uint8Array(buffer.byteLength + 1)
    padded.set(new Uint8Array(buffer))
    expect(() => decodeRecords(padded.buffer)).toThrow(/ends at byte/)
    expect(() => decodeChanges(Uint8Array.of(1, 0, 0, 0, 9).buffer)).toThrow(/Unknown entry kind 9/)
    expect(() => decodeRecords(encodeChanges([{ kind: 'flush-all' }]))).toThrow(/holds only records/)
    expect(new RecordCodecError('x').code).toBe('ERR_STORAGE_CORRUPT')
  })
})
