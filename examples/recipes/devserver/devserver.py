"""Werkzeug's development server with wsgicors, reloading when the code changes.

Run: python devserver.py (the port is $PORT, 8000 by default). Not for production.
"""

import os

from app import app
from werkzeug.serving import run_simple

from wsgicors import CORSMiddleware

cors_app = CORSMiddleware.from_config(app, "cors.toml")

if __name__ == "__main__":
    port = int(os.environ.get("PORT", "8000"))
    run_simple("127.0.0.1", port, cors_app, use_reloader=True)
