"""SIGTERM on a real process: drain with readiness 503, flush telemetry, bounded exit."""

from __future__ import annotations

import concurrent.futures as cf
import signal
import time

import httpx

from tests.demo_service.conftest import TOKEN, free_port, message

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_sigterm_drains_then_flushes_every_span_and_log(receiver, start_process):
    proc = start_process(
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
            "DEMO_FAULT_TOKEN": TOKEN,
            "DEMO_SHUTDOWN_DRAIN_SECONDS": "0.4",
            "OTEL_BSP_SCHEDULE_DELAY": "5000",  # nothing exported before SIGTERM: flush must do it
        }
    )
    url = proc.url
    answered: list[int] = []

    def balancer() -> None:
        """Acts like a load balancer: sends traffic until readiness fails, then a few more
        requests (its probe interval); every one of them must succeed. One client, as a
        balancer keeps its connections: a new httpx client per request costs ~40 ms of TLS
        context set-up, and five rounds of those outlasted the 0.4 s drain."""
        after_unready = 5
        with httpx.Client(base_url=url, timeout=5) as lb:
            while after_unready:
                answered.append(lb.get("/healthz").status_code)
                if lb.get("/readyz").status_code == 503:
                    after_unready -= 1

    with httpx.Client(base_url=url, timeout=10) as c:
        traces = {c.get("/profiles").headers["traceparent"].split("-")[1] for _ in range(30)}
        c.put("/admin/faults", json={"latency_seconds": 1.0}, headers=AUTH)
        with cf.ThreadPoolExecutor(3) as pool:
            slow = pool.submit(lambda: httpx.get(f"{url}/profiles", timeout=10))
            load = pool.submit(balancer)
            time.sleep(0.15)  # the slow request is in flight
            sent_at = time.monotonic()
            proc.proc.send_signal(signal.SIGTERM)
            time.sleep(0.1)
            ready = c.get("/readyz").status_code  # draining: still served, but not ready
            during = c.get("/healthz").status_code
            # outlives the drain phase: uvicorn must wait for it after closing the socket
            assert slow.result().status_code == 200, "in-flight request must complete"
            load.result(timeout=15)
        traces.add(slow.result().headers["traceparent"].split("-")[1])
    proc.proc.wait(10)
    elapsed = time.monotonic() - sent_at
    assert ready == 503 and during == 200
    assert len(answered) >= 5 and set(answered) == {200}, "a request failed during the drain"
    assert elapsed < 5, f"shutdown took {elapsed:.1f}s"
    exported = {s.trace_id.hex() for s in receiver.spans() if s.name == "GET /profiles"}
    assert traces <= exported, f"{len(traces - exported)} request spans lost on SIGTERM"
    bodies = [message(r) for r in receiver.logs()]
    assert "shutting down" in bodies  # a log emitted during shutdown still made it out
    final = next(r for r in proc.output() if r["message"] == "telemetry flushed")
    assert final["dropped"] == {"traces": 0, "logs": 0}


def test_unreachable_collector_fails_no_request_and_shutdown_is_bounded(start_process):
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens here
    proc = start_process(
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": dead,
            "OTEL_BSP_MAX_QUEUE_SIZE": "100",
            "DEMO_SHUTDOWN_GRACE_SECONDS": "8",
            "DEMO_SHUTDOWN_DRAIN_SECONDS": "0.2",
        }
    )
    with httpx.Client(base_url=proc.url, timeout=10) as c:
        started = time.monotonic()
        codes = [c.get("/profiles").status_code for _ in range(300)]
        took = time.monotonic() - started
        metrics = c.get("/metrics").text
    assert codes == [200] * 300
    assert took < 10, "export trouble must not slow requests"
    dropped = [
        l
        for l in metrics.splitlines()
        if l.startswith('otel_export_dropped_total{signal="traces"}')
    ]
    assert float(dropped[0].split()[-1]) > 0, "queue overflow must be counted"
    sent_at = time.monotonic()
    proc.proc.send_signal(signal.SIGTERM)
    proc.proc.wait(15)
    elapsed = time.monotonic() - sent_at
    # Not the 8 s grace: a collector that refuses exports is not waited for.
    assert elapsed < 4, f"shutdown with a dead collector took {elapsed:.1f}s"
    final = next(r for r in proc.output() if r["message"] == "telemetry flushed")
    assert final["dropped"]["traces"] > 0  # and it says what was lost
