-- Shared helpers, prepended to every script when it is loaded (storage/scripts.py).
-- Keys always come from KEYS: all of one bucket, so one Redis Cluster slot.

-- Append entries to a conversation's outbox list (ids and JSON from ARGV[first..]).
-- Only a conversation's head entry is in the ready zset: per-conversation FIFO.
local function outbox_append(ready, data, queue, now, first, count)
  for i = 0, count - 1 do
    local id = ARGV[first + 2 * i]
    redis.call('HSET', data, id, ARGV[first + 2 * i + 1])
    if redis.call('RPUSH', queue, id) == 1 then
      redis.call('ZADD', ready, now, id)
    end
  end
end

-- Remove `id` if it heads the conversation's outbox, and let the next entry go at `now`.
-- An unknown or already removed entry is not the head: nothing changes, returns false.
local function outbox_pop_head(ready, data, queue, id, now)
  if redis.call('LINDEX', queue, 0) ~= id then
    return false
  end
  redis.call('LPOP', queue)
  redis.call('HDEL', data, id)
  redis.call('ZREM', ready, id)
  local next_id = redis.call('LINDEX', queue, 0)
  if next_id then
    redis.call('ZADD', ready, now, next_id)
  end
  return true
end


-- Log a delivered (or dead) chat message in the conversation's capped list, and tell
-- subscribers. record '' = not a chat message: nothing logged, nothing published.
local function log_message(log, record, size, ttl, channel, notice)
  if record == '' then
    return
  end
  redis.call('RPUSH', log, record)
  redis.call('LTRIM', log, -tonumber(size), -1)
  redis.call('PEXPIRE', log, ttl)
  redis.call('PUBLISH', channel, notice)
end
