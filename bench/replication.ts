// Replication core, side by side with Redis (the "Replication core" issue; DESIGN §9, REDIS.md §10):
//
//   (a) full sync of 1,000,000 string keys with 100-byte values, from replica start until its offset
//       is the master's: Replicast master → Node replica (in memory, no storage; and file storage, durable),
//       vs a diskless Redis master (repl-diskless-sync-delay 0) → `redis-server` replica, timed from
//       REPLICAOF until the replica's INFO says master_link_status:up at the master's offset;
//   (b) SET/s propagated to 1 and to 10 replicas: one pipelined client writes N SETs (100-byte values
//       over 100,000 keys) then `WAIT <replicas> 0`; the time runs from the first write to WAIT's reply
//       (every replica has ACKed the last write). The same raw-socket client drives both masters;
//   (c) catch-up after 100,000 missed writes: the replica is disconnected (Replicast: disconnect();
//       Redis: REPLICAOF to a dead port, which keeps the cached master), 100k SETs, then reconnected
//       (connect() / REPLICAOF back): time until its offset is the master's, by partial resync;
//   (d) the Replicast master's worst event-loop delay (monitorEventLoopDelay, reset just before the
//       full sync starts) during (a). Redis forks and has no such figure; the yardstick is an idle
//       Node process's own worst delay over the same windows: what the machine's load alone does.
//
// Targets: (a) within 3× of Redis's time, (b) at least half of Redis's rate, (d) under 50 ms.
// Wall times on a shared 2-core machine move with everyone else's load, so (a) and (b) also print
// the CPU time each process spent (from /proc: user + system, all threads, reaped children such as
// Redis's fork), per full sync and per SET: the comparison that load does not change.
//
//   npx tsx bench/replication.ts [--quick] [--runs n] [--keys n] [--sets n] [--missed n]
//                                [--replicas 1,10] [--replicas-per-process n] [--skip a,b,c]
//   BENCH_CPU_PROF=/tmp/prof npx tsx bench/replication.ts …   (a V8 CPU profile per child process)
//   BENCH_NODE_ARGS=--trace-gc npx tsx bench/replication.ts …  (node flags for the child processes)
//
// Process layout, the same for both systems (2-core machines: nobody gets a core to itself): the
// Replicast master runs in a child process, each Node replica in another (as each redis-server is
// its own process), and this process only drives them: the pipelined client, INFO polling of Redis,
// and the clock. Children are this same file started with `--role master|replicas|idle`, answering
// requests over the IPC channel. Every run of Replicast is interleaved with one of Redis, so both
// see the same load from whatever else runs on the machine; each line reports the best run and the
// spread. The data is checked to be the same: DEBUG DIGEST of both masters after populating, and of
// the replica after its sync.
import { fork, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect, type Socket } from 'node:net'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { freePort, startRedisServer, type RedisServer } from '../test/support/redis-server.ts'
import { printResults, type ResultRow } from './_results.ts'

// ─── Options ────────────────────────────────────────────────────────────────────────────────────

function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`)
  return at < 0 ? undefined : process.argv[at + 1]
}
const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1'
const numberOption = (name: string, full: number, quick: number): number => {
  const value = option(name)
  if (value === undefined) return QUICK ? quick : full
  const n = Number(value.replace(/_/g, ''))
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${value}`)
  return n
}

const FULL_SYNC_KEYS = numberOption('keys', 1_000_000, 100_000)
const SETS = numberOption('sets', 1_000_000, 50_000)
const MISSED_WRITES = numberOption('missed', 100_000, 20_000)
const RUNS = numberOption('runs', 3, 1)
const REPLICAS_PER_PROCESS = numberOption('replicas-per-process', 1, 1)
const REPLICA_COUNTS = (option('replicas') ?? '1,10').split(',').map(Number)
const STORAGE_LABEL = { memory: 'in memory (no storage)', file: 'file storage' } as const
const SKIP = new Set((option('skip') ?? '').split(',').filter((s) => s !== ''))
const VALUE_BYTES = 100
const KEY_SPACE = 100_000
// The client: PIPELINE commands per write, at most WINDOW writes unanswered.
const PIPELINE = 64
const WINDOW = 4
const BACKLOG_BYTES = 64 * 1024 * 1024
const REDIS_POLL_MS = 2

// ─── Child processes, driven over IPC ───────────────────────────────────────────────────────────

interface Request { readonly id: number; readonly op: string; readonly args: unknown }
interface Reply { readonly id: number; readonly result?: unknown; readonly error?: string }
type Handlers = Record<string, (args: never) => unknown>

/** A child running this file in a role; `call` runs one of its handlers. */
class Child {
  readonly #process: ChildProcess
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  #nextId = 1

