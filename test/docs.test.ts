// docs/operations.md promises every option, limit and error code. This keeps the promise: an option
// or a code that exists in code but not on that page fails here.
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { RDB_READER_DEFAULTS, RESP_LIMIT_DEFAULTS } from '@replicast/core'
import { MASTER_DEFAULTS } from '@replicast/master'
import { REPLICA_DEFAULTS } from '@replicast/replica'

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
