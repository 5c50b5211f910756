"""The WSGI middleware: the only module that knows about ``environ`` and ``start_response``.

One request: route the path to its rule (or pass through untouched), classify the request,
answer a preflight from precomputed headers without calling the app, or call the app with a
``start_response`` that strips app-set Access-Control-* headers, adds ours and merges ``Vary``.
The app's iterable is returned untouched, so ``close()`` reaches it (PEP 3333).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from wsgicors._http import (
    ENV_ACRH,
    ENV_ACRM,
    ENV_ACRPN,
    ENV_ORIGIN,
    MAX_MEMO_KEY_LENGTH,
    MAX_ORIGIN_LENGTH,
    for_log,
)
from wsgicors.policy import DEFAULT_CACHE_SIZE, Decision, Rule, compile_policy, rewrite_headers

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from wsgicors.config import ConfigSource
    from wsgicors.policy import Policy

__all__ = ["DECISION_KEY", "CORSMiddleware"]

#: The ``environ`` key under which each request's :class:`~wsgicors.policy.Decision` is stored.
DECISION_KEY = "wsgicors.decision"

logger = logging.getLogger("wsgicors")
_DEBUG = logging.DEBUG
_debug_enabled = logger.isEnabledFor


class CORSMiddleware:
    """Wrap a WSGI *app* with CORS handling driven by an ordered list of rules.

    :param app: any PEP 3333 application.
    :param rules: :class:`~wsgicors.Rule` objects, tried in order; the first whose path matches
        decides. Omit it to build one rule covering every path from *options*.
    :param preflight_status: status of a successful preflight: 204 (default) or 200.
    :param options: the keyword options of :class:`~wsgicors.Rule` (Starlette's names), used
        only when *rules* is omitted: ``CORSMiddleware(app, allow_origins=[...])``.
    :raises ConfigError: listing every problem in the configuration.
    """

    __slots__ = ("_memo_route", "_route", "app", "policy")

    def __init__(
        self,
        app: WSGIApplication,
        rules: Sequence[Rule] | None = None,
        *,
        preflight_status: int = 204,
        **options: object,
    ) -> None:
        self.app = app
        self.policy = compile_policy(
            rules,
            preflight_status=preflight_status,
            cache_size=DEFAULT_CACHE_SIZE,
            options=options,
            stacklevel=3,
        )
        self._memo_route = self.policy.memo_route
        self._route = self.policy.route

    @classmethod
    def from_config(cls, app: WSGIApplication, source: ConfigSource) -> CORSMiddleware:
        """Wrap *app* with the policy in *source*: a ``.toml``, ``.json`` or ``.ini`` file, or
        a Mapping with the same keys.

        :raises ConfigError: listing every problem, with file, line and location.
        """
        # Imported here so that file loading stays out of the request path's imports.
        from wsgicors.config import load_policy  # noqa: PLC0415

        return cls.with_policy(app, load_policy(source, stacklevel=3))

    @classmethod
    def with_policy(cls, app: WSGIApplication, policy: Policy) -> CORSMiddleware:
        """Wrap *app* with an already compiled *policy* (shared by the loaders)."""
        middleware = cls.__new__(cls)
        middleware.app = app
        middleware.policy = policy
        middleware._memo_route = policy.memo_route
        middleware._route = policy.route
        return middleware

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        # The hot path: every lookup here is a dict, set or LRU hit on precomputed values.
        path: str = environ.get("PATH_INFO", "")
        rule, passed = (
            self._memo_route(path) if len(path) <= MAX_MEMO_KEY_LENGTH else self._route(path)
        )
        if rule is None:
            environ[DECISION_KEY] = passed
            if _debug_enabled(_DEBUG):
                _log(environ, passed)  # type: ignore[arg-type]
            return self.app(environ, start_response)

        origin: str | None = environ.get(ENV_ORIGIN)
        if origin is not None and environ.get("REQUEST_METHOD") == "OPTIONS":
            method: str | None = environ.get(ENV_ACRM)
            if method is not None:
                request_headers: str = environ.get(ENV_ACRH, "")
                private_network: str = environ.get(ENV_ACRPN, "")
                size = len(origin) + len(method) + len(request_headers) + len(private_network)
                status, headers, decision = (
                    rule.preflight if size <= MAX_MEMO_KEY_LENGTH else rule.decide_preflight
                )(origin, method, request_headers, private_network)
                environ[DECISION_KEY] = decision
                if _debug_enabled(_DEBUG):
                    _log(environ, decision)
                start_response(status, list(headers))
                return []

        tail, extra, decision = (
            rule.actual
            if origin is None or len(origin) <= MAX_ORIGIN_LENGTH
            else rule.decide_actual
        )(origin)
        environ[DECISION_KEY] = decision
        if _debug_enabled(_DEBUG):
            _log(environ, decision)

        def cors_start_response(
            status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
        ) -> object:
            # Only a name starting with "a" or "v" can be Access-Control-* or Vary; without
            # one, the precomputed tail is simply appended (an empty name takes the full way).
            for name, _ in headers:
                if name[:1] in "aAvV":
                    headers = rewrite_headers(headers, extra, rule.vary_origin)
                    break
            else:
                headers = [*headers, *tail]
            return start_response(status, headers, exc_info)

        return self.app(environ, cors_start_response)  # type: ignore[arg-type]


def _log(environ: WSGIEnvironment, decision: Decision) -> None:
    # Every request-controlled value is escaped: no CR, LF or NUL reaches a log line.
    logger.debug(
        "%s %s %s origin=%s rule=%s allowed=%s reason=%s",
        decision.kind,
        for_log(environ.get("REQUEST_METHOD")),
        for_log(environ.get("PATH_INFO", "")),
        for_log(environ.get(ENV_ORIGIN)),
        decision.rule or "-",
        decision.allowed,
        decision.reason,
    )
