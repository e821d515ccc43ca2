// Builds the e2e test page (test/e2e/page) with Vite into `outDir`: once per Playwright run
// (global-setup.ts) and once per bench run (bench/browser.ts).
import { fileURLToPath } from 'node:url'
import { build } from 'vite'

export async function buildTestPage(outDir: string): Promise<void> {
  await build({
    configFile: fileURLToPath(new URL('../vite.config.ts', import.meta.url)),
    build: { outDir },
  })
}
