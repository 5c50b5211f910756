"""An API behind wsgicors that logs each refusal as one JSON line on stderr.

Serve it from this folder: gunicorn app:application
"""

import json
import logging
from collections.abc import Iterable
from typing import Any

from cors_log import JSONFormatter, cors_log, log_decision

from wsgicors import CORSMiddleware, Rule

handler = logging.StreamHandler()  # stderr; gunicorn passes it through to its error log
handler.setFormatter(JSONFormatter())
cors_log.addHandler(handler)
cors_log.setLevel(logging.INFO)
cors_log.propagate = False


def api(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    body = json.dumps({"path": environ["PATH_INFO"]}).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


application = CORSMiddleware(
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
    on_decision=log_decision,
)
