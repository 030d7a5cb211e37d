/**
 * One atomic mutation: compare-and-set a record's document, apply its index operations, and
 * append the change to the feed under the next revision, all or nothing. Documents are compared
 * and replaced as whole strings, so no JSON is handled in Lua (cjson turns [] into {}).
 *
 * KEYS[1] document, KEYS[2] revision counter, KEYS[3] change stream
 * ARGV[1] expected document: '' = must not exist, '*' = anything, else the exact current text
 * ARGV[2] new document ('' deletes it)
 * ARGV[3..6] change kind, op, id, value; ARGV[7] stream max length; ARGV[8] notify channel
 * ARGV[9] number of index operations, then 4 arguments each: name, key, member, extra
 * Returns the new revision, or -1 (document exists), -2 (stale), -3 (unique index taken).
 */
export const MUTATE_SCRIPT = `
local current = redis.call('GET', KEYS[1])
local expected = ARGV[1]
if expected == '' then
  if current then return -1 end
elseif expected ~= '*' then
  if current ~= expected then return -2 end
end
local count = tonumber(ARGV[9])
for n = 0, count - 1 do
  local base = 10 + n * 4
  if ARGV[base] == 'unique' then
    local owner = redis.call('HGET', ARGV[base + 1], ARGV[base + 2])
    if owner and owner ~= ARGV[base + 3] then return -3 end
  end
end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2]) end
local revision = redis.call('INCR', KEYS[2])
for n = 0, count - 1 do
  local base = 10 + n * 4
  local op, key, member, extra = ARGV[base], ARGV[base + 1], ARGV[base + 2], ARGV[base + 3]
  if op == 'unique' or op == 'hset' then redis.call('HSET', key, member, extra)
  elseif op == 'hdel' then redis.call('HDEL', key, member)
  elseif op == 'sadd' then redis.call('SADD', key, member)
  elseif op == 'srem' then redis.call('SREM', key, member)
  elseif op == 'zadd' then
    if extra == '$revision' then extra = revision end
    redis.call('ZADD', key, extra, member)
  elseif op == 'zrem' then redis.call('ZREM', key, member)
  elseif op == 'set' then redis.call('SET', key, extra)
  elseif op == 'del' then redis.call('DEL', key)
  else return redis.error_reply('unknown index op ' .. op) end
end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[7], revision .. '-0',
  'kind', ARGV[3], 'op', ARGV[4], 'id', ARGV[5], 'value', ARGV[6])
redis.call('PUBLISH', ARGV[8], revision)
return revision
`;

/**
 * Charges one login attempt to each counter (ARGV: windowMs, then key, limit pairs) unless one
 * is at its limit: then charges none and returns the 1-based positions of the full ones. Keys
 * come as arguments (a single Redis, as everywhere in this store).
 */
export const CHARGE_ATTEMPTS_SCRIPT = `
local full = {}
for i = 2, #ARGV, 2 do
  local count = tonumber(redis.call('GET', ARGV[i]) or '0')
  if count >= tonumber(ARGV[i + 1]) then table.insert(full, i / 2) end
end
if #full > 0 then return full end
for i = 2, #ARGV, 2 do
  if redis.call('INCR', ARGV[i]) == 1 then redis.call('PEXPIRE', ARGV[i], ARGV[1]) end
end
return full
`;

/** Takes one attempt back from each counter (ARGV) that still holds one; never below zero, and
 * never a key without its TTL. */
export const REFUND_ATTEMPTS_SCRIPT = `
for i = 1, #ARGV do
  if tonumber(redis.call('GET', ARGV[i]) or '0') > 0 then redis.call('DECR', ARGV[i]) end
end
return 0
`;

/**
 * Applies a usage report once: remembers its id (ARGV[4], value the reporter ARGV[3]) for
 * ARGV[1] ms, and only if it was new adds each entry's bytes (ARGV from 5: document key, counter
 * key, bytes) to the counter, saturating at ARGV[2]. Returns the duplicate flag, then each
 * entry's total after it, or -1 for an account that does not exist.
 */
