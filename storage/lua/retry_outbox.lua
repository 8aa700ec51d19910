-- Failed for now: store the entry with its attempts and error, try again at ARGV[3].
-- KEYS: 1 outbox ready, 2 outbox data, 3 the conversation's list
-- ARGV: 1 id, 2 entry JSON, 3 next attempt ms
if redis.call('LINDEX', KEYS[3], 0) ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1
