// Our reader against files real Redis writes: a redis-server 7.0.15 builds datasets that exercise
// every encoding it picks (listpacks, intsets, hashtables, skiplists, quicklists with many nodes,
// PLAIN nodes and LZF-compressed nodes, LZF strings, integers, expiries, several databases), runs
// SAVE, and every key our reader finds in dump.rdb equals what Redis holds, read through ioredis.
// Legacy encodings Redis 7 no longer writes (zipmap, ziplist, quicklist 1) are built by hand with
// the builders of packages/core/src/rdb/test-util.ts (REDIS.md §8.7), loaded into a real
// redis-server, and compared the same way: Redis and our reader must agree on every key.
// What the reader cannot keep (a stream with a consumer group and pending entries, a function
// library) is walked over with a warning naming it, and every other key still equals Redis's. A
// small real dump, truncated at every length and with every bit flipped, always gives a typed
// RdbError naming a byte offset: never another exception, never a hang.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { promisify } from 'node:util'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { describe, expect, test } from 'vitest'
import type { ByteString } from '../packages/core/src/bytes.ts'
import { RDB_ERROR_CODES, RDB_WARNING_CODES, RdbError, RdbReader, type RdbEvent, type RdbWarning } from '../packages/core/src/rdb/index.ts'
import { intset, len, listpack, rdbFile, str, ziplist, zipmap, i64le } from '../packages/core/src/rdb/test-util.ts'
import type { KeyRecord } from '../packages/core/src/values.ts'
import { startRedisServer, type RedisServer } from './support/redis-server.ts'
import { expectSameAsRedis } from './support/redis-values.ts'

const ALL_BYTES = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i))
const FUTURE = Date.now() + 3_600_000
const b = (s: ByteString): Buffer => Buffer.from(s, 'latin1')
const latin1 = (x: Buffer): ByteString => x.toString('latin1')

/** Reads a file through RdbReader in chunks of `chunkBytes`. */
function readRdb(file: Uint8Array, chunkBytes: number): { events: RdbEvent[]; warnings: RdbWarning[] } {
  const warnings: RdbWarning[] = []
  const reader = new RdbReader({ onWarning: (w) => warnings.push(w) })
  const events: RdbEvent[] = []
  for (let at = 0; at < file.length; at += chunkBytes) events.push(...reader.push(file.subarray(at, at + chunkBytes)))
  reader.finish()
  return { events, warnings }
}

async function withRedis(args: readonly string[], body: (redis: Redis, server: RedisServer) => Promise<void>): Promise<void> {
  const server = await startRedisServer(args)
  const redis = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true })
  try {
    await redis.connect()
    await body(redis, server)
  } finally {
    redis.disconnect()
    await server.stop()
  }
}

const TINY_LIBRARY = "#!lua name=tinylib\nredis.register_function('tiny', function(keys, args) return 1 end)"

/**
 * A stream with a consumer group, two consumers and pending entries (RDB type 19 in 7.0), and a
 * function library (opcode 245): what the reader walks over with a warning.
 */
async function addStreamAndFunction(redis: Redis, stream: string): Promise<void> {
  await redis.select(0)
  for (let i = 0; i < 5; i++) await redis.xadd(stream, '*', 'field', `value ${i}`, 'n', String(i))
  await redis.xgroup('CREATE', stream, 'group', '0')
  // Two entries read by each consumer and not acknowledged: the group's PEL and the consumers' hold them.
  await redis.xreadgroup('GROUP', 'group', 'alice', 'COUNT', '2', 'STREAMS', stream, '>')
  await redis.xreadgroup('GROUP', 'group', 'bob', 'COUNT', '2', 'STREAMS', stream, '>')
  expect((await redis.xpending(stream, 'group'))[0]).toBe(4)
  expect(await redis.call('FUNCTION', 'LOAD', TINY_LIBRARY)).toBe('tinylib')
}

