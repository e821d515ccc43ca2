// The upstream chain with a real browser (DESIGN §7, docs/operations.md §1.1):
//
//   redis-server ──PSYNC over TCP──► Replicast node 1 (replicaOf) ──WebSocket──► Node replica
//     ▲   (writes: redis-cli, ioredis)                             └──WebSocket──► Chromium replica
//     └─────────PSYNC over TCP──► Replicast node 2 (replicaOf) ◄── the Chromium replica, moved
//
// What is checked: writes made with redis-cli and ioredis reach the browser (its offset equal to
// Redis's master_repl_offset, its digest equal to Redis's DEBUG DIGEST); a killed Redis link is a
// partial resync upstream (Redis's sync_partial_ok) while the browser's link stays up and never
// resyncs, and with the browser's link killed too, both hops continue (+CONTINUE on each); a browser
// moved to a second node that follows the same Redis continues there with +CONTINUE from what its
// IndexedDB holds, since the replid and offsets are Redis's. Every wait is on offsets or events (the
// node's upstream 'state' event, the browser's status); what only INFO tells (Redis's sync_partial_ok,
// a node with no replica's offset) is re-read by expect.poll until it holds: a wait on a condition,
// never on time.
import { execFile } from 'node:child_process'
import { on } from 'node:events'
import { promisify } from 'node:util'
import type { Master } from '@replicast/master'
import { createReplica, type Replica } from '@replicast/replica/node'
import { Redis } from 'ioredis'
import { writeSome } from '../support/dataset.ts'
import { startRedisServer, type RedisServer } from '../support/redis-server.ts'
import { expect, info, test, type App } from './support/fixtures.ts'

const run = promisify(execFile)

interface Upstream {
  readonly server: RedisServer
  readonly redis: Redis
  /** `redis-cli -p <port> <args>` (the real binary); resolves with its output, trimmed. */
  cli(...args: string[]): Promise<string>
  /** A field of Redis's INFO, as text. */
  field(name: string): Promise<string>
}

const chain = test.extend<{ upstream: Upstream; nodeReplicas: (node: Master) => Promise<Replica> }>({
  upstream: async ({}, use) => {
    // Diskless with no delay: the node's full sync starts at once.
    const server = await startRedisServer(['--repl-diskless-sync-delay', '0'])
    const redis = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 1 })
    try {
      await use({
        server,
        redis,
        async cli(...args) {
          const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(server.port), ...args], { encoding: 'utf8' })
          return stdout.trim()
        },
        async field(name) {
          const value = new RegExp(`^${name}:(.*)\\r?$`, 'm').exec(await redis.info())?.[1]?.trim()
          if (value === undefined) throw new Error(`Redis's INFO has no field ${name}`)
          return value
        },
      })
    } finally {
      redis.disconnect()
      await server.stop()
    }
  },

  nodeReplicas: async ({}, use) => {
    const started: Replica[] = []
    await use(async (node) => {
      const replica = await createReplica({ url: node.url })
      started.push(replica)
      return replica
    })
    await Promise.all(started.map((r) => r.close()))
  },
})

function linkStatus(node: Master): string | undefined {
  return /^master_link_status:(\w+)/m.exec(node.info('replication'))?.[1]
}

/** Waits until the node reports master_link_status:up: its upstream's 'state' event says 'streaming'. */
async function upstreamUp(node: Master, timeoutMs = 20_000): Promise<void> {
  const upstream = node.core.upstream
  if (upstream === null) throw new Error('The node has no upstream link; start it with replicaOf.')
  if (linkStatus(node) === 'up') return
  try {
    for await (const [kind] of on(upstream, 'state', { signal: AbortSignal.timeout(timeoutMs) })) if (kind === 'streaming') break
  } catch (error) {
    throw new Error(`Timed out after ${timeoutMs} ms waiting for the node to report master_link_status:up (it reports ${linkStatus(node)}).`, { cause: error })
  }
  expect(linkStatus(node)).toBe('up')
}

