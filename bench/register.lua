-- POST /v1/auth/register with a new email each time.
local counter = 0
local thread_id = 0
local run = os.getenv("RUN_ID") or "run"
local password = os.getenv("PASSWORD")

function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
end

function request()
  counter = counter + 1
  local body = string.format('{"email":"bench-%s-%d-%d@example.com","password":"%s"}', run, id, counter, password)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
