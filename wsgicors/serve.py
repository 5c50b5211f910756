"""Serve any WSGI app wrapped by a config file, without writing Python.

For gunicorn, whose app argument may call a factory with literal arguments::

    gunicorn 'wsgicors.serve:wrap("myproject.wsgi:application", "cors.toml")'
    gunicorn 'wsgicors.serve:wrap("myproject.wsgi:application", "cors.toml", reload=True)'

A bad configuration prints its problem list once and stops the boot.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from wsgicors.config import import_object
from wsgicors.errors import ConfigError
from wsgicors.middleware import CORSMiddleware

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["AppImportError", "import_app", "wrap"]


class AppImportError(ImportError):
    """The ``module:attribute`` given as the app could not be imported or is not callable."""


def import_app(target: str) -> WSGIApplication:
    """Import ``module:attribute`` (the attribute defaults to ``application``)."""
    module_name, _, attribute = target.partition(":")
    try:
        obj = import_object(f"{module_name}:{attribute or 'application'}")
    except ImportError as error:
        raise AppImportError(str(error)) from error
    if not callable(obj):
        raise AppImportError(f"{target!r} is not a WSGI application (not callable)")
    return obj


# gunicorn's exit status for "the app failed to load": its arbiter stops instead of
# respawning workers, and prints no traceback.
_APP_LOAD_ERROR = 4


def wrap(app: str, config: str, reload: bool = False) -> CORSMiddleware:
    """Return the app named ``module:attribute``, wrapped by the policy in the *config* file.

    :param reload: swap in the file's new policy when it changes (see
        :meth:`~wsgicors.CORSMiddleware.from_config`).
    :raises SystemExit: after printing the problem list once, when *config* is invalid.
    """
    try:
        return CORSMiddleware.from_config(import_app(app), config, reload=reload)
    except ConfigError as error:
        print(error, file=sys.stderr, flush=True)
        raise SystemExit(_APP_LOAD_ERROR) from None
