// Files written by our RdbWriter are accepted by Redis's own tools: `redis-check-rdb` says "RDB looks
// OK", and a real redis-server started on the file holds exactly what was written — every key's type,
// value and TTL, read back through ioredis.
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, test } from 'vitest'
import { RdbWriter, type RdbWriterOptions } from '../packages/core/src/rdb/index.ts'
import type { ByteString } from '../packages/core/src/bytes.ts'
import type { KeyRecord, PlainValue } from '../packages/core/src/values.ts'
import { startRedisServer, type RedisServer } from './support/redis-server.ts'
import { expectSameAsRedis } from './support/redis-values.ts'

const run = promisify(execFile)
const ALL_BYTES = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i))
// Far enough ahead that no key expires while the test runs; Redis as a master drops past ones on load.
const FUTURE = Date.now() + 3_600_000

function dataset(): KeyRecord[] {
  const r = (db: number, key: ByteString, value: PlainValue, expireAt: number | null = null): KeyRecord => ({ db, key, value, expireAt })
  const integers = ['0', '-1', '007', '127', '128', '-128', '-129', '32767', '32768', '-32768', '-32769', '2147483647',
    '2147483648', '-2147483648', '-2147483649', '9223372036854775807', '-0', '+1', '1.5', '']
  return [
    r(0, 'plain', { type: 'string', value: 'hello' }),
    r(0, 'empty-string', { type: 'string', value: '' }),
    r(0, ALL_BYTES, { type: 'string', value: ALL_BYTES.repeat(3) }),
    r(0, '__proto__', { type: 'string', value: 'proto' }),
    ...integers.map((value, i) => r(0, `int:${i}:${value}`, { type: 'string', value })),
    r(0, 'big-compressible', { type: 'string', value: 'compress me please '.repeat(5000) }),
    r(0, 'big-random', { type: 'string', value: String.fromCharCode(...Array.from({ length: 40_000 }, (_, i) => (i * 2654435761) >>> 24)) }),
    r(0, 'list', { type: 'list', items: ['a', '', ALL_BYTES, '1', '-1', '007', 'x'.repeat(10_000), 'repeat '.repeat(100)] }),
    r(0, 'long-list', { type: 'list', items: Array.from({ length: 5000 }, (_, i) => `item-${i}`) }),
    r(0, 'int-set', { type: 'set', members: ['1', '2', '3', '-100', '100000'] }),
    r(0, 'set', { type: 'set', members: ['a', '', ALL_BYTES, '007', 'long '.repeat(50)] }),
    r(0, 'big-set', { type: 'set', members: Array.from({ length: 2000 }, (_, i) => String(i * 3)) }),
    r(0, 'hash', { type: 'hash', fields: [['f', 'v'], ['', ''], ['__proto__', ALL_BYTES], [ALL_BYTES, '12'], ['n', '-5']] }),
    r(0, 'big-hash', { type: 'hash', fields: Array.from({ length: 1000 }, (_, i) => [`field:${i}`, 'value '.repeat(i % 20)] as const) }),
    r(0, 'zset', { type: 'zset', entries: [['a', 1], ['b', -2.5], ['c', Infinity], ['d', -Infinity], ['e', 0], [ALL_BYTES, 1e-300]] }),
    r(0, 'big-zset', { type: 'zset', entries: Array.from({ length: 1000 }, (_, i) => [`m${i}`, i / 7] as const) }),
    r(0, 'expiring-string', { type: 'string', value: 'ttl' }, FUTURE),
    r(0, 'expiring-hash', { type: 'hash', fields: [['a', 'b']] }, FUTURE + 1234),
    r(1, 'db1-string', { type: 'string', value: 'one' }),
    r(1, 'db1-list', { type: 'list', items: ['x'] }, FUTURE + 5),
    r(1, 'plain', { type: 'string', value: 'same key, other db' }),
    r(15, 'db15', { type: 'zset', entries: [['only', 42]] }),
  ]
}

function writeFileBytes(records: readonly KeyRecord[], options: Partial<RdbWriterOptions>): Uint8Array {
  const writer = new RdbWriter(options)
  writer.writeHeader({ 'redis-ver': '7.0.15', 'redis-bits': 64, ctime: Math.floor(Date.now() / 1000), 'used-mem': 1_000_000, 'aof-base': 0 })
  const chunks: Uint8Array[] = [writer.take()]
  for (const db of [...new Set(records.map((r) => r.db))].sort((a, b) => a - b)) {
    const inDb = records.filter((r) => r.db === db)
    writer.selectDb(db, { keys: inDb.length, expires: inDb.filter((r) => r.expireAt !== null).length })
    for (const record of inDb) {
      writer.writeKey(record)
      chunks.push(writer.take()) // slices, as a master writes them
    }
  }
  // AUX fields after the keys, as a snapshot whose offset is known only at its end writes them.
  writer.writeAux({ 'repl-stream-db': 0, 'repl-id': '4eed2c88ca9d0774d9d0b16e0865e731a5a5d645', 'repl-offset': 123_456_789 })
  writer.writeEnd()
  chunks.push(writer.take())
  return Buffer.concat(chunks)
}

describe('files from RdbWriter in real Redis tools (redis-check-rdb, redis-server 7.0.15)', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup()
  })

  for (const options of [{ compression: true }, { compression: false, checksum: false }] as const) {
    test(`redis-check-rdb accepts it and redis-server loads every key, type, value and TTL (${JSON.stringify(options)})`, async () => {
      const records = dataset()
      const dir = await mkdtemp(join(tmpdir(), 'replicast-rdb-check-'))
      cleanups.push(() => rm(dir, { recursive: true, force: true }))
      const file = join(dir, 'dump.rdb')
      await writeFile(file, writeFileBytes(records, options))

      const check = await run('redis-check-rdb', [file])
      expect(check.stdout + check.stderr).toContain('RDB looks OK')
      if (options.checksum !== false) expect(check.stdout).toContain('Checksum OK')

      let server: RedisServer | undefined
      let redis: Redis | undefined
      try {
        server = await startRedisServer(['--dir', dir, '--dbfilename', 'dump.rdb'])
        expect(server.log()).toContain(`Done loading RDB, keys loaded: ${records.length}, keys expired: 0.`)
        redis = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true })
        await redis.connect()
        await expectSameAsRedis(redis, records)
      } finally {
        redis?.disconnect()
        await server?.stop()
      }
    })
  }
})