  private constructor(child: ChildProcess) {
    this.#process = child
    child.on('message', (message: Reply) => {
      const pending = this.#pending.get(message.id)
      if (pending === undefined) return
      this.#pending.delete(message.id)
      if (message.error !== undefined) pending.reject(new Error(message.error))
      else pending.resolve(message.result)
    })
    child.on('exit', (code, signal) => {
      for (const { reject } of this.#pending.values()) reject(new Error(`the ${child.spawnargs.at(-1)} child exited (${code ?? signal})`))
      this.#pending.clear()
    })
  }

  get pid(): number {
    return this.#process.pid!
  }

  static async start(role: 'master' | 'replicas' | 'idle'): Promise<Child> {
    // BENCH_CPU_PROF=<dir>: each child writes a V8 CPU profile there when it exits (node --cpu-prof).
    // BENCH_NODE_ARGS="--trace-gc …": more node flags for the children.
    const profile = process.env.BENCH_CPU_PROF
    const execArgv = [...process.execArgv, ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')]
    if (profile !== undefined) execArgv.push('--cpu-prof', '--cpu-prof-dir', profile, '--cpu-prof-name', `${role}-${Date.now()}-${process.pid}.cpuprofile`)
    const child = fork(fileURLToPath(import.meta.url), ['--role', role], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv })
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve())
      child.once('exit', (code) => reject(new Error(`the ${role} child exited (${code}) before it was ready`)))
    })
    return new Child(child)
  }

  call<T>(op: string, args: unknown = null): Promise<T> {
    const id = this.#nextId++
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.#process.send({ id, op, args } satisfies Request)
    })
  }

  async stop(): Promise<void> {
    const child = this.#process
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    await this.call('exit').catch(() => undefined)
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
}

function serve(handlers: Handlers): void {
  process.on('message', (message: Request) => {
    void (async () => {
      let reply: Reply
      try {
        const handler = handlers[message.op]
        if (handler === undefined) throw new Error(`no handler ${message.op}`)
        reply = { id: message.id, result: (await handler(message.args as never)) ?? null }
      } catch (error) {
        reply = { id: message.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }
      }
      process.send!(reply)
      if (message.op === 'exit') process.disconnect()
    })()
  })
  // An orphan (the driver died) must not outlive it.
  process.on('disconnect', () => setTimeout(() => process.exit(0), 100).unref())
  process.send!({ ready: true })
}

// DEBUG POPULATE's data (REDIS.md §10): key:<n> → "value:<n>" padded with zero bytes.
const populateValue = (n: number): string => `value:${n}`.padEnd(VALUE_BYTES, '\x00')

async function masterRole(): Promise<void> {
  const { createMaster } = await import('../packages/master/src/index.ts')
  let master: Awaited<ReturnType<typeof createMaster>> | null = null
  const histogram = monitorEventLoopDelay({ resolution: 1 })
  histogram.enable()
  const m = () => {
    if (master === null) throw new Error('no master')
    return master
  }
  serve({
    async start(args: { backlogBytes: number }) {
      // snapshotReuseMs 0: every run makes its own snapshot, as Redis makes its own RDB per sync.
      master = await createMaster({ host: '127.0.0.1', port: 0, wsPort: 0, backlogBytes: args.backlogBytes, snapshotReuseMs: 0 })
      return { port: master.port, url: master.url }
    },
    populate(args: { keys: number }) {
      const dataset = m().core.dataset
      const batch = []
      for (let i = 0; i < args.keys; i++) {
        batch.push({ db: 0, key: `key:${i}`, value: { type: 'string' as const, value: populateValue(i) }, expireAt: null })
        if (batch.length === 10_000) dataset.loadRecords(batch.splice(0))
      }
      dataset.loadRecords(batch)
      return dataset.dbsize(0)
    },
    offset: () => m().offset,
    digest: () => m().digest(),
    resetDelay() {
      m().core.eventLoopDelayMaxMs(true)
      histogram.reset()
    },
    delay: () => ({ coreMaxMs: m().core.eventLoopDelayMaxMs(), maxMs: histogram.max / 1e6, p99Ms: histogram.percentile(99) / 1e6 }),
    stats: () => ({ ...m().core.stats, snapshotMs: m().core.snapshotter.lastDurationMs, snapshotBytes: m().core.snapshotter.lastBytes }),
    async exit() {
      await master?.close()
    },
  })
}

/** An idle process measuring its own event-loop delay: what the machine alone does to a loop. */
function idleRole(): void {
  const histogram = monitorEventLoopDelay({ resolution: 1 })
  histogram.enable()
  serve({
    resetDelay() {
      histogram.reset()
    },
    delay: () => ({ maxMs: histogram.max / 1e6, p99Ms: histogram.percentile(99) / 1e6 }),
    exit() {
      histogram.disable()
    },
  })
}