/**
 * Waits until the browser (and the Node replica, if given) have applied everything Redis produced:
 * the browser's offset equals Redis's master_repl_offset. Returns that offset.
 */
async function converged(upstream: Upstream, app: App, replica?: Replica): Promise<number> {
  // Redis writes a `ping` into its stream every 10 s: should one land between the two readings of
  // master_repl_offset, the browser is a ping behind; it is one more round.
  for (let round = 0; round < 5; round++) {
    const offset = Number(await upstream.field('master_repl_offset'))
    await app.waitForOffset(offset, { timeoutMs: 20_000 })
    await replica?.waitForOffset(offset, { timeoutMs: 20_000 })
    const status = await app.status()
    if (status.offset === offset && Number(await upstream.field('master_repl_offset')) === offset) return offset
  }
  throw new Error("the browser's offset never settled on Redis's master_repl_offset")
}

async function expectSameData(upstream: Upstream, app: App, node: Master, replica?: Replica): Promise<number> {
  const offset = await converged(upstream, app, replica)
  const digest = await upstream.redis.call('DEBUG', 'DIGEST')
  expect(await app.digest()).toBe(digest)
  expect(node.digest()).toBe(digest)
  if (replica !== undefined) expect(await replica.digest()).toBe(digest)
  expect((await app.status()).offset).toBe(Number(await upstream.field('master_repl_offset')))
  return offset
}

