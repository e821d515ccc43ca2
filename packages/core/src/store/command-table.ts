// The command table: every dataset command, by lowercase name. Also the names the server shell owns
// (INFO, ROLE, ...): the dataset does not execute those, and says so, so the shell can intercept them
// before calling `execute` (or register its own handlers through DatasetOptions.commands, which also
// makes them usable inside MULTI).
import type { Command } from './command.ts'
import { append } from './commands/append.ts'
import { dbsize } from './commands/dbsize.ts'
import { decr } from './commands/decr.ts'
import { decrby } from './commands/decrby.ts'
import { del } from './commands/del.ts'
import { discard } from './commands/discard.ts'
import { echo } from './commands/echo.ts'
import { exec } from './commands/exec.ts'
import { exists } from './commands/exists.ts'
import { expire } from './commands/expire.ts'
import { expireat } from './commands/expireat.ts'
import { flushall } from './commands/flushall.ts'
import { flushdb } from './commands/flushdb.ts'
import { get } from './commands/get.ts'
import { getdel } from './commands/getdel.ts'
import { getset } from './commands/getset.ts'
import { hdel } from './commands/hdel.ts'
import { hexists } from './commands/hexists.ts'
import { hget } from './commands/hget.ts'
import { hgetall } from './commands/hgetall.ts'
import { hincrby } from './commands/hincrby.ts'
import { hincrbyfloat } from './commands/hincrbyfloat.ts'
import { hkeys } from './commands/hkeys.ts'
import { hlen } from './commands/hlen.ts'
import { hmget } from './commands/hmget.ts'
import { hmset } from './commands/hmset.ts'
import { hset } from './commands/hset.ts'
import { hvals } from './commands/hvals.ts'
import { incr } from './commands/incr.ts'
import { incrby } from './commands/incrby.ts'
import { incrbyfloat } from './commands/incrbyfloat.ts'
import { keys } from './commands/keys.ts'
import { lindex } from './commands/lindex.ts'
import { llen } from './commands/llen.ts'
import { lpop } from './commands/lpop.ts'
import { lpush } from './commands/lpush.ts'
import { lrange } from './commands/lrange.ts'
import { lrem } from './commands/lrem.ts'
import { lset } from './commands/lset.ts'
import { ltrim } from './commands/ltrim.ts'
import { mget } from './commands/mget.ts'
import { mset } from './commands/mset.ts'
import { multi } from './commands/multi.ts'
import { persist } from './commands/persist.ts'
import { pexpire } from './commands/pexpire.ts'
import { pexpireat } from './commands/pexpireat.ts'
import { ping } from './commands/ping.ts'
import { psetex } from './commands/psetex.ts'
import { pttl } from './commands/pttl.ts'
import { rename } from './commands/rename.ts'
import { rpop } from './commands/rpop.ts'
import { rpush } from './commands/rpush.ts'
import { sadd } from './commands/sadd.ts'
import { scan } from './commands/scan.ts'
import { scard } from './commands/scard.ts'
import { select } from './commands/select.ts'
import { set } from './commands/set.ts'
import { setex } from './commands/setex.ts'
import { setnx } from './commands/setnx.ts'
import { sismember } from './commands/sismember.ts'
import { smembers } from './commands/smembers.ts'
import { srem } from './commands/srem.ts'
import { strlen } from './commands/strlen.ts'
import { ttl } from './commands/ttl.ts'
import { typeCommand } from './commands/type.ts'
import { unlink } from './commands/unlink.ts'
import { zadd } from './commands/zadd.ts'
import { zcard } from './commands/zcard.ts'
import { zincrby } from './commands/zincrby.ts'
import { zrange } from './commands/zrange.ts'
import { zrank } from './commands/zrank.ts'
import { zrem } from './commands/zrem.ts'
import { zscore } from './commands/zscore.ts'

/** Every command the dataset executes itself. */
export const DATASET_COMMANDS: readonly Command[] = Object.freeze([
  // strings
  set, get, mget, mset, incr, incrby, decr, decrby, incrbyfloat, append, strlen, getdel, getset, setnx, setex, psetex,
  // keys
  del, unlink, exists, typeCommand, expire, pexpire, expireat, pexpireat, persist, ttl, pttl, rename, keys, scan,
  dbsize, flushdb, flushall, select,
  // hashes
  hset, hmset, hget, hmget, hgetall, hdel, hincrby, hincrbyfloat, hlen, hexists, hkeys, hvals,
  // lists
  lpush, rpush, lpop, rpop, lrange, llen, lindex, lset, ltrim, lrem,
  // sets
  sadd, srem, smembers, sismember, scard,
  // sorted sets
  zadd, zrem, zincrby, zscore, zrange, zcard, zrank,
  // transactions and connection
  multi, exec, discard, ping, echo,
])

/**
 * Commands the server shell answers (DESIGN §2): `execute` refuses them with an error saying so.
 * Lowercase.
 */
export const SHELL_COMMANDS: readonly string[] = Object.freeze([
  'info', 'role', 'wait', 'command', 'config', 'auth', 'hello', 'client', 'quit', 'reset',
  'replconf', 'psync', 'sync', 'replicaof', 'slaveof', 'debug', 'shutdown', 'save', 'bgsave',
  'lastsave', 'time', 'monitor', 'waitaof', 'failover',
])

const BUILT_IN = new Map(DATASET_COMMANDS.map((command) => [command.name, command]))
const SHELL = new Set(SHELL_COMMANDS)

/** A table of the built-in commands plus `extra` ones (which may replace built-ins of the same name). */
export function createCommandTable(extra: readonly Command[] = []): Map<string, Command> {
  const table = new Map(BUILT_IN)
  for (const command of extra) table.set(command.name.toLowerCase(), command)
  return table
}

/** True when `execute` runs this command itself (case-insensitive). */
export function isDatasetCommand(name: string): boolean {
  return BUILT_IN.has(name) || BUILT_IN.has(name.toLowerCase())
}

/** True for the commands the server shell must answer itself (INFO, ROLE, WAIT, ...). */
export function isShellCommand(name: string): boolean {
  return SHELL.has(name.toLowerCase())
}
