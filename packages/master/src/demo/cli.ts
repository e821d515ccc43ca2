// `replicast master --demo`: the demo feed and the dashboard on the master's HTTP port. The flags
// here are taken out of the argument list before the master's own flags are parsed (cli-args.ts).
//
//   --demo                    write the demo dataset and serve the dashboard
//   --demo-rate <n>           writes per second of the feed (default 50)
//   --demo-seed <n>           seed of the feed (default 1)
//   --dashboard-dir <path>    the dashboard build to serve (default apps/dashboard/dist)
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { CliUsageError } from '../cli-args.ts'
import type { Master } from '../create-master.ts'
import type { MasterOptions } from '../options.ts'
import { createStaticHandler } from '../static.ts'
import { DEMO_FEED_DEFAULTS, startDemoFeed, type DemoFeed } from './feed.ts'

/** Where `npm start` builds the dashboard (apps/dashboard/dist), relative to this file. */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../../../apps/dashboard/dist', import.meta.url))

export interface DemoFlags {
  readonly demo: boolean
  readonly writesPerSecond: number
  readonly seed: number
  readonly dashboardDir: string
}

export const DEMO_FLAGS_USAGE = [
  'Demo (a live dashboard at http://<host>:<ws-port>/):',
  `  ${'--demo'.padEnd(26)} write a demo dataset and serve the dashboard`,
  `  ${'--demo-rate'.padEnd(26)} writes per second of the demo feed (default ${DEMO_FEED_DEFAULTS.writesPerSecond})`,
  `  ${'--demo-seed'.padEnd(26)} seed of the demo feed (default ${DEMO_FEED_DEFAULTS.seed})`,
  `  ${'--dashboard-dir'.padEnd(26)} dashboard build to serve (default apps/dashboard/dist)`,
].join('\n')

const VALUE_FLAGS = new Set(['--demo-rate', '--demo-seed', '--dashboard-dir'])

/** Splits the demo flags from the rest; `rest` goes to parseMasterFlags. */
export function takeDemoFlags(args: readonly string[]): { flags: DemoFlags; rest: string[] } {
  let demo = false
  let writesPerSecond = DEMO_FEED_DEFAULTS.writesPerSecond
  let seed = DEMO_FEED_DEFAULTS.seed
  let dashboardDir = DEFAULT_DASHBOARD_DIR
  const rest: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const eq = arg.indexOf('=')
    const flag = eq === -1 ? arg : arg.slice(0, eq)
    if (flag === '--demo' && eq === -1) {
      demo = true
      continue
    }
    if (!VALUE_FLAGS.has(flag)) {
      rest.push(arg)
      continue
    }
    const value = eq !== -1 ? arg.slice(eq + 1) : args[++i]
    if (value === undefined) throw new CliUsageError(`${flag} needs a value`)
    demo = true
    if (flag === '--dashboard-dir') dashboardDir = value
    else {
      const n = Number(value)
      if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (flag === '--demo-seed' && !Number.isInteger(n))) {
        throw new CliUsageError(`${flag}: "${value}" is not a ${flag === '--demo-seed' ? 'non-negative integer' : 'non-negative number'}`)
      }
      if (flag === '--demo-rate') writesPerSecond = n
      else seed = n
    }
  }
  return { flags: { demo, writesPerSecond, seed, dashboardDir }, rest }
}

/** The master options of a demo: its HTTP port serves the dashboard. None without --demo. */
export function demoMasterOptions(flags: DemoFlags): Partial<MasterOptions> {
  if (!flags.demo) return {}
  const handler = createStaticHandler({ root: flags.dashboardDir })
  return { httpHandler: (request, response) => void handler(request, response) }
}

/** Starts the feed on a running master and prints where the dashboard is. */
export function startDemo(master: Master, flags: DemoFlags, print: (line: string) => void = console.log): DemoFeed {
  const feed = startDemoFeed(master, { writesPerSecond: flags.writesPerSecond, seed: flags.seed })
  const page = new URL(master.url)
  const built = existsSync(`${flags.dashboardDir}/index.html`)
  print(`  demo feed:     ${flags.writesPerSecond} writes/s, seed ${flags.seed}`)
  print(built
    ? `  dashboard:     http://${page.host}/   ← open this`
    : `  dashboard:     not built in ${flags.dashboardDir}; run "npm start" from the repository, or "npm run build -w apps/dashboard"`)
  return feed
}
