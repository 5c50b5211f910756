"""wsgicors' refusals as log records with fields, and a formatter that prints them as JSON."""

import json
import logging
from typing import Any

from wsgicors import Decision

cors_log = logging.getLogger("myapp.cors")

#: The attributes log_decision adds to each record, through logging's ``extra``.
FIELDS = ("cors_rule", "cors_code", "cors_kind", "cors_origin", "cors_path")


def log_decision(environ: dict[str, Any], decision: Decision) -> None:
    """The on_decision hook: one record for each request wsgicors refused."""
    if decision.allowed is not False:
        return
    cors_log.info(
        "CORS refused: %s",
        decision.reason,
        extra={
            "cors_rule": decision.rule,
            "cors_code": decision.code,
            "cors_kind": decision.kind,
            "cors_origin": environ.get("HTTP_ORIGIN"),
            "cors_path": environ.get("PATH_INFO"),
        },
    )


class JSONFormatter(logging.Formatter):
    """One JSON object per line: the record's time, level, logger and message, plus FIELDS."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({name: getattr(record, name) for name in FIELDS if hasattr(record, name)})
        # json.dumps escapes control characters: a forged Origin cannot start a new line.
        return json.dumps(entry)
