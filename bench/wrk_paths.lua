-- wrk script for bench/load.py: GET the paths listed in $WRK_PATHS (one per line) in turn,
-- each connection starting at its own place, and print one JSON line of figures at the end.
local paths = {}
for line in io.lines(os.getenv("WRK_PATHS")) do
  paths[#paths + 1] = line
end
local next_path = 0
-- One request per connection, as nginx's proxy_pass sends them (HTTP/1.0 to the upstream
-- unless told otherwise). Kept-alive connections stay with the worker that accepted them:
-- with a handful of them, one worker could end up serving all while the other idled.
wrk.headers["Connection"] = "close"
-- As every browser does, and nginx passes it on: kept pages then go out gzipped as they are.
wrk.headers["Accept-Encoding"] = "gzip, deflate, br"

function init(args)
  next_path = math.random(#paths)
end

function request()
  next_path = next_path % #paths + 1
  return wrk.format("GET", paths[next_path])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50": %.3f, "p95": %.3f, "p99": %.3f}\n',
    summary.requests, summary.duration / 1e6, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