async function replicasRole(): Promise<void> {
  const { createReplica, createFileStorage } = await import('../packages/replica/src/node.ts')
  type Replica = Awaited<ReturnType<typeof createReplica>>
  const replicas: Replica[] = []
  const dirs: string[] = []
  const get = (index: number): Replica => {
    const replica = replicas[index]
    if (replica === undefined) throw new Error(`no replica ${index}`)
    return replica
  }
  serve({
    /** Creates a replica, connects it and resolves once it has the master's `target` offset. */
    /** `memory`: createReplica without storage (the dataset in memory is the only copy). */
    async add(args: { url: string; storage: 'memory' | 'file'; target: number }) {
      let storage
      if (args.storage === 'file') {
        const dir = await mkdtemp(join(tmpdir(), 'replicast-bench-replica-'))
        dirs.push(dir)
        storage = createFileStorage({ dir })
      }
      const replica = await createReplica({ url: args.url, storage, autoConnect: false })
      await replica.ready
      replicas.push(replica)
      const started = performance.now()
      replica.connect()
      await replica.waitForOffset(args.target)
      const appliedMs = performance.now() - started
      await replica.waitForOffset(args.target, { durable: true })
      const durableMs = performance.now() - started
      return { index: replicas.length - 1, appliedMs, durableMs, lastSync: replica.status.lastSync }
    },
    digest: (args: { index: number }) => get(args.index).digest(),
    offset: (args: { index: number }) => get(args.index).status.offset,
    disconnect(args: { index: number }) {
      get(args.index).disconnect()
    },
    async reconnect(args: { index: number; target: number }) {
      const replica = get(args.index)
      const started = performance.now()
      replica.connect()
      await replica.waitForOffset(args.target)
      return { ms: performance.now() - started, lastSync: replica.status.lastSync }
    },
    async exit() {
      await Promise.all(replicas.map((r) => r.close()))
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
    },
  })
}

// ─── The pipelined client ───────────────────────────────────────────────────────────────────────

const SET_COMMANDS = (() => {
  // KEY_SPACE SETs, pre-encoded, so the client spends nothing but writes.
  const value = 'v'.repeat(VALUE_BYTES)
  const text = Array.from({ length: KEY_SPACE }, (_, i) => {
    const key = `key:${i}`
    return `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${VALUE_BYTES}\r\n${value}\r\n`
  })
  const starts = new Uint32Array(KEY_SPACE + 1)
  for (let i = 0; i < KEY_SPACE; i++) starts[i + 1] = starts[i]! + text[i]!.length
  return { bytes: Buffer.from(text.join(''), 'latin1'), starts }
})()

/** One RESP connection writing pipelined SETs: PIPELINE per write, at most WINDOW writes unanswered. */
class PipelinedClient {
  readonly #socket: Socket
  #onData: (chunk: Buffer) => void = () => undefined
  #next = 0

  private constructor(socket: Socket) {
    this.#socket = socket
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
  }

  static connect(port: number): Promise<PipelinedClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' }, () => resolve(new PipelinedClient(socket)))
      socket.once('error', reject)
    })
  }

  /** Writes `count` SETs (rounded up to whole pipelines); resolves when every reply is in. */
  sets(count: number): Promise<void> {
    const batches = Math.ceil(count / PIPELINE)
    const replies = batches * PIPELINE
    let sent = 0
    let answered = 0
    let bytes = 0
    const send = (): void => {
      while (sent < batches && sent - Math.floor(answered / PIPELINE) < WINDOW) {
        const first = this.#next
        const last = Math.min(first + PIPELINE, KEY_SPACE)
        this.#socket.write(SET_COMMANDS.bytes.subarray(SET_COMMANDS.starts[first]!, SET_COMMANDS.starts[last]!))
        if (last - first < PIPELINE) this.#socket.write(SET_COMMANDS.bytes.subarray(0, SET_COMMANDS.starts[PIPELINE - (last - first)]!))
        this.#next = (first + PIPELINE) % KEY_SPACE
        sent++
      }
    }
    return new Promise((resolve, reject) => {
      this.#onData = (chunk) => {
        bytes += chunk.length
        for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) answered++
        if (answered < replies) return send()
        // Every reply is +OK\r\n: anything else (an error) shows in the byte count.
        if (bytes !== replies * 5) reject(new Error(`SET replies were not all +OK: ${chunk.toString('latin1', 0, 200)}`))
        else resolve()
      }
      send()
    })
  }

  /** WAIT numreplicas 0: resolves with the number of replicas that acknowledged our last write. */
  wait(replicas: number): Promise<number> {
    return this.#command(['WAIT', String(replicas), '0']).then(Number)
  }

  #command(argv: readonly string[]): Promise<string> {
    let reply = ''
    return new Promise((resolve, reject) => {
      this.#onData = (chunk) => {
        reply += chunk.toString('latin1')
        if (!reply.endsWith('\r\n')) return
        if (reply.startsWith(':') || reply.startsWith('+')) resolve(reply.slice(1, -2))
        else reject(new Error(`${argv[0]}: ${reply}`))
      }
      this.#socket.write(`*${argv.length}\r\n${argv.map((a) => `$${a.length}\r\n${a}\r\n`).join('')}`)
    })
  }

  close(): void {
    this.#socket.destroy()
  }
}

// ─── Measuring ──────────────────────────────────────────────────────────────────────────────────

