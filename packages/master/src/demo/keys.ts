// The demo dataset's key layout: what `startDemoFeed` writes and the dashboard reads. The dashboard
// imports this file alone, as `@replicast/master/demo-keys`, into a browser bundle: it must import
// nothing (no Node module, nothing of the master).
//
//   stats:requests  stats:errors  stats:signups   string counters (INCRBY / INCR)
//   stats:revenue                                 string float (INCRBYFLOAT)
//   host:<n>                                      hash: name role region cpu mem load status rps boot updated
//   hosts:alerting                                set of host keys whose status is not 'ok'
//   leaderboard                                   sorted set: player → points (ZINCRBY)
//   players:online                                set of players online (SADD / SREM)
//   events                                        list, newest first, capped (LPUSH + LTRIM): JSON events
//   series:rps  series:latency                    lists, oldest first, capped (RPUSH + LTRIM): "<ms>:<value>"
//   session:<id>                                  strings with a TTL (SET EX, EXPIRE)

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
