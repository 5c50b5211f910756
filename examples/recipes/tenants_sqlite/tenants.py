"""Tenants' own origins in a SQLite table, and the question wsgicors asks about them.

    python tenants.py add https://shop.example.net     # a tenant's storefront may call the API
    python tenants.py remove https://shop.example.net  # ... and now it may not
    python tenants.py list

wsgicors calls is_tenant_origin() only for origins that passed its strict parser and matched
none of the rule's fixed entries, and reuses each answer for allow_origin_func_ttl seconds.
"""

import sqlite3
import sys
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit

# Beside this file; a real deployment would read the location from its settings.
DATABASE = Path(__file__).resolve().with_name("tenants.sqlite3")

SCHEMA = """
CREATE TABLE IF NOT EXISTS tenant_origins (
    origin TEXT PRIMARY KEY,  -- exactly as browsers send it: https://shop.example.net
    added_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
)
"""


def is_tenant_origin(origin: str) -> bool:
    """Whether *origin* belongs to a tenant: the allow_origin_func of app.py."""
    # A connection per call: a sqlite3 connection must not cross threads (gunicorn's gthread
    # workers) nor a fork (gunicorn --preload), and opening one costs tens of microseconds,
    # paid once per origin per TTL. Read-only: a missing database is an error, logged by
    # wsgicors, and the request refused; it is never created empty here.
    with closing(sqlite3.connect(f"{DATABASE.as_uri()}?mode=ro", uri=True, timeout=5)) as db:
        row = db.execute("SELECT 1 FROM tenant_origins WHERE origin = ?", (origin,)).fetchone()
    return row is not None


def serialized_origin(text: str) -> str:
    """*text* as browsers send it in ``Origin``: lowercase, no path, no default port."""
    url = urlsplit(text.strip())
    if url.scheme not in {"http", "https"} or not url.hostname:
        raise ValueError(f"{text!r} is not an http(s) origin such as https://shop.example.net")
    if url.path not in {"", "/"} or url.query or url.fragment or url.username:
        raise ValueError(f"{text!r} has more than scheme, host and port")
    default_port = {"http": 80, "https": 443}[url.scheme]
    port = "" if url.port in {None, default_port} else f":{url.port}"
    host = f"[{url.hostname}]" if ":" in url.hostname else url.hostname
    return f"{url.scheme}://{host}{port}"


def connect() -> sqlite3.Connection:
    """A read-write connection for the commands below, creating the table if needed."""
    db = sqlite3.connect(DATABASE, timeout=5)
    db.execute(SCHEMA)
    return db


def main(arguments: list[str]) -> str:
    command, *origins = arguments or ["list"]
    with closing(connect()) as db, db:  # the inner "with db" commits
        if command == "add":
            for origin in origins:
                db.execute(
                    "INSERT OR IGNORE INTO tenant_origins (origin) VALUES (?)",
                    (serialized_origin(origin),),
                )
        elif command == "remove":
            for origin in origins:
                db.execute(
                    "DELETE FROM tenant_origins WHERE origin = ?", (serialized_origin(origin),)
                )
        elif command != "list":
            raise SystemExit("usage: python tenants.py add|remove|list [ORIGIN ...]")
        rows = db.execute("SELECT origin FROM tenant_origins ORDER BY origin").fetchall()
    return "\n".join(origin for (origin,) in rows)


if __name__ == "__main__":
    print(main(sys.argv[1:]))
