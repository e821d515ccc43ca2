// `npm start` end to end: the real `npm start` (the dashboard's build check, then `exec replicast
// master --demo`), the page it says to open, and writes made with the real `redis-cli` showing up on
// that page live; then SIGTERM to npm, which reaches the master (the script execs it), and a clean exit.
// The ports are the only change to the command: `-- --port 0 --ws-port 0` instead of the defaults
// (6380, 8080), which another run on this box may hold. The CLI prints the ports it bound.
//
// Every wait is on the process's output, its exit, the page's replica offset or the page's DOM.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { expect, test } from '@playwright/test'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))

interface Printed {
  /** The RESP port from `redis-cli -h <host> -p <port>`. */
  readonly respPort: number
  /** The line marked "open this". */
  readonly dashboardUrl: string
}

interface Exit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

/** Reads the CLI's stdout until it has printed both addresses; keeps every line in `lines`. */
function readAddresses(child: ChildProcess, lines: string[]): Promise<Printed> {
  return new Promise((resolve, reject) => {
    let respPort: number | undefined
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      reject(new Error(`replicast exited (code ${code}, signal ${signal}) before printing the dashboard's address:\n${lines.join('\n')}`))
    child.once('close', onExit)
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line)
      const resp = /redis-cli -h \S+ -p (\d+)/.exec(line)
      if (resp !== null) respPort = Number(resp[1])
      const page = /dashboard:\s+(http:\/\/\S+)\s+← open this/.exec(line)
      if (page !== null && respPort !== undefined) {
        child.off('close', onExit)
        resolve({ respPort, dashboardUrl: page[1]! })
      }
    })
  })
}

test('npm start: the CLI prints the address to open; redis-cli writes appear on that page live; SIGTERM exits cleanly', async ({ page }) => {
  // The first run may build the dashboard (ensure-build.ts) before the master starts.
  test.setTimeout(180_000)
  // Its own process group: if the test fails, the cleanup kills npm and the master it exec'd at once
  // (a SIGKILL to npm alone is not passed on).
  const child = spawn('npm', ['start', '--', '--port', '0', '--ws-port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  // 'close' rather than 'exit': it comes once the output is read to its end too.
  const closed = new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })))
  const stdout: string[] = []
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  try {
    const { respPort, dashboardUrl } = await readAddresses(child, stdout)
    expect(dashboardUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    const cli = async (...args: string[]): Promise<string> => (await run('redis-cli', ['-p', String(respPort), ...args], { encoding: 'utf8' })).stdout.trim()

    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    await page.goto(dashboardUrl)
    await expect(page.getByTestId('link-state')).toHaveText('Streaming')
    await expect(page.getByTestId('repl-sync')).toContainText('full')
    await expect(page.getByTestId('kpi-requests').locator('.kpi-value')).not.toHaveText('—')

    // Written with the real redis-cli, as the README and the empty "Your keys" panel suggest.
    expect(await cli('SET', 'greeting', 'hello from redis-cli')).toBe('OK')
    expect(await cli('HSET', 'cli:profile', 'name', 'Ada', 'lang', 'ts')).toBe('2')
    const keys = page.getByTestId('user-keys')
    await expect(keys.locator('.key-row', { hasText: 'greeting' })).toContainText('"hello from redis-cli"')
    await expect(keys.locator('.key-row', { hasText: 'cli:profile' })).toContainText('name: "Ada", lang: "ts"')
    await expect(keys.locator('.key-row', { hasText: 'cli:profile' }).locator('.key-type')).toHaveText('hash')

    // Live, through the replication stream: the page's replica reaches the master's offset after the writes.
    const offset = Number(/^master_repl_offset:(\d+)/m.exec(await cli('INFO', 'replication'))![1])
    await page.evaluate((target) => window.__replicast!.replica.waitForOffset(target, { timeoutMs: 20_000 }), offset)
    expect(await page.evaluate(() => window.__replicast!.replica.get('greeting'))).toBe('hello from redis-cli')

    // A change to a key already shown updates its row in place.
    expect(await cli('HSET', 'cli:profile', 'name', 'Grace')).toBe('0')
    await expect(keys.locator('.key-row', { hasText: 'cli:profile' })).toContainText('name: "Grace", lang: "ts"')

    // SIGTERM to npm with the page still connected: npm passes it on to the master (the script execs
    // it), which closes its links and exits with 0, and so does npm.
    child.kill('SIGTERM')
    expect(await closed).toEqual({ code: 0, signal: null })
    expect(stdout.at(-1)).toBe('replicast: SIGTERM, closing')
    expect(stderr).toBe('')
    await expect(page.getByTestId('link-state')).toHaveText('Disconnected')
    await expect(run('redis-cli', ['-p', String(respPort), 'PING'])).rejects.toThrow()
    expect(errors).toEqual([])
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid!, 'SIGKILL')
      await closed
    }
  }
})
