// Differential test of the dataset against a real redis-server 7.0 (Debian's): seeded random command
// sequences go to Redis and to Dataset.execute; replies must be identical, Redis's replication stream
// (read by a raw `SYNC` replica) must equal our effects wrapped the way Redis wraps them, and DEBUG
// DIGEST must equal digest(). A failure prints FUZZ_SEED=<seed>; rerun one seed with
// `FUZZ_SEED=<seed> npx vitest run test/store-differential.test.ts`.
//
// The generator, the normalizations and the comparisons are shared with the master's differential
// test (support/differential.ts, which also explains how time is kept deterministic). Here the
// dataset reads the `now` we pass, taken just before sending to Redis.
import { afterEach, describe, expect, test } from 'vitest'
import type { ByteString } from '../packages/core/src/bytes.ts'
import { Dataset, StreamDbTracker, streamCommands, type ExecResult, type Session } from '../packages/core/src/store/index.ts'
import {
  compareStream,
  digestDifferences,
  fuzzOps,
  fuzzSeeds,
  History,
  isBylexRange,
  isStreamKeepalive,
  isUnorderedUnit,
  nextOp,
  pauseByClock,
  plain,
  respDigestSide,
  Rng,
  RunStats,
  runWithSeed,
  sameReply,
  TransactionTracker,
  type StreamGroup,
} from './support/differential.ts'
import { ReplicationStream, RespClient } from './support/resp-client.ts'
import { startRedisServer, type RedisServer } from './support/redis-server.ts'

const SEEDS = fuzzSeeds([1, 2, 3, 4])
const OPS_PER_SEED = fuzzOps(5000)
const CHECKPOINT_EVERY = 500

let server: RedisServer | null = null
const closers: (() => void)[] = []

afterEach(async () => {
  for (const close of closers.splice(0)) close()
  await server?.stop()
  server = null
})

