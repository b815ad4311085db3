-- ARGV[2] = 1: extend the expiry on every hit; 0: only on the first.
local count = redis.call('INCR', KEYS[1])
if count == 1 or ARGV[2] == '1' then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
