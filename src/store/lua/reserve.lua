-- KEYS[1] failures, KEYS[2] in flight; ARGV[1] limit, ARGV[2] in-flight TTL
-- (ms). Returns {0} granted, {1, pttl} locked, {2} busy.
local limit = tonumber(ARGV[1])
local failed = tonumber(redis.call('GET', KEYS[1]) or '0')
if failed >= limit then return {1, redis.call('PTTL', KEYS[1])} end
local pending = tonumber(redis.call('GET', KEYS[2]) or '0')
if failed + pending >= limit then return {2, 0} end
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return {0, 0}
