"""The accounts of an AWS Organization, as ListAccounts gives them (from the management account or a
delegated administrator), checked as read: ids of 12 digits, names bounded, pages bounded."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .aws import Aws
from .errors import AwsError

ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
MAX_NAME = 256  # Organizations allows 50 characters; the history keeps at most 256 (codec.MAX_ACCOUNT_TEXT)
MAX_PAGES = 2000  # 20 accounts a page by default: 40,000 accounts, far past Organizations' own quotas
ACTIVE = "ACTIVE"


@dataclass(frozen=True)
class OrgAccount:
    """One member as listed: id, name, and its state (ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED...)."""

    id: str
    name: str
    state: str

    @property
    def active(self) -> bool:
        return self.state == ACTIVE


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _entry(raw: Any) -> OrgAccount | None:
    """One ListAccounts entry, or None when it has no account id (a broken answer names no account)."""
    if not isinstance(raw, Mapping):
        return None
    account_id = raw.get("Id")
    if not isinstance(account_id, str) or not ACCOUNT_ID.match(account_id):
        return None
    # ``State`` (2025) supersedes ``Status``; an endpoint may send either.
    state = _text(raw.get("State") or raw.get("Status"), 32).upper() or "UNKNOWN"
    return OrgAccount(account_id, _text(raw.get("Name"), MAX_NAME), state)


def list_accounts(aws: Aws) -> list[OrgAccount]:
    """Every account of the organisation, following NextToken (bounded; a token that repeats is an error).

    Raises the AWS error translated (AccessDenied, AWSOrganizationsNotInUseException, ...)."""
    org = aws.client("organizations")
    found: dict[str, OrgAccount] = {}
    token: str | None = None
    seen_tokens: set[str] = set()
    for _ in range(MAX_PAGES):
        kwargs: dict[str, Any] = {"NextToken": token} if token else {}
        page = aws.call("organizations:ListAccounts", org.list_accounts, **kwargs)
        entries = page.get("Accounts") if isinstance(page, Mapping) else None
        for raw in entries if isinstance(entries, list) else []:
            entry = _entry(raw)
            if entry is not None and entry.id not in found:
                found[entry.id] = entry
        token = page.get("NextToken") if isinstance(page, Mapping) else None
        if not token:
            return list(found.values())
        if not isinstance(token, str) or token in seen_tokens:
            raise AwsError("organizations:ListAccounts repeated a NextToken.", code="BadPagination")
        seen_tokens.add(token)
    raise AwsError(f"organizations:ListAccounts gave more than {MAX_PAGES} pages.", code="TooManyPages")
