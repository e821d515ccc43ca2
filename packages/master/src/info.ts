// INFO, with Redis's section and field names (REDIS.md §5.6), so redis-cli, monitoring tools and
// Redis's own test idioms (`wait_for_condition {[s master_repl_offset] == ...}`) read it unchanged.
import type { MasterLinkInfo, ReplicationIds } from '@replicast/core'

/**
 * A master in upstream mode is a replica of a real Redis: INFO shows Redis's replica fields
 * (genRedisInfoString, REDIS.md §5.6) before the master's own.
 */
export interface UpstreamInfoFacts {
  readonly host: string
  readonly port: number
  readonly linkUp: boolean
  /** Seconds since the last byte from Redis, -1 without a link. */
  readonly lastIoSecondsAgo: number
  readonly syncInProgress: boolean
  /** Stream bytes received (slave_read_repl_offset) and applied (slave_repl_offset). */
  readonly readOffset: number
  readonly offset: number
  /** While the RDB is transferred: its size (-1 for the EOF form) and the bytes read. */
  readonly transfer: { readonly total: number; readonly read: number } | null
  /** Seconds since the link went down, -1 when it never was up; only shown while down. */
  readonly downSinceSeconds: number
  /** Stream commands the node could not apply since it started or CONFIG RESETSTAT (INFO stats upstream_unapplied_commands). */
  readonly unappliedCommands: number
}

export interface InfoFacts {
  readonly version: string
  readonly runId: string
  readonly tcpPort: number
  readonly wsPort: number
  readonly uptimeMs: number
  readonly now: number
  readonly connectedClients: number
  readonly ids: ReplicationIds
  readonly masterReplOffset: number
  readonly backlogBytes: number
  readonly backlogFirstByteOffset: number
  readonly backlogHistlen: number
  readonly replicas: readonly (MasterLinkInfo & { readonly ip: string; readonly transport: string })[]
  readonly stats: Readonly<Record<string, number>>
  readonly keyspace: readonly { readonly db: number; readonly keys: number; readonly expires: number }[]
  /** Upstream mode only. */
  readonly upstream?: UpstreamInfoFacts | null
  readonly usedMemory: number
  readonly snapshot: {
    readonly inProgress: boolean
    readonly lastDurationMs: number
    readonly lastBytes: number
    readonly count: number
    /**
     * Snapshotter.lastStatus: how the last snapshot ended, 'ok' before the first (as Redis before its
     * first BGSAVE); snapshots abandoned on purpose (abort, another history, stop) do not count.
     */
    readonly lastStatus: 'ok' | 'err'
  }
}

export const INFO_SECTIONS = Object.freeze(['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'keyspace'] as const)
export type InfoSection = (typeof INFO_SECTIONS)[number]

function section(title: string, fields: readonly (readonly [string, string | number])[]): string {
  return `# ${title}\r\n${fields.map(([k, v]) => `${k}:${v}\r\n`).join('')}`
}

function render(name: InfoSection, f: InfoFacts): string {
  switch (name) {
    case 'server':
      return section('Server', [
        ['redis_version', '7.0.15'],
        ['replicast_version', f.version],
        ['redis_mode', 'standalone'],
        ['os', `${process.platform} ${process.arch}`],
        ['arch_bits', 64],
        ['process_id', process.pid],
        ['run_id', f.runId],
        ['tcp_port', f.tcpPort],
        ['replicast_ws_port', f.wsPort],
        ['uptime_in_seconds', Math.floor(f.uptimeMs / 1000)],
        ['uptime_in_days', Math.floor(f.uptimeMs / 86_400_000)],
        ['hz', 10],
        ['executable', process.argv[1] ?? ''],
      ])
    case 'clients':
      return section('Clients', [['connected_clients', f.connectedClients]])
    case 'memory':
      return section('Memory', [['used_memory', f.usedMemory]])
    case 'persistence':
      return section('Persistence', [
        ['loading', 0],
        ['rdb_bgsave_in_progress', f.snapshot.inProgress ? 1 : 0],
        ['rdb_last_bgsave_status', f.snapshot.lastStatus],
        ['rdb_last_bgsave_time_sec', Math.round(f.snapshot.lastDurationMs / 1000)],
        ['replicast_snapshots', f.snapshot.count],
        ['replicast_last_snapshot_ms', f.snapshot.lastDurationMs],
        ['replicast_last_snapshot_bytes', f.snapshot.lastBytes],
        ['aof_enabled', 0],
      ])
    case 'stats':
      return section('Stats', [...Object.entries(f.stats), ...(f.upstream == null ? [] : [['upstream_unapplied_commands', f.upstream.unappliedCommands] as const])])
    case 'replication': {
      const online = f.replicas.filter((r) => r.state !== null)
      return section('Replication', [
        ...(f.upstream == null ? [['role', 'master'] as const] : upstreamFields(f.upstream)),
        ['connected_slaves', online.length],
        ...online.map((r, i) => [
          `slave${i}`,
          `ip=${r.ipAddress ?? r.ip},port=${r.listeningPort},state=${r.state},offset=${r.ackOffset},lag=${r.lagSeconds}`,
        ] as const),
        ['master_failover_state', 'no-failover'],
        ['master_replid', f.ids.replid],
        ['master_replid2', f.ids.replid2],
        ['master_repl_offset', f.masterReplOffset],
        ['second_repl_offset', f.ids.secondReplOffset],
        ['repl_backlog_active', 1],
        ['repl_backlog_size', f.backlogBytes],
        ['repl_backlog_first_byte_offset', f.backlogFirstByteOffset],
        ['repl_backlog_histlen', f.backlogHistlen],
      ])
    }
    case 'keyspace':
      return section('Keyspace', f.keyspace.filter((d) => d.keys > 0).map((d) => [`db${d.db}`, `keys=${d.keys},expires=${d.expires},avg_ttl=0`] as const))
  }
}

function upstreamFields(u: UpstreamInfoFacts): (readonly [string, string | number])[] {
  const fields: (readonly [string, string | number])[] = [
    ['role', 'slave'],
    ['master_host', u.host],
    ['master_port', u.port],
    ['master_link_status', u.linkUp ? 'up' : 'down'],
    ['master_last_io_seconds_ago', u.lastIoSecondsAgo],
    ['master_sync_in_progress', u.syncInProgress ? 1 : 0],
    ['slave_read_repl_offset', u.readOffset],
    ['slave_repl_offset', u.offset],
  ]
  if (u.transfer !== null) {
    const { total, read } = u.transfer
    fields.push(
      ['master_sync_total_bytes', total],
      ['master_sync_read_bytes', read],
      ['master_sync_left_bytes', total < 0 ? -1 : total - read],
      ['master_sync_perc', (total > 0 ? (read / total) * 100 : 0).toFixed(2)],
      ['master_sync_last_io_seconds_ago', u.lastIoSecondsAgo],
    )
  }
  if (!u.linkUp) fields.push(['master_link_down_since_seconds', u.downSinceSeconds])
  fields.push(['slave_priority', 100], ['slave_read_only', 1], ['replica_announced', 1])
  return fields
}

/**
 * The INFO text for `sections` (lowercase; 'all', 'everything' and 'default' mean every section).
 * Unknown sections are ignored, as Redis does.
 */
export function renderInfo(facts: InfoFacts, sections: readonly string[]): string {
  const wanted = sections.length === 0 || sections.some((s) => s === 'all' || s === 'everything' || s === 'default')
    ? INFO_SECTIONS
    : INFO_SECTIONS.filter((s) => sections.includes(s))
  return wanted.map((s) => render(s, facts)).join('\r\n')
}
