"""gunicorn settings, read from the working directory: the reports in gunicorn's log.

wsgicors logs each difference (at most 10 a minute) at WARNING on "wsgicors.report", and
app.py logs each newly seen origin on "myapp.cors_rollout". Both get gunicorn's handler, so
their lines look like gunicorn's own.
"""

import logging
from typing import Any


def on_starting(server: Any) -> None:
    gunicorn_log = logging.getLogger("gunicorn.error")
    for name in ("wsgicors", "myapp"):
        log = logging.getLogger(name)
        log.handlers = list(gunicorn_log.handlers)
        log.setLevel(gunicorn_log.level)
        log.propagate = False
