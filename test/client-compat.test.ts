// Real clients against the master: every command of DESIGN §2 through ioredis (its generic `call`,
// its typed methods with their reply transformers, MULTI and pipelines) and through the redis-cli
// binary, side by side with a real redis-server 7.0. Whatever a client makes of the replies must be
// the same on both. (The differential test compares the reply bytes under random load; this one
// shows the clients themselves, with their own handshakes and parsing, work.)
import { execFile } from 'node:child_process'
import { Redis } from 'ioredis'
import { beforeAll, describe, expect, onTestFinished, test } from 'vitest'
import { client, startMaster } from './support/cluster.ts'
import { startRedisServer } from './support/redis-server.ts'

type Args = readonly (string | number)[]

// Every command of DESIGN §2 with its options, including wrong types, bad arguments and errors.
// Expiries are far in the future; only relative ones are read back with TTL (an absolute one's TTL
// rounds by the millisecond the command ran at, which differs between the two servers).
const FAR = 4_000_000_000
const SCRIPT: readonly Args[] = [
  ['SET', 's', 'v'], ['SET', 's', 'w', 'GET'], ['SET', 's', 'x', 'NX'], ['SET', 'nx', '1', 'XX'], ['SET', 'e', '1', 'EX', 1000],
  ['SET', 'e', '2', 'PX', 1_000_000], ['SET', 'e', '3', 'EXAT', FAR], ['SET', 'e', '4', 'PXAT', FAR * 1000], ['SET', 'e', '5', 'KEEPTTL'],
  ['SET', 'e', '6', 'EX', 0], ['SET', 'e', '7', 'EX', 10, 'PX', 10], ['GET', 's'], ['GET', 'missing'], ['MGET', 's', 'missing', 'e'],
  ['MSET', 'a', '1', 'b', '2'], ['MSET', 'a'], ['INCR', 'a'], ['INCRBY', 'a', 10], ['DECR', 'a'], ['DECRBY', 'a', 3], ['INCR', 's'],
  ['INCRBYFLOAT', 'f', '1.5'], ['INCRBYFLOAT', 'f', '1e3'], ['INCRBYFLOAT', 's', '1'], ['APPEND', 's', 'yz'], ['STRLEN', 's'],
  ['GETDEL', 'b'], ['GETDEL', 'b'], ['GETSET', 'a', '100'], ['SETNX', 'a', '1'], ['SETNX', 'new', '1'], ['SETEX', 'se', 1000, 'v'],
  ['SETEX', 'se', 0, 'v'],
  ['HSET', 'h', 'f1', 'v1', 'f2', 'v2'], ['HSET', 'h', 'f1'], ['HGET', 'h', 'f1'], ['HMGET', 'h', 'f1', 'nope', 'f2'], ['HGETALL', 'h'],
  ['HDEL', 'h', 'f2', 'nope'], ['HINCRBY', 'h', 'n', 5], ['HINCRBY', 'h', 'f1', 1], ['HINCRBYFLOAT', 'h', 'x', '0.25'], ['HLEN', 'h'],
  ['HEXISTS', 'h', 'f1'], ['HKEYS', 'h'], ['HVALS', 'h'], ['HGET', 's', 'f'],
  ['LPUSH', 'l', 'a', 'b', 'c'], ['RPUSH', 'l', 'd', 'e'], ['LPOP', 'l'], ['RPOP', 'l', 2], ['LRANGE', 'l', 0, -1], ['LLEN', 'l'],
  ['LINDEX', 'l', 1], ['LINDEX', 'l', 9], ['LSET', 'l', 0, 'z'], ['LSET', 'l', 9, 'z'], ['RPUSH', 'l', 'z', 'q', 'z'], ['LREM', 'l', 0, 'z'],
  ['LTRIM', 'l', 0, 0], ['LRANGE', 'l', 0, -1], ['LPUSH', 's', 'x'],
  ['SADD', 'set', 'a', 'b', 'c', 'a'], ['SREM', 'set', 'b', 'nope'], ['SMEMBERS', 'set'], ['SISMEMBER', 'set', 'a'], ['SISMEMBER', 'set', 'b'],
  ['SCARD', 'set'], ['SADD', 'ints', 3, 1, 2], ['SMEMBERS', 'ints'],
  ['ZADD', 'z', 1, 'a', 2, 'b', 3, 'c'], ['ZADD', 'z', 'NX', 5, 'a'], ['ZADD', 'z', 'XX', 'CH', 4, 'a'], ['ZADD', 'z', 'INCR', 1, 'b'],
  ['ZREM', 'z', 'c', 'nope'], ['ZINCRBY', 'z', '0.5', 'a'], ['ZSCORE', 'z', 'a'], ['ZSCORE', 'z', 'nope'], ['ZRANGE', 'z', 0, -1],
  ['ZRANGE', 'z', 0, -1, 'WITHSCORES'], ['ZRANGE', 'z', 0, -1, 'REV', 'WITHSCORES'], ['ZRANGE', 'z', '(1', '+inf', 'BYSCORE'],
  ['ZRANGE', 'z', '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, 1], ['ZCARD', 'z'], ['ZRANK', 'z', 'b'], ['ZRANK', 'z', 'nope'], ['ZADD', 'z', 'x', 'a'],
  ['EXISTS', 's', 'a', 'missing', 's'], ['TYPE', 's'], ['TYPE', 'h'], ['TYPE', 'l'], ['TYPE', 'set'], ['TYPE', 'z'], ['TYPE', 'missing'],
  ['EXPIRE', 'a', 1000], ['TTL', 'a'], ['PEXPIRE', 'a', 2_000_000], ['EXPIREAT', 'h', FAR], ['PEXPIREAT', 'l', FAR * 1000],
  ['PERSIST', 'a'], ['PERSIST', 'a'], ['TTL', 'a'], ['PTTL', 'missing'], ['TTL', 's'], ['EXPIRE', 'a', 'soon'],
  ['RENAME', 'a', 'a2'], ['RENAME', 'missing', 'x'], ['KEYS', '*'], ['KEYS', 'h*'], ['SCAN', 0, 'COUNT', 1000], ['SCAN', 0, 'MATCH', 'z*', 'COUNT', 1000],
  ['SCAN', 0, 'TYPE', 'hash', 'COUNT', 1000], ['DBSIZE'], ['DEL', 'new', 'missing'], ['UNLINK', 'se'], ['NOSUCHCOMMAND', 'x'], ['GET'],
  ['SELECT', 3], ['SET', 'in3', 'v'], ['DBSIZE'], ['SELECT', 16], ['SELECT', 0], ['PING'], ['PING', 'hi'], ['ECHO', 'echo'],
  ['MULTI'], ['SET', 't', '1'], ['INCR', 't'], ['LPUSH', 't', 'x'], ['EXEC'], ['MULTI'], ['SET', 't', '2'], ['DISCARD'], ['GET', 't'],
  ['MULTI'], ['NOSUCHCOMMAND'], ['SET', 't', '3'], ['EXEC'], ['GET', 't'], ['EXEC'], ['DISCARD'],
  ['FLUSHDB'], ['DBSIZE'], ['SELECT', 3], ['GET', 'in3'], ['FLUSHALL'], ['DBSIZE'],
]

// Replies whose order is a hash table's: compared as sorted.
const UNORDERED = new Set(['smembers', 'hgetall', 'hkeys', 'hvals', 'keys', 'scan'])

function sortedDeep(value: unknown): unknown {
  if (!Array.isArray(value)) return value
  // SCAN: [cursor, keys]; HGETALL through call(): [field, value, ...] sorted as pairs.
  if (value.length === 2 && typeof value[0] === 'string' && Array.isArray(value[1])) return [value[0], [...value[1]].sort()]
  return value.map(String).sort()
}

/** What ioredis's call() gives for each command: a value, or the error's message. */
async function throughCall(redis: Redis): Promise<unknown[]> {
  const out: unknown[] = []
  for (const [name, ...args] of SCRIPT) {
    try {
      const reply = await redis.call(String(name), ...args.map(String))
      out.push(UNORDERED.has(String(name).toLowerCase()) ? sortedDeep(reply) : reply)
    } catch (error) {
      out.push({ error: (error as Error).message })
    }
  }
  return out
}

/** The same commands through redis-cli, in one process reading them from stdin, as a script would. */
async function throughCli(port: number): Promise<string[]> {
  const input = SCRIPT.map((argv) => argv.map((a) => `"${String(a)}"`).join(' ')).join('\n')
  const child = execFile('redis-cli', ['-p', String(port)], { encoding: 'utf8' })
  const output = new Promise<string>((resolve, reject) => {
    let stdout = ''
    child.stdout!.on('data', (d: string) => { stdout += d })
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`redis-cli exited with ${code}`))))
  })
  child.stdin!.end(`${input}\n`)
  // Without a tty redis-cli prints each reply raw, an array one element per line.
  return (await output).split('\n')
}

