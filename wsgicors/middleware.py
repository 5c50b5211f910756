"""The WSGI middleware: the only module that knows about ``environ`` and ``start_response``.

One request: ask the policy for the answer to the path and CORS headers (one memo hit on repeat
traffic), record the decision, then answer a preflight from precomputed headers without calling
the app, or call the app with a ``start_response`` that strips app-set Access-Control-* headers,
adds ours and merges ``Vary``. The app's iterable is returned untouched, so ``close()`` reaches
it (PEP 3333). Hooks and report-only rules run only when configured.
"""

from __future__ import annotations

import logging
import time
from types import MethodType as _MethodType
from typing import TYPE_CHECKING, Final, cast

from wsgicors._http import ACCESS_CONTROL_PREFIX, ENV_ACRH, ENV_ACRM, ENV_ACRPN, ENV_ORIGIN
from wsgicors._http import for_log as _for_log
from wsgicors.errors import ConfigError, Problem
from wsgicors.policy import (
    DEFAULT_MEMO_SIZE,
    NO_RULE,
    UNCOVERED,
    Decision,
    Policy,
    RawActual,
    compile_policy,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Unpack

    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from wsgicors.config import ConfigSource
    from wsgicors.rules import Rule, RuleOptions

    DecisionHook = Callable[[WSGIEnvironment, Decision], object]
    ReportHook = Callable[[WSGIEnvironment, Decision, Decision], object]

__all__ = ["DECISION_KEY", "CORSMiddleware", "decision_for", "rewrite_headers"]

#: The ``environ`` key under which each request's :class:`~wsgicors.Decision` is stored.
DECISION_KEY: Final = "wsgicors.decision"

Header = tuple[str, str]

logger = logging.getLogger("wsgicors")
report_logger = logging.getLogger("wsgicors.report")
_DEBUG: Final = logging.DEBUG
_debug_enabled = logger.isEnabledFor
# The logger's own memo of isEnabledFor answers (logging clears it in place whenever levels
# change). Reading it first skips a Python-level call per request while DEBUG is off; on a
# miss (or where logging keeps no such memo), isEnabledFor answers.
_enabled_memo: Final[dict[int, bool]] = getattr(logger, "_cache", {})
# The answers of a path whose route is not memoised: none, so the policy is asked.
_NO_ANSWERS: Final[dict[str | None, RawActual]] = {}
# Whether this module was compiled by mypyc (it is then an extension module, not a .py file):
# the two builds bind the app's start_response differently, each the way it runs faster.
_COMPILED: Final = not __file__.endswith(".py")
# Header names that frameworks and servers send most, none of them Access-Control-* or Vary:
# the scan of the app's headers skips them with one set lookup instead of looking at their
# first letter (tests/unit/test_memo.py checks the list).
_PLAIN_NAMES: Final = frozenset(
    spelling
    for name in (
        "Cache-Control",
        "Connection",
        "Content-Disposition",
        "Content-Encoding",
        "Content-Language",
        "Content-Length",
        "Content-Range",
        "Content-Security-Policy",
        "Content-Type",
        "Cross-Origin-Opener-Policy",
        "Cross-Origin-Resource-Policy",
        "Date",
        "ETag",
        "Expires",
        "Last-Modified",
        "Link",
        "Location",
        "Permissions-Policy",
        "Pragma",
        "Referrer-Policy",
        "Retry-After",
        "Server",
        "Set-Cookie",
        "Strict-Transport-Security",
        "Transfer-Encoding",
        "X-Content-Type-Options",
        "X-Frame-Options",
    )
    for spelling in (name, name.lower())
)


class CORSMiddleware:
    """Wrap a WSGI *app* with CORS handling driven by an ordered list of rules.

    :param app: any PEP 3333 application.
    :param rules: :class:`~wsgicors.Rule` objects, tried in order; the first whose path matches
        decides. Omit it to build one rule covering every path from *options*.
    :param preflight_status: status of a successful preflight: 204 (default) or 200.
    :param memo_size: how many answers the middleware memoises, in all.
    :param report_only: candidate rules evaluated on every request without being enforced;
        when their decision differs from the enforced one, *on_report* is called and a warning
        is logged on ``wsgicors.report``.
    :param on_report: ``on_report(environ, enforced, candidate)``, called with both decisions
        when they differ.
    :param on_decision: ``on_decision(environ, decision)``, called once per request.
    :param debug_header: add ``X-CORS-Decision: <code>`` to covered responses (development only:
        it tells every client why it was refused).
    :param policy: an already compiled :class:`~wsgicors.policy.Policy` (what the config
        loaders build), instead of *rules* and *options*.
    :param options: the keyword options of :class:`~wsgicors.Rule` (Starlette's names), used
        only when *rules* is omitted: ``CORSMiddleware(app, allow_origins=[...])``.
    :raises ConfigError: listing every problem in the configuration.
    :warns ConfigWarning: once for each risky-but-legal setting.

    Exceptions raised by the hooks are logged and never reach the request.
    """

    __slots__ = (
        "__weakref__",  # a config watcher must not keep a discarded middleware alive
        "_observe",
        "_on_decision",
        "_on_report",
        "_report_limit",
        "app",
        "policy",
    )

    def __init__(
        self,
        app: WSGIApplication,
        rules: Sequence[Rule] | None = None,
        *,
        preflight_status: object = 204,
        memo_size: object = DEFAULT_MEMO_SIZE,
        report_only: Sequence[Rule] | None = None,
        on_report: ReportHook | None = None,
        on_decision: DecisionHook | None = None,
        debug_header: object = False,
        policy: Policy | None = None,
        **options: Unpack[RuleOptions],
    ) -> None:
        hooks = [("on_report", on_report), ("on_decision", on_decision)]
        problems = [
            Problem(name, "hook-type", f"{name} must be callable, got {hook!r}", "pass a function")
            for name, hook in hooks
            if hook is not None and not callable(hook)
        ]
        self.app = app
        self._on_report = on_report
        self._on_decision = on_decision
        self._report_limit = _RateLimit(10, 60.0)
        self._observe: Callable[[WSGIEnvironment, Decision, Policy], None] | None = None
        if policy is None:
            try:
                policy = _compile(
                    rules,
                    options,
                    preflight_status=preflight_status,
                    memo_size=memo_size,
                    debug_header=debug_header,
                    report_only=report_only,
                )
            except ConfigError as error:  # one report: the hooks' problems and the rest
                raise ConfigError([*problems, *error.problems]) from None
        elif rules is not None or options or report_only is not None or debug_header:
            raise TypeError("give either policy= or the configuration it compiles, not both")
        if problems:
            raise ConfigError(problems)
        self.install(policy)

    @classmethod
    def from_config(
        cls,
        app: WSGIApplication,
        source: ConfigSource,
        *,
        reload: bool = False,
        on_report: ReportHook | None = None,
        on_decision: DecisionHook | None = None,
    ) -> CORSMiddleware:
        """Wrap *app* with the policy in *source*: a ``.toml``, ``.json`` or ``.ini`` file, or
        a Mapping with the same keys.

        :param reload: watch the file (its modification time, at most once a second, in a
            background thread) and swap in its new policy when it changes; a changed file with
            problems is logged at ERROR and the old policy keeps serving.
        :raises ConfigError: listing every problem, with file, line and location.
        :warns ConfigWarning: for each risky-but-legal setting, with file and line.
        """
        # Imported here so that file loading stays out of the request path's imports.
        from wsgicors.config import load_policy  # noqa: PLC0415
        from wsgicors.watch import watch  # noqa: PLC0415

        policy, findings = load_policy(source)
        findings.raise_or_warn()
        assert policy is not None  # noqa: S101 (no errors, so a policy)
        middleware = cls(app, policy=policy, on_report=on_report, on_decision=on_decision)
        if reload:
            watch(source, middleware.install)
        return middleware

    def reconfigure(
        self,
        rules: Sequence[Rule] | None = None,
        *,
        preflight_status: object = 204,
        memo_size: object = DEFAULT_MEMO_SIZE,
        report_only: Sequence[Rule] | None = None,
        debug_header: object = False,
        **options: Unpack[RuleOptions],
    ) -> None:
        """Check a new configuration fully, then swap it in atomically.

        Requests already running finish with the policy they started with; later ones use the
        new one. On any problem nothing changes.

        :raises ConfigError: listing every problem; the old policy keeps serving.
        """
        self.install(
            _compile(
                rules,
                options,
                preflight_status=preflight_status,
                memo_size=memo_size,
                debug_header=debug_header,
                report_only=report_only,
            )
        )

    def install(self, policy: Policy) -> None:
        """Serve with the already compiled *policy* from the next request on."""
        needs_observer = self._on_decision is not None or policy.candidate is not None
        self._observe = self._notify if needs_observer else None
        self.policy = policy

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        # The hot path: on repeat traffic, dict lookups of precomputed answers and no calls
        # but the app's. Each of its three ends records the decision, logs it at DEBUG and
        # tells the observer, inline (a shared helper would cost a call on every request).
        policy = self.policy  # read once: a reconfigure mid-request cannot mix two policies
        try:
            path: str = environ["PATH_INFO"]
        except KeyError:  # PEP 3333 lets a server leave out an empty PATH_INFO
            path = ""
        # The answers, by Origin, of the rule for this path (none memoised yet: an empty dict).
        answers = policy.routes.get(path, _NO_ANSWERS)
        if answers is UNCOVERED:  # no rule covers this path: the app answers, untouched
            environ[DECISION_KEY] = NO_RULE
            try:  # logging's own memo, cleared whenever levels change
                debug = _enabled_memo[_DEBUG]
            except KeyError:
                debug = _debug_enabled(_DEBUG)
            if debug:
                _log(environ, NO_RULE)
            if self._observe is not None:
                self._observe(environ, NO_RULE, policy)
            return self.app(environ, start_response)

        origin: str | None = environ.get(ENV_ORIGIN)
        if (
            origin is not None
            and (method := environ.get(ENV_ACRM)) is not None
            and environ.get("REQUEST_METHOD") == "OPTIONS"
        ):
            request_headers: str = environ.get(ENV_ACRH, "")
            if ENV_ACRPN in environ:  # Private Network Access (rare): the policy looks it up
                preflight = policy.answer_preflight(
                    path, origin, method, request_headers, environ[ENV_ACRPN]
                )
            else:
                preflight = policy.preflight_answers.get(
                    (path, origin, method, request_headers)
                ) or policy.answer_preflight(path, origin, method, request_headers, "")
            decision, status, headers = preflight
            if status is not None:  # a covered path: answered here, not by the app
                environ[DECISION_KEY] = decision
                try:  # logging's own memo, cleared whenever levels change
                    debug = _enabled_memo[_DEBUG]
                except KeyError:
                    debug = _debug_enabled(_DEBUG)
                if debug:
                    _log(environ, decision)
                if self._observe is not None:
                    self._observe(environ, decision, policy)
                start_response(status, [*headers])
                return ()  # no body (a shared empty tuple: nothing to allocate)

        answer = answers.get(origin) or policy.answer_actual(path, origin)
        decision = answer[0]
        environ[DECISION_KEY] = decision
        try:  # logging's own memo, cleared whenever levels change
            debug = _enabled_memo[_DEBUG]
        except KeyError:
            debug = _debug_enabled(_DEBUG)
        if debug:
            _log(environ, decision)
        if self._observe is not None:
            self._observe(environ, decision, policy)
        if answer[1] is None:  # uncovered, and its route not memoised (new, or too long)
            return self.app(environ, start_response)
        if _COMPILED:  # pragma: no cover (the compiled build's branch, run by its own suite)
            return self.app(environ, _closure(start_response, answer))
        bound = _MethodType(_cors_start_response, (start_response, answer))
        return self.app(environ, cast("StartResponse", bound))

    def _notify(self, environ: WSGIEnvironment, decision: Decision, policy: Policy) -> None:
        """Run the hooks and the report-only comparison; nothing here can fail the request."""
        if self._on_decision is not None:
            try:
                self._on_decision(environ, decision)
            except Exception:
                logger.exception("on_decision raised; the request goes on")
        if policy.candidate is None:
            return
        candidate = decision_for(policy.candidate, environ)
        if (candidate.kind, candidate.allowed) == (decision.kind, decision.allowed):
            return
        if self._report_limit.allow():
            report_logger.warning(
                "report-only rules decide differently: %s %s origin=%s enforced=%s/%s/%s "
                "candidate=%s/%s/%s",
                _for_log(environ.get("REQUEST_METHOD")),
                _for_log(environ.get("PATH_INFO", "")),
                _for_log(environ.get(ENV_ORIGIN)),
                decision.rule or "-",
                decision.allowed,
                decision.code,
                candidate.rule or "-",
                candidate.allowed,
                candidate.code,
            )
        if self._on_report is not None:
            try:
                self._on_report(environ, decision, candidate)
            except Exception:
                logger.exception("on_report raised; the request goes on")


def decision_for(policy: Policy, environ: WSGIEnvironment) -> Decision:
    """What *policy* decides for the request in *environ* (as ``__call__`` asks it)."""
    path: str = environ.get("PATH_INFO", "")
    origin: str | None = environ.get(ENV_ORIGIN)
    method: str | None = environ.get(ENV_ACRM)
    decision: Decision
    if origin is not None and method is not None and environ.get("REQUEST_METHOD") == "OPTIONS":
        decision = policy.answer_preflight(
            path, origin, method, environ.get(ENV_ACRH, ""), environ.get(ENV_ACRPN, "")
        )[0]
    else:
        decision = policy.answer_actual(path, origin)[0]
    return decision


class _RateLimit:
    """At most *count* events per *seconds*, as a fixed window: enough for log lines."""

    def __init__(self, count: int, seconds: float) -> None:
        self._count, self._seconds = count, seconds
        self._window, self._used = -1, 0

    def allow(self) -> bool:
        window = int(time.monotonic() // self._seconds)
        if window != self._window:
            self._window, self._used = window, 0
        self._used += 1
        return self._used <= self._count


def _compile(
    rules: object,
    options: RuleOptions,
    *,
    preflight_status: object,
    memo_size: object,
    debug_header: object,
    report_only: object,
) -> Policy:
    policy, findings = compile_policy(
        rules,
        dict(options),
        preflight_status=preflight_status,
        memo_size=memo_size,
        debug_header=debug_header,
        report_only=report_only,
    )
    findings.raise_or_warn()
    assert policy is not None  # noqa: S101 (no errors, so a policy)
    return policy


def _cors_start_response(
    bound: tuple[StartResponse, RawActual],
    status: str,
    app_headers: list[Header],
    exc_info: OptExcInfo | None = None,
) -> Callable[[bytes], object]:
    """The ``start_response`` the app gets: a method bound to the pair of the server's
    ``start_response`` and the answer (binding a method costs less than a ``partial``, which
    also makes a keyword dict, or a closure, whose cells every request would pay for).

    Only a response with an Access-Control-* or Vary header of its own (or an empty name)
    needs the full rewrite; any other gets our headers appended as they are.
    """
    start_response, answer = bound
    for name, _ in app_headers:
        if name not in _PLAIN_NAMES and name[:1] in "aAvV":
            headers = answer[1] or ()
            return start_response(
                status, rewrite_headers(app_headers, headers, answer[2]), exc_info
            )
    return start_response(status, [*app_headers, *answer[3]], exc_info)


def _closure(start_response: StartResponse, answer: RawActual) -> StartResponse:
    """:func:`_cors_start_response` bound by a closure, as the compiled build binds it: mypyc
    makes a closure a native object, cheaper to build and to call there than a bound method
    (which CPython makes and calls faster)."""
    bound = (start_response, answer)

    def cors_start_response(
        status: str, app_headers: list[Header], exc_info: OptExcInfo | None = None
    ) -> Callable[[bytes], object]:
        return _cors_start_response(bound, status, app_headers, exc_info)

    return cors_start_response


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
        if header[0] not in _PLAIN_NAMES:
            name = header[0].lower()
            if name.startswith(ACCESS_CONTROL_PREFIX):
                continue
            if name == "vary" and not vary_done:
                value = header[1].lower()
                # Only a value with one of the substrings can hold one of the tokens.
                if ("origin" in value or "*" in value) and {
                    token.strip() for token in value.split(",")
                } & {"origin", "*"}:
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
