"""gunicorn settings, read from the working directory: reloads in gunicorn's log.

Each worker logs "cors.toml changed: its new policy is serving" at INFO on the logger
"wsgicors", or, for a file with mistakes, the list of problems at ERROR. Hand the logger
gunicorn's handler so those lines appear among gunicorn's own.
"""

import logging
from typing import Any


def on_starting(server: Any) -> None:
    gunicorn_log = logging.getLogger("gunicorn.error")
    cors_log = logging.getLogger("wsgicors")
    cors_log.handlers = list(gunicorn_log.handlers)
    cors_log.setLevel(gunicorn_log.level)
    cors_log.propagate = False
