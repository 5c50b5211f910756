"""A storefront API that tenants call from their own domains, listed in a SQLite table.

Serve it from this folder:

    python tenants.py add https://shop.example.net
    gunicorn --workers 4 app:application
"""

import json
from collections.abc import Iterable
from typing import Any

from tenants import is_tenant_origin

from wsgicors import CORSMiddleware, Rule


def api(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    body = json.dumps({"path": environ["PATH_INFO"], "products": ["tea", "cups"]}).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


application = CORSMiddleware(
    api,
    [
        Rule(
            "/api/*",
            # Your own front end, known in advance: never a database query.
            allow_origins=["https://app.example.com"],
            # Every other well-formed origin is looked up in the table...
            allow_origin_func=is_tenant_origin,
            # ...and the answer, yes or no, is reused for 60 seconds by each worker.
            allow_origin_func_ttl=60,
            allow_methods=["GET", "POST"],
            allow_headers=["content-type"],
            max_age=600,
        )
    ],
)
