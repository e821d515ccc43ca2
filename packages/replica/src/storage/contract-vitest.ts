// The contract suite (contract.ts) as vitest tests: one `describe` per adapter, one `test` per case.
// Cases whose requirement the harness lacks (a byte limit, a log to tear) are reported as skipped
// with the reason in their name, so a reader of the output sees what an adapter is not held to.
import { describe, test } from 'vitest'
import { runStorageContractCase, storageContractCases, type StorageHarness } from './contract.ts'

/** Per-case time limit: the large-store cases write 50,000 records (slow over fake-indexeddb). */
const CASE_TIMEOUT_MS = 120_000

/** Declares the whole contract suite for one adapter; `makeHarness` is called once per case. */
export function runStorageContract(name: string, makeHarness: () => StorageHarness | Promise<StorageHarness>): void {
  describe(`storage contract: ${name}`, () => {
    for (const contractCase of storageContractCases) {
      test(contractCase.name, async (context) => {
        const ran = await runStorageContractCase(makeHarness, contractCase)
        if (!ran) context.skip(`the ${name} harness has no ${contractCase.requires ?? ''}()`)
      }, CASE_TIMEOUT_MS)
    }
  })
}
