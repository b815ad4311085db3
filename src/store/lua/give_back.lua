-- DECR keeps the key's expiry; a missing or zero counter stays as it is.
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then return redis.call('DECR', KEYS[1]) end
return 0
