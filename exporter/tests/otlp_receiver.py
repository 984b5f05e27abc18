#!/usr/bin/env python3
"""An OTLP/HTTP metrics receiver for exporter/tests/otlp.rs, built on the official protobuf
definitions (PyPI `opentelemetry-proto`, with `protobuf`).

It listens on an ephemeral loopback port, prints `listening <port>` on stdout, then one JSON line
per POST it answers:

    {"path": "/v1/metrics", "content_type": "...", "status": 503, "bytes": 1234,
     "request": <the body decoded as ExportMetricsServiceRequest, via json_format>}

`request` is present only for bodies it answered 200 (a body that fails to decode is answered
400 with "error"). With `--fail N --status S --retry-after R` it answers the first N POSTs with
status S and `Retry-After: R`. It exits when stdin closes (the test ending).
"""

import argparse
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)

OUT_LOCK = threading.Lock()


def emit(record):
    with OUT_LOCK:
        sys.stdout.write(json.dumps(record, sort_keys=True) + "\n")
        sys.stdout.flush()


def make_handler(args):
    state = {"failures_left": args.fail}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_):
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            record = {
                "path": self.path,
                "content_type": self.headers.get("Content-Type"),
                "bytes": len(body),
            }
            if state["failures_left"] > 0:
                state["failures_left"] -= 1
                record["status"] = args.status
                emit(record)
                headers = {}
                if args.retry_after is not None:
                    headers["Retry-After"] = args.retry_after
                return self.answer(args.status, b"", headers)
            request = ExportMetricsServiceRequest()
            try:
                request.ParseFromString(body)
            except DecodeError as e:
                record.update(status=400, error=str(e))
                emit(record)
                return self.answer(400, b"", {})
            record.update(status=200, request=json_format.MessageToDict(request))
            emit(record)
            response = ExportMetricsServiceResponse().SerializeToString()
            self.answer(200, response, {"Content-Type": "application/x-protobuf"})

        def answer(self, status, body, headers):
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fail", type=int, default=0, help="answer the first N POSTs with --status")
    parser.add_argument("--status", type=int, default=503)
    parser.add_argument("--retry-after", default=None, help="Retry-After header of those answers")
    args = parser.parse_args()
    server = HTTPServer(("127.0.0.1", 0), make_handler(args))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    emit_line = "listening %d\n" % server.server_address[1]
    with OUT_LOCK:
        sys.stdout.write(emit_line)
        sys.stdout.flush()
    sys.stdin.read()  # until the test closes it (or ends)
    server.shutdown()


if __name__ == "__main__":
    main()