/** Builds the dataset; returns the encodings Redis chose, to prove they are all exercised. */
async function populate(redis: Redis): Promise<Set<string>> {
  const p = redis.pipeline()
  p.select(0)
  // Strings: integers, text, binary, empty, large compressible (LZF), large random (plain).
  for (const v of ['12345', '-5', '0', '-2147483648', '2147483648', '9223372036854775807', '007', '1.5']) p.set(`str:${v}`, v)
  p.set(b('str:binary:' + ALL_BYTES), b(ALL_BYTES))
  p.set('str:empty', '')
  p.set('str:compressible', 'redis compresses this '.repeat(2000))
  p.set('str:random', b(String.fromCharCode(...Array.from({ length: 30_000 }, (_, i) => (i * 2654435761) >>> 24))))
  p.set('str:__proto__', 'x')
  // Hashes: listpack (small), hashtable (many fields; one long value).
  p.hset('hash:small', 'f1', 'v1', 'f2', '22', '__proto__', b(ALL_BYTES))
  p.hset('hash:many', ...Array.from({ length: 300 }, (_, i) => [`field${i}`, `value${i}`]).flat())
  p.hset('hash:long-value', 'f', 'v'.repeat(100))
  // Sets: intset, hashtable of strings (7.0 has no set listpacks), hashtable of many integers.
  p.sadd('set:ints', 1, 2, 3, -100, 65536, 2147483648)
  p.sadd('set:strings', 'a', 'b', b(ALL_BYTES), '')
  p.sadd('set:many-ints', ...Array.from({ length: 700 }, (_, i) => i * 11))
  // Sorted sets: listpack (small, with integer, decimal and infinite scores), skiplist (large).
  p.zadd('zset:small', 1, 'one', 2.5, 'two.five', '+inf', 'inf', '-inf', 'minus-inf', -3, 'minus', 0.1, 'tenth')
  p.zadd('zset:big', ...Array.from({ length: 300 }, (_, i) => [String(i / 3), `m${i}`]).flat())
  // Lists: short (one listpack node), long with many nodes (list-max-listpack-size 4), one with
  // PLAIN nodes (elements over 8 KB), and compressed inner nodes (list-compress-depth 1: LZF blobs).
  p.rpush('list:short', 'a', 'b', '3', b(ALL_BYTES))
  p.rpush('list:many-nodes', ...Array.from({ length: 101 }, (_, i) => `element ${i}`))
  p.rpush('list:plain', 'small', 'P'.repeat(9000), 'tail', 'Q'.repeat(20_000))
  p.rpush('list:compressed', ...Array.from({ length: 60 }, (_, i) => `compressible list element number ${i} `.repeat(4)))
  // Expiries, and other databases.
  p.set('ttl:string', 'soon', 'PXAT', FUTURE)
  p.hset('ttl:hash', 'a', 'b')
  p.pexpireat('ttl:hash', FUTURE + 777)
  p.select(3)
  p.set('db3:key', 'three')
  p.rpush('db3:list', 'x', 'y')
  p.select(15)
  p.zadd('db15:zset', 7, 'seven')
  p.set('str:12345', 'same key as db 0')
  await p.exec()

  const encodings = new Set<string>()
  for (const db of [0, 3, 15]) {
    await redis.select(db)
    for (const key of await redis.keysBuffer('*')) encodings.add(`${await redis.type(key)}:${await redis.object('ENCODING', key)}`)
  }
  return encodings
}

