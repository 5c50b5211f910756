"""The ``wsgicors`` command: ``check`` a config, ``explain`` a request, ``serve`` an app."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wsgicors._http import SAFELISTED_METHODS
from wsgicors.config import load_policy
from wsgicors.errors import ConfigError, ConfigWarning
from wsgicors.middleware import DECISION_KEY, CORSMiddleware
from wsgicors.serve import AppImportError, import_app

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from wsgicors.policy import Decision, Policy

__all__ = ["main"]

EXIT_OK = 0
EXIT_CONFIG = 1
EXIT_USAGE = 2


def _load(path: str) -> tuple[Policy | None, int]:
    """Load and check *path*, printing every problem and warning."""
    if not Path(path).is_file():
        print(f"wsgicors: no such file: {path}", file=sys.stderr)
        return None, EXIT_USAGE
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConfigWarning)
        try:
            policy = load_policy(path)
        except ConfigError as error:
            print(error, file=sys.stderr)
            return None, EXIT_CONFIG
    for warning in caught:
        print(f"warning: {warning.message}", file=sys.stderr)
    return policy, EXIT_OK


def _check(args: argparse.Namespace) -> int:
    policy, status = _load(args.file)
    if policy is not None:
        count = len(policy.rules)
        print(f"ok: {args.file}: {count} rule{'s' if count != 1 else ''}")
    return status


def _explain(args: argparse.Namespace) -> int:
    policy, status = _load(args.file)
    if policy is None:
        return status
    called: list[bool] = []

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        called.append(True)
        start_response("200 OK", [])
        return [b""]

    middleware = CORSMiddleware.with_policy(app, policy)
    rule, passed = policy.route(args.path)
    headers = ",".join(args.header)
    print(f"request: {args.method} {args.path} from {args.origin}")
    if headers:
        print(f"  with headers: {headers}")
    if rule is None:
        assert passed is not None  # noqa: S101 (route returns a rule or a reason)
        print(f"rule: none ({passed.reason}): wsgicors passes the request through untouched")
        return EXIT_OK
    print(f"rule: {rule.label} (path {rule.path_text!r})")
    extra = {"HTTP_ORIGIN": args.origin}
    if args.method not in SAFELISTED_METHODS or headers or args.private_network:
        preflight = {**extra, "HTTP_ACCESS_CONTROL_REQUEST_METHOD": args.method}
        if headers:
            preflight["HTTP_ACCESS_CONTROL_REQUEST_HEADERS"] = headers
        if args.private_network:
            preflight["HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"] = "true"
        print("\nthe browser first sends a preflight: OPTIONS")
        decision = _show(middleware, "OPTIONS", args.path, preflight, called)
        if not decision.allowed:
            print("\nthe browser stops here: the actual request is never sent")
            return EXIT_OK
    print(f"\nthe actual request: {args.method}")
    _show(middleware, args.method, args.path, extra, called)
    return EXIT_OK


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
    verdict = {True: "allowed", False: "refused", None: "no CORS"}[decision.allowed]
    print(f"  decision: {verdict} ({decision.kind}): {decision.reason}")
    print(f"  response: {response['status']}{'' if called else ' (from wsgicors; app not called)'}")
    for name, value in response["headers"]:
        print(f"    {name}: {value}")
    return decision


def _serve(args: argparse.Namespace) -> int:
    try:
        app = import_app(args.app)
    except AppImportError as error:
        print(f"wsgicors: {error}", file=sys.stderr)
        return EXIT_USAGE
    policy, status = _load(args.config)
    if policy is None:
        return status
    wrapped = CORSMiddleware.with_policy(app, policy)
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
    parser = argparse.ArgumentParser(prog="wsgicors", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="validate a config file")
    check.add_argument("file", help="a .toml, .json or .ini file")
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
    result: int = args.run(args)
    return result
