// The demo dataset's key layout, as packages/master/src/demo/keys.ts defines it (the dashboard must
// not import the Node package; test/demo.test.ts checks that the two copies agree).

export const DEMO_KEYS = Object.freeze({
  requests: 'stats:requests',
  errors: 'stats:errors',
  signups: 'stats:signups',
  revenue: 'stats:revenue',
  hostPrefix: 'host:',
  alerting: 'hosts:alerting',
  leaderboard: 'leaderboard',
  online: 'players:online',
  events: 'events',
  seriesRps: 'series:rps',
  seriesLatency: 'series:latency',
  sessionPrefix: 'session:',
})

/** Glob patterns (Redis's KEYS syntax) that cover every key the demo feed writes. */
export const DEMO_PATTERNS: readonly string[] = Object.freeze(['stats:*', 'host:*', 'hosts:*', 'leaderboard', 'players:*', 'events', 'series:*', 'session:*'])

/** True for a key the demo feed writes (the patterns above, without a glob engine). */
export function isDemoKey(key: string): boolean {
  return DEMO_PATTERNS.some((p) => (p.endsWith('*') ? key.startsWith(p.slice(0, -1)) : key === p))
}