describe('real clients: ioredis and redis-cli give the same results from Replicast as from Redis', () => {
  let redisPort = 0
  beforeAll(async () => {
    const server = await startRedisServer()
    redisPort = server.port
    return () => server.stop()
  })

  /** A client of the test's redis-server, emptied: each test starts from nothing on both sides. */
  const emptyRedis = async (): Promise<Redis> => {
    const redis = new Redis({ port: redisPort, host: '127.0.0.1', maxRetriesPerRequest: 1 })
    onTestFinished(() => { redis.disconnect() })
    await redis.flushall()
    return redis
  }

  test('every command of DESIGN §2 through ioredis call()', async () => {
    const master = await startMaster()
    const theirs = await emptyRedis()
    const expected = await throughCall(theirs)
    const actual = await throughCall(client(master))
    for (let i = 0; i < SCRIPT.length; i++) expect(actual[i], JSON.stringify(SCRIPT[i])).toEqual(expected[i])
  })

  test('ioredis typed methods, reply transformers, MULTI/EXEC and pipelines', async () => {
    const master = await startMaster()
    const theirs = await emptyRedis()
    const session = async (r: Redis): Promise<unknown[]> => [
      await r.hset('h', { a: '1', b: '2' }),
      await r.hgetall('h'),
      await r.hgetall('missing'),
      await r.mset({ x: '1', y: '2' }),
      await r.mget('x', 'y', 'z'),
      await r.zadd('z', 1, 'a', 2, 'b'),
      await r.zrange('z', 0, -1, 'WITHSCORES'),
      await r.multi().set('m', '1').incr('m').hset('h', 'c', '3').get('h').exec(),
      await r.pipeline().set('p', 'v').get('p').lpush('pl', 'a', 'b').lrange('pl', 0, -1).exec(),
      await r.ping(),
      await r.echo('hi'),
      await r.dbsize(),
      await r.wait(0, 10),
      (await r.role())[0],
      (await r.info('replication')).includes('role:master'),
      await r.config('GET', 'databases'),
    ]
    expect(await session(client(master))).toEqual(await session(theirs))
  })

  test('every command of DESIGN §2 through redis-cli', async () => {
    const master = await startMaster()
    await emptyRedis()
    const expected = await throughCli(redisPort)
    const actual = await throughCli(master.port)
    expect(actual.length).toBeGreaterThan(SCRIPT.length)
    // A hash table's order differs, and its replies cannot be told apart line by line: the whole
    // output is compared as a multiset of lines, and the part before the first such reply (every
    // command before it prints at least one line) line for line.
    expect([...actual].sort()).toEqual([...expected].sort())
    const firstUnordered = SCRIPT.findIndex(([name]) => UNORDERED.has(String(name).toLowerCase()))
    expect(actual.slice(0, firstUnordered)).toEqual(expected.slice(0, firstUnordered))
  })
})
