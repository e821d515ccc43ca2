// Upstream mode (the issue "Real Redis on both ends", part 2; DESIGN §7): a Replicast master that
// replicates a real Redis and serves its data to Node replicas with Redis's own replid and offsets.
//
//   redis-server (writes) ──PSYNC over TCP──► Replicast node (replicaOf) ──WebSocket──► Node replica
//
// What is checked: writes reach the Node replica (digest equal to Redis's DEBUG DIGEST, also across a
// database the stream had selected before the replica's snapshot); the node's master_replid and
// master_repl_offset are Redis's; a killed Redis link is a partial resync on both hops; a replica
// moved to a second node that follows the same Redis continues there with +CONTINUE; a full resync
// upstream makes our replicas full-sync, a failover upstream (+CONTINUE <new id>) lets them continue
// through replid2; the node refuses writes (READONLY) and WAIT, and refuses PSYNC while its own link
// is down (-NOMASTERLINK); requirepass/masterauth, also through the `replicast` CLI. What Redis streams
// with no dataset effect (PUBLISH, SPUBLISH, FUNCTION, a script's PUBLISH inside MULTI) is consumed
// silently; a command Replicast does not implement is counted (INFO stats upstream_unapplied_commands)
// and reported (ERR_UPSTREAM_UNAPPLIED_COMMAND), the rest goes on, and a full resync repairs the data;
// a queued command that fails inside EXEC's reply is reported by its own name; CONFIG RESETSTAT starts
// that count over.
import { spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { describe, expect, onTestFinished, test } from 'vitest'
import type { Master, MasterOptions } from '@replicast/master'
import { createMemoryStorage, ReplicaUnappliedCommandError, type Replica } from '@replicast/replica/node'
import { client, eventually, infoField, startMaster, startReplica } from './support/cluster.ts'
import { writeSome } from './support/dataset.ts'
import { freePort, startRedisServer, type RedisServer } from './support/redis-server.ts'
import { RespClient } from './support/resp-client.ts'
import { UpstreamUnappliedCommandError } from '../packages/master/src/upstream/upstream.ts'

interface RedisHandle {
  readonly server: RedisServer
  readonly redis: Redis
  /** Redis's INFO field as text. */
  field(name: string): Promise<string | undefined>
}

async function startRedis(args: readonly string[] = [], password?: string): Promise<RedisHandle> {
  // Diskless with no delay: the EOF form at once (the other form has its own test).
  const server = await startRedisServer(['--repl-diskless-sync-delay', '0', ...args])
  onTestFinished(() => server.stop())
  const redis = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 1, password })
  onTestFinished(() => { redis.disconnect() })
  return { server, redis, field: async (name) => infoField(await redis.info(), name) }
}

async function startNode(redis: RedisHandle, options: Partial<MasterOptions> = {}, password?: string): Promise<Master> {
  const node = await startMaster({ replicaOf: { host: '127.0.0.1', port: redis.server.port, password }, ...options })
  await upstreamUp(node)
  return node
}

async function upstreamUp(node: Master): Promise<void> {
  await eventually(() => infoField(node.info('replication'), 'master_link_status') === 'up', 'the node to report master_link_status:up', 20_000)
}

/** The node has applied everything Redis produced (offsets equal), and Redis counts it for WAIT. */
async function caughtUp(redis: RedisHandle, node: Master): Promise<number> {
  // WAIT answers how many replicas acknowledged: all of them when several follow this Redis.
  expect(await redis.redis.wait(1, 10_000)).toBeGreaterThanOrEqual(1)
  let offset = 0
  await eventually(async () => {
    offset = Number(await redis.field('master_repl_offset'))
    return node.offset === offset
  }, "the node's offset to reach Redis's", 20_000)
  return offset
}

async function expectSameData(redis: RedisHandle, node: Master, replica: Replica): Promise<void> {
  const offset = await caughtUp(redis, node)
  await replica.waitForOffset(offset, { timeoutMs: 20_000 })
  const digest = await redis.redis.call('DEBUG', 'DIGEST')
  expect(node.digest()).toBe(digest)
  expect(await replica.digest()).toBe(digest)
}

