// Vite config of the dashboard. Two entries: the page (index.html) and the service worker, built to
// a fixed name (/sw.js) so that its URL never changes. After bundling, the service worker gets the
// list of every file of the build and a version hash of them, which it precaches.
//
// `npm run dev -w apps/dashboard` serves the page with hot reload and proxies /replication to a
// master on 127.0.0.1:8080 (`npm start` in another terminal).
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig, type Plugin } from 'vite'

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url))
const SW_NAME = 'sw.js'
const PLACEHOLDER = /(["'`])__REPLICAST_PRECACHE_MANIFEST__\1/

/** Every file under `dir`, as paths relative to it with forward slashes. */
function listFiles(dir: string): string[] {
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true, recursive: true })
  } catch {
    return []
  }
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
}

function precacheManifest(): Plugin {
  let publicDir = ''
  return {
    name: 'replicast:precache-manifest',
    apply: 'build',
    enforce: 'post',
    configResolved(config) {
      publicDir = config.publicDir
    },
    generateBundle(_options, bundle) {
      const sw = bundle[SW_NAME]
      if (sw === undefined || sw.type !== 'chunk') this.error(`${SW_NAME} is missing from the bundle`)
      // The bundle's files, and the public folder's (Vite copies those as they are).
      const publicFiles = publicDir === '' ? [] : listFiles(publicDir)
      const files = [...new Set([...Object.keys(bundle), ...publicFiles, 'index.html'])].filter((name) => name !== SW_NAME && !name.endsWith('.map')).sort()
      const hash = createHash('sha256')
      for (const name of files) {
        const item = bundle[name]
        hash.update(name)
        if (item?.type === 'chunk') hash.update(item.code)
        else if (item?.type === 'asset') hash.update(typeof item.source === 'string' ? item.source : Buffer.from(item.source))
        else if (publicFiles.includes(name)) hash.update(readFileSync(join(publicDir, name)))
      }
      const manifest = { version: hash.digest('hex').slice(0, 16), files: ['./', ...files] }
      if (!PLACEHOLDER.test(sw.code)) this.error(`the precache placeholder is missing from ${SW_NAME}`)
      sw.code = sw.code.replace(PLACEHOLDER, () => JSON.stringify(JSON.stringify(manifest)))
    },
  }
}

export default defineConfig({
  root: here('.'),
  base: '/',
  plugins: [precacheManifest()],
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    rolldownOptions: {
      input: { index: here('index.html'), sw: here('src/sw.ts') },
      output: {
        entryFileNames: (chunk) => (chunk.name === 'sw' ? SW_NAME : 'assets/[name]-[hash].js'),
      },
    },
  },
  server: {
    proxy: { '/replication': { target: 'ws://127.0.0.1:8080', ws: true } },
  },
})