interface Sample { readonly values: number[] }
const sample = (): Sample => ({ values: [] })
const best = (s: Sample, higherIsBetter: boolean): number => (higherIsBetter ? Math.max(...s.values) : Math.min(...s.values))
const spread = (s: Sample, format: (n: number) => string): string =>
  s.values.length < 2 ? '1 run' : `${format(Math.min(...s.values))}–${format(Math.max(...s.values))} over ${s.values.length} runs`

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`
const millis = (ms: number): string => `${ms.toFixed(ms < 10 ? 1 : 0)} ms`
const micros = (us: number): string => `${us.toFixed(2)} µs`
const perSecond = (n: number): string => `${Math.round(n).toLocaleString('en-US')}/s`
const count = (n: number): string => n.toLocaleString('en-US')
const load = (): string => loadavg().map((n) => n.toFixed(2)).join(' ')
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const CLOCK_TICKS_PER_SECOND = 100

/**
 * CPU time (user + system, all threads, and children it has waited for: Redis's fork for a full
 * sync) a process has used so far, in ms, from /proc (Linux).
 */
function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    // Fields after the command name (which may hold spaces): state is field 3; utime, stime,
    // cutime, cstime are 14 to 17.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 1000) / CLOCK_TICKS_PER_SECOND
  } catch {
    return Number.NaN
  }
}

/** Read and write system calls a process has made so far (/proc/<pid>/io: syscr + syscw; Linux). */
function syscalls(pid: number): number {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'latin1')
    return Number(/^syscr: (\d+)/m.exec(io)?.[1]) + Number(/^syscw: (\d+)/m.exec(io)?.[1])
  } catch {
    return Number.NaN
  }
}

function infoFields(info: string): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const line of info.split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1)
  }
  return fields
}

async function redisOffset(redis: Redis): Promise<number> {
  return Number(infoFields(await redis.info('replication')).master_repl_offset)
}

/** Polls a Redis replica's INFO until its link is up at `target` or beyond; returns when it was. */
async function redisReplicaReached(replica: Redis, target: number): Promise<number> {
  for (;;) {
    const info = infoFields(await replica.info('replication'))
    if (info.master_link_status === 'up' && Number(info.master_repl_offset) >= target) return performance.now()
    await sleep(REDIS_POLL_MS)
  }
}

/** A redis-server, replicating `master` when given. */
async function startRedisReplica(master?: RedisServer): Promise<{ server: RedisServer; client: Redis }> {
  const server = await startRedisServer(master === undefined ? [] : ['--replicaof', '127.0.0.1', String(master.port)])
  return { server, client: new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: false }) }
}

async function redisOnlineReplicas(master: Redis): Promise<number> {
  const info = await master.info('replication')
  return (info.match(/^slave\d+:.*state=online/gm) ?? []).length
}

const lines: ResultRow[] = []
/** Rows of the CPU-per-SET table of (b). */
const cpuLines: string[] = []
/** Rows of the CPU table of (a). */
const fullSyncCpuLines: string[] = []

// ─── (a) + (d): full sync ───────────────────────────────────────────────────────────────────────

async function fullSync(): Promise<void> {
  console.log(`\n(a) full sync of ${count(FULL_SYNC_KEYS)} keys × ${VALUE_BYTES}-byte values; load ${load()}`)
  const master = await Child.start('master')
  // The yardstick of (d): an idle Node process's own event-loop delay over the same windows, what
  // the machine's load alone does to a loop.
  const idle = await Child.start('idle')
  const redisMaster = await startRedisServer(['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0', '--repl-backlog-size', '64mb'])
  const redis = new Redis({ port: redisMaster.port, host: '127.0.0.1' })
  const ours = { memory: sample(), memoryDurable: sample(), file: sample(), delay: sample(), delayP99: sample(), idleDelay: sample() }
  const theirs = sample()
  const theirsCpu = { master: sample(), replica: sample() }
  const oursCpu = { memory: { master: sample(), replica: sample() }, file: { master: sample(), replica: sample() } }
  try {
    const { url } = await master.call<{ url: string }>('start', { backlogBytes: BACKLOG_BYTES })
    let started = performance.now()
    await master.call('populate', { keys: FULL_SYNC_KEYS })
    const populateMs = performance.now() - started
    started = performance.now()
    await redis.call('DEBUG', 'POPULATE', String(FULL_SYNC_KEYS), 'key', String(VALUE_BYTES))
    const redisPopulateMs = performance.now() - started
    const digest = await master.call<string>('digest')
    const redisDigest = String(await redis.call('DEBUG', 'DIGEST'))
    if (digest !== redisDigest) throw new Error(`the two masters hold different data: DEBUG DIGEST ${digest} vs Redis ${redisDigest}`)
    console.log(`  populated: Replicast ${seconds(populateMs)} (loadRecords), Redis ${seconds(redisPopulateMs)} (DEBUG POPULATE); same DEBUG DIGEST ${digest.slice(0, 12)}…`)

    for (let run = 0; run < RUNS; run++) {
      // Redis: a fresh replica, then REPLICAOF; done when INFO shows the link up at the master's offset.
      {
        const replica = await startRedisReplica()
        try {
          const target = await redisOffset(redis)
          const cpuBefore = [cpuMs(redisMaster.process.pid!), cpuMs(replica.server.process.pid!)]
          const t0 = performance.now()
          await replica.client.replicaof('127.0.0.1', redisMaster.port)
          const ms = (await redisReplicaReached(replica.client, target)) - t0
          // The master's fork is counted once it has been reaped (serverCron, 10 times a second).
          await sleep(250)
          const cpu = [cpuMs(redisMaster.process.pid!) - cpuBefore[0]!, cpuMs(replica.server.process.pid!) - cpuBefore[1]!]
          theirsCpu.master.values.push(cpu[0]!)
          theirsCpu.replica.values.push(cpu[1]!)
          theirs.values.push(ms)
          if (run === 0) {
            const replicaDigest = String(await replica.client.call('DEBUG', 'DIGEST'))
            if (replicaDigest !== redisDigest) throw new Error('the Redis replica does not hold the master\'s data')
          }
          console.log(`  run ${run + 1}: Redis ${seconds(ms)} (CPU: master and its fork ${seconds(cpu[0]!)}, replica ${seconds(cpu[1]!)})`)
        } finally {
          replica.client.disconnect()
          await replica.server.stop()
        }
      }
      // Replicast, in memory (no storage) then file storage, each in a fresh replica process.
      for (const storage of ['memory', 'file'] as const) {
        const replicas = await Child.start('replicas')
        try {
          const target = await master.call<number>('offset')
          await Promise.all([master.call('resetDelay'), idle.call('resetDelay')])
          const cpuBefore = [cpuMs(master.pid), cpuMs(replicas.pid)]
          const result = await replicas.call<{ index: number; appliedMs: number; durableMs: number; lastSync: string }>('add', { url, storage, target })
          const cpu = [cpuMs(master.pid) - cpuBefore[0]!, cpuMs(replicas.pid) - cpuBefore[1]!]
          oursCpu[storage].master.values.push(cpu[0]!)
          oursCpu[storage].replica.values.push(cpu[1]!)
          const [delay, idleDelay] = await Promise.all([
            master.call<{ coreMaxMs: number; maxMs: number; p99Ms: number }>('delay'),
            idle.call<{ maxMs: number; p99Ms: number }>('delay'),
          ])
          const stats = await master.call<{ snapshotMs: number; snapshotBytes: number }>('stats')
          if (result.lastSync !== 'full') throw new Error(`expected a full sync, got ${result.lastSync}`)
          if (run === 0 && (await replicas.call<string>('digest', { index: result.index })) !== digest) {
            throw new Error(`the ${storage} replica does not hold the master's data`)
          }
          ours.delay.values.push(delay.coreMaxMs)
          ours.delayP99.values.push(delay.p99Ms)
          ours.idleDelay.values.push(idleDelay.maxMs)
          if (storage === 'memory') {
            ours.memory.values.push(result.appliedMs)
            ours.memoryDurable.values.push(result.durableMs)
          } else {
            ours.file.values.push(result.durableMs)
          }
          console.log(`  run ${run + 1}: Replicast, ${STORAGE_LABEL[storage]}: offset reached ${seconds(result.appliedMs)}, durable ${seconds(result.durableMs)}` +
            ` (snapshot ${seconds(stats.snapshotMs)}, ${(stats.snapshotBytes / 1e6).toFixed(1)} MB; CPU: master ${seconds(cpu[0]!)}, replica ${seconds(cpu[1]!)});` +
            ` master event-loop delay max ${millis(delay.coreMaxMs)}` +
            ` (1 ms histogram: max ${millis(delay.maxMs)}, p99 ${millis(delay.p99Ms)}; idle process: max ${millis(idleDelay.maxMs)})`)
        } finally {
          await replicas.stop()
        }
      }
    }
  } finally {
    redis.disconnect()
    await redisMaster.stop()
    await master.stop()
    await idle.stop()
  }
  const redisBest = best(theirs, false)
  for (const [name, s] of [['in memory (no storage)', ours.memory], ['file storage, durable', ours.file]] as const) {
    const ratio = best(s, false) / redisBest
    lines.push({
      name: `(a) full sync, ${count(FULL_SYNC_KEYS)} keys → Node replica, ${name}`,
      ours: `${seconds(best(s, false))} (${spread(s, seconds)})`,
      theirs: `${seconds(redisBest)} (${spread(theirs, seconds)})`,
      ratio: `${ratio.toFixed(2)}× the time`,
      target: '≤ 3×',
      met: ratio <= 3,
    })
  }
  // CPU seconds do not depend on what else the machine runs: the steadier comparison of the two.
  const cpuBest = (s: Sample): string => seconds(best(s, false))
  fullSyncCpuLines.push(
    `| Redis (diskless master + fork → replica) | ${cpuBest(theirsCpu.master)} | ${cpuBest(theirsCpu.replica)} | ${seconds(best(theirsCpu.master, false) + best(theirsCpu.replica, false))} | 1.0× |`,
  )
  for (const storage of ['memory', 'file'] as const) {
    const total = best(oursCpu[storage].master, false) + best(oursCpu[storage].replica, false)
    const redisTotal = best(theirsCpu.master, false) + best(theirsCpu.replica, false)
    fullSyncCpuLines.push(`| Replicast → Node replica, ${STORAGE_LABEL[storage]} | ${cpuBest(oursCpu[storage].master)} | ${cpuBest(oursCpu[storage].replica)} | ${seconds(total)} | ${(total / redisTotal).toFixed(1)}× |`)
  }
  const worst = Math.max(...ours.delay.values)
  const worstAt = ours.delay.values.indexOf(worst)
  lines.push({
    name: `(d) master event-loop delay, max during the ${count(FULL_SYNC_KEYS)}-key full sync (yardstick: an idle Node process, same windows)`,
    ours: `${millis(worst)} worst of ${ours.delay.values.length} syncs (best ${millis(best(ours.delay, false))}; p99 ≤ ${millis(Math.max(...ours.delayP99.values))})`,
    theirs: `idle process: ${millis(ours.idleDelay.values[worstAt]!)} in that sync, ${millis(Math.max(...ours.idleDelay.values))} worst`,
    ratio: '—',
    target: '< 50 ms',
    met: worst < 50,
  })
}

