-- The one read per event: [processed marker exists (0/1), HGETALL of the conversation].
-- KEYS[1] conversation hash, KEYS[2] the event's processed marker
return {redis.call('EXISTS', KEYS[2]), redis.call('HGETALL', KEYS[1])}
