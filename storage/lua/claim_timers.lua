-- Lease due timers: each one's score moves to the lease end, so a claimer that dies
-- gives it back when the lease ends. Returns [member, original due score, ...].
-- KEYS[1] timers zset; ARGV: 1 now ms, 2 lease end ms, 3 limit
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, ARGV[3])
for i = 1, #due, 2 do
  redis.call('ZADD', KEYS[1], ARGV[2], due[i])
end
return due