// ─── (b) + (c): propagation and catch-up ────────────────────────────────────────────────────────

interface OursSetup { readonly master: Child; readonly port: number; readonly children: Child[]; readonly first: { child: Child; index: number } }
interface TheirsSetup { readonly master: RedisServer; readonly client: Redis; readonly replicas: { server: RedisServer; client: Redis }[] }

async function startOurs(replicaCount: number): Promise<OursSetup> {
  const master = await Child.start('master')
  const { port, url } = await master.call<{ port: number; url: string }>('start', { backlogBytes: BACKLOG_BYTES })
  const children: Child[] = []
  const processes = Math.ceil(replicaCount / REPLICAS_PER_PROCESS)
  for (let p = 0; p < processes; p++) children.push(await Child.start('replicas'))
  const target = await master.call<number>('offset')
  await Promise.all(Array.from({ length: replicaCount }, (_, i) => children[i % processes]!.call('add', { url, storage: 'memory', target })))
  return { master, port, children, first: { child: children[0]!, index: 0 } } // first: unused without replicas
}

async function stopOurs(setup: OursSetup): Promise<void> {
  await Promise.all(setup.children.map((c) => c.stop()))
  await setup.master.stop()
}

async function startTheirs(replicaCount: number): Promise<TheirsSetup> {
  const master = await startRedisServer(['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0', '--repl-backlog-size', '64mb'])
  const client = new Redis({ port: master.port, host: '127.0.0.1' })
  const replicas = await Promise.all(Array.from({ length: replicaCount }, () => startRedisReplica(master)))
  const deadline = Date.now() + 30_000
  while ((await redisOnlineReplicas(client)) < replicaCount) {
    if (Date.now() > deadline) throw new Error(`only ${await redisOnlineReplicas(client)} of ${replicaCount} Redis replicas came online`)
    await sleep(20)
  }
  return { master, client, replicas }
}

