-- wrk script: one page of 50 orders as an admin. NESTED=1 selects each order's member, payer and lines
-- (DataLoaders); otherwise only the order's own fields. Counts responses that are not a clean 200 with 50
-- orders. BENCH_TOKEN: an admin token of the server under load.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "")
local nested = os.getenv("NESTED") == "1"
local fields = os.getenv("FIELDS") or nested and "orderNo member { account } payer { customerNo name } lines { itemNo amount }"
  or "orderNo status totalAmount"
wrk.body = '{"query":"{ orders(first: 50) { edges { node { ' .. fields .. ' } } } }"}'

local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body)
  local _, count = string.gsub(body, '"orderNo"', "")
  if status ~= 200 or count ~= 50 or string.find(body, '"errors"', 1, true) then
    bad = bad + 1
    if bad == 1 then io.stderr:write("first bad response: " .. status .. " " .. body:sub(1, 300) .. "\n") end
  end
end
function done(summary, latency, requests)
  local failed = 0
  for _, t in ipairs(threads) do failed = failed + t:get("bad") end
  io.write(string.format("RESULT rps=%.0f p50_ms=%.2f p99_ms=%.2f requests=%d bad=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, failed))
end
