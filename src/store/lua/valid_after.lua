local old = tonumber(redis.call('GET', KEYS[1]) or '0')
local new = tonumber(ARGV[1])
if new > old then old = new end
redis.call('SET', KEYS[1], old, 'PX', ARGV[2])
return old
