-- POST /v1/auth/login, cycling through the emails in the file EMAILS (one
-- per line, all with the password PASSWORD), each thread from its own
-- starting point. With ONCE=1 each request takes an email no request took
-- before (thread t of THREADS takes lines t, t + THREADS, ...): first logins.
local thread_id = 0

function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
end

function init(args)
  emails = {}
  for line in io.lines(os.getenv("EMAILS")) do
    emails[#emails + 1] = line
  end
  once = os.getenv("ONCE") == "1"
  threads = tonumber(os.getenv("THREADS") or "1")
  counter = once and 0 or id * 7919
  password = os.getenv("PASSWORD")
end

function request()
  local index
  if once then
    index = id + counter * threads
    if index >= #emails then print("login-many.lua: out of fresh emails") end
  else
    index = counter
  end
  counter = counter + 1
  local body = string.format('{"email":"%s","password":"%s"}', emails[index % #emails + 1], password)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
