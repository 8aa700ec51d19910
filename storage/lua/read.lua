-- The one read per event: [processed marker exists (0/1), HGETALL of the conversation,
-- the sender's commands in this window (0 when not counted)].
-- KEYS[1] conversation hash, KEYS[2] the event's processed marker,
-- KEYS[3] (optional) the sender's attempts counter; ARGV[1] its window in ms.
-- A new event from the sender is counted; an event already processed is not.
local processed = redis.call('EXISTS', KEYS[2])
local attempts = 0
if KEYS[3] and processed == 0 then
  attempts = redis.call('INCR', KEYS[3])
  if attempts == 1 then
    redis.call('PEXPIRE', KEYS[3], ARGV[1])
  end
end
return {processed, redis.call('HGETALL', KEYS[1]), attempts}