describe('upstream mode: a Replicast node replicating a real Redis', () => {
  test("writes reach a Node replica; the node's replid and offset are Redis's; the stream's selected db carries over a snapshot", async () => {
    const upstream = await startRedis()
    await writeSome(upstream.redis, 'before')
    const node = await startNode(upstream)
    expect(infoField(node.info('replication'), 'role')).toBe('slave')
    expect(infoField(node.info('replication'), 'master_port')).toBe(String(upstream.server.port))
    // Redis sees us as a replica, with our RESP port as listening-port. It puts us `online` only when
    // it reaps the child that wrote the RDB (Redis: backgroundSaveDoneHandler → updateSlavesWaitingBgsave,
    // from serverCron), which can be after we found the EOF mark and loaded: until then INFO says
    // `state=wait_bgsave`. So wait for the state rather than read it once.
    const online = new RegExp(`^ip=127\\.0\\.0\\.1,port=${node.port},state=online,`)
    await eventually(async () => online.test((await upstream.field('slave0')) ?? ''), 'Redis to show our node online (slave0)', 20_000)

    // Leave Redis's stream in db 5, then attach a replica: no SELECT comes before the next write to
    // db 5, so the replica must start in the snapshot's repl-stream-db.
    await upstream.redis.select(5)
    await upstream.redis.set('in5:a', '1')
    await caughtUp(upstream, node)
    const replica = await startReplica(node)
    await replica.waitForOffset(node.offset, { timeoutMs: 20_000 })
    await upstream.redis.set('in5:b', '2')
    await upstream.redis.select(0)
    await writeSome(upstream.redis, 'after', 3)
    // redis-cli too, in another db.
    const cli = spawnSync('redis-cli', ['-p', String(upstream.server.port), '-n', '7', 'HSET', 'cli:h', 'f', 'v'], { encoding: 'utf8' })
    expect(cli.stdout.trim()).toBe('1')
    await expectSameData(upstream, node, replica)
    expect(await replica.get('in5:b', 5)).toBe('2')
    expect(await replica.get('in5:b', 0)).toBe(null)
    expect(await replica.hgetall('after:h', 3)).toEqual({ a: '1', b: '2' })
    expect(await replica.hgetall('cli:h', 7)).toEqual({ f: 'v' })

    const info = node.info('replication')
    expect(infoField(info, 'master_replid')).toBe(await upstream.field('master_replid'))
    expect(infoField(info, 'master_repl_offset')).toBe(await upstream.field('master_repl_offset'))
    expect(infoField(info, 'slave_repl_offset')).toBe(await upstream.field('master_repl_offset'))
    expect(infoField(info, 'master_sync_in_progress')).toBe('0')
    expect(replica.status.replid).toBe(await upstream.field('master_replid'))
    expect(replica.status.lastSync).toBe('full')
  })

  test('both RDB forms: $<len> (repl-diskless-sync no), and $EOF: after a delay filled with keep-alives', async () => {
    for (const [args, target] of [[['--repl-diskless-sync', 'no'], /target: disk/], [['--repl-diskless-sync-delay', '2'], /target: replicas sockets/]] as const) {
      const upstream = await startRedis(args)
      for (let i = 0; i < 200; i++) await upstream.redis.set(`k${i}`, 'x'.repeat(i))
      const node = await startNode(upstream)
      expect(upstream.server.log()).toMatch(target)
      const replica = await startReplica(node)
      await upstream.redis.set('late', '1')
      await expectSameData(upstream, node, replica)
    }
  })

  test('a killed Redis link is a partial resync on both hops: Redis counts sync_partial_ok, the Node replica never resyncs', async () => {
    const upstream = await startRedis()
    const node = await startNode(upstream)
    const replica = await startReplica(node)
    await writeSome(upstream.redis, 'a')
    await expectSameData(upstream, node, replica)
    expect(replica.status.stats.fullSyncs).toBe(1)

    expect(await upstream.redis.call('CLIENT', 'KILL', 'TYPE', 'replica')).toBe(1)
    await writeSome(upstream.redis, 'b')
    await eventually(async () => (await upstream.field('sync_partial_ok')) === '1', "Redis's sync_partial_ok to count our node", 20_000)
    await upstreamUp(node)
    await expectSameData(upstream, node, replica)

    // From our side too: CLIENT KILL TYPE master on the node.
    const nodeClient = client(node)
    expect(await nodeClient.call('CLIENT', 'KILL', 'TYPE', 'master')).toBe(1)
    await writeSome(upstream.redis, 'c', 2)
    await eventually(async () => (await upstream.field('sync_partial_ok')) === '2', 'a second partial resync', 20_000)
    await expectSameData(upstream, node, replica)

    expect(await upstream.field('sync_full')).toBe('1')
    // The Node replica's link to the node stayed up the whole time: one full sync, no new PSYNC.
    expect(replica.status.stats).toMatchObject({ fullSyncs: 1, partialSyncs: 0 })
    expect(node.info('stats')).toMatch(/sync_full:1\r\n/)
  })

  test('a replica moved to a second node that follows the same Redis continues there with +CONTINUE', async () => {
    const upstream = await startRedis()
    await writeSome(upstream.redis, 'x')
    const first = await startNode(upstream)
    const second = await startNode(upstream)
    const storage = createMemoryStorage()
    const replica = await startReplica(first, { storage })
    await writeSome(upstream.redis, 'y', 1)
    await expectSameData(upstream, first, replica)
    expect(replica.status.lastSync).toBe('full')
    const offset = replica.status.offset
    // What the moved replica resumes from is what its storage holds.
    await replica.waitForOffset(offset, { durable: true, timeoutMs: 20_000 })
    await replica.close()

    await writeSome(upstream.redis, 'z', 2)
    // The second node must have what the replica has: a replica ahead of its master gets a full
    // resync (Redis's rule), and the two nodes read Redis's stream independently.
    await caughtUp(upstream, second)
    const moved = await startReplica(second, { storage: createMemoryStorage({ backing: storage.backing }) })
    await expectSameData(upstream, second, moved)
    expect(moved.status.lastSync).toBe('partial')
    expect(moved.status.offset).toBeGreaterThan(offset)
    expect(infoField(second.info('stats'), 'sync_partial_ok')).toBe('1')
    expect(infoField(second.info('stats'), 'sync_full')).toBe('0')
  })

  test('a full resync upstream (new Redis history) makes our replicas full-sync too', async () => {
    const upstream = await startRedis()
    const node = await startNode(upstream)
    const replica = await startReplica(node)
    await writeSome(upstream.redis, 'a')
    await expectSameData(upstream, node, replica)
    const oldId = replica.status.replid

    await upstream.redis.call('DEBUG', 'CHANGE-REPL-ID')
    await upstream.redis.call('CLIENT', 'KILL', 'TYPE', 'replica')
    await writeSome(upstream.redis, 'b')
    await eventually(async () => (await upstream.field('sync_full')) === '2', 'Redis to full-sync our node again', 20_000)
    await upstreamUp(node)
    await expectSameData(upstream, node, replica)
    expect(replica.status.replid).not.toBe(oldId)
    expect(replica.status.replid).toBe(await upstream.field('master_replid'))
    expect(replica.status.stats.fullSyncs).toBe(2)
    expect(infoField(node.info('replication'), 'master_replid2')).toBe('0'.repeat(40))
  })

  test('a failover upstream (+CONTINUE <new id>) shifts the node to replid2; its replicas continue through it', async () => {
    // Redis A (master) → Redis B (replica) → our node → Node replica; then B is promoted.
    const a = await startRedis()
    const b = await startRedis(['--replicaof', '127.0.0.1', String(a.server.port)])
    await eventually(async () => (await b.field('master_link_status')) === 'up', 'B to follow A', 20_000)
    await writeSome(a.redis, 'a')
    const node = await startNode(b)
    const replica = await startReplica(node)
    await a.redis.set('k', '1')
    expect(await a.redis.wait(1, 10_000)).toBe(1)
    await eventually(async () => node.offset === Number(await a.field('master_repl_offset')), 'the node to follow A through B', 20_000)
    await replica.waitForOffset(node.offset, { timeoutMs: 20_000 })
    const oldId = await a.field('master_replid')
    expect(replica.status.replid).toBe(oldId)

    await b.redis.call('REPLICAOF', 'NO', 'ONE')
    const newId = await b.field('master_replid')
    expect(newId).not.toBe(oldId)
    await writeSome(b.redis, 'b')
    await eventually(async () => infoField(node.info('replication'), 'master_replid') === newId, "the node to take B's new replid", 20_000)
    await expectSameData(b, node, replica)
    const info = node.info('replication')
    expect(infoField(info, 'master_replid2')).toBe(oldId)
    expect(await b.field('sync_partial_ok')).toBe('1')
    expect(replica.status).toMatchObject({ replid: newId, lastSync: 'partial', stats: { fullSyncs: 1, partialSyncs: 1 } })
    expect(infoField(node.info('stats'), 'sync_partial_ok')).toBe('1')
  })

  test('PUBLISH, SPUBLISH and FUNCTION in Redis\'s stream are no-ops: digests stay equal on both hops, nothing is counted or reported', async () => {
    const upstream = await startRedis()
    const node = await startNode(upstream)
    const errors: Error[] = []
    node.core.on('error', (e) => errors.push(e))
    const replica = await startReplica(node)
    const r = upstream.redis
    // Redis 7.0 propagates all of these (observed with redis-cli --replica): PUBLISH and SPUBLISH
    // as sent, FUNCTION LOAD/DELETE/FLUSH as sent, an FCALL and an EVAL as their writes, the EVAL's
    // PUBLISH inside its MULTI ... EXEC.
    expect(await r.publish('news', 'hello')).toBe(0)
    expect(await r.call('SPUBLISH', 'shard-news', 'hi')).toBe(0)
    await r.call('FUNCTION', 'LOAD', "#!lua name=lib\nredis.register_function('setit', function(keys, args) return redis.call('SET', keys[1], args[1]) end)")
    expect(await r.call('FCALL', 'setit', '1', 'fn:key', 'fn:value')).toBe('OK')
    await r.eval("redis.call('SET', KEYS[1], '1'); redis.call('PUBLISH', 'news', 'in a script'); return 1", 1, 'ev:key')
    await r.call('FUNCTION', 'DELETE', 'lib')
    await r.call('FUNCTION', 'FLUSH')
    await r.publish('news', 'last')
    await writeSome(r, 'after')
    await expectSameData(upstream, node, replica)
    expect(await replica.get('fn:key')).toBe('fn:value')
    expect(await replica.get('ev:key')).toBe('1')
    expect(errors).toEqual([])
    expect(replica.status.lastError).toBeNull()
    expect(infoField(node.info('stats'), 'upstream_unapplied_commands')).toBe('0')
    expect(node.core.upstream!.unapplied).toEqual({ count: 0, lastCommand: null })
  })

  test('a command Replicast cannot apply is counted in INFO and reported as ERR_UPSTREAM_UNAPPLIED_COMMAND; the rest applies; a full resync repairs', async () => {
    const upstream = await startRedis()
    const node = await startNode(upstream)
    const errors: Error[] = []
    node.core.on('error', (e) => errors.push(e))
    // The node relays Redis's bytes unchanged: its replica meets the same commands, and says so too.
    const replica = await startReplica(node)
    const replicaErrors: Error[] = []
    replica.on('error', (e) => replicaErrors.push(e))
    // Following the stream before the writes, so that it meets them as commands, not in a snapshot.
    await replica.waitForOffset(node.offset, { timeoutMs: 20_000 })
    const r = upstream.redis
    await r.rpush('src', 'a', 'b')
    await r.set('str', 'hello')
    await r.lmove('src', 'dst', 'LEFT', 'RIGHT')
    await r.hsetnx('hash', 'f', 'v')
    await r.setrange('str', 0, 'J')
    // A script's writes come as MULTI, set, hsetnx, EXEC: the SET must still apply.
    await r.eval("redis.call('SET', KEYS[1], 'kept'); redis.call('HSETNX', KEYS[2], 'f', 'v'); return 1", 2, 'script:set', 'script:hash')
    await r.set('later', 'yes')
    await caughtUp(upstream, node)

    expect(infoField(node.info('stats'), 'upstream_unapplied_commands')).toBe('4')
    expect(node.core.upstream!.unapplied).toEqual({ count: 4, lastCommand: 'hsetnx' })
    // One report per command name (the second hsetnx is counted, not reported again).
    expect(errors.map((e) => [e instanceof UpstreamUnappliedCommandError, (e as UpstreamUnappliedCommandError).code, (e as UpstreamUnappliedCommandError).command])).toEqual([
      [true, 'ERR_UPSTREAM_UNAPPLIED_COMMAND', 'lmove'],
      [true, 'ERR_UPSTREAM_UNAPPLIED_COMMAND', 'hsetnx'],
      [true, 'ERR_UPSTREAM_UNAPPLIED_COMMAND', 'setrange'],
    ])
    expect(errors[0]!.message).toMatch(/^The upstream Redis streamed 'lmove src' \(in stream offsets \d+\.\.\d+\), which Replicast could not apply \(ERR unknown command 'lmove', .*'RIGHT'\)\. 1 command\(s\) unapplied so far/)
    // Everything else went on: the node follows Redis's offset, and applied the rest.
    const nodeClient = client(node)
    expect(await nodeClient.get('script:set')).toBe('kept')
    expect(await nodeClient.get('later')).toBe('yes')
    expect(await nodeClient.lrange('src', 0, -1)).toEqual(['a', 'b']) // LMOVE's effect is missing…
    expect(node.digest()).not.toBe(await r.call('DEBUG', 'DIGEST')) // …so the data differs.
    await replica.waitForOffset(node.offset, { timeoutMs: 20_000 })
    expect(await replica.digest()).toBe(node.digest())
    expect(replicaErrors.map((e) => [e instanceof ReplicaUnappliedCommandError, (e as ReplicaUnappliedCommandError).code, (e as ReplicaUnappliedCommandError).command])).toEqual([
      [true, 'ERR_REPLICA_UNAPPLIED_COMMAND', 'lmove'],
      [true, 'ERR_REPLICA_UNAPPLIED_COMMAND', 'hsetnx'],
      [true, 'ERR_REPLICA_UNAPPLIED_COMMAND', 'setrange'],
    ])
    expect(replica.status.lastError?.code).toBe('ERR_REPLICA_UNAPPLIED_COMMAND')
    expect(await replica.get('script:set')).toBe('kept')

    // A full resync repairs it: the RDB carries the effects.
    await r.call('DEBUG', 'CHANGE-REPL-ID')
    await r.call('CLIENT', 'KILL', 'TYPE', 'replica')
    await eventually(async () => (await upstream.field('sync_full')) === '2', 'Redis to full-sync the node again', 20_000)
    await upstreamUp(node)
    await caughtUp(upstream, node)
    expect(node.digest()).toBe(await r.call('DEBUG', 'DIGEST'))
    expect(await nodeClient.lrange('dst', 0, -1)).toEqual(['a'])
    expect(errors).toHaveLength(3)
  })

  test("a queued command that fails inside EXEC's reply is reported by its name; CONFIG RESETSTAT starts the count and the reports over", async () => {
    const upstream = await startRedis()
    const node = await startNode(upstream)
    const errors: Error[] = []
    node.core.on('error', (e) => errors.push(e))
    const r = upstream.redis
    // Make `n` diverge: SETRANGE is not implemented, so Redis has "12" and the node keeps "ab".
    await r.set('n', 'ab')
    await r.setrange('n', 0, '12')
    // A script with two writes: Redis 7.0 streams MULTI, SET, INCR, EXEC. On the node the INCR is
    // QUEUED and fails inside EXEC's reply; the SET before it applies.
    expect(await r.eval("redis.call('SET', 'other', '1'); return redis.call('INCR', 'n')", 0)).toBe(13)
    await caughtUp(upstream, node)

    expect(infoField(node.info('stats'), 'upstream_unapplied_commands')).toBe('2')
    expect(node.core.upstream!.unapplied).toEqual({ count: 2, lastCommand: 'incr' })
    const reported = errors as UpstreamUnappliedCommandError[]
    expect(reported.map((e) => [e instanceof UpstreamUnappliedCommandError, e.code, e.command, e.count])).toEqual([
      [true, 'ERR_UPSTREAM_UNAPPLIED_COMMAND', 'setrange', 1],
      [true, 'ERR_UPSTREAM_UNAPPLIED_COMMAND', 'incr', 2],
    ])
    expect(reported[1]!.reply).toBe('ERR value is not an integer or out of range')
    expect(reported[1]!.message).toMatch(/^The upstream Redis streamed 'INCR n' \(in stream offsets \d+\.\.\d+\), which Replicast could not apply \(ERR value is not an integer or out of range\)\. 2 command\(s\) unapplied so far/)
    const nodeClient = client(node)
    expect(await nodeClient.get('other')).toBe('1')
    expect(await nodeClient.get('n')).toBe('ab')
    expect(await r.get('n')).toBe('13')

    // CONFIG RESETSTAT zeroes the count, forgets the last command, and a name is reported again.
    expect(await nodeClient.call('CONFIG', 'RESETSTAT')).toBe('OK')
    expect(infoField(node.info('stats'), 'upstream_unapplied_commands')).toBe('0')
    expect(node.core.upstream!.unapplied).toEqual({ count: 0, lastCommand: null })
    await r.setrange('n', 0, '9')
    await caughtUp(upstream, node)
    expect(infoField(node.info('stats'), 'upstream_unapplied_commands')).toBe('1')
    expect(node.core.upstream!.unapplied).toEqual({ count: 1, lastCommand: 'setrange' })
    expect(errors.slice(2)).toMatchObject([{ code: 'ERR_UPSTREAM_UNAPPLIED_COMMAND', command: 'setrange', count: 1 }])
  })

  test('a redis-server can replicate the node in turn (Redis → Replicast → Redis), mid-stream in another db', async () => {
    const upstream = await startRedis()
    const node = await startNode(upstream)
    // After the node's full sync, so that Redis's stream (not only its RDB) is left in db 4.
    await writeSome(upstream.redis, 'a', 4)
    await upstream.redis.select(4)
    await upstream.redis.set('in4', '1')
    await caughtUp(upstream, node)
    const downstream = await startRedis(['--replicaof', '127.0.0.1', String(node.port)])
    await eventually(async () => (await downstream.field('master_link_status')) === 'up', 'the downstream Redis to sync', 20_000)
    // Still in db 4, no SELECT: the downstream Redis starts in our snapshot's repl-stream-db.
    await upstream.redis.set('in4:after', '2')
    await upstream.redis.select(0)
    await writeSome(upstream.redis, 'b')
    const offset = await caughtUp(upstream, node)
    await eventually(async () => Number(await downstream.field('master_repl_offset')) === offset, 'the downstream Redis to reach the offset', 20_000)
    expect(await downstream.field('master_replid')).toBe(await upstream.field('master_replid'))
    expect(await downstream.redis.call('DEBUG', 'DIGEST')).toBe(await upstream.redis.call('DEBUG', 'DIGEST'))
  })

  test('the node is read-only: writes get READONLY, WAIT is refused, ROLE says slave', async () => {
    const upstream = await startRedis()
    await upstream.redis.set('k', 'v')
    const node = await startNode(upstream)
    await caughtUp(upstream, node)
    const nodeClient = client(node)
    await expect(nodeClient.set('x', 'y')).rejects.toThrow("READONLY You can't write against a read only replica.")
    await expect(nodeClient.del('k')).rejects.toThrow(/^READONLY/)
    await expect(nodeClient.wait(1, 10)).rejects.toThrow(/WAIT cannot be used with replica instances/)
    expect(await nodeClient.get('k')).toBe('v')
    expect(await nodeClient.call('ROLE')).toEqual(['slave', '127.0.0.1', upstream.server.port, 'connected', node.offset])
    // MULTI with a write: rejected while queued, EXEC aborts (Redis's processCommand).
    const multi = await nodeClient.multi().get('k').set('k', 'w').exec().catch((e: Error) => e)
    expect(String(multi)).toMatch(/EXECABORT|READONLY/)
    expect(node.command(['SET', 'y', '1'])).toMatchObject({ kind: 'error', message: "READONLY You can't write against a read only replica." })
    expect(await upstream.redis.get('x')).toBe(null)
  })

  test('while its link to Redis is down the node refuses PSYNC (-NOMASTERLINK) and its replicas sync once Redis is there', async () => {
    const port = await freePort()
    const node = await startMaster({ replicaOf: { host: '127.0.0.1', port } })
    node.core.on('error', () => undefined) // ERR_UPSTREAM_CONNECT, expected here
    const info = node.info('replication')
    expect(infoField(info, 'master_link_status')).toBe('down')
    expect(infoField(info, 'master_link_down_since_seconds')).toBe('-1')
    const raw = await RespClient.connect(node.port)
    onTestFinished(() => raw.close())
    expect(await raw.send(['PSYNC', '?', '-1'])).toEqual({ kind: 'error', message: "NOMASTERLINK Can't SYNC while not connected with my master" })
    const replica = await startReplica(node, { backoff: { initialDelayMs: 100, maxDelayMs: 500 } })
    await eventually(() => replica.status.lastError?.code === 'ERR_MASTER_REFUSED', 'the replica to be refused')

    // Redis comes up on that port (the last --port wins).
    const server = await startRedisServer(['--repl-diskless-sync-delay', '0', '--port', String(port)])
    onTestFinished(() => server.stop())
    const redis = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 })
    onTestFinished(() => { redis.disconnect() })
    await writeSome(redis, 'late')
    await upstreamUp(node)
    await expectSameData({ server, redis, field: async (name) => infoField(await redis.info(), name) }, node, replica)
  })

  test('requirepass on Redis: masterauth through createMaster, and through the replicast CLI (--replicaof, --masterauth)', async () => {
    const upstream = await startRedis(['--requirepass', 's3cret'], 's3cret')
    await writeSome(upstream.redis, 'auth')
    const node = await startNode(upstream, {}, 's3cret')
    const replica = await startReplica(node)
    await expectSameData(upstream, node, replica)

    const bin = join(import.meta.dirname, '..', 'packages', 'master', 'bin', 'replicast.js')
    const cli = spawn(process.execPath, [bin, 'master', '--port', '0', '--ws-port', '0', '--replicaof', `127.0.0.1:${upstream.server.port}`, '--masterauth', 's3cret'], { stdio: ['ignore', 'pipe', 'pipe'] })
    onTestFinished(() => { if (cli.exitCode === null) cli.kill('SIGKILL') })
    let out = ''
    cli.stdout.on('data', (d: Buffer) => { out += d.toString() })
    cli.stderr.on('data', (d: Buffer) => { out += d.toString() })
    await eventually(() => /redis-cli -h \S+ -p \d+/.test(out), 'the CLI to print its port', 20_000)
    expect(out).toContain(`replica of:    127.0.0.1:${upstream.server.port}`)
    const port = Number(/redis-cli -h \S+ -p (\d+)/.exec(out)![1])
    const viaCli = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 })
    onTestFinished(() => { viaCli.disconnect() })
    await eventually(async () => infoField(await viaCli.info('replication'), 'master_link_status') === 'up', 'the CLI node to sync', 20_000)
    await upstream.redis.set('cli', 'yes')
    expect(await upstream.redis.wait(2, 10_000)).toBe(2)
    await eventually(async () => (await viaCli.get('cli')) === 'yes', 'the write to reach the CLI node')
    expect(await viaCli.call('DEBUG', 'DIGEST')).toBe(await upstream.redis.call('DEBUG', 'DIGEST'))
    const exited = new Promise((resolve) => cli.once('exit', resolve))
    cli.kill('SIGTERM')
    expect(await exited).toBe(0)
  })

  test('a wrong masterauth is reported and the link stays down', async () => {
    const upstream = await startRedis(['--requirepass', 's3cret'], 's3cret')
    const node = await startMaster({ replicaOf: { host: '127.0.0.1', port: upstream.server.port, password: 'wrong' } })
    const errors: (Error & { code?: string })[] = []
    node.core.on('error', (e) => errors.push(e))
    await eventually(() => errors.some((e) => e.code === 'ERR_MASTER_REFUSED' && /WRONGPASS/.test(e.message)), 'the AUTH refusal to be reported')
    expect(infoField(node.info('replication'), 'master_link_status')).toBe('down')
  })
})
