// The demo dataset's writes, as data: a pure, seeded generator of Redis commands. It never reads a
// clock (callers pass `nowMs`, used only for timestamps inside values; TTLs are relative), so the
// same seed and the same calls give the same commands. feed.ts sends them to a master.
//
// The mix imitates a small fleet's telemetry: hosts whose CPU and memory drift (HSET), a leaderboard
// (ZINCRBY), counters (INCR, INCRBY, INCRBYFLOAT), a capped event log (LPUSH + LTRIM), sets of
// online players and of alerting hosts (SADD / SREM), sessions that expire (SET EX, EXPIRE), and,
// once a second, two time series (RPUSH + LTRIM): requests per second (a slow wave with noise and
// bursts) and p95 latency.
import { DEMO_KEYS } from './keys.ts'
import { createRandom, type Random } from './random.ts'

export type DemoCommand = readonly string[]

export interface DemoGeneratorOptions {
  /** Seed of the generator: the same seed gives the same commands. @default 1 */
  readonly seed: number
  /** Number of simulated hosts (host:1 … host:N). @default 8 */
  readonly hosts: number
  /** Length the `events` list is capped at. @default 50 */
  readonly eventsCap: number
  /** Points kept in each time series (one a second). @default 120 */
  readonly seriesPoints: number
}

export const DEMO_GENERATOR_DEFAULTS: DemoGeneratorOptions = Object.freeze({ seed: 1, hosts: 8, eventsCap: 50, seriesPoints: 120 })

const ROLES = ['web', 'web', 'api', 'api', 'worker', 'db', 'cache', 'edge'] as const
const REGIONS = ['eu-west', 'us-east', 'ap-south'] as const
const PLAYERS = [
  'ada', 'grace', 'linus', 'margaret', 'ken', 'barbara', 'dennis', 'radia',
  'alan', 'edsger', 'frances', 'guido', 'katherine', 'tim', 'bjarne', 'hedy',
] as const
const PATHS = ['/api/orders', '/api/cart', '/api/users', '/login', '/search', '/checkout'] as const

type Status = 'ok' | 'warn' | 'down'

interface HostState {
  readonly key: string
  readonly name: string
  readonly role: string
  readonly region: string
  readonly boot: number
  cpu: number
  mem: number
  status: Status
  /** Ops left before a 'down' host comes back. */
  downFor: number
}

interface Operation {
  readonly weight: number
  readonly run: (nowMs: number) => DemoCommand[]
}

const fixed = (value: number, digits: number): string => value.toFixed(digits)
const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, value))

export class DemoGenerator {
  readonly options: DemoGeneratorOptions
  readonly #random: Random
  readonly #hosts: HostState[] = []
  readonly #sessions: string[] = []
  readonly #online = new Set<string>()
  readonly #operations: Operation[]
  readonly #totalWeight: number
  #sessionSeq = 0
  #second = 0
  #burst = 0

