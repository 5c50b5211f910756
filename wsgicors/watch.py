"""Live reconfiguration from a file: watch it, and install its new policy when it changes.

The watcher runs in a daemon thread, off the request path; the middleware's swap is one
attribute assignment, so every request sees either the old policy or the new one, never a mix.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Final

from wsgicors.config import load_policy
from wsgicors.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable

    from wsgicors.config import ConfigSource
    from wsgicors.policy import Policy

__all__ = ["WATCH_INTERVAL", "watch"]

#: How often a watched configuration file's modification time is checked, in seconds.
WATCH_INTERVAL: Final = 1.0
logger = logging.getLogger("wsgicors")


def watch(
    source: ConfigSource, install: Callable[[Policy], None], interval: float = WATCH_INTERVAL
) -> threading.Event | None:
    """Reload *source* into a policy and pass it to *install* whenever the file changes.

    A daemon thread checks the file's modification time and size every *interval* seconds,
    off the request path. A changed file with problems is logged at ERROR and nothing is
    installed; warnings are logged at WARNING. The thread stops when the object *install*
    is bound to is garbage collected, or when the returned event is set; forked workers
    (gunicorn's ``--preload``) start their own. A Mapping is not watched (``None``).
    """
    if isinstance(source, Mapping):
        return None
    path = Path(source)
    stop = threading.Event()
    owner: Callable[[], Callable[[Policy], None] | None]
    try:
        owner = weakref.WeakMethod(install)
    except TypeError:  # a plain function (or a builtin's method) is kept alive
        owner = lambda: install  # noqa: E731

    def stamp() -> tuple[int, int] | None:
        try:
            status = path.stat()
        except OSError:
            return None
        return status.st_mtime_ns, status.st_size

    def run(seen: tuple[int, int] | None) -> None:
        while not stop.wait(interval):
            target = owner()
            if target is None:  # the middleware is gone: so is the reason to watch
                return
            now = stamp()
            if now is not None and now != seen:
                seen = now
                policy = _reload(path)
                if policy is not None:
                    target(policy)
                    logger.info("%s changed: its new policy is serving", path)
            del target  # hold no reference to the middleware while waiting

    def start() -> None:
        threading.Thread(
            target=run, args=(stamp(),), name=f"wsgicors-watch {path}", daemon=True
        ).start()

    start()
    os.register_at_fork(after_in_child=start)
    return stop


def _reload(path: Path) -> Policy | None:
    """Load the changed file; log its problems and return ``None`` when it cannot serve."""
    try:
        policy, findings = load_policy(path)
    except ConfigError as error:
        # An expected outcome with its own message, not a crash: no traceback.
        logger.error("%s changed but cannot be read; keeping the old policy\n%s", path, error)  # noqa: TRY400
        return None
    if policy is None:
        logger.error(
            "%s changed but has problems; keeping the old policy\n%s",
            path,
            ConfigError(findings.errors),
        )
        return None
    for problem in findings.warnings:
        logger.warning("%s", problem)
    return policy
