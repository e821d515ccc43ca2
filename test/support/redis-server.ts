// Starts a real redis-server (Debian's, installed by .ci/run) for a test, on 127.0.0.1 and a port
// chosen at run time, in its own temporary directory. Every caller stops what it started.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface RedisServer {
  readonly port: number
  readonly dir: string
  readonly process: ChildProcess
  /** Output redis-server wrote so far (its log goes to stdout). */
  log(): string
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its directory. */
  stop(): Promise<void>
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/**
 * Starts redis-server with no persistence unless asked, debug commands enabled (DEBUG DIGEST), and
 * `extraArgs` appended as command-line config (`['--repl-diskless-sync', 'no']`).
 */
export async function startRedisServer(extraArgs: readonly string[] = []): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'replicast-redis-'))
  for (let attempt = 0; ; attempt++) {
    const port = await freePort()
    const child = spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no',
      '--daemonize', 'no', '--enable-debug-command', 'yes', '--loglevel', 'notice',
      ...extraArgs,
    ], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => { output += d.toString() })
    child.stderr.on('data', (d: Buffer) => { output += d.toString() })
    const ready = await new Promise<boolean>((resolve, reject) => {
      const onData = (): void => {
        if (output.includes('Ready to accept connections')) done(true)
        else if (/Address already in use|bind: /i.test(output)) done(false)
      }
      const onExit = (): void => done(false)
      const onError = (e: Error): void => { cleanup(); reject(new Error(`redis-server could not start (${e.message}); is it installed? .ci/run installs it.`)) }
      const cleanup = (): void => {
        child.stdout.off('data', onData)
        child.off('exit', onExit)
        child.off('error', onError)
      }
      const done = (ok: boolean): void => { cleanup(); resolve(ok) }
      child.stdout.on('data', onData)
      child.once('exit', onExit)
      child.once('error', onError)
    })
    if (!ready) {
      child.kill('SIGKILL')
      if (attempt < 5 && /Address already in use/i.test(output)) continue
      await rm(dir, { recursive: true, force: true })
      throw new Error(`redis-server did not start:\n${output}`)
    }
    return {
      port,
      dir,
      process: child,
      log: () => output,
      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
          child.kill('SIGTERM')
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
          await exited
          clearTimeout(timer)
        }
        await rm(dir, { recursive: true, force: true })
      },
    }
  }
}
