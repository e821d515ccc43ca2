// `npm run bench`: runs every benchmark in bench/, each as its own child process
// (`npx tsx bench/<name>.ts`), so that one failing or running out of memory does not stop the others,
// and prints a summary at the end.
//
//   npm run bench                          every benchmark, full sizes
//   npm run bench -- --quick               smaller sizes, a smoke run of a few minutes in all
//   npm run bench -- --only replication    one benchmark (repeat --only or separate names by commas)
//
// The benchmarks run in this order: rdb, store, storage, replication, upstream, browser, then any
// other bench/*.ts in alphabetical order. A file whose name starts with `_` is a helper, not a
// benchmark. In --quick mode each gets its own way of asking for smaller sizes: 100,000 keys as
// the first argument for rdb, storage, upstream (with 1 run) and browser, BENCH_KEYS for store,
// `--quick` for replication and any other; all get BENCH_QUICK=1 in their environment.
//
// A benchmark's figures are its own output, printed as it runs. The summary says which ran, how long
// each took, which failed (exit status, or killed after --timeout-min minutes), and how many rows of
// a Markdown results table say a target was not met (`| NO |`). Every benchmark of ORDER is expected:
// a missing one is a failure.
import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const BENCH_DIR = dirname(fileURLToPath(import.meta.url))
const ROOT = dirname(BENCH_DIR)
const ORDER = ['rdb', 'store', 'storage', 'replication', 'upstream', 'browser']
const QUICK_COUNT = '100000'

interface Options {
  readonly quick: boolean
  readonly only: ReadonlySet<string> | null
  readonly timeoutMs: number
}

function parseOptions(argv: readonly string[]): Options {
  let quick = false
  const only = new Set<string>()
  let timeoutMin: number | null = null
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--quick') quick = true
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const value = arg === '--only' ? argv[++i] : arg.slice('--only='.length)
      if (value === undefined || value === '') usage('--only needs a benchmark name')
      for (const name of value.split(',')) only.add(name.trim().replace(/^bench\//, '').replace(/\.ts$/, ''))
    } else if (arg === '--timeout-min') {
      timeoutMin = Number(argv[++i])
      if (!(timeoutMin > 0)) usage('--timeout-min needs a positive number of minutes')
    } else if (arg === '--help' || arg === '-h') usage(null)
    else usage(`unknown argument ${arg}`)
  }
  return { quick, only: only.size > 0 ? only : null, timeoutMs: (timeoutMin ?? (quick ? 10 : 60)) * 60_000 }
}

function usage(problem: string | null): never {
  if (problem !== null) console.error(`bench/run.ts: ${problem}`)
  console.error('usage: npm run bench -- [--quick] [--only <name>[,<name>…]] [--timeout-min <minutes>]')
  process.exit(problem === null ? 0 : 64)
}

/** Benchmarks present in bench/, in running order. */
function discover(): string[] {
  const present = readdirSync(BENCH_DIR)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && !file.endsWith('.test.ts') && !file.startsWith('_') && file !== 'run.ts')
    .map((file) => file.slice(0, -3))
  const rank = (name: string): number => (ORDER.includes(name) ? ORDER.indexOf(name) : ORDER.length)
  return present.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
}

function quickArguments(name: string): { args: string[]; env: Record<string, string> } {
  const env = { BENCH_QUICK: '1' }
  switch (name) {
    case 'rdb':
    case 'storage':
      return { args: [QUICK_COUNT], env }
    case 'upstream':
      return { args: [QUICK_COUNT, '1'], env } // [keys] [runs]
    case 'browser':
      return { args: [QUICK_COUNT], env } // [sizes…]
    case 'store':
      return { args: [], env: { ...env, BENCH_KEYS: QUICK_COUNT } }
    default:
      return { args: ['--quick'], env }
  }
}

interface Outcome {
  readonly name: string
  readonly status: 'ok' | 'failed' | 'timed out'
  readonly detail: string
  readonly seconds: number
  readonly missedTargets: number
}

let current: ReturnType<typeof spawn> | null = null

function killGroup(signal: NodeJS.Signals): void {
  const pid = current?.pid
  if (pid === undefined) return
  try {
    process.kill(-pid, signal)
  } catch {
    // Already gone.
  }
}

// The child runs in its own process group (so a timeout can stop the servers it started too):
// pass Ctrl-C on to it, then stop.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killGroup(signal)
    setTimeout(() => process.exit(130), 2000).unref()
  })
}

function runOne(name: string, options: Options): Promise<Outcome> {
  const { args, env } = options.quick ? quickArguments(name) : { args: [], env: {} }
  const command = ['tsx', join('bench', `${name}.ts`), ...args]
  console.log(`\n━━━ bench/${name}.ts ━━━ npx ${command.join(' ')}${Object.keys(env).length > 0 ? `  (${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')})` : ''}\n`)
  const started = performance.now()
  return new Promise((resolve) => {
    const child = spawn('npx', command, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    current = child
    let missedTargets = 0
    let tail = ''
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk)
      const text = tail + chunk.toString('utf8')
      const lines = text.split('\n')
      tail = lines.pop() ?? ''
      for (const line of lines) if (/^\|.*\|\s*NO\s*\|\s*$/.test(line)) missedTargets++
    })
    child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      console.error(`\nbench/run.ts: bench/${name}.ts ran past ${options.timeoutMs / 60_000} min; stopping it.`)
      killGroup('SIGTERM')
      setTimeout(() => killGroup('SIGKILL'), 10_000).unref()
    }, options.timeoutMs)
    const finish = (status: Outcome['status'], detail: string): void => {
      clearTimeout(timer)
      current = null
      if (/^\|.*\|\s*NO\s*\|\s*$/.test(tail)) missedTargets++
      resolve({ name, status, detail, seconds: (performance.now() - started) / 1000, missedTargets })
    }
    child.once('error', (error) => finish('failed', `could not start: ${error.message}`))
    child.once('close', (code, signal) => {
      if (timedOut) finish('timed out', `killed after ${options.timeoutMs / 60_000} min`)
      else if (code === 0) finish('ok', '')
      else finish('failed', code !== null ? `exit status ${code}` : `killed by ${signal}`)
    })
  })
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2))
  const present = discover()
  const wanted = options.only === null ? [...new Set([...present, ...ORDER])] : [...options.only]
  const rank = (name: string): number => (ORDER.includes(name) ? ORDER.indexOf(name) : ORDER.length)
  wanted.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
  console.log(`bench/run.ts${options.quick ? ' --quick' : ''}: ${wanted.map((n) => (present.includes(n) ? n : `${n} (missing)`)).join(', ')}`)
  const outcomes: Outcome[] = []
  for (const name of wanted) {
    if (!present.includes(name)) {
      outcomes.push({ name, status: 'failed', detail: `bench/${name}.ts does not exist (present: ${present.join(', ')})`, seconds: 0, missedTargets: 0 })
      continue
    }
    outcomes.push(await runOne(name, options))
  }
  console.log(`\n━━━ summary${options.quick ? ' (--quick sizes)' : ''} ━━━\n`)
  console.log('| bench | result | time | targets not met |')
  console.log('|---|---|---|---|')
  for (const o of outcomes) {
    const result = o.status === 'ok' ? 'ok' : `${o.status}${o.detail === '' ? '' : `: ${o.detail}`}`
    console.log(`| ${o.name} | ${result} | ${o.seconds.toFixed(1)} s | ${o.missedTargets} |`)
  }
  if (outcomes.some((o) => o.status === 'failed' || o.status === 'timed out')) process.exitCode = 1
}

await main()