chain('upstream chain: Redis → Replicast node → Node replica and a Chromium replica; partial resyncs; the browser moves to a second node with +CONTINUE', async ({ upstream, masters, nodeReplicas, open }) => {
  const replicaOf = { host: '127.0.0.1', port: upstream.server.port }
  expect(await upstream.cli('SET', 'cli:before', 'in the RDB')).toBe('OK')
  await writeSome(upstream.redis, 'before')

  const first = await masters.start({ replicaOf })
  await upstreamUp(first)
  const replica = await nodeReplicas(first)
  const app = await open()
  expect(await app.start({ url: first.url, name: 'upstream' })).toBe('leader')

  // ── Writes with redis-cli and ioredis reach the browser ──────────────────────────────────────
  expect(await upstream.cli('SET', 'cli:greeting', 'hello from redis-cli')).toBe('OK')
  expect(await upstream.cli('-n', '3', 'HSET', 'cli:h', 'f', 'v')).toBe('1')
  await writeSome(upstream.redis, 'a', 2)
  await expectSameData(upstream, app, first, replica)
  expect(await app.get('cli:greeting')).toBe('hello from redis-cli')
  expect(await app.get('cli:before')).toBe('in the RDB')
  expect(await app.page.evaluate(() => window.e2e.call(['HGETALL', 'cli:h'], 3))).toEqual(['f', 'v'])
  const replid = await upstream.field('master_replid')
  expect(await app.status()).toMatchObject({ link: 'up', lastSync: 'full', replid, stats: { fullSyncs: 1, partialSyncs: 0 } })
  expect(first.replid).toBe(replid)
  expect(info(first, 'sync_full')).toBe(2)

  // ── The Redis link is killed: the node continues (+CONTINUE); the browser's link stays up ────
  const since = (await app.recorded()).statuses.length
  expect(await upstream.redis.call('CLIENT', 'KILL', 'TYPE', 'replica')).toBe(1)
  expect(await upstream.cli('SET', 'cli:while-relinking', '1')).toBe('OK')
  await writeSome(upstream.redis, 'b')
  await expect.poll(() => upstream.field('sync_partial_ok'), { message: "Redis's sync_partial_ok to count the node's PSYNC" }).toBe('1')
  await upstreamUp(first)
  await expectSameData(upstream, app, first, replica)
  expect(await upstream.field('sync_full')).toBe('1')
  expect(info(first, 'sync_full')).toBe(2)
  expect(info(first, 'sync_partial_ok')).toBe(0)
  expect(await app.status()).toMatchObject({ link: 'up', lastSync: 'full', replid, stats: { fullSyncs: 1, partialSyncs: 0 } })
  // Not a blip: every status since the kill had the link up.
  expect((await app.recorded()).statuses.slice(since).filter((s) => s.link !== 'up')).toEqual([])
  expect(replica.status.stats).toMatchObject({ fullSyncs: 1, partialSyncs: 0 })

  // ── Both hops at once: the Redis link and the node's replica links. Each continues. ─────────
  // The replicas may come back before the node's own link does (they are refused with
  // -NOMASTERLINK and retry); either way they continue, from Redis's offsets.
  const nodeClient = new Redis({ port: first.port, host: '127.0.0.1', maxRetriesPerRequest: 1 })
  try {
    expect(await upstream.redis.call('CLIENT', 'KILL', 'TYPE', 'replica')).toBe(1)
    expect(await nodeClient.call('CLIENT', 'KILL', 'TYPE', 'replica')).toBe(2)
  } finally {
    nodeClient.disconnect()
  }
  expect(await upstream.cli('INCR', 'cli:counter')).toBe('1')
  await writeSome(upstream.redis, 'c', 1)
  await expect.poll(() => upstream.field('sync_partial_ok'), { message: 'a second partial resync upstream' }).toBe('2')
  await app.page.waitForFunction(() => window.e2e.status().lastSync === 'partial' && window.e2e.status().link === 'up', undefined, { polling: 'raf' })
  await expectSameData(upstream, app, first, replica)
  expect(await upstream.field('sync_full')).toBe('1')
  expect(info(first, 'sync_full')).toBe(2)
  expect(info(first, 'sync_partial_ok')).toBe(2)
  expect(await app.status()).toMatchObject({ link: 'up', lastSync: 'partial', replid, stats: { fullSyncs: 1, partialSyncs: 1 } })
  expect(replica.status).toMatchObject({ lastSync: 'partial', stats: { fullSyncs: 1, partialSyncs: 1 } })

  // ── A second node follows the same Redis; the browser moves to it ───────────────────────────
  const second = await masters.start({ replicaOf })
  await upstreamUp(second)
  expect(await upstream.field('sync_full')).toBe('2')
  expect(second.replid).toBe(replid)
  // The browser must be at or past the second node's sync point (where its backlog starts), and
  // hold that durably: it resumes from what IndexedDB holds.
  await writeSome(upstream.redis, 'd', 4)
  const movedAt = await expectSameData(upstream, app, first, replica)
  await app.waitForOffset(movedAt, { durable: true })

  // Redis moves on while the browser is between nodes; the second node has it all.
  await app.close()
  expect(await upstream.cli('SET', 'cli:while-moving', 'yes')).toBe('OK')
  await writeSome(upstream.redis, 'e', 5)
  expect(await upstream.redis.wait(2, 10_000)).toBe(2)
  const target = Number(await upstream.field('master_repl_offset'))
  await expect.poll(() => second.offset, { message: "the second node's offset to reach Redis's" }).toBeGreaterThanOrEqual(target)

  const fullBefore = info(second, 'sync_full')
  expect(fullBefore).toBe(0)
  expect(await app.restart({ url: second.url, name: 'upstream' })).toBe('leader')
  await app.page.waitForFunction(() => window.e2e.status().link === 'up', undefined, { polling: 'raf' })
  await expectSameData(upstream, app, second)
  expect(await app.get('cli:while-moving')).toBe('yes')
  const moved = await app.status()
  expect(moved).toMatchObject({ link: 'up', lastSync: 'partial', replid, stats: { fullSyncs: 0, partialSyncs: 1 } })
  expect(moved.offset).toBeGreaterThan(movedAt)
  expect(info(second, 'sync_partial_ok')).toBe(1)
  expect(info(second, 'sync_full')).toBe(0)
  expect(second.digest()).toBe(first.digest())
  expect((await app.recorded()).errors).toEqual([])
})
