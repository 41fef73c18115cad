-- wrk script: cancels the paid orders listed in CANCEL_FILE (one order number per line), one per request,
-- each with revocation and a refund through the simulated gateway; counts responses that are not a clean
-- 200 with the refund REFUNDED. Stops (answers errors) once the list is used up: size it for the run.
-- BENCH_TOKEN: a service token of the server under load.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "")
local query = 'mutation($no: String!) { cancelOrder(orderNo: $no, reason: \\"bench\\") { kind refund { amount status } } }'
local orders = {}
local next_order = 0
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  bad = 0
  for line in io.lines(os.getenv("CANCEL_FILE")) do
    if #line > 0 then table.insert(orders, line) end
  end
end
function request()
  next_order = next_order + 1
  local no = orders[next_order] or "O00000000000000"
  return wrk.format(nil, nil, nil, '{"query":"' .. query .. '","variables":{"no":"' .. no .. '"}}')
end
function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) or not string.find(body, '"REFUNDED"', 1, true) then
    bad = bad + 1
    if bad == 1 then io.stderr:write("first bad response: " .. status .. " " .. body .. "\n") end
  end
end
function done(summary, latency, requests)
  local failed = 0
  for _, t in ipairs(threads) do failed = failed + t:get("bad") end
  io.write(string.format("RESULT rps=%.0f p50_ms=%.2f p99_ms=%.2f requests=%d bad=%d socket_errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, failed, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
