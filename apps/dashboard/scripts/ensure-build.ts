// Builds the dashboard when its build is missing or older than its sources: `npm start` runs this
// first, so a fresh clone (`npm ci && npm start`) and an edited source both get a current build.
//
// "Sources" are the app's own files and what it bundles of the packages (core, replica, and the
// master's demo key layout). The build is current when dist/.build-stamp is newer than every one of them.
import { readdir, stat, utimes, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const app = fileURLToPath(new URL('..', import.meta.url))
const repo = join(app, '..', '..')
const dist = join(app, 'dist')
const stamp = join(dist, '.build-stamp')
const inputs = [
  join(app, 'index.html'),
  join(app, 'vite.config.ts'),
  join(app, 'package.json'),
  join(app, 'src'),
  join(app, 'public'),
  join(repo, 'packages', 'core', 'src'),
  join(repo, 'packages', 'replica', 'src'),
  join(repo, 'packages', 'master', 'src', 'demo', 'keys.ts'),
]

/** The newest modification time under `path` (a file or a folder), and the file that has it. */
async function newest(path: string): Promise<{ mtimeMs: number; file: string }> {
  let info
  try {
    info = await stat(path)
  } catch {
    return { mtimeMs: 0, file: path }
  }
  if (!info.isDirectory()) return { mtimeMs: info.mtimeMs, file: path }
  let best = { mtimeMs: 0, file: path }
  for (const entry of await readdir(path)) {
    if (entry === 'node_modules' || entry === 'dist') continue
    const found = await newest(join(path, entry))
    if (found.mtimeMs > best.mtimeMs) best = found
  }
  return best
}

async function main(): Promise<void> {
  const force = process.argv.includes('--force')
  let source = { mtimeMs: 0, file: '' }
  for (const input of inputs) {
    const found = await newest(input)
    if (found.mtimeMs > source.mtimeMs) source = found
  }
  const built = (await newest(stamp)).mtimeMs
  if (!force && built > 0 && built >= source.mtimeMs) return
  const reason = force ? 'asked to' : built === 0 ? 'no build yet' : `${relative(repo, source.file)} changed`
  console.log(`dashboard: building (${reason})…`)
  const started = performance.now()
  const startedAt = new Date()
  const { build } = await import('vite')
  await build({ configFile: join(app, 'vite.config.ts'), logLevel: 'warn' })
  // Stamped with the time the build started: a source saved during the build makes it stale.
  await writeFile(stamp, `${startedAt.toISOString()}\n`)
  await utimes(stamp, startedAt, startedAt)
  console.log(`dashboard: built in ${((performance.now() - started) / 1000).toFixed(1)} s → ${relative(repo, dist)}`)
}

main().catch((error: unknown) => {
  console.error('dashboard: build failed:', error)
  process.exitCode = 1
})
