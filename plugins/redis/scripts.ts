import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { sendRaw, RespArg } from './resp';

/**
 * Lua scripts the reader and writer run server side. Keys travel in ARGV (not KEYS) because a
 * batch of scanned keys spans many slots; scripts run on the node that owns them, and the
 * `allow-cross-slot-keys` flag (Redis 7+) lets them touch keys of several slots.
 */
export class LuaScript {
  readonly sha: string;
  private readonly modern: string;

  constructor(private readonly body: string, flags: string) {
    this.modern = flags ? `#!lua flags=${flags}\n${body}` : body;
    this.sha = createHash('sha1').update(this.modern).digest('hex');
    this.legacySha = createHash('sha1').update(body).digest('hex');
  }

  private readonly legacySha: string;

  /** The script text to EVAL on a server of this major version. */
  source(major: number): string {
    return major >= 7 ? this.modern : this.body;
  }

  /** The SHA1 EVALSHA takes on a server of this major version. */
  shaFor(major: number): string {
    return major >= 7 ? this.sha : this.legacySha;
  }

  /** Run with `numKeys` declared keys followed by other args; loads the script on NOSCRIPT. `major` is the server's major version. */
  async run(client: Redis, major: number, numKeys: number, args: readonly RespArg[]): Promise<unknown> {
    const modern = major >= 7;
    const sha = modern ? this.sha : this.legacySha;
    try {
      return await sendRaw(client, ['EVALSHA', sha, numKeys, ...args]);
    } catch (err) {
      if (!/NOSCRIPT/.test((err as Error).message)) throw err;
      return sendRaw(client, ['EVAL', modern ? this.modern : this.body, numKeys, ...args]);
    }
  }
}

/**
 * PTTL of every key in ARGV, returned only for keys that have one or are gone:
 * a flat list `[index, pttl, ...]` (1-based index; pttl -2 = the key no longer exists).
 */
export const ttlScript = new LuaScript(`
local out = {}
for i = 1, #ARGV do
  local t = redis.call('PTTL', ARGV[i])
  if t ~= -1 then out[#out + 1] = i; out[#out + 1] = t end
end
return out`, 'no-writes,allow-cross-slot-keys');

/**
 * Type, TTL and value of every key in ARGV[3..]. ARGV[1] = "auto", "dump" or "typed", ARGV[2] = page size.
 * Returns a flat list `[type, pttl, value, ...]`; type "none" for a vanished key. value is the
 * DUMP payload (dump mode; auto mode for non-strings; always for module types), the typed value
 * (typed mode: GET, HGETALL, LRANGE, SMEMBERS, ZRANGE WITHSCORES, XRANGE; auto mode: GET for
 * strings), or an integer, the element count, when
 * the collection is bigger than the page size and must be read in pages.
 */
export const valueScript = new LuaScript(`
local mode = ARGV[1]
local page = tonumber(ARGV[2])
local card = { hash = 'HLEN', list = 'LLEN', set = 'SCARD', zset = 'ZCARD', stream = 'XLEN' }
local out = {}
for i = 3, #ARGV do
  local k = ARGV[i]
  local t = redis.call('TYPE', k).ok
  local ttl = redis.call('PTTL', k)
  local v = false
  if t == 'none' then
    v = ''
  elseif t == 'string' then
    if mode == 'dump' then v = redis.call('DUMP', k) else v = redis.call('GET', k) end
  elseif card[t] then
    local n = redis.call(card[t], k)
    if n > page then v = n
    elseif mode ~= 'typed' then v = redis.call('DUMP', k)
    elseif t == 'hash' then v = redis.call('HGETALL', k)
    elseif t == 'list' then v = redis.call('LRANGE', k, 0, -1)
    elseif t == 'set' then v = redis.call('SMEMBERS', k)
    elseif t == 'zset' then v = redis.call('ZRANGE', k, 0, -1, 'WITHSCORES')
    else v = redis.call('XRANGE', k, '-', '+') end
  else
    v = redis.call('DUMP', k)
  end
  out[#out + 1] = t
  out[#out + 1] = ttl
  out[#out + 1] = v
end
return out`, 'no-writes,allow-cross-slot-keys');

/**
 * Write one typed value. KEYS[1] = key, KEYS[2] = temp key (chunked writes) or the key again.
 * ARGV: type, how ("replace" | "merge" | "skip_existing" | "chunk_first" | "chunk_more" | "chunk_last"),
 * ttl in ms (0 = none), then the value as a flat list (hash: field, value...; zset: member, score...;
 * stream: id, field count, field, value...).
 * Returns 1 when written, 0 when skipped (skip_existing and the key exists).
 */
export const writeTypedScript = new LuaScript(`
local key, tmp = KEYS[1], KEYS[2]
local t, how, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
local target = key
if how == 'skip_existing' then
  if redis.call('EXISTS', key) == 1 then return 0 end
elseif how == 'replace' then
  redis.call('DEL', key)
elseif how == 'chunk_first' then
  redis.call('DEL', tmp); target = tmp
elseif how == 'chunk_more' or how == 'chunk_last' then
  target = tmp
end
local n = #ARGV
local step = 7000
if t == 'string' then
  redis.call('SET', target, ARGV[4])
elseif t == 'stream' then
  local i = 4
  while i <= n do
    local id, nf = ARGV[i], tonumber(ARGV[i + 1])
    local args = { 'XADD', target, id }
    for j = 1, nf * 2 do args[#args + 1] = ARGV[i + 1 + j] end
    if nf == 0 then args[#args + 1] = '_'; args[#args + 1] = '' end
    redis.call(unpack(args))
    i = i + 2 + nf * 2
  end
else
  local cmd = ({ hash = 'HSET', list = 'RPUSH', set = 'SADD', zset = 'ZADD' })[t]
  local width = (t == 'hash' or t == 'zset') and 2 or 1
  local i = 4
  while i <= n do
    local last = math.min(n, i + step - 1)
    last = last - ((last - i + 1) % width)
    local args = { cmd, target }
    if t == 'zset' then
      for j = i, last, 2 do args[#args + 1] = ARGV[j + 1]; args[#args + 1] = ARGV[j] end
    else
      for j = i, last do args[#args + 1] = ARGV[j] end
    end
    redis.call(unpack(args))
    i = last + 1
  end
end
if how == 'chunk_first' or how == 'chunk_more' then
  redis.call('PEXPIRE', tmp, 3600000)
  return 1
end
if how == 'chunk_last' then
  if redis.call('EXISTS', tmp) == 1 then redis.call('RENAME', tmp, key) else redis.call('DEL', key) end
end
if ttl > 0 then redis.call('PEXPIRE', key, ttl) elseif how ~= 'merge' then redis.call('PERSIST', key) end
return 1`, '');

/**
 * Dirty-set claim: move up to ARGV[1] members of KEYS[1] (the dirty set) into KEYS[2] (the
 * processing set) and return them. Atomic, so concurrent shards never claim the same key twice.
 */
export const claimScript = new LuaScript(`
local ks = redis.call('SPOP', KEYS[1], tonumber(ARGV[1]))
if #ks > 0 then
  for i = 1, #ks, 5000 do
    redis.call('SADD', KEYS[2], unpack(ks, i, math.min(#ks, i + 4999)))
  end
end
return ks`, '');

/** Dirty-set recovery: put keys a crashed run left in the processing set back into the dirty set. */
export const recoverScript = new LuaScript(`
local n = redis.call('SCARD', KEYS[2])
if n > 0 then
  redis.call('SUNIONSTORE', KEYS[1], KEYS[1], KEYS[2])
  redis.call('DEL', KEYS[2])
end
return n`, '');
