-- Reschedule (or drop) a claimed timer, only if it still carries the claimed lease
-- score: a commit or another claimer in between wins. Returns 1 if changed.
-- KEYS[1] timers zset; ARGV: 1 member, 2 lease end ms, 3 new due ms ('' = drop)
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) ~= tonumber(ARGV[2]) then
  return 0
end
if ARGV[3] == '' then
  redis.call('ZREM', KEYS[1], ARGV[1])
else
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
end
return 1
