// Differential test of the dataset against a real redis-server 7.0 (Debian's): seeded random command
// sequences go to Redis and to Dataset.execute; replies must be identical, Redis's replication stream
// (read by a raw `SYNC` replica) must equal our effects wrapped the way Redis wraps them, and DEBUG
// DIGEST must equal digest(). A failure prints FUZZ_SEED=<seed>; rerun one seed with
// `FUZZ_SEED=<seed> npx vitest run test/store-differential.test.ts`.
//
// The generator, the normalizations and the comparisons are shared with the master's differential
// test (support/differential.ts, which also explains how time is kept deterministic). Here the
// dataset reads the `now` we pass, taken just before sending to Redis.
import { afterEach } from 'vitest'
import type { ByteString } from '../packages/core/src/bytes.ts'
import { Dataset, StreamDbTracker, streamCommands, type ExecResult, type Session } from '../packages/core/src/store/index.ts'
import { awaitBarrier, compareStream, connectSide, describeFuzz, digestDifferences, FuzzRun, isStreamKeepalive, isUnorderedUnit, plain, respDigestSide, type StreamGroup } from './support/differential.ts'
import type { RespClient } from './support/resp-client.ts'
import { startRedisServer, type RedisServer } from './support/redis-server.ts'

const CHECKPOINT_EVERY = 500

let server: RedisServer | null = null
const closers: (() => void)[] = []

afterEach(async () => {
  for (const close of closers.splice(0)) close()
  await server?.stop()
  server = null
})

async function runSeed(seed: number, opsPerSeed: number): Promise<void> {
  server = await startRedisServer(['--repl-ping-replica-period', '3600', '--repl-diskless-sync', 'no'])
  const side = await connectSide('redis', server.port, closers)
  const { client: redis, barrier: barrierClient, stream } = side

  const run = new FuzzRun(seed)
  const tx = run.tx
  const dataset = new Dataset()
  const session = dataset.createSession()
  const barrierSession = dataset.createSession()
  const tracker = new StreamDbTracker()
  const expected: StreamGroup[] = []
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
    if (!(await run.agree(op, argv, redisReply, ours, on === session, (key) => dataset.getRecord(on.db, key), redis))) {
      const keysInRedis = plain(await client.send(['KEYS', '*']))
      const keysHere = [...dataset.records()].filter((r) => r.db === on.db).map((r) => `${JSON.stringify(r.key)}${r.expireAt === null ? '' : ` (expires in ${r.expireAt - Date.now()} ms)`}`)
      throw new Error(
        `reply mismatch at op #${op} ${JSON.stringify(argv)}\n  redis: ${JSON.stringify(redisReply)}\n  ours:  ${JSON.stringify(ours)}\n` +
          `recent:\n  ${run.history}\nkeys in db ${on.db}: redis KEYS * ${JSON.stringify(keysInRedis)}\n  ours: ${keysHere.join(', ')}`,
      )
    }
    record(op, argv, result)
    // Track the transaction as Redis saw it.
    if (on === session) tx.observe(argv, redisReply)
  }

  const checkStream = async (op: number): Promise<void> => {
    // A barrier write through another session: once it is in Redis's stream, everything before is.
    barrierCount++
    await runOne(op, ['SELECT', '15'], barrierSession, barrierClient)
    await runOne(op, ['SET', '__barrier__', String(barrierCount)], barrierSession, barrierClient)
    await awaitBarrier(side, streamChecked, barrierCount)
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

  await run.drive({
    ops: opsPerSeed,
    checkpointEvery: CHECKPOINT_EVERY,
    runOne: (op, argv) => runOne(op, argv, session, redis),
    checkpoint: checkStream,
  })
  run.stats.print(seed, stream.commands)
}

describeFuzz('dataset vs redis-server 7.0 (replies, replication stream, digest)', { seeds: [1, 2, 3, 4], ops: 5000 }, runSeed)
