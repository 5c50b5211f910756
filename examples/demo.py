"""See CORS working in a browser: an API behind wsgicors, and a page on a second origin.

Run ``python examples/demo.py`` and open the page URL it prints. The page's buttons make
cross-origin ``fetch`` calls to the API: some allowed, some refused, some preflighted. Each
request's decision is logged by the middleware in this terminal.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import threading
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from wsgicors import CORSMiddleware, Rule

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        sys.stderr.write(f"  {self.command} {self.path} -> {args[1] if len(args) > 1 else ''}\n")


def api(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """A tiny JSON API: it knows nothing about CORS."""
    path = environ.get("PATH_INFO", "")
    method = environ["REQUEST_METHOD"]
    if path.startswith("/api/"):
        body = json.dumps({"path": path, "method": method, "message": "hello from the API"})
        start_response(
            "200 OK",
            [
                ("Content-Type", "application/json"),
                ("X-Request-Id", "demo-42"),
                ("X-Internal", "not exposed"),
            ],
        )
        return [body.encode()]
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"not found"]


def policy(page_origin: str) -> list[Rule]:
    """The demo's rules, in order: the first whose path matches decides."""
    return [
        Rule("/api/public/*", allow_origins=["*"], name="public"),
        Rule(
            "/api/items/*",
            allow_origins=[page_origin],
            allow_methods=["PUT"],
            allow_headers=["X-Token", "Content-Type"],
            expose_headers=["X-Request-Id"],
            max_age=10,
            name="items",
        ),
        Rule("/api/private/*", allow_origins=["https://admin.example.com"], name="private"),
    ]


PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>wsgicors demo</title>
<style>
 body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; }
 button { display: block; margin: .4rem 0; padding: .4rem .8rem; }
 pre { background: #f4f4f4; padding: .6rem; min-height: 3rem; white-space: pre-wrap; }
 .ok { color: #060; } .refused { color: #a00; }
</style></head>
<body>
<h1>wsgicors demo</h1>
<p>This page is served from <code>__PAGE__</code>; the API lives on <code>__API__</code>.</p>
<button id="public">GET /api/public/hello (allowed: '*' rule)</button>
<button id="item">PUT /api/items/1 with X-Token (preflighted, allowed)</button>
<button id="delete">DELETE /api/items/1 (preflight refused: method)</button>
<button id="header">PUT /api/items/1 with X-Admin (preflight refused: header)</button>
<button id="private">GET /api/private/secret (refused: origin)</button>
<pre id="result">Click a button.</pre>
<script>
const api = "__API__";
const calls = {
  public: () => fetch(api + "/api/public/hello"),
  item: () => fetch(api + "/api/items/1", {method: "PUT", headers: {"X-Token": "t0k3n"}}),
  delete: () => fetch(api + "/api/items/1", {method: "DELETE"}),
  header: () => fetch(api + "/api/items/1", {method: "PUT", headers: {"X-Admin": "1"}}),
  private: () => fetch(api + "/api/private/secret"),
};
const out = document.getElementById("result");
for (const [id, call] of Object.entries(calls)) {
  document.getElementById(id).addEventListener("click", async () => {
    out.className = "";
    out.textContent = "...";
    try {
      const response = await call();
      const readable = [...response.headers.entries()].map(([k, v]) => `${k}: ${v}`);
      out.className = "ok";
      out.textContent = `ALLOWED ${response.status}\\n` +
        `headers JavaScript can read:\\n  ${readable.join("\\n  ")}\\n\\n` +
        await response.text();
    } catch (error) {
      out.className = "refused";
      out.textContent = `REFUSED by the browser: ${error}\\n` +
        "(the devtools console says which CORS check failed)";
    }
  });
}
</script>
</body>
</html>
"""


def page_app(api_origin: str, page_origin: str) -> WSGIApplication:
    html = PAGE.replace("__API__", api_origin).replace("__PAGE__", page_origin).encode()

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [html]

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--api-port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--page-port", type=int, default=8001, help="0 picks a free port")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG, format="  wsgicors: %(message)s")

    page_server = make_server(args.host, args.page_port, lambda e, s: [], ThreadingWSGIServer)
    api_server = make_server(args.host, args.api_port, lambda e, s: [], ThreadingWSGIServer)
    page_server.RequestHandlerClass = QuietHandler
    api_server.RequestHandlerClass = QuietHandler
    page_origin = f"http://{args.host}:{page_server.server_port}"
    api_origin = f"http://{args.host}:{api_server.server_port}"
    page_server.set_app(page_app(api_origin, page_origin))
    api_server.set_app(CORSMiddleware(api, policy(page_origin)))

    threading.Thread(target=page_server.serve_forever, daemon=True).start()
    print(f"API (wrapped by wsgicors): {api_origin}/api/public/hello", flush=True)
    print(f"Open this page in a browser: {page_origin}/", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        api_server.serve_forever()


if __name__ == "__main__":
    main()
