-- Lease the due head entries of a bucket's conversations. Returns their JSON.
-- KEYS: 1 outbox ready zset, 2 outbox data; ARGV: 1 now ms, 2 lease end ms, 3 limit
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
local entries = {}
for _, id in ipairs(due) do
  local entry = redis.call('HGET', KEYS[2], id)
  if entry then
    redis.call('ZADD', KEYS[1], ARGV[2], id)
    entries[#entries + 1] = entry
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return entries
