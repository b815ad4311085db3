-- KEYS[1] a bucket's restore marker, KEYS[2] its generation key (one hash
-- slot). Seals the bucket only if the marker written before the restore is
-- still there (a flush during the restore removed it, and the restore must
-- run again).
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1])
return 1
