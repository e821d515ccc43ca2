// Playwright global setup: builds the test page once for the whole run into a temporary directory
// (REPLICAST_E2E_PAGE_DIR tells the workers where), and removes it at the end.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildTestPage } from './support/build-page.ts'

export default async function globalSetup(): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'replicast-e2e-page-'))
  await buildTestPage(dir)
  process.env.REPLICAST_E2E_PAGE_DIR = dir
  return async () => {
    await rm(dir, { recursive: true, force: true })
  }
}