describe('reading dump.rdb files written by redis-server 7.0.15', () => {
  test('every encoding Redis picks; every key equal to what Redis holds (whole, 1 KB chunks, 7-byte chunks)', async () => {
    await withRedis(['--list-max-listpack-size', '4', '--list-compress-depth', '1'], async (redis, server) => {
      const encodings = await populate(redis)
      expect([...encodings].sort()).toEqual([
        'hash:hashtable', 'hash:listpack', 'list:quicklist', 'set:hashtable', 'set:intset',
        'string:embstr', 'string:int', 'string:raw', 'zset:listpack', 'zset:skiplist',
      ])
      expect(await redis.save()).toBe('OK')
      const file = new Uint8Array(await readFile(join(server.dir, 'dump.rdb')))
      for (const chunkBytes of [file.length, 1024, 7]) {
        const { events, warnings } = readRdb(file, chunkBytes)
        expect(warnings).toEqual([])
        const aux = new Map(events.flatMap((e) => (e.kind === 'aux' ? [[e.key, e.value] as const] : [])))
        expect(aux.get('redis-ver')).toBe('7.0.15')
        expect(aux.get('redis-bits')).toBe('64')
        expect(events.filter((e) => e.kind === 'db')).toEqual([{ kind: 'db', db: 0 }, { kind: 'db', db: 3 }, { kind: 'db', db: 15 }])
        expect(events.at(-1)).toEqual({ kind: 'end', checksum: 'ok' })
        const records = events.flatMap((e) => (e.kind === 'key' ? [e.record] : []))
        expect(records.length).toBe(31)
        await expectSameAsRedis(redis, records)
      }
    })
  })

  test('a file saved with rdbcompression no and rdbchecksum no', async () => {
    await withRedis(['--rdbcompression', 'no', '--rdbchecksum', 'no'], async (redis, server) => {
      await populate(redis)
      expect(await redis.save()).toBe('OK')
      const file = new Uint8Array(await readFile(join(server.dir, 'dump.rdb')))
      expect(Buffer.from(file.subarray(file.length - 8)).toString('hex')).toBe('0000000000000000')
      expect(Buffer.from(file).includes('redis compresses this '.repeat(2000))).toBe(true) // stored plainly
      const { events } = readRdb(file, 4096)
      expect(events.at(-1)).toEqual({ kind: 'end', checksum: 'disabled' })
      await expectSameAsRedis(redis, events.flatMap((e) => (e.kind === 'key' ? [e.record] : [])))
    })
  })

  test('DEBUG POPULATE 20000 keys with 100-byte values: AUX fields, RESIZEDB, values', async () => {
    await withRedis([], async (redis, server) => {
      await redis.call('DEBUG', 'POPULATE', '20000', 'key', '100')
      expect(await redis.save()).toBe('OK')
      const file = new Uint8Array(await readFile(join(server.dir, 'dump.rdb')))
      const { events } = readRdb(file, 65536)
      expect(events.flatMap((e) => (e.kind === 'aux' ? [e.key] : []))).toEqual(['redis-ver', 'redis-bits', 'ctime', 'used-mem', 'aof-base'])
      expect(events.filter((e) => e.kind === 'resize-db')).toEqual([{ kind: 'resize-db', keys: 20000, expires: 0 }])
      const records = events.flatMap((e) => (e.kind === 'key' ? [e.record] : []))
      expect(records.length).toBe(20000)
      const byKey = new Map(records.map((r) => [r.key, r]))
      for (const i of [0, 1, 9999, 19999]) {
        const value = (await redis.getBuffer(`key:${i}`))!
        expect(byKey.get(`key:${i}`)).toEqual({ db: 0, key: `key:${i}`, value: { type: 'string', value: latin1(value) }, expireAt: null })
        expect(value.length).toBe(100)
      }
    })
  })

  test('a stream with pending entries and a function library: warnings name them; every other key equal to Redis\'s', async () => {
    await withRedis([], async (redis, server) => {
      await populate(redis)
      await addStreamAndFunction(redis, 'stream:events')
      expect(await redis.type('stream:events')).toBe('stream')
      expect(await redis.save()).toBe('OK')
      const file = new Uint8Array(await readFile(join(server.dir, 'dump.rdb')))
      for (const chunkBytes of [file.length, 1024, 7]) {
        const { events, warnings } = readRdb(file, chunkBytes)
        expect(warnings.map((w) => ({ code: w.code, key: w.key, db: w.db }))).toEqual([
          { code: RDB_WARNING_CODES.functionSkipped, key: undefined, db: undefined },
          { code: RDB_WARNING_CODES.streamSkipped, key: 'stream:events', db: 0 },
        ])
        expect(warnings[0]!.message).toMatch(/^a function library was skipped: Replicast does not run functions \(at byte \d+\)$/)
        expect(warnings[1]!.message).toMatch(/^key "stream:events" in db 0: a stream was skipped: Replicast has no streams \(at byte \d+\)$/)
        expect(events.at(-1)).toEqual({ kind: 'end', checksum: 'ok' })
        const records = events.flatMap((e) => (e.kind === 'key' ? [e.record] : []))
        expect(records.length).toBe(31)
        await expectSameAsRedis(redis, records, [{ db: 0, key: 'stream:events' }])
      }
    })
  })

  test('a small real dump truncated at every length, and with every bit flipped: always a typed RdbError naming a byte', async () => {
    let file = new Uint8Array()
    await withRedis(['--list-max-listpack-size', '4', '--list-compress-depth', '1'], async (redis, server) => {
      // One key of each encoding, kept small, plus a stream and a function.
      const p = redis.pipeline()
      p.set('int', '12345')
      p.set('text', 'hello')
      p.set('lzf', 'compress me '.repeat(20))
      p.set('ttl', 'x', 'PXAT', FUTURE)
      p.hset('hash:lp', 'f', 'v', 'n', '1')
      p.hset('hash:ht', ...Array.from({ length: 130 }, (_, i) => [`f${i}`, String(i)]).flat())
      p.sadd('set:int', 1, 2, 3)
      p.sadd('set:str', 'a', 'b')
      p.zadd('zset:lp', 1, 'a', 2.5, 'b')
      p.zadd('zset:sl', ...Array.from({ length: 130 }, (_, i) => [String(i), `m${i}`]).flat())
      p.rpush('list', ...Array.from({ length: 14 }, (_, i) => `compressible element ${i} `.repeat(3)))
      p.select(2)
      p.set('other-db', 'v')
      await p.exec()
      await addStreamAndFunction(redis, 'stream')
      expect(await redis.save()).toBe('OK')
      file = new Uint8Array(await readFile(join(server.dir, 'dump.rdb')))
    })
    expect(file.length).toBeGreaterThan(1000)
    expect(file.length).toBeLessThan(8000)
    const whole = readRdb(file, file.length)
    expect(whole.events.at(-1)).toEqual({ kind: 'end', checksum: 'ok' })
    expect(whole.warnings.map((w) => w.code).sort()).toEqual([RDB_WARNING_CODES.functionSkipped, RDB_WARNING_CODES.streamSkipped])

    const codes = new Set<string>(Object.values(RDB_ERROR_CODES))
    /** Reads `input`; returns the error, which must be a typed RdbError naming a byte in the file. */
    const failure = (input: Uint8Array, chunkBytes = input.length): RdbError => {
      let error: unknown = null
      try {
        readRdb(input, Math.max(1, chunkBytes))
      } catch (e) {
        error = e
      }
      if (!(error instanceof RdbError)) throw new Error(`expected an RdbError, got ${String(error)}`, { cause: error })
      expect(codes.has(error.code)).toBe(true)
      expect(error.message).toMatch(/byte \d+/)
      expect(error.offset).toBeGreaterThanOrEqual(0)
      expect(error.offset).toBeLessThanOrEqual(input.length)
      return error
    }
    for (let cut = 0; cut < file.length; cut++) {
      const error = failure(file.subarray(0, cut))
      expect([error.code, error.offset]).toEqual([RDB_ERROR_CODES.truncated, cut])
      // In chunks too, at a few lengths (the resumable path).
      if (cut % 97 === 0) expect(failure(file.subarray(0, cut), 13).code).toBe(RDB_ERROR_CODES.truncated)
    }
    const seen = new Map<string, number>()
    for (let i = 0; i < file.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = file.slice()
        flipped[i]! ^= 1 << bit
        const error = failure(flipped)
        seen.set(error.code, (seen.get(error.code) ?? 0) + 1)
      }
    }
    // The CRC64 catches what parses; the structure catches the rest earlier.
    expect(seen.get(RDB_ERROR_CODES.checksum)).toBeGreaterThan(0)
    expect(seen.get(RDB_ERROR_CODES.signature)).toBeGreaterThan(0)
    expect(seen.get(RDB_ERROR_CODES.corrupt)).toBeGreaterThan(0)
  })

  test('legacy encodings built by hand (types 9, 10, 11, 12, 13, 14, 16, 17, 18): Redis and our reader agree', async () => {
    const body = [
      0xfe, 0, 0xfb, ...len(10), ...len(1),
      9, ...str('zipmap'), ...str(zipmap([['f', 'v'], ['n', '12'], ['long', 'x'.repeat(300)]], 2)),
      10, ...str('ziplist-list'), ...str(ziplist(['a', 7, -70000, 'y'.repeat(100), 12, 9223372036854775807n, -1, 300, 70000])),
      11, ...str('intset'), ...str(intset([-40000, 1, 70000], 4)),
      12, ...str('ziplist-zset'), ...str(ziplist(['a', 1, 'b', '2.5', 'c', 'inf', 'd', '-inf', 'e', -3])),
      13, ...str('ziplist-hash'), ...str(ziplist(['f', 'v', 1, 2, 'big', 'z'.repeat(200)])),
      14, ...str('quicklist'), ...len(2), ...str(ziplist(['q1', 1])), ...str(ziplist(['q2', 'q3'])),
      16, ...str('listpack-hash'), ...str(listpack(['f1', 'v1', 'f2', 42])),
      17, ...str('listpack-zset'), ...str(listpack(['m1', 10, 'm2', '1.5', 'm3', '-inf'])),
      0xfc, ...i64le(FUTURE), 18, ...str('quicklist-2'), ...len(2), ...len(2), ...str(listpack(['p', 1, 'q'])), ...len(1), ...str('R'.repeat(9000)),
      0xfe, 1, 0xfb, ...len(1), ...len(0),
      2, ...str('plain-set'), ...len(2), ...str('s1'), 0xc0, 5,
    ]
    const dir = await mkdtemp(join(tmpdir(), 'replicast-rdb-legacy-'))
    try {
      const file = rdbFile(body)
      await writeFile(join(dir, 'dump.rdb'), file)
      const check = await promisify(execFile)('redis-check-rdb', [join(dir, 'dump.rdb')])
      expect(check.stdout).toContain('RDB looks OK')
      const { events, warnings } = readRdb(file, 13)
      expect(warnings).toEqual([])
      const records = events.flatMap((e) => (e.kind === 'key' ? [e.record] : []))
      expect(records.length).toBe(10)
      await withRedis(['--dir', dir, '--dbfilename', 'dump.rdb'], async (redis, server) => {
        expect(server.log()).toContain('Done loading RDB, keys loaded: 10, keys expired: 0.')
        await expectSameAsRedis(redis, records)
      })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