async function stopTheirs(setup: TheirsSetup): Promise<void> {
  for (const r of setup.replicas) r.client.disconnect()
  await Promise.all(setup.replicas.map((r) => r.server.stop()))
  setup.client.disconnect()
  await setup.master.stop()
}

interface Propagated {
  /** Until WAIT answered: every replica ACKed the last write. */
  readonly ms: number
  /** Until the last SET reply. */
  readonly setsMs: number
  /** CPU time per SET (µs, all threads) of the master process, and of the replica processes per replica. */
  readonly masterCpuUs: number
  readonly replicaCpuUs: number
  /** Read and write system calls per 1,000 SETs (/proc/<pid>/io): how well the I/O is batched. */
  readonly masterSyscallsPerK: number
  readonly replicaSyscallsPerK: number
}

/** N SETs then WAIT, with the CPU time the master's and the replicas' processes spent meanwhile. */
async function propagate(port: number, replicas: number, sets: number, pids: { master: number; replicas: readonly number[] }): Promise<Propagated> {
  const client = await PipelinedClient.connect(port)
  try {
    const masterCpu = cpuMs(pids.master)
    const replicaCpu = pids.replicas.reduce((sum, pid) => sum + cpuMs(pid), 0)
    const masterCalls = syscalls(pids.master)
    const replicaCalls = pids.replicas.reduce((sum, pid) => sum + syscalls(pid), 0)
    const t0 = performance.now()
    await client.sets(sets)
    const setsMs = performance.now() - t0
    const acked = await client.wait(replicas)
    const ms = performance.now() - t0
    if (acked < replicas) throw new Error(`WAIT ${replicas} 0 answered ${acked}`)
    const masterCpuUs = ((cpuMs(pids.master) - masterCpu) * 1000) / sets
    const replicaCpuUs = replicas === 0 ? 0 : ((pids.replicas.reduce((sum, pid) => sum + cpuMs(pid), 0) - replicaCpu) * 1000) / sets / replicas
    const masterSyscallsPerK = ((syscalls(pids.master) - masterCalls) * 1000) / sets
    const replicaSyscallsPerK = replicas === 0 ? 0 : ((pids.replicas.reduce((sum, pid) => sum + syscalls(pid), 0) - replicaCalls) * 1000) / sets / replicas
    return { ms, setsMs, masterCpuUs, replicaCpuUs, masterSyscallsPerK, replicaSyscallsPerK }
  } finally {
    client.close()
  }
}

