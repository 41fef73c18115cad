#!/usr/bin/env python3
"""Catalog changes at a steady rate against a running platform, for bench/catalog.sh's burst half.

    bench/burst.py URL TOKEN RATE SECONDS

Renames the looked-up promotion (GC18080026) RATE times a second for SECONDS through `upsertPromotion`
(its price and items unchanged, so lookups still see totalAmount 3480), on one keep-alive connection, and
prints `BURST changes=N errors=E rate=R/s`.
"""
import http.client
import json
import sys
import time
from urllib.parse import urlparse

url, token, rate, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
target = urlparse(url)
mutation = """mutation($name: String!) { upsertPromotion(input: { promotionCode: "GC18080026", name: $name,
  totalAmount: 3480, billingCycle: YEARLY, items: [{ itemNo: "GCV1Y", sellingPrice: 2280, quantity: 1 },
  { itemNo: "KCW12M", sellingPrice: 1200, quantity: 1 }] }) { promotionCode } }"""
headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
conn = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
start = time.monotonic()
changes = errors = 0
while True:
    now = time.monotonic() - start
    if now >= seconds:
        break
    due = changes + errors
    if due >= now * rate:
        time.sleep(max(0.0, due / rate - now))
        continue
    body = json.dumps({"query": mutation, "variables": {"name": f"天下+全閱讀 一年 #{due}"}})
    conn.request("POST", target.path or "/graphql", body, headers)
    answer = json.loads(conn.getresponse().read())
    if answer.get("errors"):
        errors += 1
        if errors == 1:
            print(f"first error: {answer['errors']}", file=sys.stderr)
    else:
        changes += 1
elapsed = time.monotonic() - start
print(f"BURST changes={changes} errors={errors} rate={changes / elapsed:.1f}/s")