export const APPLY_USAGE_SCRIPT = `
local duplicate = not redis.call('SET', ARGV[4], ARGV[3], 'NX', 'PX', ARGV[1])
local out = { duplicate and 1 or 0 }
local max = tonumber(ARGV[2])
for i = 5, #ARGV, 4 do
  if redis.call('EXISTS', ARGV[i]) == 0 then
    table.insert(out, -1)
  elseif duplicate then
    table.insert(out, tonumber(redis.call('GET', ARGV[i + 1]) or '0'))
  else
    local total = redis.call('INCRBY', ARGV[i + 1], ARGV[i + 2])
    if total > max then
      redis.call('SET', ARGV[i + 1], ARGV[2])
      total = max
    end
    table.insert(out, total)
    -- The reporter relayed these bytes under its lease: they come out of it as they count.
    local lease = redis.call('HGET', ARGV[i + 3], ARGV[3])
    if lease then
      local remaining, expires = string.match(lease, '^(%d+):(%d+)$')
      local left = math.max(0, tonumber(remaining) - tonumber(ARGV[i + 2]))
      redis.call('HSET', ARGV[i + 3], ARGV[3], string.format('%d:%s', left, expires))
    end
  end
end
return out
`;

/**
 * What the per-holder scripts (leases, slots) share: the server's clock in ms; one holder's
 * share and the others' unexpired ones, from a hash of holder -> "count:expiresAt" (lapsed
 * fields are dropped as they are met); and setting a share, the hash living as long as its
 * newest.
 */
const HOLDER_SHARES = `
local function now_ms()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local function shares(key, holder, now)
  local own, others = 0, 0
  local fields = redis.call('HGETALL', key)
  for i = 1, #fields, 2 do
    local count, expires = string.match(fields[i + 1], '^(%d+):(%d+)$')
    if tonumber(expires) <= now then
      redis.call('HDEL', key, fields[i])
    elseif fields[i] == holder then
      own = tonumber(count)
    else
      others = others + tonumber(count)
    end
  end
  return own, others
end
local function put_share(key, holder, count, now, ttl)
  redis.call('HSET', key, holder, string.format('%d:%d', count, now + ttl))
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
`;

/**
 * Tops up one holder's byte lease on an account (see LeaseRepository). Leases live in one hash
 * per account (HOLDER_SHARES). The quota is read from the account's JSON: decoded only, never
 * re-encoded.
 *
 * ARGV: account key, used key, leases key, holder, bytes, ttl ms, MAX_BYTE_COUNT.
 * Returns {-1} for no such account, else {remaining, granted, expiresAt, unlimited (1/0),
 * quotaLeft (-1 without quota)}.
 */
export const ACQUIRE_LEASE_SCRIPT = `${HOLDER_SHARES}
local doc = redis.call('GET', ARGV[1])
if not doc then return { -1 } end
local now = now_ms()
local quota = cjson.decode(doc).quotaBytes
local unlimited = quota == nil or quota == cjson.null
local used = tonumber(redis.call('GET', ARGV[2]) or '0')
local own, held = shares(ARGV[3], ARGV[4], now)
local granted = tonumber(ARGV[5])
if not unlimited then
  granted = math.max(0, math.min(granted, quota - used - held - own))
end
local remaining = math.min(own + granted, tonumber(ARGV[7]))
local ttl = tonumber(ARGV[6])
put_share(ARGV[3], ARGV[4], remaining, now, ttl)
local quotaLeft = -1
if not unlimited then quotaLeft = math.max(0, quota - used) end
return { remaining, granted, now + ttl, unlimited and 1 or 0, quotaLeft }
`;

/**
 * Sets one holder's connection slots on an account (see SlotRepository). Slots live in one hash
 * per account (HOLDER_SHARES). The limit is read from the account's JSON: decoded only, never
 * re-encoded.
 *
 * ARGV: account key, slots key, holder, wanted, reserved, ttl ms.
 * Returns {-1} for no such account, else {held, limit (-1 without one)}.
 */
export const HOLD_SLOTS_SCRIPT = `${HOLDER_SHARES}
local doc = redis.call('GET', ARGV[1])
if not doc then return { -1 } end
local now = now_ms()
local limit = cjson.decode(doc).maxConnections
local unlimited = limit == nil or limit == cjson.null
local _, others = shares(ARGV[2], ARGV[3], now)
local held = tonumber(ARGV[4])
if not unlimited then
  held = math.max(0, math.min(held, limit - tonumber(ARGV[5]) - others))
end
put_share(ARGV[2], ARGV[3], held, now, tonumber(ARGV[6]))
return { held, unlimited and -1 or limit }
`;
