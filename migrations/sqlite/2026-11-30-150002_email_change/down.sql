ALTER TABLE one_time_tokens DROP COLUMN email;
