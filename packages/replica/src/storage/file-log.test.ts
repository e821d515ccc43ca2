// The log's frames: every change kind round-trips, and recovery tells a torn tail (cut off) from
// damage to data that was complete once (StorageCorruptError), at every possible cut.
import { describe, expect, test } from 'vitest'
import { concatBytes } from '@replicast/core'
import { encodeFrame, logHeader, scanLog, type LogFrame } from './file-log.ts'
import { prepareChanges } from './input.ts'
import { STORAGE_ERROR_CODES, type ReplicationMeta, type StorageChange } from './storage.ts'

const all256 = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i))
const changes: StorageChange[] = [
  { kind: 'set', record: { db: 0, key: all256, value: { type: 'string', value: all256 }, expireAt: 1_900_000_000_123 } },
  { kind: 'set', record: { db: 65535, key: '', value: { type: 'zset', entries: [['m', -Infinity], ['n', 0.1]] }, expireAt: null } },
  { kind: 'set', record: { db: 3, key: '__proto__', value: { type: 'hash', fields: [['a', '']] }, expireAt: -5 } },
  { kind: 'delete', db: 7, key: '\x00\xff' },
  { kind: 'flush-db', db: 9 },
  { kind: 'flush-all' },
]
const meta = (offset: number): ReplicationMeta => ({ replid: 'r'.repeat(40), offset, selectedDb: -1 })

function scan(bytes: Uint8Array): { frames: LogFrame[]; validBytes: number; tornBytes: number } {
  const frames: LogFrame[] = []
  const { validBytes, tornBytes } = scanLog(bytes, 'test.log', (frame) => frames.push(frame))
  return { frames, validBytes, tornBytes }
}

describe('log frames', () => {
  test('every change kind, binary keys and values, and the meta round-trip; commits of a group are merged', () => {
    const frame = encodeFrame([
      { changes: prepareChanges(changes.slice(0, 3)), meta: meta(1) },
      { changes: prepareChanges(changes.slice(3)), meta: meta(Number.MAX_SAFE_INTEGER) },
    ])
    const { frames, tornBytes } = scan(concatBytes([logHeader(), frame]))
    expect(tornBytes).toBe(0)
    expect(frames).toEqual([{ meta: meta(Number.MAX_SAFE_INTEGER), changes }])
    expect(Object.isFrozen((frames[0]!.changes[0] as { record: object }).record)).toBe(true)
  })

  test('a cut at any byte of the last frame is a torn tail: the state is the frames before it', () => {
    const frames = [1, 2, 3].map((n) => encodeFrame([{ changes: prepareChanges(changes), meta: meta(n) }]))
    const log = concatBytes([logHeader(), ...frames])
    const lastStart = log.length - frames[2]!.length
    for (let cut = lastStart; cut < log.length; cut++) {
      const result = scan(log.subarray(0, cut))
      expect(result.frames.map((f) => f.meta.offset), `cut at ${cut}`).toEqual([1, 2])
      expect(result.validBytes).toBe(lastStart)
      expect(result.tornBytes).toBe(cut - lastStart)
    }
    // Zeros where the file grew but the data never landed, after a cut: still a torn tail.
    const zeroFilled = concatBytes([log.subarray(0, lastStart + 30), new Uint8Array(8192)])
    expect(scan(zeroFilled).frames).toHaveLength(2)
  })

  test('any damaged byte of the last frame is a torn tail; of an earlier frame, StorageCorruptError', () => {
    const frames = [1, 2].map((n) => encodeFrame([{ changes: prepareChanges(changes), meta: meta(n) }]))
    const log = concatBytes([logHeader(), ...frames])
    const secondStart = log.length - frames[1]!.length
    for (let at = secondStart; at < log.length; at += 7) {
      const damaged = Uint8Array.from(log)
      damaged[at]! ^= 0x55
      expect(scan(damaged).frames.map((f) => f.meta.offset), `damage at ${at}`).toEqual([1])
    }
    for (let at = logHeader().length; at < secondStart; at += 7) {
      const damaged = Uint8Array.from(log)
      damaged[at]! ^= 0x55
      expect(() => scan(damaged), `damage at ${at}`).toThrow(expect.objectContaining({ code: STORAGE_ERROR_CODES.corrupt }))
    }
  })

  test('a file that is not a log is StorageCorruptError', () => {
    expect(() => scan(new TextEncoder().encode('REDIS0010'))).toThrow(expect.objectContaining({ code: STORAGE_ERROR_CODES.corrupt }))
  })
})
