"""gunicorn settings, read from the working directory: wsgicors' decisions in gunicorn's log.

wsgicors logs each decision at DEBUG on the logger "wsgicors". Python drops DEBUG records of a
logger without a handler, so hand it gunicorn's: `--log-level debug` then shows the decisions
next to gunicorn's own lines, and any other level hides them.
"""

import logging
from typing import Any


def on_starting(server: Any) -> None:
    # gunicorn has set up its error log by now; workers inherit this when they fork.
    gunicorn_log = logging.getLogger("gunicorn.error")
    cors_log = logging.getLogger("wsgicors")
    cors_log.handlers = list(gunicorn_log.handlers)
    cors_log.setLevel(gunicorn_log.level)
    cors_log.propagate = False
