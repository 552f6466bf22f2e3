"""A local OTLP/gRPC sink: accepts trace and log exports and discards the raw bytes.

Export work in the server under test stays real (protobuf encoding, gRPC framing, a loopback
round trip); the sink does not even decode, so it costs the load-generator core little.

    python -m bench.otlp_sink --port 4317
"""

from __future__ import annotations

import argparse
import signal
import threading
from concurrent import futures

import grpc

_METHODS = {
    "opentelemetry.proto.collector.trace.v1.TraceService": "Export",
    "opentelemetry.proto.collector.logs.v1.LogsService": "Export",
    "opentelemetry.proto.collector.metrics.v1.MetricsService": "Export",
}


def _accept(request: bytes, context: grpc.ServicerContext) -> bytes:
    return b""  # an empty Export*ServiceResponse: everything accepted


def serve(port: int) -> grpc.Server:
    """Start the sink on 127.0.0.1:``port`` and return the running server."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    for service, method in _METHODS.items():
        handler = grpc.unary_unary_rpc_method_handler(_accept)  # raw bytes in and out
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(service, {method: handler}),)
        )
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    server = serve(args.port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", flush=True)
    stop.wait()
    server.stop(0)


if __name__ == "__main__":
    main()
