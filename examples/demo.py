"""See CORS working in a browser: an API behind wsgicors, and a page on a second origin.

Run ``python examples/demo.py`` and open the page URL it prints. The page's buttons make
cross-origin ``fetch`` calls to the API: some allowed, some refused, some preflighted. Under
each call the page shows what wsgicors decided for every request the browser sent (decision
code, reason, rule), and the terminal logs the same decisions.

A page cannot read a response the browser refused: all it gets is ``TypeError: Failed to
fetch``. So a recorder around the middleware numbers and keeps ``environ["wsgicors.decision"]``
for every request from the page's origin, and after each call the page asks its own server,
same-origin, for the decisions made since the call began (``/decisions?after=N``). The API's
URLs stay as they are, so the browser's preflight cache (``Access-Control-Max-Age``) shows too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import threading
from collections import deque
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from wsgicors import DECISION_KEY, CORSMiddleware, Decision, Rule

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from _typeshed import OptExcInfo
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
    return not_found(start_response)


def not_found(start_response: StartResponse) -> list[bytes]:
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


class DecisionRecorder:
    """Keep what wsgicors decided for each request from the page's origin, numbered in order.

    It wraps the middleware from the outside: a refused preflight never reaches the app, so
    only code around the middleware sees every decision. Bounded: old entries are dropped.
    One person clicking is the use case; two tabs clicking at once would see each other's.
    """

    def __init__(self, origin: str, size: int = 500) -> None:
        self._origin = origin
        self._entries: deque[dict[str, Any]] = deque(maxlen=size)
        self._last = 0
        self._lock = threading.Lock()

    def wrap(self, app: WSGIApplication) -> WSGIApplication:
        def recording(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            if environ.get("HTTP_ORIGIN") != self._origin:
                return app(environ, start_response)
            statuses: list[str] = []

            def remember_status(
                status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None, /
            ) -> Callable[[bytes], object]:
                statuses.append(status)
                return start_response(status, headers, exc_info)

            # The middleware stores its decision and answers (or calls the API, which calls
            # start_response) before it returns: the entry exists before any byte is sent, so
            # the page, which asks once its fetch settled, always finds it.
            body = app(environ, remember_status)
            decision: Decision = environ[DECISION_KEY]
            self._add(environ["REQUEST_METHOD"], statuses, decision)
            return body

        return recording

    def _add(self, method: str, statuses: list[str], decision: Decision) -> None:
        entry = {
            "method": method,
            "status": statuses[-1] if statuses else None,
            "kind": decision.kind,
            "allowed": decision.allowed,
            "code": decision.code,
            "reason": decision.reason,
            "rule": decision.rule,
        }
        with self._lock:
            self._last += 1
            self._entries.append({"seq": self._last, **entry})

    def after(self, seq: int | None) -> dict[str, Any]:
        """The number of the latest entry, and the entries after *seq* (none if ``None``)."""
        with self._lock:
            entries = [] if seq is None else [e for e in self._entries if e["seq"] > seq]
            return {"last": self._last, "decisions": entries}


PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>wsgicors demo</title>
<link rel="icon" href="data:,">
<style>
 body { font-family: system-ui, sans-serif; max-width: 56rem; margin: 2rem auto; }
 button { display: block; margin: .4rem 0; padding: .4rem .8rem; }
 pre { background: #f4f4f4; padding: .6rem; min-height: 3rem; white-space: pre-wrap; }
 .ok { color: #060; } .refused { color: #a00; }
 table { border-collapse: collapse; margin-top: .4rem; }
 th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; }
 td.code { font-family: ui-monospace, monospace; }
 td.code, td:first-child, td:nth-child(2) { white-space: nowrap; }
 #note { color: #444; }
</style></head>
<body>
<h1>wsgicors demo</h1>
<p>This page is served from <code>__PAGE__</code>; the API lives on <code>__API__</code>.</p>
<button id="public">GET /api/public/hello (allowed: '*' rule)</button>
<button id="item">PUT /api/items/1 with X-Token (preflighted, allowed)</button>
<button id="delete">DELETE /api/items/1 (preflight refused: method)</button>
<button id="header">PUT /api/items/1 with X-Admin (preflight refused: header)</button>
<button id="private">GET /api/private/secret (refused: origin)</button>
<h2>What the page's JavaScript got</h2>
<pre id="result">Click a button.</pre>
<h2>What wsgicors decided</h2>
<p id="note">For each request the browser sent to the API. The page cannot read a refused
response, so it asks its own server (<code>/decisions</code>), which recorded
<code>environ["wsgicors.decision"]</code> for each request.</p>
<table id="decisions"><thead><tr>
<th>request</th><th>API answered</th><th>decision</th><th>code</th><th>reason</th><th>rule</th>
</tr></thead><tbody></tbody></table>
<p id="after"></p>
<script>
const api = "__API__";
const calls = {
  public: {method: "GET", path: "/api/public/hello", preflighted: false},
  item: {method: "PUT", path: "/api/items/1", headers: {"X-Token": "t0k3n"}, preflighted: true},
  delete: {method: "DELETE", path: "/api/items/1", preflighted: true},
  header: {method: "PUT", path: "/api/items/1", headers: {"X-Admin": "1"}, preflighted: true},
  private: {method: "GET", path: "/api/private/secret", preflighted: false},
};
const out = document.getElementById("result");
const rows = document.querySelector("#decisions tbody");
const after = document.getElementById("after");

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
}

async function decisions(after) {
  const response = await fetch("/decisions" + (after === undefined ? "" : "?after=" + after));
  return response.json();
}

async function showDecisions(before, call) {
  const seen = (await decisions(before)).decisions;
  rows.replaceChildren();
  for (const d of seen) {
    const row = rows.insertRow();
    cell(row, `${d.method} (${d.kind})`);
    cell(row, d.status || "");
    const verdict = {true: "allowed", false: "refused", null: "no CORS"}[String(d.allowed)];
    cell(row, verdict, d.allowed ? "ok" : "refused");
    cell(row, d.code, "code");
    cell(row, d.reason);
    cell(row, d.rule || "none");
  }
  const last = seen[seen.length - 1];
  if (seen.length === 0) {
    after.textContent = "The API received no request from this click.";
  } else if (last.kind === "preflight" && !last.allowed) {
    after.textContent = `The browser stopped at the preflight: the ${call.method} was never sent.`;
  } else if (call.preflighted && !seen.some((d) => d.kind === "preflight")) {
    after.textContent = "No preflight this time: the browser reused its cached answer " +
      "(Access-Control-Max-Age).";
  } else if (last.allowed === false) {
    after.textContent = `The API answered ${last.status}, but without CORS headers ` +
      "for this origin, so the browser hid the response from the page.";
  } else {
    after.textContent = "";
  }
}

const buttons = document.querySelectorAll("button");
for (const [id, call] of Object.entries(calls)) {
  document.getElementById(id).addEventListener("click", async () => {
    // One call at a time, so the decisions shown are this call's.
    buttons.forEach((button) => { button.disabled = true; });
    const before = (await decisions()).last;
    out.className = "";
    out.textContent = "...";
    rows.replaceChildren();
    after.textContent = "";
    const init = {method: call.method, headers: call.headers || {}};
    try {
      const response = await fetch(api + call.path, init);
      const readable = [...response.headers.entries()].map(([k, v]) => `${k}: ${v}`);
      out.className = "ok";
      out.textContent = `ALLOWED ${response.status}\\n` +
        `headers JavaScript can read:\\n  ${readable.join("\\n  ")}\\n\\n` +
        await response.text();
    } catch (error) {
      out.className = "refused";
      out.textContent = `REFUSED by the browser: ${error}\\n` +
        "That is all a page learns. The table below says why.";
    }
    await showDecisions(before, call);
    buttons.forEach((button) => { button.disabled = false; });
  });
}
</script>
</body>
</html>
"""


