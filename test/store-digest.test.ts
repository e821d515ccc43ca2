// digest() and digestValue() against a real redis-server's DEBUG DIGEST / DEBUG DIGEST-VALUE, for
// every type (both encodings where they differ), binary keys and values, TTLs and several databases.
// The same commands build both datasets; the digests must be equal byte for byte.
import { afterEach, describe, expect, test } from 'vitest'
import type { ByteString } from '../packages/core/src/bytes.ts'
import { Dataset } from '../packages/core/src/store/index.ts'
import { RespClient } from './support/resp-client.ts'
import { startRedisServer, type RedisServer } from './support/redis-server.ts'

let server: RedisServer | null = null
let client: RespClient | null = null

afterEach(async () => {
  client?.close()
  client = null
  await server?.stop()
  server = null
})

async function both(ds: Dataset, commands: readonly (readonly ByteString[])[]): Promise<void> {
  const session = ds.createSession()
  const now = Date.now()
  for (const argv of commands) {
    const theirs = await client!.send(argv)
    const ours = ds.execute(session, argv, now).reply
    expect(ours, JSON.stringify(argv)).toEqual(theirs)
  }
}

async function redisDigest(): Promise<string> {
  const reply = await client!.send(['DEBUG', 'DIGEST'])
  if (reply.kind !== 'simple') throw new Error(`DEBUG DIGEST answered ${JSON.stringify(reply)}`)
  return reply.value
}

async function redisDigestValue(db: number, key: ByteString): Promise<string> {
  await client!.send(['SELECT', String(db)])
  const reply = await client!.send(['DEBUG', 'DIGEST-VALUE', key])
  if (reply.kind !== 'array' || reply.value?.[0]?.kind !== 'simple') throw new Error(`DEBUG DIGEST-VALUE answered ${JSON.stringify(reply)}`)
  return reply.value[0].value
}

describe('digest() equals DEBUG DIGEST of redis-server 7.0', () => {
  test('all types, both zset encodings, binary data, TTLs, several dbs', async () => {
    server = await startRedisServer()
    client = await RespClient.connect(server.port)
    const ds = new Dataset()
    expect(await redisDigest()).toBe('0'.repeat(40))
    expect(ds.digest()).toBe('0'.repeat(40))

    const bin = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('')
    const bigHash: string[] = []
    for (let i = 0; i < 600; i++) bigHash.push(`field${i}`, `value${i}`)
    const bigZset: string[] = []
    for (let i = 0; i < 300; i++) bigZset.push(String(i / 7), `member${i}`)
    const bigSet: string[] = []
    for (let i = 0; i < 600; i++) bigSet.push(String(i))
    const commands: string[][] = [
      ['SET', 'str', 'hello'],
      ['SET', 'int', '12345'],
      ['SET', 'neg', '-17'],
      ['SET', bin, bin],
      ['SET', '__proto__', ''],
      ['SET', 'ttl', 'v', 'EX', '1000'],
      ['RPUSH', 'list', 'a', 'b', 'c', '1', '', bin],
      ['SADD', 'intset', '1', '2', '3', '-5'],
      ['SADD', 'set', 'a', 'b', bin],
      ['SADD', 'bigset', ...bigSet],
      ['HSET', 'hash', 'f1', 'v1', 'f2', '2', bin, bin],
      ['HSET', 'bighash', ...bigHash],
      ['ZADD', 'zset', '1', 'a', '2.5', 'b', '-inf', 'c', 'inf', 'd', '0.1', 'e', '-0', 'negzero'],
      ['ZADD', 'bigzset', ...bigZset],
      ['ZADD', 'bigzset', '-0', 'negzero', '1e300', 'huge'],
      ['ZADD', 'longmember', '-0', 'x'.repeat(80)],
      ['ZADD', 'longmember', '-0', 'short'],
      ['EXPIRE', 'hash', '5000'],
      ['SELECT', '3'],
      ['SET', 'str', 'in db 3'],
      ['LPUSH', 'list', 'x'],
      ['SELECT', '15'],
      ['HSET', 'h', 'a', 'b'],
      ['SELECT', '0'],
      ['INCRBYFLOAT', 'float', '0.1'],
      ['HINCRBYFLOAT', 'hash', 'float', '2.5'],
    ]
    await both(ds, commands)
    for (const [db, key] of [[0, 'str'], [0, bin], [0, 'ttl'], [0, 'list'], [0, 'intset'], [0, 'bigset'], [0, 'hash'], [0, 'bighash'], [0, 'zset'], [0, 'bigzset'], [0, 'longmember'], [3, 'list'], [0, 'missing']] as const) {
      expect(ds.digestValue(db, key), `DIGEST-VALUE ${JSON.stringify(key).slice(0, 40)} in db ${db}`).toBe(await redisDigestValue(db, key))
    }
    expect(ds.digest()).toBe(await redisDigest())
  })

  test('digests stay equal through changes, and expired-but-present keys count', async () => {
    server = await startRedisServer()
    client = await RespClient.connect(server.port)
    await client.send(['DEBUG', 'SET-ACTIVE-EXPIRE', '0'])
    const ds = new Dataset()
    await both(ds, [
      ['SET', 'gone', 'v', 'PXAT', '1000'],
      ['RPUSH', 'l', 'a', 'b'],
      ['LSET', 'l', '0', 'z'],
      ['ZADD', 'z', '1', 'a'],
      ['ZINCRBY', 'z', '0.5', 'a'],
      ['HSET', 'h', 'f', '1'],
      ['HDEL', 'h', 'f'],
      ['SADD', 's', 'x'],
      ['RENAME', 's', 's2'],
    ])
    expect(ds.digest()).toBe(await redisDigest())
    await both(ds, [['GET', 'gone']])
    expect(ds.digest()).toBe(await redisDigest())
  })
})
