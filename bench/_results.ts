// The results table a benchmark ends with: one row per measure, beside its yardstick and target.
// bench/run.ts counts the rows whose last cell is `NO` (a target missed), so every benchmark prints
// them the same way.

export interface ResultRow {
  readonly name: string
  readonly ours: string
  readonly theirs: string
  readonly ratio: string
  readonly target: string
  /** Whether the target was met; null when the row has no target. */
  readonly met: boolean | null
}

/** Prints `rows` as a Markdown table under the given column headings. */
export function printResults(rows: readonly ResultRow[], headings: { readonly name: string; readonly ours: string; readonly theirs: string }): void {
  console.log(`| ${headings.name} | ${headings.ours} | ${headings.theirs} | ratio | target | met |`)
  console.log('|---|---|---|---|---|---|')
  for (const row of rows) {
    const met = row.met === null ? '—' : row.met ? 'yes' : 'NO'
    console.log(`| ${row.name} | ${row.ours} | ${row.theirs} | ${row.ratio} | ${row.target} | ${met} |`)
  }
}
