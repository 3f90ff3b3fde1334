"""errors' docstring draws the tree: it must match the classes (parents, exit codes, HTTP statuses, codes),
and name every AnalyserError the package defines."""

from __future__ import annotations

import importlib
import pkgutil
import re

from botocore.exceptions import ClientError

import s3_storage_analyser
from s3_storage_analyser import errors, extras
from s3_storage_analyser.aws import translate
from s3_storage_analyser.errors import (
    AnalyserError,
    AwsError,
    BucketNotFoundError,
    ObjectNotFoundError,
    UploadNotFoundError,
)
from s3_storage_analyser.listing.rawclient import RequestDeadlineError

# Defined beside what it names (the extras and their install line); drawn in the tree all the same.
ELSEWHERE = {"MissingExtraError": "s3_storage_analyser.extras"}
ROW = re.compile(r"^(?P<indent>[│ ]*)(?:[├└]── )?(?P<name>[A-Za-z]+Error)(?P<star> \*)?\s+(?P<rest>.*)$")


def drawn() -> list[tuple[int, str, str]]:
    """(depth, class name, the rest of the line) for each row of the drawn tree."""
    doc = errors.__doc__ or ""
    tree = doc.split("::", 1)[1].strip("\n").split("\n\n")[0]
    rows = []
    for line in tree.splitlines()[1:]:  # the first line is the header
        match = ROW.match(line.strip("\n")[4:])  # the block is indented by 4
        assert match, line
        depth = 0 if match["name"] == "AnalyserError" else len(match["indent"]) // 4 + 1
        rows.append((depth, match["name"], match["rest"]))
    return rows


def test_the_drawn_tree_matches_the_classes() -> None:
    parents: list[type[AnalyserError]] = []
    for depth, name, rest in drawn():
        cls = getattr(errors, name) if name not in ELSEWHERE else getattr(extras, name)
        assert issubclass(cls, AnalyserError)
        del parents[depth:]
        if parents:
            assert issubclass(cls, parents[-1]), f"{name} is drawn under {parents[-1].__name__}"
        parents.append(cls)
        if rest.startswith("(above"):
            continue
        exit_code, status, code = rest.split()[:3]
        assert (cls.exit_code, cls.http_status) == (int(exit_code), int(status)), name
        if not code.startswith("("):
            assert cls.code == code, name


def _all_error_classes() -> set[type[AnalyserError]]:
    for info in pkgutil.walk_packages(s3_storage_analyser.__path__, "s3_storage_analyser."):
        if info.name.endswith("__main__"):
            continue
        importlib.import_module(info.name)
    found: set[type[AnalyserError]] = set()
    todo = [AnalyserError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return {c for c in found if c.__module__.startswith("s3_storage_analyser.")}


def test_every_error_is_in_errors_and_drawn() -> None:
    names = {name for _, name, _ in drawn()}
    classes = _all_error_classes()
    for cls in classes:
        assert cls.__module__ == ELSEWHERE.get(cls.__name__, "s3_storage_analyser.errors"), cls
    assert {c.__name__ for c in classes} == names


def _client_error(code: str, status: int = 400) -> ClientError:
    body = {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(body, "GetObject")  # type: ignore[arg-type]


def test_translate_names_missing_objects_and_uploads() -> None:
    assert type(translate(_client_error("NoSuchKey", 404), what="s3:GetObject", bucket="b")) is ObjectNotFoundError
    # a bare 404 about one object: the object is missing, not the bucket
    about_key = translate(_client_error("404", 404), what="s3:HeadObject", bucket="b", key="k")
    assert type(about_key) is ObjectNotFoundError and about_key.code == "NoSuchKey"
    assert type(translate(_client_error("404", 404), what="s3:HeadBucket", bucket="b")) is BucketNotFoundError
    gone = translate(_client_error("NoSuchUpload", 404), what="s3:ListParts", bucket="b")
    assert type(gone) is UploadNotFoundError and gone.code == "NoSuchUpload"
    assert isinstance(gone, AwsError)  # caught as any other AWS answer where not asked for


def test_the_listings_own_botocore_errors_keep_their_name() -> None:
    deadline = RequestDeadlineError(operation="ListObjectsV2", endpoint_url="http://x", deadline=2.0)
    translated = translate(deadline, what="s3:objects", bucket="b")
    assert (translated.code, translated.message) == ("RequestDeadline", str(deadline))
