import { describe, expect, test } from 'vitest'
import { ReplicationBacklog } from './backlog.ts'
import { bytes, prng, text } from './test-util.ts'

const filled = (n: number, from = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (from + i) % 251)

describe('ReplicationBacklog', () => {
  test('Redis INFO numbers: 475 bytes from offset 0 → first_byte_offset 1, histlen 475', () => {
    const backlog = new ReplicationBacklog()
    expect(backlog.firstByteOffset).toBe(1)
    expect(backlog.histlen).toBe(0)
    expect(backlog.append(filled(475))).toEqual({ startOffset: 0, endOffset: 475 })
    expect(backlog.masterReplOffset).toBe(475)
    expect(backlog.firstByteOffset).toBe(1)
    expect(backlog.histlen).toBe(475)
    expect(backlog.sizeBytes).toBe(1024 * 1024)
  })

  test('a backlog created at a later offset (REDIS.md A.2: replica at 1000 → first byte 1001)', () => {
    const backlog = new ReplicationBacklog({}, 1000)
    expect(backlog.firstByteOffset).toBe(1001)
    expect(backlog.covers(1000)).toBe(true)
    expect(backlog.covers(999)).toBe(false)
    backlog.append(filled(252))
    expect(backlog.masterReplOffset).toBe(1252)
    expect(backlog.firstByteOffset).toBe(1001)
  })

  test('read returns the bytes after an offset, across block boundaries', () => {
    const backlog = new ReplicationBacklog({ sizeBytes: 1000, blockBytes: 16 })
    const all = filled(300)
    for (let at = 0; at < 300; at += 7) backlog.append(all.subarray(at, Math.min(300, at + 7)))
    expect(backlog.blockCount).toBeGreaterThan(10)
    for (const from of [0, 1, 15, 16, 17, 100, 299, 300]) {
      expect(Array.from(backlog.read(from))).toEqual(Array.from(all.subarray(from)))
      expect(Array.from(backlog.read(from, 20))).toEqual(Array.from(all.subarray(from, from + 20)))
    }
    expect(backlog.read(300).length).toBe(0)
  })

  test('readView stops at a block boundary without copying; looping gives the same bytes', () => {
    const backlog = new ReplicationBacklog({ sizeBytes: 1000, blockBytes: 16 })
    const all = filled(200)
    backlog.append(all.subarray(0, 5))
    backlog.append(all.subarray(5))
    let position = 3
    const out: number[] = []
    while (position < 200) {
      const view = backlog.readView(position, 50)
      expect(view.length).toBeGreaterThan(0)
      expect(view.length).toBeLessThanOrEqual(50)
      out.push(...view)
      position += view.length
    }
    expect(out).toEqual(Array.from(all.subarray(3)))
  })

  test('trims whole head blocks, keeping at least sizeBytes of history, never the last block', () => {
    const backlog = new ReplicationBacklog({ sizeBytes: 64, blockBytes: 16 })
    for (let i = 0; i < 40; i++) backlog.append(filled(10, i * 10))
    expect(backlog.masterReplOffset).toBe(400)
    expect(backlog.histlen).toBeGreaterThan(64)
    expect(backlog.histlen).toBeLessThanOrEqual(64 + 16)
    expect(backlog.firstByteOffset).toBe(400 - backlog.histlen + 1)
    expect(backlog.covers(400 - 64)).toBe(true)
    expect(backlog.covers(backlog.firstByteOffset - 2)).toBe(false)
    expect(() => backlog.read(0)).toThrow(RangeError)
    expect(Array.from(backlog.read(350))).toEqual(Array.from(filled(50, 350)))
  })

  test('covers(offset) is firstByteOffset - 1 ≤ offset ≤ masterReplOffset', () => {
    const backlog = new ReplicationBacklog({ sizeBytes: 32, blockBytes: 16 })
    backlog.append(filled(100))
    const first = backlog.firstByteOffset
    expect(backlog.covers(first - 1)).toBe(true)
    expect(backlog.covers(first - 2)).toBe(false)
    expect(backlog.covers(100)).toBe(true)
    expect(backlog.covers(101)).toBe(false)
    expect(backlog.covers(-1)).toBe(false)
    expect(backlog.covers(1.5)).toBe(false)
  })

  test('a reader pins the blocks it has not taken; the backlog outgrows sizeBytes, then shrinks', () => {
    const backlog = new ReplicationBacklog({ sizeBytes: 32, blockBytes: 16 })
    backlog.append(filled(10))
    const reader = backlog.openReader(5)
    for (let i = 1; i < 30; i++) backlog.append(filled(10, i * 10))
    expect(backlog.firstByteOffset).toBe(1)
    expect(backlog.histlen).toBe(300)
    expect(backlog.pendingBytes(reader)).toBe(295)
    expect(Array.from(backlog.read(reader.position, 5))).toEqual([5, 6, 7, 8, 9])
    reader.advance(200)
    expect(reader.position).toBe(205)
    // Leaving the head block lets it go; history is kept down to the reader and at least sizeBytes.
    expect(backlog.firstByteOffset - 1).toBeLessThanOrEqual(205)
    expect(backlog.firstByteOffset).toBeGreaterThan(1)
    reader.close()
    reader.close()
    expect(backlog.readerCount).toBe(0)
    expect(backlog.histlen).toBeLessThanOrEqual(32 + 16)
  })

  test('readers seek back within the backlog, never outside it', () => {
    const backlog = new ReplicationBacklog({ sizeBytes: 1000, blockBytes: 16 })
    backlog.append(filled(100))
    const reader = backlog.openReader()
    expect(reader.position).toBe(100)
    reader.seek(40)
    expect(backlog.pendingBytes(reader)).toBe(60)
    expect(() => reader.seek(101)).toThrow(RangeError)
    expect(() => reader.advance(61)).toThrow(RangeError)
    reader.advance(60)
    expect(() => backlog.openReader(101)).toThrow(RangeError)
    reader.close()
    expect(() => reader.advance(0)).toThrow()
  })

  test('rebase restarts an empty backlog at a persisted offset (REDIS.md §4.1)', () => {
    const backlog = new ReplicationBacklog()
    backlog.append(bytes('*1\r\n$4\r\nping\r\n'))
    backlog.rebase(0)
    expect({ offset: backlog.masterReplOffset, first: backlog.firstByteOffset, histlen: backlog.histlen }).toEqual({ offset: 0, first: 1, histlen: 0 })
    backlog.rebase(1175)
    expect(backlog.firstByteOffset).toBe(1176)
    expect(backlog.covers(1175)).toBe(true)
    backlog.append(bytes('*1\r\n$4\r\nping\r\n'))
    expect(text(backlog.read(1175))).toBe('*1\r\n$4\r\nping\r\n')
    backlog.openReader()
    expect(() => backlog.rebase(0)).toThrow(/open reader/)
  })

  test('large appends allocate blocks up to max(sizeBytes/16, blockBytes), as Redis', () => {
    const backlog = new ReplicationBacklog({ sizeBytes: 16 * 1024 * 64, blockBytes: 16 * 1024 })
    backlog.append(filled(200_000))
    // 64 KiB blocks: 200000 bytes → 4 blocks.
    expect(backlog.blockCount).toBe(4)
    expect(Array.from(backlog.read(65_530, 12))).toEqual(Array.from(filled(12, 65_530)))
  })

  test('tailRoom offers only the last block\'s free bytes; commitTail counts them and refuses more', () => {
    const backlog = new ReplicationBacklog({ sizeBytes: 100, blockBytes: 16 })
    expect(backlog.tailRoom(1)).toBeNull()
    backlog.append(filled(10))
    expect(backlog.tailRoom(7)).toBeNull()
    const tail = backlog.tailRoom(6)!
    expect(backlog.tailIndex).toBe(10)
    tail.set(filled(6, 10), 10)
    expect(backlog.commitTail(6)).toEqual({ startOffset: 10, endOffset: 16 })
    expect(backlog.tailRoom(1)).toBeNull()
    expect(() => backlog.commitTail(1)).toThrow(RangeError)
    expect(Array.from(backlog.read(0))).toEqual(Array.from(filled(16)))
  })

  test('seeded: random appends, readers and reads agree with a plain copy of the stream', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const random = prng(seed)
      const backlog = new ReplicationBacklog({ sizeBytes: 1 + random.int(200), blockBytes: 1 + random.int(40) })
      const stream: number[] = []
      const readers = [backlog.openReader()]
      for (let i = 0; i < 200; i++) {
        const n = random.int(60)
        const chunk = filled(n, stream.length)
        // Half the time written in place when the last block has room, as the propagator does.
        const tail = random.chance(0.5) ? backlog.tailRoom(n) : null
        if (tail === null) {
          backlog.append(chunk)
        } else {
          const before = backlog.masterReplOffset
          tail.set(chunk, backlog.tailIndex)
          expect(backlog.commitTail(n)).toEqual({ startOffset: before, endOffset: before + n })
        }
        stream.push(...chunk)
        for (const reader of readers) {
          if (!reader.closed && random.chance(0.5)) reader.advance(random.int(backlog.pendingBytes(reader) + 1))
        }
        if (random.chance(0.05)) readers.push(backlog.openReader(backlog.firstByteOffset - 1 + random.int(backlog.histlen + 1)))
        if (random.chance(0.05)) random.pick(readers).close()
        expect(backlog.masterReplOffset).toBe(stream.length)
        expect(backlog.histlen).toBeGreaterThanOrEqual(Math.min(stream.length, backlog.sizeBytes))
        for (const reader of readers) if (!reader.closed) expect(backlog.covers(reader.position)).toBe(true)
        const from = backlog.firstByteOffset - 1 + random.int(backlog.histlen + 1)
        expect(Array.from(backlog.read(from, 100))).toEqual(stream.slice(from, from + 100))
      }
    }
  })
})
