-- POST /v1/auth/login, cycling through LOGIN_USERS users (LOGIN_PREFIX-0 …):
-- authd admits at most AUTH_LOCKOUT_THRESHOLD password checks in flight per
-- account (parallel guesses must not beat the lockout), so one user under
-- 32 connections would mostly measure that refusal.
local counter = 0
local users = tonumber(os.getenv("LOGIN_USERS"))
local prefix = os.getenv("LOGIN_PREFIX")
local password = os.getenv("PASSWORD")

function request()
  counter = counter + 1
  local body = string.format('{"email":"%s-%d@example.com","password":"%s"}', prefix, counter % users, password)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
