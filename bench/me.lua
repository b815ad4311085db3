-- GET /v1/me with one valid access token (TOKEN from the environment).
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