  constructor(options: Partial<DemoGeneratorOptions> = {}) {
    this.options = { ...DEMO_GENERATOR_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) }
    const { hosts, eventsCap, seriesPoints } = this.options
    if (!Number.isSafeInteger(hosts) || hosts < 1 || hosts > 1000) throw new RangeError(`hosts must be an integer 1..1000, got ${hosts}`)
    if (!Number.isSafeInteger(eventsCap) || eventsCap < 1) throw new RangeError(`eventsCap must be a positive integer, got ${eventsCap}`)
    if (!Number.isSafeInteger(seriesPoints) || seriesPoints < 2) throw new RangeError(`seriesPoints must be an integer of at least 2, got ${seriesPoints}`)
    this.#random = createRandom(this.options.seed)
    this.#operations = [
      { weight: 40, run: (now) => this.#hostMetrics(now) },
      { weight: 22, run: () => this.#leaderboard() },
      { weight: 5, run: (now) => this.#event(now) },
      { weight: 8, run: (now) => this.#session(now) },
      { weight: 6, run: () => this.#sessionTouch() },
      { weight: 5, run: () => this.#presence() },
      { weight: 6, run: (now) => this.#signup(now) },
      { weight: 5, run: () => [['INCRBYFLOAT', DEMO_KEYS.revenue, fixed(5 + this.#random.next() * 120, 2)]] },
      { weight: 1, run: (now) => this.#error(now) },
    ]
    this.#totalWeight = this.#operations.reduce((sum, op) => sum + op.weight, 0)
  }

  /**
   * The dataset's starting point: every host, the leaderboard, a few events, and the time series
   * back-filled with `seriesPoints - 1` seconds before `nowMs`, so the chart is full at once.
   * Replaces earlier demo lists; leaves other keys alone.
   */
  initial(nowMs: number): DemoCommand[] {
    const r = this.#random
    const out: DemoCommand[] = [['DEL', DEMO_KEYS.events, DEMO_KEYS.seriesRps, DEMO_KEYS.seriesLatency, DEMO_KEYS.alerting]]
    for (let i = 1; i <= this.options.hosts; i++) {
      const role = ROLES[(i - 1) % ROLES.length]!
      const sameRole = this.#hosts.filter((h) => h.role === role).length + 1
      const host: HostState = {
        key: `${DEMO_KEYS.hostPrefix}${i}`,
        name: `${role}-${sameRole}`,
        role,
        region: REGIONS[(i - 1) % REGIONS.length]!,
        boot: nowMs - r.int(3_600, 40 * 86_400) * 1000,
        cpu: 15 + r.next() * 45,
        mem: 30 + r.next() * 40,
        status: 'ok',
        downFor: 0,
      }
      this.#hosts.push(host)
      out.push(['HSET', host.key, 'name', host.name, 'role', host.role, 'region', host.region, 'boot', String(host.boot), ...this.#metricFields(host, nowMs)])
    }
    const board: string[] = []
    for (const player of PLAYERS) board.push(String(r.int(50, 900)), player)
    out.push(['ZADD', DEMO_KEYS.leaderboard, 'NX', ...board])
    for (const player of PLAYERS) if (r.chance(0.5)) this.#online.add(player)
    if (this.#online.size === 0) this.#online.add(PLAYERS[0])
    out.push(['DEL', DEMO_KEYS.online], ['SADD', DEMO_KEYS.online, ...this.#online])
    out.push(['SET', DEMO_KEYS.requests, '0', 'NX'], ['SET', DEMO_KEYS.errors, '0', 'NX'], ['SET', DEMO_KEYS.signups, '0', 'NX'], ['SET', DEMO_KEYS.revenue, '0', 'NX'])
    const startSecond = Math.floor(nowMs / 1000) - (this.options.seriesPoints - 1)
    const rps: string[] = []
    const latency: string[] = []
    for (let s = startSecond; s < startSecond + this.options.seriesPoints - 1; s++) {
      const [reqs, p95] = this.#sampleValues()
      rps.push(`${s * 1000}:${reqs}`)
      latency.push(`${s * 1000}:${p95}`)
    }
    out.push(['RPUSH', DEMO_KEYS.seriesRps, ...rps], ['RPUSH', DEMO_KEYS.seriesLatency, ...latency])
    out.push(...this.#event(nowMs, { level: 'info', host: this.#hosts[0]!.name, msg: 'demo feed started' }))
    return out
  }

  /** One write of the mix (one to three commands). */
  next(nowMs: number): DemoCommand[] {
    let pick = this.#random.next() * this.#totalWeight
    for (const op of this.#operations) {
      pick -= op.weight
      if (pick < 0) return op.run(nowMs)
    }
    return this.#operations[0]!.run(nowMs)
  }

  /** The once-a-second samples of the time series, for the second that starts at `secondMs`. */
  sample(secondMs: number): DemoCommand[] {
    const [reqs, p95] = this.#sampleValues()
    const keep = String(-this.options.seriesPoints)
    return [
      ['INCRBY', DEMO_KEYS.requests, String(reqs)],
      ['RPUSH', DEMO_KEYS.seriesRps, `${secondMs}:${reqs}`],
      ['LTRIM', DEMO_KEYS.seriesRps, keep, '-1'],
      ['RPUSH', DEMO_KEYS.seriesLatency, `${secondMs}:${p95}`],
      ['LTRIM', DEMO_KEYS.seriesLatency, keep, '-1'],
    ]
  }

  // ── The operations ──────────────────────────────────────────────────────────────────────────

  #sampleValues(): [rps: number, p95Ms: number] {
    const r = this.#random
    const t = this.#second++
    if (this.#burst > 0) this.#burst--
    else if (r.chance(0.02)) this.#burst = r.int(3, 8)
    const wave = 1 + 0.3 * Math.sin((2 * Math.PI * t) / 90) + 0.12 * Math.sin((2 * Math.PI * t) / 17)
    const burst = this.#burst > 0 ? 1.6 + r.next() * 0.5 : 1
    const rps = Math.max(0, Math.round(1200 * wave * burst + r.gauss() * 45))
    // Latency has its own slow swing (GC, noisy neighbours) and rises in a burst.
    const p95 = Math.max(8, Math.round(34 + 9 * Math.sin((2 * Math.PI * t) / 47 + 1) + (rps - 1200) * 0.012 + r.gauss() * 3 + (this.#burst > 0 ? 28 : 0)))
    return [rps, p95]
  }

  #metricFields(host: HostState, nowMs: number): string[] {
    const load = (host.cpu / 100) * (host.role === 'db' ? 8 : 4)
    const rps = host.status === 'down' ? 0 : Math.round(host.cpu * (host.role === 'web' || host.role === 'edge' ? 4.2 : 2.1))
    return ['cpu', fixed(host.cpu, 1), 'mem', fixed(host.mem, 1), 'load', fixed(load, 2), 'status', host.status, 'rps', String(rps), 'updated', String(nowMs)]
  }

  #hostMetrics(nowMs: number): DemoCommand[] {
    const r = this.#random
    const host = r.pick(this.#hosts)
    const out: DemoCommand[] = []
    const before = host.status
    if (host.status === 'down') {
      host.cpu = 0
      if (--host.downFor <= 0) {
        host.status = 'ok'
        host.cpu = 20 + r.next() * 20
        host.mem = 30 + r.next() * 20
      }
    } else if (r.chance(0.004)) {
      host.status = 'down'
      host.downFor = r.int(8, 20)
      host.cpu = 0
    } else {
      // A random walk pulled back towards 45%, with rare spikes.
      host.cpu = clamp(host.cpu + r.gauss() * 6 + (45 - host.cpu) * 0.06 + (r.chance(0.03) ? 35 : 0), 1, 99.5)
      host.mem = clamp(host.mem + r.gauss() * 1.5 + (55 - host.mem) * 0.02, 5, 98)
      host.status = host.cpu > 88 || host.mem > 92 ? 'warn' : 'ok'
    }
    out.push(['HSET', host.key, ...this.#metricFields(host, nowMs)])
    if (host.status !== before) {
      out.push(host.status === 'ok' ? ['SREM', DEMO_KEYS.alerting, host.key] : ['SADD', DEMO_KEYS.alerting, host.key])
      const level = host.status === 'ok' ? 'info' : host.status === 'warn' ? 'warn' : 'error'
      const msg = host.status === 'ok' ? 'recovered' : host.status === 'down' ? 'stopped answering health checks' : `cpu at ${fixed(host.cpu, 0)}%`
      out.push(...this.#event(nowMs, { level, host: host.name, msg }))
    }
    return out
  }

  #leaderboard(): DemoCommand[] {
    const r = this.#random
    // A few players play much more than the rest, so the top of the board moves but not wildly.
    const index = Math.min(PLAYERS.length - 1, Math.floor(Math.pow(r.next(), 1.6) * PLAYERS.length))
    return [['ZINCRBY', DEMO_KEYS.leaderboard, String(r.int(1, 25)), PLAYERS[index]!]]
  }

  #presence(): DemoCommand[] {
    const r = this.#random
    const player = r.pick(PLAYERS)
    // Keep the set alive (a set with no members does not exist in Redis): the last player stays.
    if (this.#online.has(player) && this.#online.size > 1) {
      this.#online.delete(player)
      return [['SREM', DEMO_KEYS.online, player]]
    }
    this.#online.add(player)
    return [['SADD', DEMO_KEYS.online, player]]
  }

  #event(nowMs: number, fields?: { level: string; host: string; msg: string }): DemoCommand[] {
    const r = this.#random
    let event = fields
    if (event === undefined) {
      const host = r.pick(this.#hosts).name
      const kinds: { level: string; msg: string }[] = [
        { level: 'info', msg: `deploy v1.${r.int(4, 9)}.${r.int(0, 20)} rolled out` },
        { level: 'info', msg: `GET ${r.pick(PATHS)} 200 in ${r.int(4, 60)} ms` },
        { level: 'info', msg: 'backup completed' },
        { level: 'warn', msg: `slow query: ${r.int(400, 2400)} ms on orders` },
        { level: 'warn', msg: `cache hit ratio ${r.int(71, 84)}%` },
        { level: 'info', msg: `${r.pick(PLAYERS)} reached level ${r.int(2, 40)}` },
      ]
      event = { ...r.pick(kinds), host }
    }
    return [
      ['LPUSH', DEMO_KEYS.events, JSON.stringify({ ts: nowMs, level: event.level, host: event.host, msg: event.msg })],
      ['LTRIM', DEMO_KEYS.events, '0', String(this.options.eventsCap - 1)],
    ]
  }

  #session(nowMs: number): DemoCommand[] {
    const r = this.#random
    const id = `${(this.#sessionSeq++).toString(36)}${r.int(0, 0xffff).toString(16).padStart(4, '0')}`
    const key = `${DEMO_KEYS.sessionPrefix}${id}`
    this.#sessions.push(key)
    if (this.#sessions.length > 64) this.#sessions.shift()
    const value = JSON.stringify({ user: r.pick(PLAYERS), since: nowMs })
    return [['SET', key, value, 'EX', String(r.int(8, 40))]]
  }

  #sessionTouch(): DemoCommand[] {
    const r = this.#random
    // EXPIRE on a session that may already have expired: Redis answers 0 and nothing is propagated.
    if (this.#sessions.length === 0) return [['EXPIRE', `${DEMO_KEYS.sessionPrefix}none`, '10']]
    return [['EXPIRE', r.pick(this.#sessions), String(r.int(10, 30))]]
  }

  #signup(nowMs: number): DemoCommand[] {
    const player = this.#random.pick(PLAYERS)
    return [['INCR', DEMO_KEYS.signups], ...(this.#random.chance(0.15) ? this.#event(nowMs, { level: 'info', host: 'web-1', msg: `new signup: ${player}${this.#random.int(1, 99)}` }) : [])]
  }

  #error(nowMs: number): DemoCommand[] {
    const r = this.#random
    const host = r.pick(this.#hosts.filter((h) => h.role === 'api' || h.role === 'web'))
    return [['INCR', DEMO_KEYS.errors], ...this.#event(nowMs, { level: 'error', host: host.name, msg: `${r.pick(PATHS)} answered 500` })]
  }
}
