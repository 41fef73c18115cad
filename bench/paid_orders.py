#!/usr/bin/env python3
"""Creates and pays N EC orders of GC18080026 (a new payer each, card token tok_ok…) on a running platform,
in parallel, and writes their order numbers one per line: the input of bench/cancel.lua.

usage: paid_orders.py URL TOKEN N OUT [PREFIX]
"""
import json
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor

url, token, count, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
prefix = sys.argv[5] if len(sys.argv) > 5 else "pay"

CREATE = ("mutation($input: CreateOrderInput!) { createOrder(input: $input) { orderNo } }")
PAY = ("mutation($input: PaymentResultInput!) { recordPayment(input: $input) { paymentStatus } }")


def call(query, variables):
    body = json.dumps({"query": query, "variables": variables}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json", "Authorization": "Bearer " + token})
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.loads(response.read())
    if answer.get("errors"):
        raise RuntimeError(json.dumps(answer["errors"]))
    return answer["data"]


def one(n):
    key = f"{prefix}-{n}"
    order = {"idempotencyKey": key, "source": "EC",
             "payer": {"name": f"退訂 {n}", "email": f"{key}@example.com", "mobile": "0912345678"},
             "receiver": {"name": "退訂", "mobile": "0912345678", "address": {"city": "台北市", "street": "南京東路二段139號"}},
             "lines": [{"itemNo": "GC18080026", "amount": 3480}], "shippingFee": 0,
             "paymentMethod": "CREDIT_CARD", "paymentToken": "tok_ok_4242", "cardLast4": "4242"}
    number = call(CREATE, {"input": order})["createOrder"]["orderNo"]
    call(PAY, {"input": {"orderNo": number, "transactionId": f"T-{key}", "status": "PAID", "amount": 3480}})
    return number


with ThreadPoolExecutor(16) as pool:
    numbers = list(pool.map(one, range(count)))
with open(out, "w") as f:
    f.write("\n".join(numbers) + "\n")
print(f"{len(numbers)} paid orders")
