-- POST /v1/auth/refresh: one thread per connection, and each follows its own
-- rotation chain (the refresh token of each answer is used for the next
-- request). Chains start from the tokens in the file REFRESH_TOKENS, one per line.
local thread_id = 0

function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
end

function init(args)
  local i = 0
  for line in io.lines(os.getenv("REFRESH_TOKENS")) do
    if i == id then token = line end
    i = i + 1
  end
  failed = false
end

function request()
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"},
    string.format('{"refresh_token":"%s"}', token))
end

function response(status, headers, body)
  local next_token = body:match('"refresh_token"%s*:%s*"([^"]+)"')
  if status == 200 and next_token then
    token = next_token
  end
end
