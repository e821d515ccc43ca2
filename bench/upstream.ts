// Upstream mode's full sync: a real Redis holding 1,000,000 keys (`DEBUG POPULATE 1000000 key 100`,
// REDIS.md §10) full-syncs a Replicast node in upstream mode (`replicaOf`), against the yardstick of
// the same Redis full-syncing a real `redis-server` replica (DESIGN §9). Target: within 3x.
//
//   npx tsx bench/upstream.ts [keys] [runs]
//
// Each side is timed from the moment it is told to replicate (REPLICAOF on the Redis replica,
// createMaster({ replicaOf }) for ours) until it reports the link up with the whole dataset
// loaded (INFO master_link_status:up; for ours the upstream link's state 'streaming', which is
// the same moment). The Redis master is diskless with no delay (Redis 7's default form, `$EOF:`),
// then disk-based (`$<len>`). Best of `runs` (default 2) per side and form; the ratio is ours/theirs.
// The results table (bench/_results.ts) says whether each form met the target; bench/run.ts counts
// the rows that did not.
import { Redis } from 'ioredis'
import { createMaster } from '../packages/master/src/index.ts'
import { startRedisServer, type RedisServer } from '../test/support/redis-server.ts'
import { printResults, type ResultRow } from './_results.ts'

const KEYS = Number(process.argv[2] ?? 1_000_000)
const RUNS = Number(process.argv[3] ?? 2)
/** DESIGN §9: the node's full sync from Redis within 3× Redis's own. */
const TARGET_RATIO = 3

async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 300_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

const field = (info: string, name: string): string | undefined => new RegExp(`^${name}:(.*)\\r?$`, 'm').exec(info)?.[1]?.trim()

async function redisReplicaSync(master: RedisServer): Promise<number> {
  const server = await startRedisServer([])
  const redis = new Redis({ port: server.port, host: '127.0.0.1' })
  try {
    const start = performance.now()
    await redis.replicaof('127.0.0.1', master.port)
    // Polling INFO while Redis loads costs it little: it answers between load slices.
    await until(async () => field(await redis.info('replication'), 'master_link_status') === 'up', 'the Redis replica')
    const ms = performance.now() - start
    const keys = await redis.dbsize()
    if (keys !== KEYS) throw new Error(`the Redis replica has ${keys} keys, expected ${KEYS}`)
    return ms
  } finally {
    redis.disconnect()
    await server.stop()
  }
}

async function replicastSync(master: RedisServer): Promise<number> {
  const start = performance.now()
  const node = await createMaster({ port: 0, wsPort: 0, replicaOf: { host: '127.0.0.1', port: master.port } })
  try {
    const upstream = node.core.upstream!
    await new Promise<void>((resolve) => {
      if (upstream.state.kind === 'streaming') return resolve()
      const onState = (kind: string): void => {
        if (kind !== 'streaming') return
        upstream.off('state', onState)
        resolve()
      }
      upstream.on('state', onState)
    })
    const ms = performance.now() - start
    const keys = node.core.dataset.keyCount()
    if (keys !== KEYS) throw new Error(`the Replicast node has ${keys} keys, expected ${KEYS}`)
    return ms
  } finally {
    await node.close()
  }
}

async function main(): Promise<void> {
  const master = await startRedisServer(['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0'])
  const redis = new Redis({ port: master.port, host: '127.0.0.1' })
  const rows: ResultRow[] = []
  try {
    const populateStart = performance.now()
    await redis.call('DEBUG', 'POPULATE', String(KEYS), 'key', '100')
    console.log(`upstream full sync: ${KEYS.toLocaleString('en-US')} keys of 100 bytes (DEBUG POPULATE, ${Math.round(performance.now() - populateStart)} ms), best of ${RUNS}`)
    for (const form of ['diskless ($EOF:)', 'disk ($<len>)'] as const) {
      if (form === 'disk ($<len>)') await redis.config('SET', 'repl-diskless-sync', 'no')
      let theirs = Infinity
      let ours = Infinity
      for (let run = 0; run < RUNS; run++) {
        theirs = Math.min(theirs, await redisReplicaSync(master))
        ours = Math.min(ours, await replicastSync(master))
      }
      const ratio = ours / theirs
      rows.push({
        name: `full sync, ${KEYS.toLocaleString('en-US')} keys from Redis, ${form}`,
        ours: `${(ours / 1000).toFixed(2)} s`,
        theirs: `${(theirs / 1000).toFixed(2)} s`,
        ratio: `${ratio.toFixed(2)}× the time`,
        target: `≤ ${TARGET_RATIO}×`,
        met: ratio <= TARGET_RATIO,
      })
    }
  } finally {
    redis.disconnect()
    await master.stop()
  }
  console.log('')
  printResults(rows, { name: 'upstream mode', ours: 'Replicast node', theirs: 'redis-server replica' })
}

await main()
