-- wrk script: POSTs createOrder with a promotion line (GC18080026 天下+全閱讀, R1 split) and a new payer, each
-- request with a fresh idempotency key; counts responses that are not a clean 200 carrying an order number.
-- BENCH_TOKEN: a service token of the server under load. EXPECT: text a good body contains (default orderNo).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "")
local expect = os.getenv("EXPECT") or '"orderNo":"O'
local query = 'mutation($input: CreateOrderInput!) { createOrder(input: $input) { orderNo totalAmount lines { itemNo amount } } }'
local template = '{"query":"' .. query .. '","variables":{"input":{"idempotencyKey":"%s","source":"EC",' ..
  '"payer":{"name":"壓測 %s","email":"load%s@example.com","mobile":"0912345678"},' ..
  '"receiver":{"name":"壓測","mobile":"0912345678","address":{"city":"台北市","street":"南京東路二段139號"}},' ..
  '"lines":[{"itemNo":"GC18080026","amount":2999}],"shippingFee":0,"paymentMethod":"CREDIT_CARD","cardLast4":"4242"}}}'

local threads = {}
local counter = 0
local prefix = ""
function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end
function init(args)
  bad = 0
  math.randomseed(os.time() + (index or 0))
  prefix = string.format("%d-%d-%d-", os.time(), index or 0, math.random(1, 1000000000))
end
function request()
  counter = counter + 1
  local key = prefix .. counter
  return wrk.format(nil, nil, nil, string.format(template, key, key, counter))
end
function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) or not string.find(body, expect, 1, true) then
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
