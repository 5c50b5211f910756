"""The WSGI middleware: the only module that knows about ``environ`` and ``start_response``.

One request: ask the policy for the answer to the path and CORS headers (one memo hit on repeat
traffic), record the decision, then answer a preflight from precomputed headers without calling
the app, or call the app with a ``start_response`` that strips app-set Access-Control-* headers,
adds ours and merges ``Vary``. The app's iterable is returned untouched, so ``close()`` reaches
it (PEP 3333).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

from wsgicors._http import ACCESS_CONTROL_PREFIX, ENV_ACRH, ENV_ACRM, ENV_ACRPN, ENV_ORIGIN
from wsgicors._http import for_log as _for_log
from wsgicors.policy import DEFAULT_MEMO_SIZE, Decision, Policy, compile_policy

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Unpack

    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from wsgicors.config import ConfigSource
    from wsgicors.rules import Rule, RuleOptions

__all__ = ["DECISION_KEY", "CORSMiddleware", "rewrite_headers"]

#: The ``environ`` key under which each request's :class:`~wsgicors.Decision` is stored.
DECISION_KEY: Final = "wsgicors.decision"

Header = tuple[str, str]

logger = logging.getLogger("wsgicors")
_DEBUG: Final = logging.DEBUG
_debug_enabled = logger.isEnabledFor
# Only "Access-Control-*" and "Vary" names start with these (in any case): a response without
# one needs no rewrite, only our headers appended. An empty name takes the full rewrite too.
_REWRITE_INITIALS: Final = "aAvV"


class CORSMiddleware:
    """Wrap a WSGI *app* with CORS handling driven by an ordered list of rules.

    :param app: any PEP 3333 application.
    :param rules: :class:`~wsgicors.Rule` objects, tried in order; the first whose path matches
        decides. Omit it to build one rule covering every path from *options*.
    :param preflight_status: status of a successful preflight: 204 (default) or 200.
    :param memo_size: how many answers the middleware memoises, in all.
    :param policy: an already compiled :class:`~wsgicors.policy.Policy` (what the config
        loaders build), instead of *rules* and *options*.
    :param options: the keyword options of :class:`~wsgicors.Rule` (Starlette's names), used
        only when *rules* is omitted: ``CORSMiddleware(app, allow_origins=[...])``.
    :raises ConfigError: listing every problem in the configuration.
    :warns ConfigWarning: once for each risky-but-legal setting.
    """

    __slots__ = ("app", "policy")

    def __init__(
        self,
        app: WSGIApplication,
        rules: Sequence[Rule] | None = None,
        *,
        preflight_status: int = 204,
        memo_size: int = DEFAULT_MEMO_SIZE,
        policy: Policy | None = None,
        **options: Unpack[RuleOptions],
    ) -> None:
        self.app = app
        if policy is None:
            policy = _compile(rules, options, preflight_status, memo_size, stacklevel=3)
        elif rules is not None or options:
            raise TypeError("give either policy= or rules and options, not both")
        self.policy = policy

    @classmethod
    def from_config(cls, app: WSGIApplication, source: ConfigSource) -> CORSMiddleware:
        """Wrap *app* with the policy in *source*: a ``.toml``, ``.json`` or ``.ini`` file, or
        a Mapping with the same keys.

        :raises ConfigError: listing every problem, with file, line and location.
        :warns ConfigWarning: for each risky-but-legal setting, with file and line.
        """
        # Imported here so that file loading stays out of the request path's imports.
        from wsgicors.config import load_policy  # noqa: PLC0415

        policy, findings = load_policy(source)
        findings.raise_or_warn(stacklevel=2)
        assert policy is not None  # noqa: S101 (no errors, so a policy)
        return cls(app, policy=policy)

    def reconfigure(
        self,
        rules: Sequence[Rule] | None = None,
        *,
        preflight_status: int = 204,
        memo_size: int = DEFAULT_MEMO_SIZE,
        **options: Unpack[RuleOptions],
    ) -> None:
        """Check a new configuration fully, then swap it in atomically.

        Requests already running finish with the policy they started with; later ones use the
        new one. On any problem nothing changes.

        :raises ConfigError: listing every problem; the old policy keeps serving.
        """
        self.policy = _compile(rules, options, preflight_status, memo_size, stacklevel=3)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        # The hot path: on repeat traffic, one memo hit on precomputed answers.
        policy = self.policy  # read once: a reconfigure mid-request cannot mix two policies
        path: str = environ.get("PATH_INFO", "")
        origin: str | None = environ.get(ENV_ORIGIN)
        if origin is not None and environ.get("REQUEST_METHOD") == "OPTIONS":
            method: str | None = environ.get(ENV_ACRM)
            if method is not None:
                decision, status, preflight_headers = policy.preflight(
                    path, origin, method, environ.get(ENV_ACRH, ""), environ.get(ENV_ACRPN, "")
                )
                environ[DECISION_KEY] = decision
                if _debug_enabled(_DEBUG):
                    _log(environ, decision)
                if status is None:
                    return self.app(environ, start_response)
                start_response(status, list(preflight_headers))
                return []

        decision, headers, vary_origin, appended = policy.actual(path, origin)
        environ[DECISION_KEY] = decision
        if _debug_enabled(_DEBUG):
            _log(environ, decision)
        if headers is None:
            return self.app(environ, start_response)

        def cors_start_response(
            status: str, app_headers: list[Header], exc_info: OptExcInfo | None = None
        ) -> object:
            for name, _ in app_headers:
                if name[:1] in _REWRITE_INITIALS:
                    app_headers = rewrite_headers(app_headers, headers, vary_origin)
                    break
            else:
                app_headers = [*app_headers, *appended]
            return start_response(status, app_headers, exc_info)

        return self.app(environ, cors_start_response)  # type: ignore[arg-type]


def _compile(
    rules: object, options: RuleOptions, preflight_status: object, memo_size: int, stacklevel: int
) -> Policy:
    policy, findings = compile_policy(
        rules, dict(options), preflight_status=preflight_status, memo_size=memo_size
    )
    findings.raise_or_warn(stacklevel=stacklevel)
    assert policy is not None  # noqa: S101 (no errors, so a policy)
    return policy


def rewrite_headers(
    app_headers: list[Header], headers: tuple[Header, ...], vary_origin: bool
) -> list[Header]:
    """Return *app_headers* without the app's Access-Control-* headers, plus ours (*headers*).

    With *vary_origin*, ``Origin`` is merged into the app's ``Vary`` (case-insensitively,
    keeping every token the app sent, leaving ``Vary: *`` alone) so caches never serve one
    origin's answer to another (Fetch, "CORS protocol and HTTP caches").
    """
    result: list[Header] = []
    vary_index = -1
    vary_done = not vary_origin
    for header in app_headers:
        name = header[0].lower()
        if name.startswith(ACCESS_CONTROL_PREFIX):
            continue
        if name == "vary" and not vary_done:
            tokens = {token.strip().lower() for token in header[1].split(",")}
            if "origin" in tokens or "*" in tokens:
                vary_done = True
            else:
                vary_index = len(result)
        result.append(header)
    if not vary_done:
        if vary_index < 0:
            result.append(("Vary", "Origin"))
        else:
            name, value = result[vary_index]
            result[vary_index] = (name, f"{value}, Origin" if value.strip() else "Origin")
    result.extend(headers)
    return result


def _log(environ: WSGIEnvironment, decision: Decision) -> None:
    # Every request-controlled value is escaped: no CR, LF or NUL reaches a log line.
    logger.debug(
        "%s %s %s origin=%s rule=%s allowed=%s code=%s reason=%s",
        decision.kind,
        _for_log(environ.get("REQUEST_METHOD")),
        _for_log(environ.get("PATH_INFO", "")),
        _for_log(environ.get(ENV_ORIGIN)),
        decision.rule or "-",
        decision.allowed,
        decision.code,
        decision.reason,
    )
