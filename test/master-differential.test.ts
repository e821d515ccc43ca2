// Differential test of the Replicast master against a real redis-server 7.0 (Debian's), both over
// TCP: the same seeded random command sequences (every command of DESIGN §2, wrong types, bad
// arguments, expiries, MULTI/EXEC) go through the same kind of raw RESP client to each, and
//   - every reply must be identical (with support/differential.ts's normalizations),
//   - the replication streams, each read by a raw `SYNC` replica attached to that server, must be
//     identical command by command (MULTI/EXEC and SELECT placement included, absolute times within
//     a tolerance, the servers' own `ping` and `REPLCONF GETACK` left out),
//   - DEBUG DIGEST of the two must be equal at every checkpoint.
// A failure prints FUZZ_SEED=<seed>; rerun one seed with
// `FUZZ_SEED=<seed> npx vitest run test/master-differential.test.ts` (FUZZ_OPS sets the length).
//
// Determinism: both servers have active expiry off (DEBUG SET-ACTIVE-EXPIRE 0) and ping their
// replicas rarely; the master's ping period and timeout are an hour and more.
import { createMaster, type Master } from '@replicast/master'
import { afterEach } from 'vitest'
import type { ByteString } from '../packages/core/src/bytes.ts'
import { encodeCommand } from '../packages/core/src/resp/encoder.ts'
import { awaitBarrier, compareStream, connectSide, describeFuzz, digestDifferences, FuzzRun, isStreamKeepalive, isUnorderedUnit, plain, respDigestSide, type Plain, type StreamGroup } from './support/differential.ts'
import { startRedisServer, type RedisServer } from './support/redis-server.ts'

const CHECKPOINT_EVERY = 500
const HOUR_MS = 3_600_000

let redisServer: RedisServer | null = null
let master: Master | null = null
const closers: (() => void)[] = []

afterEach(async () => {
  for (const close of closers.splice(0)) close()
  await master?.close()
  master = null
  await redisServer?.stop()
  redisServer = null
})

