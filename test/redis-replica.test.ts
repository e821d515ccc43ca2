// A real `redis-server --replicaof` replicating from a Replicast master (the issue "Real Redis on
// both ends", part 1; REDIS.md §11 "Node master serving a real redis-server --replicaof").
//
// Under a seeded random write load of every data type, with expiries and MULTI/EXEC, over several
// databases (through ioredis against our master), the Redis replica ends up equal to the master key
// by key (type, value, and absolute expiry: PEXPIRETIME equal to the master's stored expiry to the
// millisecond) and by DEBUG DIGEST, in both snapshot forms (`$EOF:<mark>`, which needs the master to
// wait for the replica's first ACK, and `$<len>`). The load's errors are only the ones it is built
// to provoke (WRONGTYPE and friends); any other fails the test. Its link killed from either side, the
// replica comes back with `+CONTINUE`; then the master's own snapshot of that dataset, fetched with
// `redis-cli --rdb`, passes `redis-check-rdb`. WAIT counts the replica through the master's
// `REPLCONF GETACK *` alone: a proxy holds back the ACKs the replica sends by itself once a second,
// and lets through only the answers to a GETACK. A replica that sends a command with a reply on its
// replication link is disconnected, as Redis does.
//
// Seed: REPLICAST_SEED=<n> replays a run (the seed is in each test's name).
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { describe, expect, onTestFinished, test } from 'vitest'
import type { Master } from '@replicast/master'
import { client, eventually, infoField, startMaster } from './support/cluster.ts'
import { prng } from './support/dataset.ts'
import { startGetackProxy } from './support/getack-proxy.ts'
import { startRedisServer, type RedisServer } from './support/redis-server.ts'

const SEED = Number(process.env.REPLICAST_SEED ?? 20241118)
const DBS = [0, 1, 3] as const
// Short TTLs expire during the test (and must be gone on both sides before digests are compared);
// long ones outlive it, and compare exactly (the master propagates absolute times: SET … PXAT,
// PEXPIREAT, and the RDB stores them in ms).
const SHORT_TTL_MAX_MS = 40
const LONG_TTL_MIN_S = 500
/**
 * The errors the load provokes on purpose: types collide (WRONGTYPE), INCRBY meets text, RENAME and
 * LSET meet missing keys or indexes. Anything else (EXECABORT included: every queued command is
 * known and well-formed) is a bug.
 */
const EXPECTED_LOAD_ERRORS = new RegExp('^(' + [
  'WRONGTYPE Operation against a key holding the wrong kind of value',
  'ERR value is not an integer or out of range',
  'ERR value is not a valid float',
  'ERR increment or decrement would overflow',
  'ERR hash value is not an integer',
  'ERR hash value is not a float',
  'ERR no such key',
  'ERR index out of range',
].join('|') + ')$')

async function redisReplicaOf(master: Master): Promise<{ server: RedisServer; redis: Redis }> {
  const server = await startRedisServer(['--replicaof', '127.0.0.1', String(master.port)])
  onTestFinished(() => server.stop())
  const redis = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 1 })
  onTestFinished(() => { redis.disconnect() })
  return { server, redis }
}

async function linkUp(redis: Redis, master: Master): Promise<void> {
  await eventually(async () => infoField(await redis.info('replication'), 'master_link_status') === 'up', 'the Redis replica to report master_link_status:up', 20_000)
  await eventually(() => /slave0:.*state=online/.test(master.info('replication')), 'the master to show the replica online', 20_000)
}

function statNumber(master: Master, field: string): number {
  return Number(infoField(master.info('stats'), field))
}

// ─── The seeded load ────────────────────────────────────────────────────────────────────────────

type Command = [string, ...(string | number)[]]

/**
 * Random commands over a small keyspace, so that types collide (WRONGTYPE errors are part of the
 * load) and keys are rewritten, expired, renamed and deleted.
 */
class Load {
  readonly #random: () => number
  constructor(seed: number) {
    this.#random = prng(seed)
  }

  #int(n: number): number {
    return Math.floor(this.#random() * n)
  }

  #pick<T>(items: readonly T[]): T {
    return items[this.#int(items.length)]!
  }

