-- Hand a claim over, only from its current holder (compare and set).
-- KEYS[1] the claim; ARGV[1] the holder's value, ARGV[2] the new holder's value
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0
