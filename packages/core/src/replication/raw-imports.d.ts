// Vite/vitest `?raw` imports, used by the transition-table tests to read docs/protocol.md's SPEC
// tables without node:fs (core stays free of node:* imports, tests included).
declare module '*.md?raw' {
  const content: string
  export default content
}
