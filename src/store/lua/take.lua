-- GET and DEL in one step (GETDEL needs Redis 6.2).
local v = redis.call('GET', KEYS[1])
if v then redis.call('DEL', KEYS[1]) end
return v
