"""Measures a function binary's cold start locally: process start to ready (first call to the
Lambda Runtime API for work) and to the first request served, with a fake Runtime API on
loopback, the sandbox store and moto (run under scripts/with-moto). Network: loopback only.

Usage: scripts/with-moto .venv/bin/python scripts/measure-init.py target/release/lookup-customer [runs]
"""
import http.server
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

import boto3

binary = sys.argv[1]
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
moto = os.environ["MOTO_ENDPOINT"]
key = "measure-init-signing-key-0123456789abcdef"

sandbox = subprocess.Popen([os.path.join(root, "target/debug/bigcommerce-sandbox"), "--port", "4099"], stdout=subprocess.DEVNULL)
for _ in range(200):
    try:
        urllib.request.urlopen("http://127.0.0.1:4099/__sandbox")
        break
    except Exception:
        time.sleep(0.05)
secret = {"store_hash": "sandbox1", "access_token": "sandbox-token-not-a-secret", "api_base_url": "http://127.0.0.1:4099", "gladly_signing_key": key}
sm = boto3.client("secretsmanager", endpoint_url=moto, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
try:
    sm.create_secret(Name="measure/store", SecretString=json.dumps(secret))
except sm.exceptions.ResourceExistsException:
    pass

event_text = subprocess.check_output(
    [os.path.join(root, "target/debug/gladly-client"), "event", "--key", key, "--route", "POST /lookup", "POST", "/lookup",
     "--body", json.dumps({"lookupLevel": "BASIC", "query": {"emails": ["jane.doe@example.com"]}})]
)


class RuntimeApi(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        marks = self.server.marks
        if "ready" not in marks:
            marks["ready"] = time.perf_counter()
            self.send_response(200)
            self.send_header("Lambda-Runtime-Aws-Request-Id", "req-1")
            self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 15000))
            self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:measure")
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(event_text)
        else:
            time.sleep(5)
            self.send_response(500)
            self.end_headers()

    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(n)
        marks = self.server.marks
        marks["served"] = time.perf_counter()
        marks["status"] = json.loads(body or b"{}").get("statusCode")
        self.send_response(202)
        self.end_headers()


ddb = boto3.client("dynamodb", endpoint_url=moto, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
try:
    ddb.create_table(TableName="measure-idem", KeySchema=[{"AttributeName": "request_id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "request_id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
except ddb.exceptions.ResourceInUseException:
    pass
ready, served = [], []
try:
    for _ in range(runs):
        # A fresh Runtime API (and record) per run, so a killed process's late call cannot
        # touch this run.
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RuntimeApi)
        server.marks = marks = {}
        threading.Thread(target=server.serve_forever, daemon=True).start()
        env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_port}", AWS_LAMBDA_FUNCTION_NAME="measure",
                   AWS_LAMBDA_FUNCTION_MEMORY_SIZE="256", AWS_LAMBDA_FUNCTION_VERSION="1", AWS_LAMBDA_LOG_STREAM_NAME="s",
                   AWS_LAMBDA_LOG_GROUP_NAME="g", STORE_SECRET_ID="measure/store", IDEMPOTENCY_TABLE="measure-idem", RUST_LOG="error")
        start = time.perf_counter()
        p = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(root, ".run", "measure-init.log"), "w"))
        while "served" not in marks and p.poll() is None and time.perf_counter() - start < 10:
            time.sleep(0.0005)
        p.kill()
        p.wait()
        server.shutdown()
        server.server_close()
        if "served" not in marks or not 200 <= (marks.get("status") or 0) < 500:
            sys.exit(f"no answer served: {marks}")
        ready.append((marks["ready"] - start) * 1000)
        served.append((marks["served"] - start) * 1000)
finally:
    sandbox.kill()
print(f"{os.path.basename(binary)}: start to ready median {statistics.median(ready):.1f} ms, "
      f"start to first request served median {statistics.median(served):.1f} ms ({runs} runs)")
