"""Any WSGI app, unchanged: wsgicors is added on gunicorn's command line.

gunicorn 'wsgicors.serve:wrap("app:app", "cors.toml")'
"""

import json
from collections.abc import Iterable
from typing import Any


def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    body = json.dumps({"path": environ["PATH_INFO"]}).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
