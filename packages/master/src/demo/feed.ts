// startDemoFeed(): writes the demo dataset into a master at a steady rate, through master.command()
// as a client would, so every write is propagated to replicas like any other.
//
//   every tickMs: budget += writesPerSecond × elapsed; run generator.next() while budget ≥ 1
//   each new second: generator.sample() (the time series, two points a second; outside the budget)
//
// The generator is seeded (generator.ts): the commands depend only on the seed and on how many
// writes were asked for, never on timing; the clock only fills timestamps inside the values.
import type { RespValue } from '@replicast/core'
import { DemoGenerator, type DemoCommand, type DemoGeneratorOptions } from './generator.ts'

/** What the feed needs of a master: `createMaster()`'s result has it. */
export interface CommandTarget {
  command(args: readonly (string | Uint8Array)[], db?: number): RespValue
}

export interface DemoFeedOptions extends DemoGeneratorOptions {
  /** Writes per second of the mix (the time series' once-a-second samples come on top). @default 50 */
  readonly writesPerSecond: number
  /** How often the feed wakes up to write what is due, in ms. @default 50 */
  readonly tickMs: number
  /** Database the demo writes into. @default 0 */
  readonly db: number
  /** The clock, for timestamps in values. @default Date.now */
  readonly now: () => number
}

export const DEMO_FEED_DEFAULTS: DemoFeedOptions = Object.freeze({
  seed: 1,
  hosts: 8,
  eventsCap: 50,
  seriesPoints: 120,
  writesPerSecond: 50,
  tickMs: 50,
  db: 0,
  now: Date.now,
})

export interface DemoFeed {
  /** Commands sent so far (initial dataset included). */
  readonly commands: number
  /** Writes of the mix so far (each one to three commands). */
  readonly writes: number
  /** Commands the master refused (e.g. WRONGTYPE after someone replaced a demo key by hand). */
  readonly errors: number
  /** The last refusal's message, or null. */
  readonly lastError: string | null
  readonly running: boolean
  /** Stops writing. Idempotent; nothing is written after it returns. */
  stop(): void
}

/** Most writes one tick may catch up on after the event loop was held up: one second's worth. */
const MAX_CATCH_UP_S = 1

export function startDemoFeed(master: CommandTarget, options: Partial<DemoFeedOptions> = {}): DemoFeed {
  const o: DemoFeedOptions = { ...DEMO_FEED_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) }
  if (!(Number.isFinite(o.writesPerSecond) && o.writesPerSecond >= 0)) throw new RangeError(`writesPerSecond must be a non-negative number, got ${o.writesPerSecond}`)
  if (!(Number.isSafeInteger(o.tickMs) && o.tickMs > 0)) throw new RangeError(`tickMs must be a positive integer, got ${o.tickMs}`)
  const generator = new DemoGenerator(o)
  let commands = 0
  let writes = 0
  let errors = 0
  let lastError: string | null = null
  let running = true
  let budget = 0

  const send = (batch: readonly DemoCommand[]): void => {
    for (const args of batch) {
      const reply = master.command(args, o.db)
      commands++
      if (reply.kind === 'error') {
        errors++
        lastError = `${args[0]} ${args[1] ?? ''}: ${reply.message}`
      }
    }
  }

  let last = o.now()
  let second = Math.floor(last / 1000)
  send(generator.initial(last))
  send(generator.sample(second * 1000))

  const timer = setInterval(() => {
    if (!running) return
    try {
      const now = o.now()
      budget = Math.min(budget + (o.writesPerSecond * Math.max(0, now - last)) / 1000, o.writesPerSecond * MAX_CATCH_UP_S)
      last = now
      for (; budget >= 1; budget--) {
        send(generator.next(now))
        writes++
      }
      const current = Math.floor(now / 1000)
      if (current > second) {
        second = current
        send(generator.sample(second * 1000))
      }
    } catch {
      // The master was closed under the feed (command() throws once its core is shut down).
      feed.stop()
    }
  }, o.tickMs)
  timer.unref?.()

  const feed: DemoFeed = {
    get commands() { return commands },
    get writes() { return writes },
    get errors() { return errors },
    get lastError() { return lastError },
    get running() { return running },
    stop() {
      running = false
      clearInterval(timer)
    },
  }
  return feed
}