  #value(): string {
    switch (this.#int(5)) {
      case 0: return String(this.#int(100_000) - 50_000) // integer-encoded in the RDB
      case 1: return `v${this.#int(1000)}`
      case 2: return 'abc'.repeat(10 + this.#int(40)) // LZF-compressible
      case 3: return (this.#random() * 1000).toFixed(3)
      default: return Array.from({ length: 1 + this.#int(30) }, () => String.fromCharCode(32 + this.#int(95))).join('')
    }
  }

  #ttl(): (string | number)[] {
    const roll = this.#int(10)
    if (roll === 0) return ['PX', 1 + this.#int(SHORT_TTL_MAX_MS)]
    if (roll === 1) return ['EX', LONG_TTL_MIN_S + this.#int(1000)]
    if (roll === 2) return ['PX', (LONG_TTL_MIN_S + this.#int(1000)) * 1000]
    return []
  }

  command(): Command {
    const key = `${this.#pick(['s', 'h', 'l', 'z', 't'])}:${this.#int(40)}`
    const other = `${this.#pick(['s', 'h', 'l', 'z', 't'])}:${this.#int(40)}`
    const v = (): string => this.#value()
    switch (this.#int(34)) {
      case 0: return ['SET', key, v(), ...this.#ttl()]
      case 1: return ['SET', key, v(), 'KEEPTTL']
      case 2: return ['SET', key, v(), this.#pick(['NX', 'XX']), 'GET']
      case 3: return ['SETEX', key, LONG_TTL_MIN_S + this.#int(100), v()]
      case 4: return ['APPEND', key, v()]
      case 5: return ['INCRBY', key, this.#int(100) - 50]
      case 6: return ['INCRBYFLOAT', key, (this.#random() * 10).toFixed(2)]
      case 7: return ['GETSET', key, v()]
      case 8: return ['GETDEL', key]
      case 9: return ['MSET', key, v(), other, v()]
      case 10: return ['DEL', key, other]
      case 11: return ['UNLINK', key]
      case 12: return ['EXPIRE', key, LONG_TTL_MIN_S + this.#int(1000)]
      case 13: return ['PEXPIRE', key, 1 + this.#int(SHORT_TTL_MAX_MS)]
      case 14: return ['PERSIST', key]
      case 15: return ['RENAME', key, other]
      case 16: return ['PEXPIREAT', key, 1000] // in the past: propagated as DEL
      case 17: return ['HSET', key, `f${this.#int(20)}`, v(), `f${this.#int(20)}`, v()]
      case 18: return ['HDEL', key, `f${this.#int(20)}`]
      case 19: return ['HINCRBY', key, `n${this.#int(5)}`, this.#int(100) - 50]
      case 20: return ['HINCRBYFLOAT', key, `x${this.#int(5)}`, (this.#random() * 10).toFixed(3)]
      case 21: return [this.#pick(['LPUSH', 'RPUSH']), key, ...Array.from({ length: 1 + this.#int(this.#int(10) === 0 ? 200 : 5) }, v)]
      case 22: return [this.#pick(['LPOP', 'RPOP']), key]
      case 23: return ['LSET', key, this.#int(5) - 2, v()]
      case 24: return ['LTRIM', key, this.#int(3), 20 + this.#int(100)]
      case 25: return ['LREM', key, this.#int(3) - 1, v()]
      case 26: return ['SADD', key, ...Array.from({ length: 1 + this.#int(this.#int(10) === 0 ? 200 : 5) }, () => this.#pick([String(this.#int(1000)), `m${this.#int(50)}`]))]
      case 27: return ['SREM', key, `m${this.#int(50)}`, String(this.#int(1000))]
      case 28: return ['ZADD', key, ...Array.from({ length: 1 + this.#int(this.#int(10) === 0 ? 200 : 4) }, () => [(this.#random() * 200 - 100).toFixed(this.#int(3)), `z${this.#int(300)}`]).flat()]
      case 29: return ['ZREM', key, `z${this.#int(300)}`]
      case 30: return ['ZINCRBY', key, (this.#random() * 5).toFixed(1), `z${this.#int(300)}`]
      case 31: return ['HSET', key, 'a', v()]
      case 32: return ['EXPIRE', key, LONG_TTL_MIN_S + this.#int(100), this.#pick(['NX', 'XX', 'GT', 'LT'])]
      default: return ['SET', key, v()]
    }
  }

  /** A batch of units: single commands, or MULTI/EXEC blocks of a few. */
  units(count: number): Command[][] {
    const units: Command[][] = []
    for (let i = 0; i < count; i++) {
      units.push(this.#int(8) === 0 ? Array.from({ length: 2 + this.#int(4) }, () => this.command()) : [this.command()])
    }
    return units
  }

  db(): number {
    return this.#pick(DBS)
  }
}

/**
 * Runs `units` units of load against `port`, pipelined, over one connection per database. Returns
 * how many commands got one of the EXPECTED_LOAD_ERRORS; throws, naming them, if any other error came.
 */
async function runLoad(port: number, load: Load, units: number): Promise<number> {
  const clients = new Map<number, Redis>()
  let expected = 0
  const unexpected: string[] = []
  const check = (command: Command, error: unknown): void => {
    const message = error instanceof Error ? error.message : String(error)
    if (EXPECTED_LOAD_ERRORS.test(message)) expected++
    else unexpected.push(`${command.join(' ').slice(0, 80)} → ${message}`)
  }
  try {
    for (const db of DBS) clients.set(db, new Redis({ port, host: '127.0.0.1', db, maxRetriesPerRequest: 1 }))
    const pending: Promise<unknown>[] = []
    for (const unit of load.units(units)) {
      const redis = clients.get(load.db())!
      if (unit.length === 1) {
        const [name, ...args] = unit[0]!
        pending.push(redis.call(name, ...args).catch((e: unknown) => check(unit[0]!, e)))
      } else {
        const multi = redis.multi()
        for (const [name, ...args] of unit) multi.call(name, ...args)
        // EXEC answers each command's error in its slot ([error, result] pairs in ioredis).
        pending.push(multi.exec().then(
          (results) => {
            if (results === null) check(unit[0]!, 'EXEC answered nil')
            else results.forEach(([error], i) => { if (error !== null) check(unit[i]!, error) })
          },
          (e: unknown) => check(['MULTI', ...unit.map((c) => c[0])], e),
        ))
      }
      if (pending.length >= 200) await Promise.all(pending.splice(0))
    }
    await Promise.all(pending)
  } finally {
    for (const redis of clients.values()) redis.disconnect()
  }
  expect(unexpected, 'errors the load is not built to provoke').toEqual([])
  return expected
}

// ─── Comparing ──────────────────────────────────────────────────────────────────────────────────

async function keysOf(redis: Redis, db: number): Promise<string[]> {
  await redis.select(db)
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await redis.scan(cursor, 'COUNT', 500)
    cursor = next
    keys.push(...batch)
  } while (cursor !== '0')
  return [...new Set(keys)].sort()
}

async function valueOf(redis: Redis, key: string): Promise<{ type: string; value: unknown }> {
  const type = await redis.type(key)
  let value: unknown
  switch (type) {
    case 'string': value = await redis.get(key); break
    case 'hash': value = await redis.hgetall(key); break
    case 'list': value = await redis.lrange(key, 0, -1); break
    case 'set': value = (await redis.smembers(key)).sort(); break
    case 'zset': value = await redis.zrange(key, 0, -1, 'WITHSCORES'); break
    default: value = null
  }
  return { type, value }
}

/**
 * Lets every short TTL run out and the master delete those keys (reading them expires them lazily
 * and propagates the DEL), so that both sides hold the same keys for DEBUG DIGEST.
 */
async function settleExpiries(checker: Redis): Promise<void> {
  await eventually(async () => {
    let pendingShort = 0
    for (const db of DBS) {
      for (const key of await keysOf(checker, db)) {
        const pttl = await checker.pttl(key)
        if (pttl >= 0 && pttl <= SHORT_TTL_MAX_MS * 10) pendingShort++
      }
    }
    return pendingShort === 0
  }, 'short TTLs to run out on the master', 20_000)
}

/**
 * WAIT, then the replica's offset is the master's; then key by key (value, and the replica's
 * PEXPIRETIME against the absolute expiry the master stores, to the millisecond), then DEBUG DIGEST.
 */
async function expectEqual(master: Master, checker: Redis, replica: Redis): Promise<number> {
  await settleExpiries(checker)
  await checker.select(0)
  expect(await checker.wait(1, 10_000)).toBe(1)
  await eventually(async () => Number(infoField(await replica.info('replication'), 'master_repl_offset')) === master.offset, 'the Redis replica to reach the master offset', 20_000)
  let compared = 0
  let withExpiry = 0
  for (const db of DBS) {
    const keys = await keysOf(checker, db)
    expect(await keysOf(replica, db), `keys of db ${db}`).toEqual(keys)
    await checker.select(db)
    await replica.select(db)
    for (const key of keys) {
      const ours = await valueOf(checker, key)
      const theirs = await valueOf(replica, key)
      expect({ db, key, type: theirs.type, value: theirs.value }).toEqual({ db, key, type: ours.type, value: ours.value })
      // Both sides hold the same absolute time: the master sends PXAT/PEXPIREAT and the RDB stores ms.
      const stored = master.core.dataset.getRecord(db, key)?.expireAt ?? -1
      expect(Number(await replica.call('PEXPIRETIME', key)), `expiry of ${key} in db ${db}`).toBe(stored)
      if (stored !== -1) withExpiry++
      compared++
    }
  }
  expect(await replica.call('DEBUG', 'DIGEST')).toBe(master.digest())
  await checker.select(0)
  await replica.select(0)
  expect(withExpiry, 'keys with an expiry compared').toBeGreaterThan(0)
  return compared
}

function run(command: string, args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => { output += d.toString() })
    child.stderr.on('data', (d: Buffer) => { output += d.toString() })
    child.once('error', reject)
    child.once('exit', (code) => resolve({ code, output }))
  })
}

/** Fetches the master's snapshot with `redis-cli --rdb` and returns what `redis-check-rdb` says of it. */
async function checkMasterRdb(master: Master): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'replicast-rdb-'))
  onTestFinished(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'dump.rdb')
  const cli = await run('redis-cli', ['-p', String(master.port), '--rdb', file])
  expect(cli.code, cli.output).toBe(0)
  expect(cli.output).not.toMatch(/error/i)
  expect(cli.output).toMatch(/Transfer finished with success/)
  const check = await run('redis-check-rdb', [file])
  expect(check.code, check.output).toBe(0)
  return check.output
}

// ─── Tests ──────────────────────────────────────────────────────────────────────────────────────

describe.each([
  { form: 'auto', log: /receiving streamed RDB from master with EOF/ },
  { form: 'length', log: /receiving \d+ bytes from master/ },
] as const)('a redis-server replica of a Replicast master, snapshot form $form', ({ form, log }) => {
  test(`follows a random load of every type (seed ${SEED}): equal key by key and by DEBUG DIGEST; killed links resume with +CONTINUE`, async () => {
    const master = await startMaster({ replicaSnapshotForm: form, pingPeriodMs: 1000, timeoutMs: 30_000, snapshotReuseMs: 0 })
    const load = new Load(SEED + (form === 'auto' ? 0 : 1))
    expect(await runLoad(master.port, load, 1500), 'errors the load provokes on purpose').toBeGreaterThan(0)
    expect(master.core.dataset.keyCount()).toBeGreaterThan(50)

    const { server, redis: replica } = await redisReplicaOf(master)
    // Writes while the replica connects and loads: they reach it through the stream after S.
    await Promise.all([runLoad(master.port, load, 1500), linkUp(replica, master)])
    expect(server.log()).toMatch(log)
    expect(statNumber(master, 'sync_full')).toBe(1)

    const checker = client(master)
    expect(await expectEqual(master, checker, replica)).toBeGreaterThan(50)

    // The replica drops its link (CLIENT KILL TYPE master): it comes back with PSYNC and continues.
    expect(await replica.call('CLIENT', 'KILL', 'TYPE', 'master')).toBe(1)
    await runLoad(master.port, load, 500)
    await eventually(() => statNumber(master, 'sync_partial_ok') === 1, 'a partial resync after CLIENT KILL TYPE master', 20_000)
    await linkUp(replica, master)
    await expectEqual(master, checker, replica)

    // We drop it (CLIENT KILL TYPE replica on the master): the same.
    expect(await checker.call('CLIENT', 'KILL', 'TYPE', 'replica')).toBe(1)
    await runLoad(master.port, load, 500)
    await eventually(() => statNumber(master, 'sync_partial_ok') === 2, 'a partial resync after CLIENT KILL TYPE replica', 20_000)
    await linkUp(replica, master)
    await expectEqual(master, checker, replica)
    expect(statNumber(master, 'sync_full')).toBe(1)
    expect(server.log()).toMatch(/Successful partial resynchronization with master/)

    // The master's own snapshot of this dataset (every type, expiries, three databases), as
    // `redis-cli --rdb` fetches it, passes Redis's checker with every key.
    // (snapshotReuseMs 0: a snapshot of the data now, at the current offset, not the one made for
    // the replica's full sync.)
    const records = [...master.core.dataset.records()]
    expect([...new Set(records.map((r) => r.value.type))].sort()).toEqual(['hash', 'list', 'set', 'string', 'zset'])
    const offsetBefore = master.offset
    const check = await checkMasterRdb(master)
    expect(check).toMatch(/RDB looks OK/)
    // Taken at the offset of the moment it began: the stream's pings (pingPeriodMs) may move it
    // while redis-cli connects.
    const snapshotOffset = Number(/AUX FIELD repl-offset = '(\d+)'/.exec(check)?.[1])
    expect(snapshotOffset).toBeGreaterThanOrEqual(offsetBefore)
    expect(snapshotOffset).toBeLessThanOrEqual(master.offset)
    expect(check).toContain(`[info] ${records.length} keys read`)
    expect(check).toContain(`[info] ${records.filter((r) => r.expireAt !== null).length} expires`)
  })
})

describe('the replication link of a redis-server replica', () => {
  test('WAIT counts the replica through REPLCONF GETACK, and answers 0 once it is gone', async () => {
    const master = await startMaster()
    // The replica reaches the master through a proxy that can hold back its periodic ACKs.
    const proxy = await startGetackProxy(master.port)
    const server = await startRedisServer(['--replicaof', '127.0.0.1', String(proxy.port)])
    onTestFinished(() => server.stop())
    const replica = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 1 })
    onTestFinished(() => { replica.disconnect() })
    await linkUp(replica, master)
    const writer = client(master)
    await writer.set('k', 'v')
    expect(await writer.wait(1, 10_000)).toBe(1)
    expect(await replica.get('k')).toBe('v')

    // From here the master hears an ACK only as the answer to a GETACK: the replica's own ACKs, once
    // a second, are held back, and the one after this write leaves the master's view behind.
    proxy.answerOnlyGetack()
    await writer.set('k', 'held')
    await eventually(async () => (await replica.get('k')) === 'held' && proxy.heldAcks > 0, 'a periodic ACK to be held back', 10_000)
    expect(infoField(master.info('replication'), 'slave0')).not.toContain(`offset=${master.offset},`)
    // So each WAIT below is answered by the GETACK it sends, or not at all.
    for (let i = 0; i < 5; i++) {
      await writer.set('k', String(i))
      const getacks = proxy.getacks
      expect(await writer.wait(1, 10_000), `WAIT 1 after write ${i}`).toBe(1)
      expect(proxy.getacks).toBeGreaterThan(getacks)
    }
    expect(await replica.get('k')).toBe('4')
    const role = (await writer.call('ROLE')) as [string, number, [string, string, string][]]
    expect(role[0]).toBe('master')
    expect(role[2]).toEqual([['127.0.0.1', String(server.port), expect.any(String)]])
    replica.disconnect()
    await server.stop()
    await eventually(() => master.core.links.size === 0, 'the link to go away')
    await writer.set('k2', 'v')
    expect(await writer.wait(1, 50)).toBe(0)
  })

  test('redis-cli --rdb (REPLCONF rdb-only 1, then SYNC) gets an RDB that redis-check-rdb accepts, and is closed after it', async () => {
    const master = await startMaster()
    for (let db = 0; db < 3; db++) for (let i = 0; i < 50; i++) master.command(['SET', `k${i}`, `v${i}`], db)
    const check = await checkMasterRdb(master)
    expect(check).toMatch(/\[info\] 150 keys read/)
    expect(check).toMatch(/RDB looks OK/)
    await eventually(() => master.core.links.size === 0, 'the rdb-only link to close')
  })

  test('a replica that sends a command with a reply (GET x) on its replication link is disconnected', async () => {
    const master = await startMaster()
    await client(master).set('x', '1')
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ port: master.port, host: '127.0.0.1' }, () => resolve(s))
      s.once('error', reject)
    })
    onTestFinished(() => { socket.destroy() })
    let received = ''
    socket.on('data', (chunk: Buffer) => { received += chunk.toString('latin1') })
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    socket.write('*3\r\n$8\r\nREPLCONF\r\n$4\r\ncapa\r\n$6\r\npsync2\r\n*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n')
    // `$<len>` form (no capa eof): the stream may start once the RDB is in.
    await eventually(() => {
      const m = /\$(\d+)\r\n/.exec(received)
      return m !== null && received.length >= m.index + m[0].length + Number(m[1])
    }, 'the RDB')
    expect(received).toMatch(/^\+OK\r\n\+FULLRESYNC [0-9a-f]{40} \d+\r\n\$\d+\r\nREDIS0010/)
    const errors: string[] = []
    master.core.on('replica-error', (e) => errors.push(e.message))
    // REPLCONF ACK has no reply: allowed.
    socket.write('*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$1\r\n0\r\n')
    const before = received.length
    socket.write('*2\r\n$3\r\nGET\r\n$1\r\nx\r\n')
    await closed
    // Nothing was answered: no `$1\r\n1` reply on a replication link.
    expect(received.slice(before)).not.toContain('$1\r\n1\r\n')
    expect(errors.join('\n')).toMatch(/Replica sent 'GET x' on the replication link/)
  })

  test('after an EOF-marked RDB nothing is sent until the replica ACKs (REDIS.md §2.4)', async () => {
    const master = await startMaster({ replicaSnapshotForm: 'auto' })
    const writer = client(master)
    await writer.set('before', '1')
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ port: master.port, host: '127.0.0.1' }, () => resolve(s))
      s.once('error', reject)
    })
    onTestFinished(() => { socket.destroy() })
    let received = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => { received = Buffer.concat([received, chunk]) })
    socket.write('*5\r\n$8\r\nREPLCONF\r\n$4\r\ncapa\r\n$3\r\neof\r\n$4\r\ncapa\r\n$6\r\npsync2\r\n*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n')
    let mark = ''
    await eventually(() => {
      const m = /\$EOF:([0-9a-f]{40})\r\n/.exec(received.toString('latin1'))
      if (m === null) return false
      mark = m[1]!
      return received.toString('latin1').endsWith(mark) && received.length > m.index + m[0].length + mark.length
    }, 'the EOF-marked RDB')
    const atMark = received.length
    // Writes made now are held: the master must not write after the mark before our ACK.
    await writer.set('after', '2')
    await writer.set('after', '3')
    const stats = master.info('replication')
    expect(stats).toMatch(/slave0:.*state=online/)
    await writer.ping() // a round trip on another connection: the master had its turn to write
    expect(received.length).toBe(atMark)
    socket.write('*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$1\r\n0\r\n')
    await eventually(() => received.subarray(atMark).toString('latin1').includes('$5\r\nafter\r\n$1\r\n3\r\n'), 'the held stream after the ACK')
    // The held stream, whole and in order (the command name keeps the client's case, as in Redis).
    expect(received.subarray(atMark).toString('latin1')).toMatch(/^\*2\r\n\$6\r\nSELECT\r\n\$1\r\n0\r\n\*3\r\n\$3\r\nset\r\n\$5\r\nafter\r\n\$1\r\n2\r\n\*3\r\n\$3\r\nset\r\n\$5\r\nafter\r\n\$1\r\n3\r\n$/i)
  })
})
