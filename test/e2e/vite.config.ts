// Vite build of the e2e test page (test/e2e/page): the replica bundled for browsers exactly as an app
// would bundle it, built once per Playwright run (global-setup.ts) into a temporary directory.
//
// The build doubles as the check that the browser entries (`@replicast/replica`,
// `@replicast/replica/browser`) pull in nothing of Node: a `node:*` or bare builtin module, or the `ws`
// package, reached from the page or its storage worker fails the build with the chain of importers.
import { builtinModules } from 'node:module'
import { fileURLToPath } from 'node:url'
import { defineConfig, type Plugin } from 'vite'

const NODE_BUILTINS = new Set(builtinModules)

/** Fails the build when browser code imports a Node builtin or `ws`. */
export function noNodeInBrowser(): Plugin {
  return {
    name: 'replicast:no-node-in-browser',
    enforce: 'pre',
    resolveId(source, importer) {
      const bare = source.startsWith('node:') ? source.slice(5) : source
      if (source.startsWith('node:') || NODE_BUILTINS.has(bare.split('/')[0]!) || source === 'ws' || source.startsWith('ws/')) {
        this.error(`Browser code imports the Node-only module "${source}" (from ${importer ?? 'an entry'}); the browser entries must not reach node:* or ws.`)
      }
      return null
    },
  }
}

export default defineConfig({
  root: fileURLToPath(new URL('./page', import.meta.url)),
  logLevel: 'warn',
  plugins: [noNodeInBrowser()],
  build: {
    target: 'es2022',
    sourcemap: true,
    emptyOutDir: true,
    // The bench page loads 1,000,000 keys; nothing here is shipped, so no size warnings.
    chunkSizeWarningLimit: 10_000,
  },
  worker: { format: 'es', plugins: () => [noNodeInBrowser()] },
})
