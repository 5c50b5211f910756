"""The bounded memo, and the request path that reads it: a memo hit answers exactly as a miss."""

from __future__ import annotations

import logging
import sys
import threading
from types import MethodType
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.cases import CASES
from tests.support import SpyApp, make_environ, request
from wsgicors import CORSMiddleware, Decision, Rule
from wsgicors.memo import Memo
from wsgicors.middleware import (
    _PLAIN_NAMES,
    _closure,
    _cors_start_response,
    _enabled_memo,
    rewrite_headers,
)
from wsgicors.policy import UNCOVERED

if TYPE_CHECKING:
    from tests.support import Case, Result

APP = "https://app.example.com"


def test_the_oldest_insertion_is_dropped_first_across_tables() -> None:
    memo: Memo[str, int] = Memo(3)
    first: dict[str, int] = {}
    second: dict[str, int] = {}
    memo.remember(first, "a", 1)
    memo.remember(second, "b", 2)
    memo.remember(first, "c", 3)
    assert (first, second, len(memo)) == ({"a": 1, "c": 3}, {"b": 2}, 3)
    memo.remember(second, "d", 4)  # full: "a", the oldest, goes
    assert (first, second, len(memo)) == ({"c": 3}, {"b": 2, "d": 4}, 3)
    memo.remember(first, "e", 5)  # then "b"
    assert (first, second, len(memo)) == ({"c": 3, "e": 5}, {"d": 4}, 3)


def test_a_key_already_there_is_kept_once() -> None:
    memo: Memo[str, int] = Memo(2)
    table: dict[str, int] = {}
    memo.remember(table, "a", 1)
    memo.remember(table, "a", 2)  # a second thread that answered the same request
    memo.remember(table, "b", 3)
    assert (table, len(memo)) == ({"a": 1, "b": 3}, 2)


def test_a_memo_of_size_zero_keeps_nothing() -> None:
    memo: Memo[str, int] = Memo(0)
    table: dict[str, int] = {}
    memo.remember(table, "a", 1)
    assert (table, len(memo)) == ({}, 0)


