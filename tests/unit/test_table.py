"""Every row of the behaviour table, run under wsgiref.validate with a spy app."""

from __future__ import annotations

import pytest

from tests.cases import CASES
from tests.support import Case, request


@pytest.mark.parametrize("case", [pytest.param(case, id=case.id) for case in CASES])
def test_case(case: Case) -> None:
    middleware, app = case.build()
    result = request(middleware, case.method, case.path, case.headers)

    assert result.status_code == case.status
    assert result.cors_headers() == case.cors
    assert app.called is case.app_called
    assert result.decision.kind == case.kind
    assert result.decision.allowed is case.allowed
    if case.code is not None:
        assert result.decision.code == case.code
    if case.kind == "pass-through":
        # Byte-identical: the app's status, headers and body exactly as the app sent them.
        assert result.status == case.app_status
        assert result.headers == list(case.app_headers)
        assert result.body == b"hello"
    elif case.app_called:
        assert result.body == b"hello"
        non_cors = [
            (name, value)
            for name, value in case.app_headers
            if not name.lower().startswith("access-control-") and name.lower() != "vary"
        ]
        others = [h for h in result.headers if h not in case.cors]
        assert others == non_cors
    else:
        assert result.body == b""
        expected = {204: [], 200: [("Content-Type", "text/plain"), ("Content-Length", "0")]}
        expected[403] = [("Content-Type", "text/plain"), ("Content-Length", "0")]
        assert [h for h in result.headers if h not in case.cors] == expected[case.status]


def test_case_ids_are_unique() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