async function runSeed(seed: number, opsPerSeed: number): Promise<void> {
  redisServer = await startRedisServer(['--repl-ping-replica-period', '3600', '--repl-diskless-sync', 'no', '--repl-timeout', '3600'])
  master = await createMaster({ port: 0, wsPort: 0, host: '127.0.0.1', pingPeriodMs: HOUR_MS, timeoutMs: 2 * HOUR_MS, replicaSnapshotForm: 'length' })
  const m = master
  const redis = await connectSide('redis', redisServer.port, closers)
  // Our stream starts at the offset the SYNC's snapshot was taken at: nothing was written before it.
  const streamStart = m.offset
  const ours = await connectSide('ours', m.port, closers)

  const run = new FuzzRun(seed)
  const tx = run.tx
  /** Each op's place in our stream: the master's offset once its reply arrived. */
  const ops: { readonly op: number; readonly argv: readonly ByteString[]; readonly endOffset: number; readonly unordered: boolean }[] = []
  let opsChecked = 0
  let ourCommandsChecked = 0
  let ourOffsetChecked = streamStart
  let redisCommandsChecked = 0
  let barrierCount = 0
  /** The fuzzed client's selected database. */
  let selectedDb = 0

  const mismatch = async (op: number, argv: readonly ByteString[], redisReply: Plain, ourReply: Plain, client: 'client' | 'barrier'): Promise<never> => {
    const keysInRedis = plain(await redis[client].send(['KEYS', '*']))
    const keysHere = plain(await ours[client].send(['KEYS', '*']))
    throw new Error(
      `reply mismatch at op #${op} ${JSON.stringify(argv)}\n  redis: ${JSON.stringify(redisReply)}\n  ours:  ${JSON.stringify(ourReply)}\n` +
        `recent:\n  ${run.history}\nkeys in the selected db: redis ${JSON.stringify(keysInRedis)}\n  ours: ${JSON.stringify(keysHere)}`,
    )
  }

  /** Sends `argv` to both servers at once, through the fuzzed client or the barrier client. */
  const runOne = async (op: number, argv: ByteString[], client: 'client' | 'barrier'): Promise<void> => {
    const fuzzed = client === 'client'
    const [redisValue, ourValue] = await Promise.all([redis[client].send(argv), ours[client].send(argv)])
    const redisReply = plain(redisValue)
    const ourReply = plain(ourValue)
    // Our copy of a key is read from the master's dataset in process.
    const ourRecord = (key: ByteString) => m.core.dataset.getRecord(selectedDb, key)
    if (!(await run.agree(op, argv, redisReply, ourReply, fuzzed, ourRecord, redis.client))) await mismatch(op, argv, redisReply, ourReply, client)
    ops.push({ op, argv, endOffset: m.offset, unordered: fuzzed && isUnorderedUnit(argv, tx.queued) })
    if (fuzzed) {
      trackSelect(argv, redisReply)
      tx.observe(argv, redisReply)
    }
  }

  /** Follows the fuzzed client's SELECTs, alone or in a transaction. */
  const trackSelect = (argv: readonly ByteString[], reply: Plain): void => {
    const name = argv[0]!.toLowerCase()
    if (name === 'select' && tx.queued === null && JSON.stringify(reply) === '{"simple":"OK"}') selectedDb = Number(argv[1])
    if (name === 'exec' && Array.isArray(reply) && tx.queued !== null) {
      tx.queued.forEach((q, i) => {
        if (q[0]!.toLowerCase() === 'select' && JSON.stringify(reply[i]) === '{"simple":"OK"}') selectedDb = Number(q[1])
      })
    }
  }

  /**
   * Splits our stream since the last check into the ops that produced it, by byte offset (the
   * master writes canonical RESP, so each command's length is its encoding's), keep-alives removed.
   */
  const ourGroups = (): StreamGroup[] => {
    const commands = ours.stream.commands
    const groups: StreamGroup[] = []
    for (; opsChecked < ops.length; opsChecked++) {
      const entry = ops[opsChecked]!
      const group: ByteString[][] = []
      while (ourOffsetChecked < entry.endOffset) {
        const command = commands[ourCommandsChecked]
        if (command === undefined) throw new Error(`our stream ended at offset ${ourOffsetChecked}, before op #${entry.op}'s end ${entry.endOffset}`)
        ourCommandsChecked++
        ourOffsetChecked += encodeCommand(command).length
        if (!isStreamKeepalive(command)) group.push(command)
      }
      if (ourOffsetChecked !== entry.endOffset) throw new Error(`our stream's commands end at ${ourOffsetChecked}, not at op #${entry.op}'s offset ${entry.endOffset}`)
      if (group.length > 0) groups.push({ op: entry.op, argv: entry.argv, commands: group, unordered: entry.unordered })
    }
    return groups
  }

  const checkpoint = async (op: number): Promise<void> => {
    // A barrier write through another client: once it is in a stream, everything before it is.
    barrierCount++
    await runOne(op, ['SELECT', '15'], 'barrier')
    await runOne(op, ['SET', '__barrier__', String(barrierCount)], 'barrier')
    await Promise.all([awaitBarrier(redis, redisCommandsChecked, barrierCount), awaitBarrier(ours, ourCommandsChecked, barrierCount)])
    // Everything of ours up to the barrier's end offset has arrived (the barrier is the last op).
    const groups = ourGroups()
    const theirs = redis.stream.commands.slice(redisCommandsChecked)
    compareStream(theirs.filter((c) => !isStreamKeepalive(c)), groups)
    redisCommandsChecked += theirs.length
    const [redisDigest, ourDigest] = await Promise.all([redis.client.send(['DEBUG', 'DIGEST']), ours.client.send(['DEBUG', 'DIGEST'])])
    if (JSON.stringify(plain(redisDigest)) !== JSON.stringify(plain(ourDigest))) {
      const redisSide = respDigestSide(redis.barrier, 15)
      const ourSide = respDigestSide(ours.barrier, 15)
      const differences = await digestDifferences(redisSide, ourSide)
      await Promise.all([redisSide.done(), ourSide.done()])
      throw new Error(`digest mismatch after op #${op} (redis ${JSON.stringify(plain(redisDigest))}, ours ${JSON.stringify(plain(ourDigest))}):\n  ${differences.join('\n  ')}`)
    }
  }

  await run.drive({
    ops: opsPerSeed,
    checkpointEvery: CHECKPOINT_EVERY,
    generate: { serverCommands: true },
    runOne: (op, argv) => runOne(op, argv, 'client'),
    checkpoint,
  })
  run.stats.print(seed, redis.stream.commands)
}

describeFuzz('Replicast master vs redis-server 7.0 over TCP (replies, replication stream, digest)', { seeds: [11, 12, 13], ops: 3000 }, runSeed)
