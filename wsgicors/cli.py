"""The wsgicors command: check a config, explain a request, serve an app.

Exit statuses: 0 success (explain: the request is allowed), 1 a refusal or an invalid
configuration (check --strict: also any warning), 2 bad input (a missing file, an app that
cannot be imported).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wsgicors import __version__
from wsgicors import middleware as middleware_module
from wsgicors._http import ENV_ACRH, ENV_ACRM, ENV_ACRPN, ENV_ORIGIN, SAFELISTED_METHODS
from wsgicors.config import load_policy
from wsgicors.errors import ConfigError, escape
from wsgicors.middleware import DECISION_KEY, CORSMiddleware, decision_for
from wsgicors.serve import AppImportError, import_app

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from wsgicors.policy import Decision, Policy

__all__ = ["build_description", "main"]

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2


def build_description() -> str:
    """Say which build of wsgicors is running: its version, and compiled or pure Python."""
    compiled = not middleware_module.__file__.endswith(".py")
    return f"wsgicors {__version__} ({'compiled with mypyc' if compiled else 'pure Python'})"


def _load(path: str, *, strict: bool = False) -> tuple[Policy | None, int]:
    """Load and check *path*, printing every problem and warning."""
    if not Path(path).is_file():
        print(f"wsgicors: no such file: {escape(path)}", file=sys.stderr)
        return None, EXIT_USAGE
    try:
        policy, findings = load_policy(path)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return None, EXIT_REFUSED
    if findings.errors:
        print(ConfigError(findings.errors), file=sys.stderr)
        return None, EXIT_REFUSED
    for problem in findings.warnings:
        print(f"warning: {problem}", file=sys.stderr)
    if strict and findings.warnings:
        count = len(findings.warnings)
        print(f"wsgicors: --strict: {count} warning{'s' if count != 1 else ''}", file=sys.stderr)
        return None, EXIT_REFUSED
    return policy, EXIT_OK


def _check(args: argparse.Namespace) -> int:
    policy, status = _load(args.file, strict=args.strict)
    if policy is not None:
        count = len(policy.rules)
        print(f"ok: {escape(args.file)}: {count} rule{'s' if count != 1 else ''}")
    return status


def _explain(args: argparse.Namespace) -> int:
    # explain prints what report-only rules would decide itself; their log line would repeat
    # it. The logger is switched off for the explanation only (main() may run in a process
    # that goes on logging).
    report_logger = logging.getLogger("wsgicors.report")
    was_disabled, report_logger.disabled = report_logger.disabled, True
    try:
        return _explain_request(args)
    finally:
        report_logger.disabled = was_disabled


def _explain_request(args: argparse.Namespace) -> int:
    policy, status = _load(args.file)
    if policy is None:
        return status if status == EXIT_USAGE else EXIT_USAGE
    called: list[bool] = []

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        called.append(True)
        start_response("200 OK", [])
        return [b""]

    middleware = CORSMiddleware(app, policy=policy)
    headers = ",".join(args.header)
    method, path, origin = (escape(value) for value in (args.method, args.path, args.origin))
    print(f"request: {method} {path} from {origin}")
    if headers:
        print(f"  with headers: {escape(headers)}")
    rule = policy.route(args.path)
    if rule is None:
        decision = policy.actual(args.path, None).decision
        outcome = (
            "wsgicors passes the request through untouched"
            if decision.code == "no-rule"
            else "the app answers, with its own Access-Control-* headers removed"
        )
        print(f"rule: none ({decision.reason}): {outcome}")
        return EXIT_REFUSED  # no CORS headers from wsgicors: a browser refuses the read
    print(f"rule: {escape(rule.label)} (path {rule.rule.path.text!r})")
    extra = {ENV_ORIGIN: args.origin}
    if args.method not in SAFELISTED_METHODS or headers or args.private_network:
        preflight = {**extra, ENV_ACRM: args.method}
        if headers:
            preflight[ENV_ACRH] = headers
        if args.private_network:
            preflight[ENV_ACRPN] = "true"
        print("\nthe browser first sends a preflight: OPTIONS")
        decision = _show(middleware, "OPTIONS", args.path, preflight, called)
        if not decision.allowed:
            print("\nthe browser stops here: the actual request is never sent")
            return EXIT_REFUSED
    print(f"\nthe actual request: {method}")
    decision = _show(middleware, args.method, args.path, extra, called)
    return EXIT_OK if decision.allowed else EXIT_REFUSED


def _show(
    middleware: CORSMiddleware,
    method: str,
    path: str,
    extra: dict[str, str],
    called: list[bool],
) -> Decision:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        **extra,
    }
    response: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        response.update(status=status, headers=headers)
        return lambda data: None

    called.clear()
    middleware(environ, start_response)
    decision: Decision = environ[DECISION_KEY]
    print(f"  decision: {_verdict(decision)}")
    candidate = middleware.policy.candidate
    if candidate is not None:
        print(f"  report-only rules would decide: {_verdict(decision_for(candidate, environ))}")
    print(f"  response: {response['status']}{'' if called else ' (from wsgicors; app not called)'}")
    for name, value in response["headers"]:
        print(f"    {name}: {escape(value)}")
    return decision


def _verdict(decision: Decision) -> str:
    allowed = {True: "allowed", False: "refused", None: "no CORS"}[decision.allowed]
    return f"{allowed} ({decision.kind}, {decision.code}): {decision.reason}"


def _serve(args: argparse.Namespace) -> int:
    try:
        app = import_app(args.app)
    except AppImportError as error:
        print(f"wsgicors: {error}", file=sys.stderr)
        return EXIT_USAGE
    policy, status = _load(args.config)
    if policy is None:
        return status
    wrapped = CORSMiddleware(app, policy=policy)
    try:
        from werkzeug.serving import run_simple  # noqa: PLC0415
    except ImportError:  # pragma: no cover (the test extras install Werkzeug)
        from wsgiref.simple_server import make_server  # noqa: PLC0415

        print("Werkzeug is not installed: serving with wsgiref (no --reload)", file=sys.stderr)
        with make_server(args.host, args.port, wrapped) as server:
            print(f"serving on http://{args.host}:{server.server_port}", flush=True)
            server.serve_forever()
        return EXIT_OK
    run_simple(args.host, args.port, wrapped, use_reloader=args.reload)
    return EXIT_OK  # pragma: no cover (run_simple serves until the process is stopped)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wsgicors",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=build_description())
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="validate a config file")
    check.add_argument("file", help="a .toml, .json or .ini file")
    check.add_argument("--strict", action="store_true", help="fail on warnings too (for CI)")
    check.set_defaults(run=_check)

    explain = commands.add_parser("explain", help="show what wsgicors does with a request")
    explain.add_argument("file", help="a .toml, .json or .ini file")
    explain.add_argument("--path", required=True, help="the request path, as in PATH_INFO")
    explain.add_argument("--origin", required=True, help="the page's origin")
    explain.add_argument("--method", default="GET", help="the request method (default GET)")
    explain.add_argument(
        "--header", action="append", default=[], help="a request header name (repeatable)"
    )
    explain.add_argument(
        "--private-network", action="store_true", help="ask for Private Network Access"
    )
    explain.set_defaults(run=_explain)

    serve = commands.add_parser("serve", help="serve module:attr wrapped by a config file")
    serve.add_argument("app", help="the WSGI app as module:attribute")
    serve.add_argument("--config", required=True, help="a .toml, .json or .ini file")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--reload", action="store_true", help="restart when code changes")
    serve.set_defaults(run=_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    # As gunicorn and "flask run" do: the working directory's modules are importable (the app
    # to serve, or an allow_origin_func a config file names).
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    result: int = args.run(args)
    return result