async function propagation(replicaCount: number): Promise<{ ours: OursSetup; theirs: TheirsSetup }> {
  console.log(`\n(b) ${count(SETS)} SETs (${VALUE_BYTES}-byte values over ${count(KEY_SPACE)} keys, ${PIPELINE} per write, ≤ ${PIPELINE * WINDOW} in flight) → ${replicaCount} replica(s); load ${load()}`)
  const ours = await startOurs(replicaCount)
  const theirs = await startTheirs(replicaCount)
  const oursRate = sample()
  const theirsRate = sample()
  const sets = Math.ceil(SETS / PIPELINE) * PIPELINE
  const oursPids = { master: ours.master.pid, replicas: ours.children.map((c) => c.pid) }
  const theirsPids = { master: theirs.master.process.pid!, replicas: theirs.replicas.map((r) => r.server.process.pid!) }
  const cpu = { ours: { master: sample(), replica: sample() }, theirs: { master: sample(), replica: sample() } }
  // Warm-up: JIT, socket buffers, and keys already present (the runs overwrite).
  await propagate(ours.port, replicaCount, KEY_SPACE, oursPids)
  await propagate(theirs.master.port, replicaCount, KEY_SPACE, theirsPids)
  for (let run = 0; run < RUNS; run++) {
    const them = await propagate(theirs.master.port, replicaCount, sets, theirsPids)
    theirsRate.values.push(sets / (them.ms / 1000))
    const us = await propagate(ours.port, replicaCount, sets, oursPids)
    oursRate.values.push(sets / (us.ms / 1000))
    cpu.ours.master.values.push(us.masterCpuUs)
    cpu.ours.replica.values.push(us.replicaCpuUs)
    cpu.theirs.master.values.push(them.masterCpuUs)
    cpu.theirs.replica.values.push(them.replicaCpuUs)
    console.log(`  run ${run + 1}: Redis ${perSecond(sets / (them.ms / 1000))} (master answered at ${perSecond(sets / (them.setsMs / 1000))};` +
      ` CPU per SET ${micros(them.masterCpuUs)} master, ${micros(them.replicaCpuUs)} each replica;` +
      ` syscalls per 1k SETs ${them.masterSyscallsPerK.toFixed(0)} master, ${them.replicaSyscallsPerK.toFixed(0)} each replica),` +
      ` Replicast ${perSecond(sets / (us.ms / 1000))} (master answered at ${perSecond(sets / (us.setsMs / 1000))};` +
      ` CPU per SET ${micros(us.masterCpuUs)} master, ${micros(us.replicaCpuUs)} each replica;` +
      ` syscalls per 1k SETs ${us.masterSyscallsPerK.toFixed(0)} master, ${us.replicaSyscallsPerK.toFixed(0)} each replica); load ${load()}`)
  }
  // CPU per SET does not depend on what else the machine runs: the steadier comparison of the two.
  const masterCpuRatio = best(cpu.ours.master, false) / best(cpu.theirs.master, false)
  const replicaCpuRatio = best(cpu.ours.replica, false) / best(cpu.theirs.replica, false)
  cpuLines.push(`| ${replicaCount} | ${micros(best(cpu.ours.master, false))} | ${micros(best(cpu.theirs.master, false))} | ${masterCpuRatio.toFixed(1)}× |` +
    ` ${replicaCount === 0 ? '—' : micros(best(cpu.ours.replica, false))} | ${replicaCount === 0 ? '—' : micros(best(cpu.theirs.replica, false))} | ${replicaCount === 0 ? '—' : `${replicaCpuRatio.toFixed(1)}×`} |`)
  const ratio = best(oursRate, true) / best(theirsRate, true)
  lines.push({
    name: `(b) SETs propagated to ${replicaCount} replica${replicaCount === 1 ? '' : 's'} (until WAIT ${replicaCount} 0)`,
    ours: `${perSecond(best(oursRate, true))} (${spread(oursRate, perSecond)})`,
    theirs: `${perSecond(best(theirsRate, true))} (${spread(theirsRate, perSecond)})`,
    ratio: `${ratio.toFixed(2)}× the rate`,
    target: '≥ 0.5×',
    met: ratio >= 0.5,
  })
  return { ours, theirs }
}

