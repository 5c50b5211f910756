"""An API behind wsgicors, with its CORS decisions counted and exposed on /metrics.

Serve it from this folder:

    gunicorn app:application
    PROMETHEUS_MULTIPROC_DIR=/run/metrics gunicorn --workers 4 app:application

With several worker processes, each counts its own requests: set PROMETHEUS_MULTIPROC_DIR to
an empty folder (before gunicorn starts) and /metrics adds up every worker's counts.
"""

import json
import os
from collections.abc import Iterable
from typing import Any

from cors_metrics import count_decision
from prometheus_client import REGISTRY, CollectorRegistry, make_wsgi_app, multiprocess

from wsgicors import CORSMiddleware, Rule


def api(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    body = json.dumps({"path": environ["PATH_INFO"]}).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


cors_api = CORSMiddleware(
    api,
    [
        Rule(
            "/api/*",
            name="api",
            allow_origins=["https://app.example.com"],
            allow_methods=["PUT", "DELETE"],
            allow_headers=["content-type"],
            max_age=600,
        )
    ],
    on_decision=count_decision,
)

if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # reads every worker's counts
else:
    registry = REGISTRY
metrics = make_wsgi_app(registry)


def application(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    # Prometheus scrapes /metrics beside the API, not through wsgicors.
    if environ["PATH_INFO"] == "/metrics":
        return metrics(environ, start_response)
    return cors_api(environ, start_response)
