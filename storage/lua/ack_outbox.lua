-- Delivered: drop the head entry, let the conversation's next one go, log a chat message.
-- KEYS: 1 outbox ready, 2 outbox data, 3 the conversation's list, 4 its message log
-- ARGV: 1 id, 2 now ms, 3 log record ('' = none), 4 log size, 5 log ttl ms,
--       6 changes channel, 7 change notice
if not outbox_pop_head(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2]) then
  return 0
end
log_message(KEYS[4], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7])
return 1
