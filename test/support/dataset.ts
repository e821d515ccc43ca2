// Test data for replication tests: a seeded mix of every type, loaded straight into a master; a few
// writes of every type through a real RESP client (ioredis); and a writer that keeps writing through
// one (ioredis pipelines) until told to stop.
import type { Master } from '@replicast/master'
import type { Redis } from 'ioredis'
import { SeededRandom } from '../../packages/core/src/store/test-util.ts'

/** A small seeded PRNG (core's mulberry32, as a function), so a failing run can be replayed. */
export function prng(seed: number): () => number {
  const random = new SeededRandom(seed)
  return () => random.next()
}

const TYPES = ['string', 'hash', 'list', 'set', 'zset'] as const
export type KeyType = (typeof TYPES)[number]

/** The type of key `i` of a populated dataset: half strings, the rest spread over the other four types. */
export function keyType(i: number): KeyType {
  return i % 2 === 0 ? 'string' : TYPES[1 + ((i >> 1) % 4)]!
}

export const keyName = (i: number): string => `key:${i}`

// A TTL a year away: far enough that nothing expires during a test, so digests stay comparable.
const FAR_TTL_SECONDS = String(365 * 24 * 3600)

/**
 * Writes `count` keys of mixed types into the master (in process, through its command path, so the
 * stream and the backlog see them as from a client). Every 7th key gets a TTL a year away.
 */
export function populate(master: Master, count: number, valueBytes = 16): void {
  const pad = 'x'.repeat(Math.max(0, valueBytes - 8))
  for (let i = 0; i < count; i++) {
    const key = keyName(i)
    const value = `${pad}${i}`
    switch (keyType(i)) {
      case 'string': master.command(['SET', key, value]); break
      case 'hash': master.command(['HSET', key, 'f1', value, 'f2', String(i), 'f3', 'z']); break
      case 'list': master.command(['RPUSH', key, value, 'b', 'c']); break
      case 'set': master.command(['SADD', key, value, 'm1', 'm2']); break
      case 'zset': master.command(['ZADD', key, '1', value, '2.5', 'm2']); break
    }
    if (i % 7 === 0) master.command(['EXPIRE', key, FAR_TTL_SECONDS])
  }
}

/**
 * Writes keys of every type named `<tag>:…` through `redis` (a TTL and a MULTI among them) in `db`,
 * one command at a time; the connection ends in db 0.
 */
export async function writeSome(redis: Redis, tag: string, db = 0): Promise<void> {
  await redis.select(db)
  await redis.set(`${tag}:s`, 'v', 'EX', 1000)
  await redis.hset(`${tag}:h`, 'a', '1', 'b', '2')
  await redis.rpush(`${tag}:l`, 'x', 'y', 'z')
  await redis.sadd(`${tag}:set`, 'm', 'n')
  await redis.zadd(`${tag}:z`, 1.5, 'one', 2, 'two')
  await redis.incrbyfloat(`${tag}:f`, 1.25)
  await redis.multi().set(`${tag}:m1`, '1').incr(`${tag}:m2`).exec()
  await redis.select(0)
}

export interface Writer {
  /** Pipelines whose replies have come back. */
  readonly pipelines: number
  /** Stops after the pipeline in flight; resolves when it is done. */
  stop(): Promise<void>
  /** Resolves after `n` more pipelines completed (rejects if the writer fails). */
  after(n: number): Promise<void>
}

/**
 * Writes through `redis` in pipelines of `batch` commands, over keys 0..keys-1 of a populated
 * dataset (type-consistent, so every command succeeds) plus new keys, until stopped. `onPipeline`
 * runs before each pipeline is sent and after its replies arrived.
 */
export function startWriter(redis: Redis, options: { keys: number; seed?: number; batch?: number; onPipeline?: (phase: 'sent' | 'done') => void }): Writer {
  const random = prng(options.seed ?? 1)
  const batch = options.batch ?? 100
  let stopped = false
  let pipelines = 0
  let failure: unknown = null
  let waiters: { at: number; resolve: () => void; reject: (e: unknown) => void }[] = []
  const pick = () => Math.floor(random() * options.keys)
  const run = (async () => {
    while (!stopped) {
      const p = redis.pipeline()
      for (let j = 0; j < batch; j++) {
        const i = pick()
        const key = keyName(i)
        const r = random()
        if (r < 0.05) p.del(key)
        else if (r < 0.08) p.set(`new:${pick()}`, `n${pipelines}`, 'EX', 86_400)
        else if (r < 0.1) p.incr('counter')
        else {
          switch (keyType(i)) {
            case 'string': p.set(key, `w${pipelines}:${j}`); break
            case 'hash': p.hset(key, `f${j % 5}`, String(pipelines)); break
            case 'list': p.rpush(key, String(pipelines)); break
            case 'set': p.sadd(key, `s${j}`); break
            case 'zset': p.zadd(key, String(j), `z${pipelines % 50}`); break
          }
          if (r > 0.97) p.expire(key, 86_400)
        }
      }
      options.onPipeline?.('sent')
      const results = await p.exec()
      options.onPipeline?.('done')
      // Every command is type-consistent, so any error reply is a failure.
      for (const [error] of results ?? []) if (error !== null) throw error
      pipelines++
      waiters = waiters.filter((w) => {
        if (pipelines < w.at) return true
        w.resolve()
        return false
      })
    }
  })().catch((error: unknown) => {
    failure = error
    for (const w of waiters) w.reject(error)
    waiters = []
  })
  return {
    get pipelines() { return pipelines },
    async stop() {
      stopped = true
      await run
      if (failure !== null) throw failure
    },
    after(n) {
      if (failure !== null) return Promise.reject(failure)
      return new Promise((resolve, reject) => waiters.push({ at: pipelines + n, resolve, reject }))
    },
  }
}