def test_threads_never_exceed_the_bound() -> None:
    memo: Memo[tuple[int, int], int] = Memo(50)
    tables: list[dict[tuple[int, int], int]] = [{} for _ in range(3)]
    start = threading.Barrier(4)

    def fill(thread: int) -> None:
        start.wait()
        for number in range(2_000):
            memo.remember(tables[number % 3], (thread, number), number)
            assert sum(map(len, tables)) <= 50

    workers = [threading.Thread(target=fill, args=(thread,)) for thread in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(memo) == sum(map(len, tables)) == 50


def outcome(result: Result, app: SpyApp, calls_before: int) -> tuple[Any, ...]:
    return (
        result.status,
        result.headers,
        result.body,
        result.decision,
        len(app.calls) > calls_before,
    )


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_every_case_is_answered_the_same_from_the_memo(case: Case) -> None:
    """The first request of a case misses every memo; the next ones are answered from them
    (the route, the answer by Origin, the preflight): all three must be the same answer."""
    middleware, app = case.build()
    outcomes = []
    for _ in range(3):
        calls = len(app.calls)
        result = request(middleware, case.method, case.path, case.headers)
        outcomes.append(outcome(result, app, calls))
    assert outcomes[0] == outcomes[1] == outcomes[2]
    assert outcomes[0][0].startswith(str(case.status))


def test_an_uncovered_path_is_recorded_logged_and_observed_from_the_memo(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[Decision] = []
    app = SpyApp(headers=[("Content-Type", "text/plain"), ("Access-Control-Allow-Origin", "*")])
    middleware = CORSMiddleware(
        app, [Rule("/api/*", allow_origins=[APP])], on_decision=lambda _, d: seen.append(d)
    )
    caplog.set_level(logging.DEBUG, logger="wsgicors")
    for _ in range(2):
        result = request(middleware, "GET", "/static/app.js", {"Origin": APP})
        # The app's own headers pass untouched on a path no rule covers.
        assert result.status == "200 OK"
        assert result.headers == app.headers
        assert result.decision.code == "no-rule"
    assert middleware.policy.routes["/static/app.js"] is UNCOVERED
    assert [decision.code for decision in seen] == ["no-rule", "no-rule"]
    assert [record.getMessage() for record in caplog.records] == [
        "pass-through 'GET' '/static/app.js' origin='https://app.example.com' rule=- "
        "allowed=None code=no-rule reason=no rule matches this path"
    ] * 2


def test_a_preflight_memo_hit_inside_the_policy_is_the_same_answer() -> None:
    middleware = CORSMiddleware(SpyApp(), allow_origins=[APP], allow_methods=["PUT"])
    policy = middleware.policy
    first = policy.answer_preflight("/x", APP, "PUT", "", "")
    assert policy.answer_preflight("/x", APP, "PUT", "", "") is first
    assert policy.preflight_answers == {("/x", APP, "PUT", ""): first}
    # A Private Network Access preflight has a key of its own, with the fifth value.
    private = policy.answer_preflight("/x", APP, "PUT", "", "true")
    assert private[0].code == "private-network-not-allowed"
    assert policy.preflight_answers[("/x", APP, "PUT", "", "true")] is private
    answer = policy.preflight("/x", APP, "PUT", "", "")
    assert tuple(answer) == first
    assert (answer.decision.code, answer.status) == ("preflight-allowed", "204 No Content")


def test_plain_names_are_neither_access_control_nor_vary() -> None:
    for name in _PLAIN_NAMES:
        assert name
        assert not name.lower().startswith(("access-control-", "vary"))
        assert name[0] not in "aAvV"


ANSWER = CORSMiddleware(SpyApp(), allow_origins=[APP]).policy.answer_actual("/", APP)
NAMES = st.sampled_from(
    [*sorted(_PLAIN_NAMES)[:6], "Vary", "vary", "VARY", "Access-Control-Allow-Origin",
     "access-control-max-age", "ACCESS-CONTROL-EXPOSE-HEADERS", "Accept-Ranges", "X-Custom", ""]
)  # fmt: skip


@given(st.lists(st.tuples(NAMES, st.sampled_from(["Origin", "Cookie", "*", "", "x, Origin"]))))
def test_the_bound_start_response_appends_or_rewrites(headers: list[tuple[str, str]]) -> None:
    """Appending (no Access-Control-* or Vary from the app) and the full rewrite agree: ours
    are the only Access-Control-* headers, and Vary covers Origin."""
    sent: list[list[tuple[str, str]]] = []

    def start_response(
        status: str, app_headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Any:
        sent.append(app_headers)
        return None

    # CPython binds a method to the pair, the compiled build a closure: both send the same.
    MethodType(_cors_start_response, (start_response, ANSWER))("200 OK", list(headers))
    _closure(start_response, ANSWER)("200 OK", list(headers))
    assert sent == [rewrite_headers(list(headers), ANSWER[1], True)] * 2
    ours = [header for header in sent[0] if header[0].lower().startswith("access-control-")]
    assert ours == [("Access-Control-Allow-Origin", APP)]
    varies = [value for name, value in sent[0] if name.lower() == "vary"]
    assert varies, "Vary: Origin is always there (merged, or added)"


def test_an_environ_without_path_info_is_the_empty_path() -> None:
    """PEP 3333 lets a server leave out PATH_INFO when it is empty (wsgiref's validator does
    not, so the middleware is called directly)."""
    app = SpyApp()
    middleware = CORSMiddleware(app, allow_origins=[APP])
    sent: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        sent.append((status, headers))
        return None

    decisions = []
    for _ in range(2):  # the route, then its memo
        environ = make_environ(headers={"Origin": APP})
        del environ["PATH_INFO"]
        assert list(middleware(environ, start_response)) == [b"hello"]
        decisions.append(environ["wsgicors.decision"])
    explicit = request(middleware, "GET", "", {"Origin": APP})
    assert sent == [(explicit.status, explicit.headers)] * 2
    assert decisions == [explicit.decision] * 2
    assert explicit.get_all("Access-Control-Allow-Origin") == [APP]
    assert len(app.calls) == 3


def test_a_table_that_empties_gives_its_room_back() -> None:
    """A flood through one rule, then through another: the first rule's table must not keep
    the room it grew to, or memory would grow with the number of rules."""
    memo: Memo[str, int] = Memo(4096)
    first: dict[str, int] = {}
    second: dict[str, int] = {}
    empty_size = sys.getsizeof({})
    for number in range(4096):
        memo.remember(first, f"first-{number}", number)
    full_size = sys.getsizeof(first)
    assert full_size > 100 * empty_size
    for number in range(4096):
        memo.remember(second, f"second-{number}", number)
    assert (len(first), len(second), len(memo)) == (0, 4096, 4096)
    assert sys.getsizeof(first) == empty_size
    # Once the second table is down to less than a quarter of its entries, it is compacted,
    # and keeps every entry it still has.
    for number in range(3073):
        memo.remember(first, f"again-{number}", number)
    assert len(second) == 1023
    assert sys.getsizeof(second) < full_size // 2
    assert sorted(second) == sorted(f"second-{number}" for number in range(3073, 4096))


def test_compaction_keeps_every_entry_under_threads() -> None:
    memo: Memo[int, int] = Memo(64)
    tables: list[dict[int, int]] = [{} for _ in range(4)]
    start = threading.Barrier(4)

    def churn(thread: int) -> None:
        start.wait()
        for number in range(5_000):
            table = tables[(number // 100 + thread) % 4]  # floods one table, then the next
            memo.remember(table, thread * 100_000 + number, number)
            for table in tables:
                for key, value in list(table.items()):
                    assert key % 100_000 == value

    workers = [threading.Thread(target=churn, args=(thread,)) for thread in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(memo) == sum(map(len, tables)) == 64


def reference_rewrite(
    app_headers: list[tuple[str, str]], headers: tuple[tuple[str, str], ...], vary_origin: bool
) -> list[tuple[str, str]]:
    """The rewrite as docs/contract.md states it, written for clarity, not speed."""
    kept = [h for h in app_headers if not h[0].lower().startswith("access-control-")]
    varies = [i for i, (name, _) in enumerate(kept) if name.lower() == "vary"]
    if vary_origin:
        tokens = [{token.strip().lower() for token in kept[i][1].split(",")} for i in varies]
        if not any("origin" in found or "*" in found for found in tokens):
            if varies:
                name, value = kept[varies[-1]]
                kept[varies[-1]] = (name, f"{value}, Origin" if value.strip() else "Origin")
            else:
                kept.append(("Vary", "Origin"))
    return [*kept, *headers]


HEADER_NAMES = st.sampled_from(
    ["Vary", "vary", "VARY", "Vary ", "Access-Control-Allow-Origin", "access-control-x",
     "Access-Control", "Content-Type", "content-length", "Set-Cookie", "X-Vary", ""]
)  # fmt: skip
VARY_VALUES = st.lists(
    st.sampled_from(["Origin", "ORIGIN", " origin ", "originx", "x-origin", "*", " * ",
                     "Cookie", "Accept-Encoding", "", "\u0130rigin", "Orig\u0131n"]),
    max_size=4,
).map(",".join)  # fmt: skip


@given(
    st.lists(st.tuples(HEADER_NAMES, VARY_VALUES), max_size=6),
    st.booleans(),
)
def test_the_rewrite_matches_its_statement(
    app_headers: list[tuple[str, str]], vary_origin: bool
) -> None:
    ours = (("Access-Control-Allow-Origin", APP),)
    assert rewrite_headers(list(app_headers), ours, vary_origin) == reference_rewrite(
        list(app_headers), ours, vary_origin
    )


@pytest.mark.parametrize(
    ("method", "path", "headers", "code"),
    [
        ("GET", "/static/app.js", {"Origin": APP}, "no-rule"),
        ("GET", "/api/x", {"Origin": APP}, "origin-allowed"),
        ("OPTIONS", "/api/x", {"Origin": APP, "Access-Control-Request-Method": "PUT"},
         "preflight-allowed"),
    ],
)  # fmt: skip
def test_a_level_change_between_memo_hits_is_seen(
    caplog: pytest.LogCaptureFixture, method: str, path: str, headers: dict[str, str], code: str
) -> None:
    """Logging clears its memo of levels when one changes: the next request, answered from
    the memos, asks logging again instead of trusting a stale answer."""
    middleware = CORSMiddleware(
        SpyApp(), [Rule("/api/*", allow_origins=[APP], allow_methods=["PUT"])]
    )
    caplog.set_level(logging.INFO, logger="wsgicors")
    assert request(middleware, method, path, headers).decision.code == code
    assert caplog.records == []
    caplog.set_level(logging.DEBUG, logger="wsgicors")
    logging.getLogger("wsgicors").setLevel(logging.DEBUG)  # clears logging's memo again
    assert logging.DEBUG not in _enabled_memo  # (caplog's own set_level fills it)
    assert request(middleware, method, path, headers).decision.code == code
    assert [record.getMessage().split(" code=")[1].split(" ")[0] for record in caplog.records] == [
        code
    ]
