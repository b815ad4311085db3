-- Removes a spent mark only if it still holds the time this call wrote.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
