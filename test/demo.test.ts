// The demo: the feed writes every data type into a master (and a replica follows it exactly), it is
// deterministic under a seed and stops cleanly; the master's HTTP port serves the dashboard's build
// with the right types and cache headers, and nothing outside it.
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createMaster, type Master } from '@replicast/master'
import { createReplica } from '@replicast/replica/node'
import * as dashboardKeys from '@replicast/master/demo-keys'
import {
  DEMO_KEYS,
  DEMO_PATTERNS,
  DemoGenerator,
  demoMasterOptions,
  startDemoFeed,
  takeDemoFlags,
  type DemoFeed,
} from '../packages/master/src/demo/index.ts'
import { safeRelativePath } from '../packages/master/src/static.ts'

const root = fileURLToPath(new URL('..', import.meta.url))

interface Reply {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: string
}

/** A raw HTTP request: the path goes out exactly as given (fetch would normalize `..` away). */
function get(port: number, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('error', reject)
    req.end()
  })
}

const text = (reply: unknown): string => {
  const r = reply as { kind: string; value: unknown }
  return r.kind === 'simple' || r.kind === 'bulk' ? String(r.value) : JSON.stringify(r)
}

describe('demo generator', () => {
  test('the same seed gives the same commands; another seed, others', () => {
    const run = (seed: number) => {
      const g = new DemoGenerator({ seed })
      const out = [...g.initial(1_700_000_000_000)]
      for (let i = 0; i < 500; i++) out.push(...g.next(1_700_000_000_000 + i * 20))
      out.push(...g.sample(1_700_000_010_000))
      return out.map((c) => c.join(' '))
    }
    expect(run(42)).toEqual(run(42))
    expect(run(43)).not.toEqual(run(42))
  })

  test('the dashboard reads the key layout the feed writes', () => {
    expect(dashboardKeys.DEMO_KEYS).toEqual(DEMO_KEYS)
    expect(dashboardKeys.DEMO_PATTERNS).toEqual(DEMO_PATTERNS)
    for (const key of ['stats:requests', 'host:3', 'hosts:alerting', 'leaderboard', 'players:online', 'events', 'series:rps', 'session:abc']) {
      expect(dashboardKeys.isDemoKey(key), key).toBe(true)
    }
    expect(dashboardKeys.isDemoKey('greeting')).toBe(false)
  })

  test('--demo flags are taken out before the master flags', () => {
    const { flags, rest } = takeDemoFlags(['--port', '0', '--demo-rate=20', '--demo-seed', '7', '--ws-port', '0'])
    expect(rest).toEqual(['--port', '0', '--ws-port', '0'])
    expect(flags).toMatchObject({ demo: true, writesPerSecond: 20, seed: 7 })
    expect(takeDemoFlags(['--port', '1']).flags.demo).toBe(false)
    expect(() => takeDemoFlags(['--demo-rate', 'fast'])).toThrow(/not a non-negative number/)
  })
})

