-- Delivered: drop the head entry and let the conversation's next one go.
-- KEYS: 1 outbox ready, 2 outbox data, 3 the conversation's list; ARGV: 1 id, 2 now ms
return outbox_pop_head(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2]) and 1 or 0