async function catchUp(ours: OursSetup, theirs: TheirsSetup): Promise<void> {
  console.log(`\n(c) catch-up after ${count(MISSED_WRITES)} missed SETs (backlog ${BACKLOG_BYTES / 1024 / 1024} MB on both); load ${load()}`)
  const oursMs = sample()
  const theirsMs = sample()
  const deadPort = await freePort()
  const redisReplica = theirs.replicas[0]!
  for (let run = 0; run < RUNS; run++) {
    {
      const before = infoFields(await theirs.client.info('stats'))
      // REPLICAOF elsewhere drops the link but keeps the cached master (PSYNC later); pointing it at
      // a dead port keeps it from reconnecting while the writes happen.
      await redisReplica.client.replicaof('127.0.0.1', deadPort)
      const client = await PipelinedClient.connect(theirs.master.port)
      await client.sets(MISSED_WRITES)
      client.close()
      const target = await redisOffset(theirs.client)
      const t0 = performance.now()
      await redisReplica.client.replicaof('127.0.0.1', theirs.master.port)
      const ms = (await redisReplicaReached(redisReplica.client, target)) - t0
      const after = infoFields(await theirs.client.info('stats'))
      if (Number(after.sync_partial_ok) !== Number(before.sync_partial_ok) + 1) throw new Error('the Redis replica did not resync partially')
      theirsMs.values.push(ms)
    }
    {
      const before = await ours.master.call<{ sync_partial_ok: number }>('stats')
      await ours.first.child.call('disconnect', { index: ours.first.index })
      const client = await PipelinedClient.connect(ours.port)
      await client.sets(MISSED_WRITES)
      client.close()
      const target = await ours.master.call<number>('offset')
      const result = await ours.first.child.call<{ ms: number; lastSync: string }>('reconnect', { index: ours.first.index, target })
      const after = await ours.master.call<{ sync_partial_ok: number }>('stats')
      if (result.lastSync !== 'partial' || after.sync_partial_ok !== before.sync_partial_ok + 1) throw new Error(`the Replicast replica did not resync partially (${result.lastSync})`)
      oursMs.values.push(result.ms)
    }
    console.log(`  run ${run + 1}: Redis ${millis(theirsMs.values.at(-1)!)}, Replicast ${millis(oursMs.values.at(-1)!)}`)
  }
  const ratio = best(oursMs, false) / best(theirsMs, false)
  lines.push({
    name: `(c) catch-up after ${count(MISSED_WRITES)} missed SETs (partial resync)`,
    ours: `${millis(best(oursMs, false))} (${spread(oursMs, millis)})`,
    theirs: `${millis(best(theirsMs, false))} (${spread(theirsMs, millis)})`,
    ratio: `${ratio.toFixed(2)}× the time`,
    target: '— (none set)',
    met: null,
  })
}

// ─── Main ───────────────────────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  const startedAt = performance.now()
  const startLoad = load()
  console.log(`bench/replication.ts${QUICK ? ' --quick' : ''}: Replicast vs redis-server on this machine; ${cpus().length} CPUs, Node ${process.version}, load ${startLoad}`)
  if (!SKIP.has('a')) await fullSync()
  for (const replicaCount of REPLICA_COUNTS) {
    if (SKIP.has('b') && (SKIP.has('c') || replicaCount !== 1)) continue
    const setups = await propagation(replicaCount)
    try {
      if (replicaCount === 1 && !SKIP.has('c')) await catchUp(setups.ours, setups.theirs)
    } finally {
      await stopOurs(setups.ours)
      await stopTheirs(setups.theirs)
    }
  }
  console.log(`\nReplication core vs Redis ${'7.0.15'} (same machine, same run; best of ${RUNS}${QUICK ? ', --quick sizes' : ''}); load average ${startLoad} at start, ${load()} at end, ${seconds(performance.now() - startedAt)} in all\n`)
  printResults(lines, { name: 'line', ours: 'Replicast', theirs: 'Redis' })
  if (fullSyncCpuLines.length > 0) {
    console.log(`\n(a) CPU time of the ${count(FULL_SYNC_KEYS)}-key full sync (user + system, all threads; best run):\n`)
    console.log('| full sync | master | replica | both | ratio |')
    console.log('|---|---|---|---|---|')
    for (const line of fullSyncCpuLines) console.log(line)
  }
  if (cpuLines.length > 0) {
    console.log('\n(b) CPU time per SET (user + system, all threads of each process; best run), which the machine\'s other load does not change:\n')
    console.log('| replicas | Replicast master | Redis master | ratio | Replicast, each replica | Redis, each replica | ratio |')
    console.log('|---|---|---|---|---|---|---|')
    for (const line of cpuLines) console.log(line)
  }
}

const role = option('role')
if (role === 'master') await masterRole()
else if (role === 'replicas') await replicasRole()
else if (role === 'idle') idleRole()
else await main()
