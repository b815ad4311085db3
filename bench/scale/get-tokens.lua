-- GET the URL's path with a bearer token per request, cycling through the
-- access tokens in the file TOKENS (one per line), each thread from its own
-- starting point: many users, not one cached user.
local thread_id = 0

function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
end

function init(args)
  tokens = {}
  for line in io.lines(os.getenv("TOKENS")) do
    tokens[#tokens + 1] = line
  end
  counter = id * 7919
end

function request()
  counter = counter + 1
  return wrk.format("GET", nil, {["Authorization"] = "Bearer " .. tokens[counter % #tokens + 1]}, nil)
end
