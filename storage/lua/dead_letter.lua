-- Failed for good: move the head entry to the dead letters, let the next one go, and
-- log a chat message as not delivered.
-- KEYS: 1 outbox ready, 2 outbox data, 3 the conversation's list, 4 dead hash, 5 dead zset,
--       6 the conversation's message log
-- ARGV: 1 id, 2 dead letter JSON, 3 now ms (when it failed), 4 log record ('' = none),
--       5 log size, 6 log ttl ms, 7 changes channel, 8 change notice
if not outbox_pop_head(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[3]) then
  return 0
end
redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[5], ARGV[3], ARGV[1])
log_message(KEYS[6], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8])
return 1