def page_app(api_origin: str, page_origin: str, recorder: DecisionRecorder) -> WSGIApplication:
    """The page's own origin: the page, and the decisions the recorder kept for each call."""
    html = PAGE.replace("__API__", api_origin).replace("__PAGE__", page_origin).encode()

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/":
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [html]
        if path == "/decisions":
            after = parse_qs(environ.get("QUERY_STRING", "")).get("after", [None])[0]
            if after is not None and not (after.isascii() and after.isdigit()):
                start_response("400 Bad Request", [("Content-Type", "text/plain")])
                return [b"after= takes an entry number"]
            body = json.dumps(recorder.after(None if after is None else int(after))).encode()
            start_response(
                "200 OK", [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
            )
            return [body]
        return not_found(start_response)  # /favicon.ico included

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
    recorder = DecisionRecorder(page_origin)
    page_server.set_app(page_app(api_origin, page_origin, recorder))
    api_server.set_app(recorder.wrap(CORSMiddleware(api, policy(page_origin))))

    threading.Thread(target=page_server.serve_forever, daemon=True).start()
    print(f"API (wrapped by wsgicors): {api_origin}/api/public/hello", flush=True)
    print(f"Open this page in a browser: {page_origin}/", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        api_server.serve_forever()


if __name__ == "__main__":
    main()