async function runSeed(seed: number): Promise<void> {
  server = await startRedisServer(['--repl-ping-replica-period', '3600', '--repl-diskless-sync', 'no'])
  const redis = await RespClient.connect(server.port)
  closers.push(() => redis.close())
  const barrierClient = await RespClient.connect(server.port)
  closers.push(() => barrierClient.close())
  expect(plain(await redis.send(['DEBUG', 'SET-ACTIVE-EXPIRE', '0']))).toEqual({ simple: 'OK' })
  const stream = await ReplicationStream.attach(server.port)
  closers.push(() => stream.close())

  const rng = new Rng(seed)
  const dataset = new Dataset()
  const session = dataset.createSession()
  const barrierSession = dataset.createSession()
  const tracker = new StreamDbTracker()
  const expected: StreamGroup[] = []
  const history = new History()
  const stats = new RunStats()
  const tx = new TransactionTracker()
  let streamChecked = 0
  let expectedChecked = 0
  let barrierCount = 0

  const record = (op: number, argv: readonly ByteString[], result: ExecResult): void => {
    if (result.effects.length === 0) return
    expected.push({ op, argv, commands: streamCommands(result.effects, result.atomic, tracker), unordered: isUnorderedUnit(argv, tx.queued) })
  }

  const runOne = async (op: number, argv: ByteString[], on: Session, client: RespClient): Promise<void> => {
    const now = Date.now()
    const redisReply = plain(await client.send(argv))
    const result = dataset.execute(on, argv, now)
    const ours = plain(result.reply)
    stats.observe(redisReply)
    history.push(op, argv, redisReply)
    let same = sameReply(argv, redisReply, ours, on === session ? tx.queued : null)
    if (!same && on === session && tx.queued === null && (await lexRangeIsUnspecified(argv, on.db))) same = true
    if (!same) {
      const keysInRedis = plain(await client.send(['KEYS', '*']))
      const keysHere = [...dataset.records()].filter((r) => r.db === on.db).map((r) => `${JSON.stringify(r.key)}${r.expireAt === null ? '' : ` (expires in ${r.expireAt - Date.now()} ms)`}`)
      throw new Error(
        `reply mismatch at op #${op} ${JSON.stringify(argv)}\n  redis: ${JSON.stringify(redisReply)}\n  ours:  ${JSON.stringify(ours)}\n` +
          `recent:\n  ${history}\nkeys in db ${on.db}: redis KEYS * ${JSON.stringify(keysInRedis)}\n  ours: ${keysHere.join(', ')}`,
      )
    }
    record(op, argv, result)
    // Track the transaction as Redis saw it.
    if (on === session) tx.observe(argv, redisReply)
  }

  /** ZRANGE BYLEX on a skiplist-encoded set with mixed scores: Redis's answer is unspecified (isBylexRange). */
  const lexRangeIsUnspecified = async (argv: readonly ByteString[], db: number): Promise<boolean> => {
    if (!isBylexRange(argv)) return false
    const record = dataset.getRecord(db, argv[1]!)
    if (record === undefined || record.value.type !== 'zset' || (record.expireAt !== null && record.expireAt < Date.now() + 1000)) return false
    const scores = new Set(record.value.entries.map(([, score]) => score))
    if (scores.size <= 1) return false
    return JSON.stringify(plain(await redis.send(['OBJECT', 'ENCODING', argv[1]!]))) === '"skiplist"'
  }

  const checkStream = async (op: number): Promise<void> => {
    // A barrier write through another session: once it is in Redis's stream, everything before is.
    barrierCount++
    await runOne(op, ['SELECT', '15'], barrierSession, barrierClient)
    await runOne(op, ['SET', '__barrier__', String(barrierCount)], barrierSession, barrierClient)
    const deadline = Date.now() + 5000
    const isBarrier = (c: ByteString[]): boolean => c[0] === 'SET' && c[1] === '__barrier__' && c[2] === String(barrierCount)
    while (!stream.commands.slice(streamChecked).some(isBarrier)) {
      if (Date.now() > deadline) throw new Error(`replication stream did not deliver barrier ${barrierCount}`)
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
    compareStream(stream.commands.slice(streamChecked).filter((c) => !isStreamKeepalive(c)), expected.slice(expectedChecked))
    expectedChecked = expected.length
    streamChecked = stream.commands.length
    const redisDigest = plain(await redis.send(['DEBUG', 'DIGEST']))
    if (JSON.stringify(redisDigest) !== JSON.stringify({ simple: dataset.digest() })) {
      const theirs = respDigestSide(barrierClient, 15)
      const differences = await digestDifferences(theirs, {
        keys: async (db) => [...dataset.records()].filter((r) => r.db === db).map((r) => r.key),
        digestValue: async (db, key) => dataset.digestValue(db, key),
        describe: (db, key) => `record ${JSON.stringify(dataset.getRecord(db, key)).slice(0, 300)}`,
      })
      await theirs.done()
      throw new Error(`digest mismatch after op #${op}:\n  ${differences.join('\n  ')}`)
    }
  }

  for (let op = 0; op < OPS_PER_SEED; op++) {
    const next = nextOp(rng, tx, Date.now())
    await runOne(op, next.argv, session, redis)
    if (next.pauseMs !== undefined) await pauseByClock(next.pauseMs)
    if (op % CHECKPOINT_EVERY === CHECKPOINT_EVERY - 1 && tx.queued === null) await checkStream(op)
  }
  if (tx.queued !== null) await runOne(OPS_PER_SEED, ['DISCARD'], session, redis)
  await checkStream(OPS_PER_SEED)
  stats.print(seed, stream.commands)
}

describe('dataset vs redis-server 7.0 (replies, replication stream, digest)', () => {
  for (const seed of SEEDS) {
    test(`seed ${seed}: ${OPS_PER_SEED} random commands`, () => runWithSeed(seed, runSeed), 120_000)
  }
})
