"""Optional parts of the tool and the extra that installs each.

The base install (boto3, click, rich, prometheus-client) reports with the
CloudWatch and listing strategies, renders every format and keeps the history.
Five features need more, installed as pip extras:

========== ================================= ====================================
extra      installs                          needed by
========== ================================= ====================================
service    fastapi, fastapi-offline, uvicorn ``serve``
inventory  duckdb, pyarrow                   ``--strategy inventory``
demo       moto[s3,cloudwatch,server]        ``demo``
dask       dask, distributed                 ``--executor dask``
browse     textual                           ``browse``
all        all of the above
========== ================================= ====================================

A command that needs a missing extra stops before it does anything, with
exit 2 and the ``pip install`` line to run: see ``needs``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import UsageError

DISTRIBUTION = "s3-storage-analyser"

# The top-level modules each extra provides that the tool imports (directly, or through the extra's own
# package: starlette and pydantic come with fastapi, flask and werkzeug with moto[server]).
EXTRA_MODULES: dict[str, tuple[str, ...]] = {
    "service": ("fastapi", "fastapi_offline", "uvicorn", "starlette", "pydantic"),
    "inventory": ("duckdb", "pyarrow"),
    "demo": ("moto", "werkzeug", "flask", "flask_cors"),
    "dask": ("dask", "distributed"),
    "browse": ("textual",),
}


class MissingExtraError(UsageError):
    """A feature was asked for whose optional dependencies are not installed."""

    code = "MissingExtra"

    def __init__(self, feature: str, extra: str, module: str) -> None:
        super().__init__(
            f"{feature} needs the '{extra}' extra ({module} is not installed).",
            hint=install_hint(extra),
        )
        self.feature = feature
        self.extra = extra
        self.module = module


def install_hint(extra: str) -> str:
    return f"pip install '{DISTRIBUTION}[{extra}]'"


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a finder that refuses the name; a module whose __spec__ is None
        return False


def missing_module(extra: str) -> str | None:
    """The first of ``extra``'s modules that cannot be found (nothing is imported), or None."""
    return next((name for name in EXTRA_MODULES[extra] if not _installed(name)), None)


def require(extra: str, feature: str) -> None:
    """Raise ``MissingExtraError`` unless every module of ``extra`` can be found."""
    module = missing_module(extra)
    if module is not None:
        raise MissingExtraError(feature, extra, module)


@contextmanager
def needs(extra: str, feature: str) -> Iterator[None]:
    """Guard the imports of a feature that needs ``extra``::

        with needs("inventory", "--strategy inventory"):
            from .strategies.inventory import InventoryStrategy

    Checks first that the extra's modules can be found, then turns an ``ImportError`` of one of them
    (a partial install) into the same ``MissingExtraError``. Any other ImportError is a bug and is raised as is.
    """
    require(extra, feature)
    try:
        yield
    except ImportError as exc:
        top = (exc.name or "").partition(".")[0]
        if top in EXTRA_MODULES[extra]:
            raise MissingExtraError(feature, extra, top) from exc
        raise
