// THE storage contract (packages/replica/src/storage/contract.ts) against real IndexedDB in Chromium:
// every case, for the IndexedDB adapter on the page's main thread and for the worker storage (the
// adapter in a dedicated worker behind the postMessage proxy, as browser replicas use it). Each case
// runs in the page (one page for all: each case makes and deletes its own databases) and is one test here.
//
// The two quota cases need a harness `createLimited(bytes)`, which these harnesses lack, so they are
// reported skipped. Chromium's quota can be lowered (CDP Storage.overrideQuotaForOrigin), but not per
// store: it is the origin's, it is enforced at once only if set before the origin first uses IndexedDB,
// and it counts what IndexedDB stores compressed, while the cases' values (repeated bytes) compress to
// almost nothing. quota.spec.ts tests the quota in Chromium instead, with incompressible data.
import { storageContractCases } from '../../packages/replica/src/storage/contract.ts'
import { expect, test } from './support/fixtures.ts'

for (const adapter of ['indexeddb', 'worker'] as const) {
  test.describe(`storage contract on real IndexedDB: ${adapter}`, () => {
    for (const contractCase of storageContractCases) {
      test(contractCase.name, async ({ sharedApp }) => {
        const result = await sharedApp.page.evaluate(([a, name]) => window.e2e.runContractCase(a, name), [adapter, contractCase.name] as const)
        test.skip(result.status === 'skipped', `the ${adapter} harness has no ${contractCase.requires ?? ''}()`)
        expect(result.error ?? '', `case failed after ${Math.round(result.ms)} ms`).toBe('')
        expect(result.status).toBe('passed')
      })
    }
  })
}
