// Test helper: reads a SPEC table from docs/protocol.md (`<!-- spec-table:<name> -->` followed by a
// Markdown table whose first column names events and whose header names states), and renders a
// machine step as a table cell, so the transition-table tests compare the machine with the doc.

/** cells[event][state] = cell text. */
export function readSpecTable(markdown: string, name: string): Record<string, Record<string, string>> {
  const marker = `<!-- spec-table:${name} -->`
  const at = markdown.indexOf(marker)
  if (at < 0) throw new Error(`docs/protocol.md has no ${marker}`)
  const lines = markdown.slice(at + marker.length).split('\n').map((l) => l.trim())
  const start = lines.findIndex((l) => l.startsWith('|'))
  const rows: string[][] = []
  for (let i = start; i < lines.length && lines[i]!.startsWith('|'); i++) {
    rows.push(lines[i]!.slice(1, -1).split('|').map((c) => c.trim()))
  }
  const [header, , ...body] = rows
  const states = header!.slice(1)
  const table: Record<string, Record<string, string>> = {}
  for (const row of body) {
    const cells: Record<string, string> = {}
    states.forEach((state, i) => (cells[state] = row[i + 1]!))
    table[row[0]!] = cells
  }
  return table
}

/** `ignored` when the step returned the same state object and no actions, else `<kind>: <actions>`. */
export function describeStep(before: { kind: string }, step: { state: { kind: string }; actions: readonly { type: string }[] }): string {
  if (step.state === before && step.actions.length === 0) return 'ignored'
  return `${step.state.kind}: ${step.actions.length === 0 ? '—' : step.actions.map((a) => a.type).join(', ')}`
}
