"""An API whose CORS policy is being tightened, with the candidate rules in report-only mode.

cors.toml holds both policies; on_report below keeps a list of who would be cut off. Serve it
from this folder:

    gunicorn app:application
"""

import json
import logging
import threading
from collections import Counter
from collections.abc import Iterable
from typing import Any

from wsgicors import CORSMiddleware, Decision

rollout_log = logging.getLogger("myapp.cors_rollout")

# How many requests the tightened rules would answer differently, by (Origin, their code),
# in this process. Any client can send any Origin, so the number of keys is capped.
REPORTS: Counter[tuple[str, str]] = Counter()
MAX_KEYS = 1000
_lock = threading.Lock()


def on_report(environ: dict[str, Any], enforced: Decision, candidate: Decision) -> None:
    """Called by wsgicors for each request the two policies decide differently."""
    key = (environ.get("HTTP_ORIGIN", "-"), candidate.code)
    with _lock:
        new = key not in REPORTS
        if new and len(REPORTS) >= MAX_KEYS:
            return
        REPORTS[key] += 1
    if new:  # once per origin and code: the list to check before enforcing
        rollout_log.warning(
            "tightened rules: %r would get %s (today: %s) on %r",
            key[0],
            candidate.code,
            enforced.code,
            environ.get("PATH_INFO", ""),
        )


def api(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    body = json.dumps({"path": environ["PATH_INFO"]}).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


application = CORSMiddleware.from_config(api, "cors.toml", on_report=on_report)
