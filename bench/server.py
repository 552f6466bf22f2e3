"""Run one overhead variant under uvicorn: ``python -m bench.server VARIANT --port P``.

Uses the demo's own ``DrainingServer`` (drain 0) so shutdown follows the shipped path. JSON logs
go to /dev/null: formatting and the write syscall are paid, a terminal's speed is not.
"""

from __future__ import annotations

import argparse
import os
import tempfile

import uvicorn

from bench.apps import ABLATIONS, VARIANTS, make_app
from demo_service.__main__ import DrainingServer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variant", choices=sorted(VARIANTS | ABLATIONS))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--otlp", default=None, help="OTLP/gRPC endpoint, e.g. http://127.0.0.1:4317"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-db-") as tmp, open(os.devnull, "w") as sink:
        app = make_app(args.variant, os.path.join(tmp, "profiles.db"), args.otlp, sink)
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=args.port,
            log_config=None,
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=5,
        )
        DrainingServer(config, app.state.runtime, 0.0).run()


if __name__ == "__main__":
    main()
