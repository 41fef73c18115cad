-- wrk script: POSTs the seed's promotion query and counts responses that are not a clean 200 with data.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query":"query($code: String!) { promotion(promotionCode: $code) { totalAmount promotionItems { sellingPrice item { itemNo name category subCategory } } } }","variables":{"code":"GC18080026"}}'

local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) or not string.find(body, '"totalAmount":3480', 1, true) then
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
