"""Where /docs and /redoc get Swagger UI and ReDoc: the files the ``fastapi-offline`` package ships.

Why that package rather than a CDN or a vendored copy: the API docs must work
on a machine with no internet access (a CDN page is blank there, and loading
third-party scripts next to a token is a risk), and the package is a
maintained, MIT-licensed wheel whose only content is those dist files
(``swagger-ui-bundle.js``, ``swagger-ui.css``, ``redoc.standalone.js``), so
updates come with ``pip`` and no 2.8 MB of minified JavaScript sits in this
repository. Only its files are used: the routes are ours.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

ASSETS_PATH = "/docs-assets"
ASSET_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png")


def docs_assets_dir() -> Path:
    """The installed package's static directory (checked: a missing file is an error at start, not a blank page)."""
    directory = Path(str(files("fastapi_offline") / "static"))
    missing = [name for name in ASSET_FILES if not (directory / name).is_file()]
    if missing:
        raise RuntimeError(f"fastapi-offline is installed without {', '.join(missing)} in {directory}")
    return directory
