// docs/operations.md promises every option, limit, CLI flag and error code. This keeps the promise:
// one that exists in code but not on that page fails here.
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { RDB_READER_DEFAULTS, RESP_LIMIT_DEFAULTS } from '@replicast/core'
import { MASTER_DEFAULTS } from '@replicast/master'
import { REPLICA_DEFAULTS } from '@replicast/replica'
// The browser entry is safe to import in Node: nothing in it touches a browser global until called.
import { BROWSER_REPLICA_DEFAULTS } from '@replicast/replica/browser'
// Not exported by the packages: read where the code keeps them.
import { MASTER_FLAGS } from '../packages/master/src/cli-args.ts'
import { DEMO_FLAGS_USAGE } from '../packages/master/src/demo/cli.ts'
import { FILE_STORAGE_DEFAULTS } from '../packages/replica/src/storage/file.ts'
import { INDEXEDDB_STORAGE_DEFAULTS } from '../packages/replica/src/storage/indexeddb.ts'
import { MEMORY_STORAGE_DEFAULTS } from '../packages/replica/src/storage/memory.ts'

const root = join(import.meta.dirname, '..')

async function sources(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'dist') out.push(...(await sources(path)))
    } else if (/\.ts$/.test(entry.name) && !/\.(test|spec)\.ts$|test-util\.ts$/.test(entry.name)) {
      out.push(path)
    }
  }
  return out
}

describe('docs/operations.md', () => {
  test('documents every option of the master, the replica and the protocol limits', async () => {
    const doc = await readFile(join(root, 'docs/operations.md'), 'utf8')
    const options = [
      ...Object.keys(MASTER_DEFAULTS),
      ...Object.keys(REPLICA_DEFAULTS),
      ...Object.keys(RESP_LIMIT_DEFAULTS),
      ...Object.keys(RDB_READER_DEFAULTS),
    ]
    expect(options.filter((name) => !doc.includes(`\`${name}\``))).toEqual([])
  })

  test('documents every option of the storage adapters and every CLI flag', async () => {
    const doc = await readFile(join(root, 'docs/operations.md'), 'utf8')
    const options = [
      ...Object.keys(MEMORY_STORAGE_DEFAULTS),
      ...Object.keys(FILE_STORAGE_DEFAULTS),
      ...Object.keys(INDEXEDDB_STORAGE_DEFAULTS),
    ]
    expect(options.filter((name) => !doc.includes(`\`${name}\``))).toEqual([])
    const flags = [...Object.keys(MASTER_FLAGS), ...Array.from(DEMO_FLAGS_USAGE.matchAll(/^\s+(--[a-z-]+)/gm), (m) => m[1]!)]
    expect(flags.length).toBeGreaterThan(20)
    expect(flags.filter((flag) => !doc.includes(`\`${flag}`))).toEqual([])
  })

  test('documents every option of the browser replica with its default (§2.1)', async () => {
    const doc = await readFile(join(root, 'docs/operations.md'), 'utf8')
    const section = /^### 2\.1 Browser replica[^\n]*\n([\s\S]*?)^## 3\./m.exec(doc)?.[1]
    expect(section, 'docs/operations.md has a "### 2.1 Browser replica" subsection').toBeDefined()
    const rows = new Map<string, string>()
    for (const match of section!.matchAll(/^\| `(\w+)` \| ([^|]*) \|/gm)) rows.set(match[1]!, match[2]!)
    expect([...Object.keys(BROWSER_REPLICA_DEFAULTS), 'url'].filter((name) => !rows.has(name))).toEqual([])
    // The documented default is the code's, for every default that is a value (not derived).
    const wrong: string[] = []
    for (const [name, value] of Object.entries(BROWSER_REPLICA_DEFAULTS)) {
      const cell = rows.get(name) ?? ''
      const expected = value === undefined ? [] : typeof value === 'object' ? Object.entries(value).map(([k, v]) => `${k}: ${JSON.stringify(v).replaceAll('"', "'")}`) : [`\`${JSON.stringify(value).replaceAll('"', "'")}\``]
      // Not followed by a word character: `fullSyncBatchRecords: 1000` is not `…: 10000`.
      for (const text of expected) if (!new RegExp(`${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?!\\w)`).test(cell)) wrong.push(`${name}: "${cell}" lacks ${text}`)
    }
    expect(wrong).toEqual([])
  })

  test('documents every error and warning code raised in packages/', async () => {
    const doc = await readFile(join(root, 'docs/operations.md'), 'utf8')
    const codes = new Set<string>()
    for (const file of await sources(join(root, 'packages'))) {
      for (const match of (await readFile(file, 'utf8')).matchAll(/'((?:ERR|WARN)_[A-Z0-9_]+)'/g)) codes.add(match[1]!)
    }
    expect(codes.size).toBeGreaterThan(20)
    expect([...codes].filter((code) => !doc.includes(`\`${code}\``)).sort()).toEqual([])
  })
})
