// The `replicast` command: the flag parser (cli-args.ts) unit by unit, and the real bin, spawned with
// ports picked at run time, printing what it bound, serving RESP and replicas, and stopping cleanly on
// SIGTERM.
import { spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { ReplicastError } from '@replicast/core'
import { MASTER_DEFAULTS, MasterOptionsError, resolveMasterOptions } from '@replicast/master'
import { Redis } from 'ioredis'
import { describe, expect, onTestFinished, test } from 'vitest'
import { CliUsageError, MASTER_FLAGS, masterUsage, parseMasterFlags } from '../packages/master/src/cli-args.ts'
import { eventually, startReplica } from './support/cluster.ts'

const BIN = join(import.meta.dirname, '..', 'packages', 'master', 'bin', 'replicast.js')

function usageError(args: readonly string[]): CliUsageError {
  try {
    parseMasterFlags(args)
  } catch (error) {
    if (error instanceof CliUsageError) return error
    throw error
  }
  throw new Error(`${args.join(' ')} was accepted`)
}

describe('parseMasterFlags', () => {
  test('no flags: no options, so every default applies', () => {
    expect(parseMasterFlags([])).toEqual({})
    expect(resolveMasterOptions(parseMasterFlags([]))).toEqual(MASTER_DEFAULTS)
  })

  test('every flag sets an option of MasterOptions, and every option but the programmatic ones has a flag', () => {
    const options = Object.values(MASTER_FLAGS).map((spec) => spec.option)
    expect(options.filter((option) => !(option in MASTER_DEFAULTS))).toEqual([])
    const programmatic = ['verifyReplica', 'httpHandler']
    expect(Object.keys(MASTER_DEFAULTS).filter((option) => !options.includes(option as never) && !programmatic.includes(option))).toEqual([])
    for (const flag of Object.keys(MASTER_FLAGS)) expect(masterUsage()).toContain(flag)
  })

  test('sizes take Redis-style units; durations take ms, s, m, h; both `--flag value` and `--flag=value`', () => {
    expect(parseMasterFlags([
      '--backlog-size', '16mb', '--output-buffer-hard=1gb', '--output-buffer-soft', '64kb', '--max-frame-size', '2k',
      '--max-bulk-size', '512', '--max-inline-size', '1m',
      '--timeout', '1s', '--ping-period=250ms', '--output-buffer-soft-time', '2m', '--snapshot-reuse', '1h', '--snapshot-slice', '8',
    ])).toEqual({
      backlogBytes: 16 * 1024 * 1024, outputBufferHardBytes: 1024 ** 3, outputBufferSoftBytes: 64 * 1024, maxFrameBytes: 2000,
      maxBulkBytes: 512, maxInlineBytes: 1_000_000,
      timeoutMs: 1000, pingPeriodMs: 250, outputBufferSoftMs: 120_000, snapshotReuseMs: 3_600_000, snapshotSliceMs: 8,
    })
    // Units in any letter case, as redis.conf takes them.
    expect(parseMasterFlags(['--backlog-size', '2MB', '--timeout', '3S'])).toEqual({ backlogBytes: 2 * 1024 * 1024, timeoutMs: 3000 })
  })

  test('ports, strings, lists, --replicaof with --masterauth/--masteruser, and the snapshot form', () => {
    expect(parseMasterFlags([
      '--port', '0', '--ws-port=0', '--host', '0.0.0.0', '--ws-path', '/r', '--requirepass', 's3cret',
      '--allowed-origins', 'https://a.example, https://b.example', '--databases', '4', '--hz', '20',
      '--replicaof', '[::1]:6379', '--masterauth', 'pw', '--masteruser=u', '--replica-snapshot-form', 'length',
    ])).toEqual({
      port: 0, wsPort: 0, host: '0.0.0.0', wsPath: '/r', requirePass: 's3cret',
      allowedOrigins: ['https://a.example', 'https://b.example'], databases: 4, activeExpireHz: 20,
      replicaOf: { host: '::1', port: 6379, password: 'pw', username: 'u' }, replicaSnapshotForm: 'length',
    })
  })

  test.each([
    [['--port', 'abc'], '--port: "abc" is not a non-negative integer'],
    [['--port', '-1'], '--port: "-1" is not a non-negative integer'],
    [['--backlog-size', '10xb'], '--backlog-size: "10xb" is not a size (examples: 10b, 10k, 10kb, 10m, 10mb, 10g, 10gb)'],
    [['--backlog-size', '1.5mb'], '--backlog-size: "1.5mb" is not a size (examples: 10b, 10k, 10kb, 10m, 10mb, 10g, 10gb)'],
    [['--timeout', '5 minutes'], '--timeout: "5 minutes" is not a duration (examples: 10ms, 10s, 10m, 10h)'],
    [['--replicaof', 'localhost'], '--replicaof: "localhost" is not host:port (example: 127.0.0.1:6379)'],
    [['--replica-snapshot-form', 'rdb'], '--replica-snapshot-form: "rdb" is not one of auto, eof, length'],
    [['--nope', '1'], 'unknown flag "--nope"; run "replicast help" for the list'],
    [['--port'], '--port needs a value'],
    [['--masterauth', 'pw'], '--masterauth and --masteruser need --replicaof'],
  ])('%j is refused: %s', (args, message) => {
    const error = usageError(args)
    expect(error).toBeInstanceOf(ReplicastError)
    expect({ name: error.name, code: error.code }).toEqual({ name: 'CliUsageError', code: 'ERR_CLI_USAGE' })
    expect(error.message).toBe(message)
  })

  test('options that parse but conflict are refused with one MasterOptionsError (ERR_MASTER_OPTIONS) naming all of them', () => {
    let error: unknown
    try {
      resolveMasterOptions(parseMasterFlags(['--port', '7000', '--ws-port', '7000', '--timeout', '1s', '--ping-period', '2s']))
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(MasterOptionsError)
    expect(error).toBeInstanceOf(ReplicastError)
    const options = error as MasterOptionsError
    expect({ name: options.name, code: options.code, problems: options.problems }).toEqual({
      name: 'MasterOptionsError',
      code: 'ERR_MASTER_OPTIONS',
      problems: ['timeoutMs (1000) must be greater than pingPeriodMs (2000), or replicas time out between pings', 'port and wsPort must differ, both are 7000'],
    })
    expect(options.message).toBe(`Invalid master options: ${options.problems.join('; ')}.`)
  })
})

describe('the replicast bin', () => {
  test('a bad flag exits with 2 and says why', () => {
    const result = spawnSync(process.execPath, [BIN, 'master', '--port', 'abc'], { encoding: 'utf8', timeout: 30_000 })
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('replicast: --port: "abc" is not a non-negative integer')
  })

  test('`replicast master --port 0 --ws-port 0` prints the ports it bound, serves RESP and replicas, and exits 0 on SIGTERM', async () => {
    const cli = spawn(process.execPath, [BIN, 'master', '--port', '0', '--ws-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
    onTestFinished(() => { if (cli.exitCode === null && cli.signalCode === null) cli.kill('SIGKILL') })
    let out = ''
    let err = ''
    cli.stdout.on('data', (d: Buffer) => { out += d.toString() })
    cli.stderr.on('data', (d: Buffer) => { err += d.toString() })
    const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)))
    await eventually(() => /replid: +[0-9a-f]{40}/.test(out) || cli.exitCode !== null, 'the CLI to print its addresses', 30_000)
    expect(err).toBe('')
    const port = Number(/redis-cli -h 127\.0\.0\.1 -p (\d+)\n/.exec(out)?.[1])
    const url = /replicas: +(ws:\/\/127\.0\.0\.1:\d+\/replication)\n/.exec(out)?.[1]
    expect(port).toBeGreaterThan(0)
    expect(url).toBeDefined()
    expect(url).not.toContain(':0/')

    const redis = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 })
    onTestFinished(() => { redis.disconnect() })
    expect(await redis.ping()).toBe('PONG')
    expect(await redis.set('cli:k', 'v')).toBe('OK')
    expect(await redis.get('cli:k')).toBe('v')
    expect(await redis.call('CONFIG', 'GET', 'port')).toEqual(['port', String(port)])

    const replica = await startReplica({ url: url! })
    await replica.waitForOffset(Number(/master_repl_offset:(\d+)/.exec(await redis.info('replication'))![1]), { timeoutMs: 15_000 })
    expect(await replica.get('cli:k')).toBe('v')
    await replica.close()
    redis.disconnect()

    cli.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(out).toContain('replicast: SIGTERM, closing')
    expect(err).toBe('')
  })
})