describe('demo feed and dashboard on a master', () => {
  let dist: string
  let master: Master
  let feed: DemoFeed

  beforeAll(async () => {
    // The real dashboard, built into a temporary folder (a fresh clone has no build).
    dist = await mkdtemp(join(tmpdir(), 'replicast-dashboard-'))
    const { build } = await import('vite')
    await build({ configFile: join(root, 'apps/dashboard/vite.config.ts'), logLevel: 'silent', build: { outDir: dist, emptyOutDir: true } })
    await writeFile(join(dist, '.secret'), 'hidden')
    await symlink(join(root, 'package.json'), join(dist, 'escape.json'))
    const { flags } = takeDemoFlags(['--demo', '--dashboard-dir', dist])
    master = await createMaster({ port: 0, wsPort: 0, ...demoMasterOptions(flags) })
    feed = startDemoFeed(master, { writesPerSecond: 400, seed: 7, tickMs: 10 })
  }, 60_000)

  afterAll(async () => {
    feed?.stop()
    await master?.close()
    if (dist !== undefined) await rm(dist, { recursive: true, force: true })
  })

  test('writes every data type, expiring keys among them, and a replica follows exactly', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(feed.writes).toBeGreaterThan(0)
    expect(feed.errors, feed.lastError ?? '').toBe(0)
    const type = (key: string) => text(master.command(['TYPE', key]))
    expect(type(DEMO_KEYS.requests)).toBe('string')
    expect(type(DEMO_KEYS.revenue)).toBe('string')
    expect(type('host:1')).toBe('hash')
    expect(type('host:8')).toBe('hash')
    expect(type(DEMO_KEYS.leaderboard)).toBe('zset')
    expect(type(DEMO_KEYS.online)).toBe('set')
    expect(type(DEMO_KEYS.events)).toBe('list')
    expect(type(DEMO_KEYS.seriesRps)).toBe('list')
    const host = master.command(['HGETALL', 'host:1'])
    expect(JSON.stringify(host)).toMatch(/cpu.*mem.*status/)
    // Capped lists stay capped.
    expect(Number((master.command(['LLEN', DEMO_KEYS.events]) as { value: number }).value)).toBeLessThanOrEqual(50)
    expect(Number((master.command(['LLEN', DEMO_KEYS.seriesRps]) as { value: number }).value)).toBeLessThanOrEqual(120)
    expect(text(master.command(['LINDEX', DEMO_KEYS.seriesRps, '-1']))).toMatch(/^\d{13}:\d+$/)
    // Sessions carry a TTL.
    const sessions = (master.command(['KEYS', 'session:*']) as unknown as { value: { value: string }[] }).value
    expect(sessions.length).toBeGreaterThan(0)
    const ttl = Number((master.command(['PTTL', sessions[0]!.value]) as { value: number }).value)
    expect(ttl).toBeGreaterThan(0)

    // A replica of it ends with the same dataset, byte for byte.
    const replica = await createReplica({ url: master.url })
    try {
      feed.stop()
      const written = feed.commands
      await replica.waitForOffset(master.offset, { timeoutMs: 20_000 })
      expect(await replica.digest()).toBe(master.digest())
      // Stopped means stopped.
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(feed.commands).toBe(written)
      expect(feed.running).toBe(false)
    } finally {
      await replica.close()
    }
  })

  test('serves index.html, the service worker and assets with their types and cache headers', async () => {
    const index = await get(master.wsPort, '/')
    expect(index.status).toBe(200)
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(index.headers['cache-control']).toBe('no-cache')
    expect(index.body).toContain('<div id="app">')
    expect((await get(master.wsPort, '/index.html')).body).toBe(index.body)

    const sw = await get(master.wsPort, '/sw.js')
    expect(sw.status).toBe(200)
    expect(sw.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(sw.headers['cache-control']).toBe('no-cache')
    // The precache list written into it at build time: every file it names is served.
    const literal = /JSON\.parse\(("(?:[^"\\]|\\.)*")\)/.exec(sw.body)
    expect(literal).not.toBeNull()
    const manifest = JSON.parse(JSON.parse(literal![1]!) as string) as { version: string; files: string[] }
    expect(manifest.version).toMatch(/^[0-9a-f]{16}$/)
    expect(manifest.files).toContain('index.html')
    const types = new Map<string, string>()
    for (const file of manifest.files) {
      const reply = await get(master.wsPort, `/${file.replace(/^\.\//, '')}`)
      expect(reply.status, file).toBe(200)
      types.set(file, String(reply.headers['content-type']))
      if (file.startsWith('assets/')) expect(reply.headers['cache-control'], file).toBe('public, max-age=31536000, immutable')
    }
    const js = manifest.files.find((f) => /^assets\/.+\.js$/.test(f))!
    const css = manifest.files.find((f) => /^assets\/.+\.css$/.test(f))!
    expect(types.get(js)).toBe('text/javascript; charset=utf-8')
    expect(types.get(css)).toBe('text/css; charset=utf-8')
    expect(types.get('favicon.svg')).toBe('image/svg+xml')
    expect(types.get('manifest.webmanifest')).toBe('application/manifest+json; charset=utf-8')
    expect(index.body).toContain(js.slice('assets/'.length))

    // Revalidation, HEAD, and methods other than GET/HEAD.
    const again = await get(master.wsPort, '/', { headers: { 'if-none-match': String(index.headers['etag']) } })
    expect(again.status).toBe(304)
    const head = await get(master.wsPort, '/sw.js', { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.body).toBe('')
    expect((await get(master.wsPort, '/', { method: 'POST' })).status).toBe(405)
  })

  test('404s unknown paths and refuses to leave the build folder', async () => {
    for (const path of ['/nope', '/assets/nope.js', '/nope/', '/.secret', '/.build-stamp']) {
      expect((await get(master.wsPort, path)).status, path).toBe(404)
    }
    for (const path of [
      '/../package.json',
      '/assets/../../package.json',
      '/%2e%2e/%2e%2e/package.json',
      '/assets/..%2f..%2f..%2fpackage.json',
      '/..%5c..%5cpackage.json',
      '/index.html%00.js',
      '/escape.json',
      '/%E0%A4%A',
    ]) {
      const reply = await get(master.wsPort, path)
      expect(reply.status, path).toBe(403)
      expect(reply.body, path).not.toContain('replicast-monorepo')
    }
    expect(safeRelativePath('/a/b.js?x=1', 'index.html')).toBe('a/b.js')
    expect(safeRelativePath('/', 'index.html')).toBe('index.html')
    expect(safeRelativePath('/a/../b', 'index.html')).toBeNull()
  })

  test('the replication WebSocket still answers beside the static files', async () => {
    const upgrade = await get(master.wsPort, '/replication')
    // A plain GET of the WebSocket path is a static lookup (no such file), not an upgrade.
    expect(upgrade.status).toBe(404)
    const replica = await createReplica({ url: master.url })
    try {
      await replica.waitForOffset(master.offset, { timeoutMs: 20_000 })
      expect(await replica.digest()).toBe(master.digest())
    } finally {
      await replica.close()
    }
  })
})
