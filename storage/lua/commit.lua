-- One transition, atomically: all of it or (duplicate / conflict / wrong_shop) nothing.
-- KEYS: 1 conversation hash, 2 timers, 3 queue index, 4 outbox ready, 5 outbox data,
--       6 the conversation's outbox list, 7 event marker, 8 the request's offer key
-- ARGV: 1 now ms, 2 has event (1/0), 3 event ttl ms, 4 request id ('' = reply only),
--       5 expected version, 6 new version, 7 request JSON, 8 offer ttl ms ('' = none),
--       9 queue score, 10 queue member, 11 outbox entry to ack ('' = none),
--       12 changes channel, 13 change notice (published when a request is written),
--       14 the request's shop id (a conversation's requests are all of one shop),
--       15.. n, n timer members to clear, m, m (score, member) pairs to add,
--       k, k (entry id, entry JSON) pairs to append to the outbox
local now = ARGV[1]
if ARGV[2] == '1' and redis.call('EXISTS', KEYS[7]) == 1 then
  return 'duplicate'
end
local request_id = ARGV[4]
if request_id ~= '' then
  local stored = redis.call('HGET', KEYS[1], 'v:' .. request_id) or '0'
  if tonumber(stored) ~= tonumber(ARGV[5]) then
    return 'conflict'
  end
  local shop = redis.call('HGET', KEYS[1], 'shop')
  if shop and shop ~= ARGV[14] then
    return 'wrong_shop'
  end
end

local at = 15
local clear_count = tonumber(ARGV[at])
local add_at = at + clear_count + 1
local add_count = tonumber(ARGV[add_at])
local outbox_at = add_at + 2 * add_count + 1
local outbox_count = tonumber(ARGV[outbox_at])

if request_id ~= '' then
  redis.call(
    'HSET', KEYS[1], 'r:' .. request_id, ARGV[7], 'v:' .. request_id, ARGV[6], 'shop', ARGV[14]
  )
  if clear_count > 0 then
    redis.call('ZREM', KEYS[2], unpack(ARGV, at + 1, at + clear_count))
  end
  for i = 0, add_count - 1 do
    redis.call('ZADD', KEYS[2], ARGV[add_at + 1 + 2 * i], ARGV[add_at + 2 + 2 * i])
  end
  if ARGV[8] == '' then
    redis.call('DEL', KEYS[8])
  else
    redis.call('SET', KEYS[8], ARGV[6], 'PX', ARGV[8])
  end
  redis.call('ZADD', KEYS[3], ARGV[9], ARGV[10])
end
if ARGV[2] == '1' then
  redis.call('SET', KEYS[7], '1', 'PX', ARGV[3])
end
if ARGV[11] ~= '' then
  outbox_pop_head(KEYS[4], KEYS[5], KEYS[6], ARGV[11], now)
end
outbox_append(KEYS[4], KEYS[5], KEYS[6], now, outbox_at + 1, outbox_count)
if request_id ~= '' then
  redis.call('PUBLISH', ARGV[12], ARGV[13])
end
return 'ok'
