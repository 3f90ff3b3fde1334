"""The JSON answers' shapes, for the OpenAPI document (the answers themselves come from the renderers).

The report keeps 0.1's open shape (a ``Bytes-<CLASS>`` key per storage class, breakdowns, hidden costs), so
each object allows keys beyond those named here. Money is USD as an exact decimal string with six places
(``"12.094418"``); ``null`` where part of the usage has no price (never 0).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Money = Annotated[
    str, Field(pattern=r"^[0-9]+\.[0-9]{6}$", description="USD, exact, six decimal places", examples=["12.094418"])
]
SignedMoney = Annotated[str, Field(pattern=r"^-?[0-9]+\.[0-9]{6}$", description="USD change, exact")]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class PriceSourceJson(BaseModel):
    """Where the prices of a cost came from and the day they describe."""

    Source: str
    Date: str = Field(description="YYYY-MM-DD")
    Kind: str = Field(description="file (--prices), pricelist (s3sa prices update) or shipped")


class UnpricedJson(BaseModel):
    """Usage no price covers: the bucket's cost is then unknown."""

    Region: str
    StorageClass: str
    Item: str = Field(description="the price item missing, e.g. storage/GLACIER")
    Reason: str


class CostJson(BaseModel):
    """The report's monthly cost (present when the service has prices)."""

    Currency: Literal["USD"]
    PerMonth: Money | None = Field(description="the buckets' total; null when some usage has no price")
    PricedPerMonth: Money = Field(description="what the priced usage costs")
    ByClass: dict[str, Money] = Field(description="per storage class code")
    Prices: list[PriceSourceJson]
    Discount: str = Field(description='fraction off every price, as an exact decimal ("0.1" is 10%), "0" for none')
    Notes: list[str] = Field(description="what the figures rely on (e.g. Intelligent-Tiering at its top rate)")


class BucketJson(_Open):
    """One bucket (0.1's keys, one ``Bytes-<CLASS>`` per class, and more detail), with its cost when priced."""

    Bucket: str
    Account: str | None = Field(None, description="the owning AWS account id (a scan of several accounts only)")
    AccountName: str | None = Field(None, description='its name in the organisation, "" when unknown')
    Region: str
    Files: int
    Bytes: int
    CreationDate: str
    DataDate: str | None
    CostPerMonth: Money | None = Field(None, description="null when some of its usage has no price")
    CostByClass: dict[str, Money] | None = Field(None, description="per storage class code")
    CostByPart: dict[str, Money] | None = Field(
        None,
        description="per part of the bill: stored, minimum-size, archive-overhead, monitoring, noncurrent, uploads",
    )
    Unpriced: list[UnpricedJson] | None = Field(None, description="present when some usage has no price")


class FailureJson(BaseModel):
    """A bucket not measured, or (``Bucket`` "", ``Account`` set) a whole account not covered."""

    Bucket: str
    Account: str | None = Field(None, description="a scan of several accounts only")
    AccountName: str | None = None
    Region: str | None
    Stage: str
    Error: str
    Message: str


class WarningJson(BaseModel):
    Bucket: str
    Message: str


class AccountJson(BaseModel):
    """One account of a scan of several accounts, with the exact sums of its buckets in the report."""

    Id: str
    Name: str = Field(description='"" when unknown')
    Covered: bool = Field(description='false: the account\'s failure (Bucket "") says why')
    Buckets: int | None = Field(description="null for an account not covered (unknown, never 0)")
    Files: int | None
    Bytes: int | None
    CostPerMonth: Money | None = Field(None, description="when priced; null when unknown")
    PricedPerMonth: Money | None = None


class ReportJson(_Open):
    """A report (``fmt=json`` or ``json_pretty``); ``Cost`` when the service has prices; the ``Accounts``
    keys in a scan of several accounts only."""

    Buckets: list[BucketJson]
    Failures: list[FailureJson]
    Warnings: list[WarningJson]
    Strategy: str
    GeneratedAt: str
    Cost: CostJson | None = None
    Accounts: list[AccountJson] | None = None
    AccountsCovered: int | None = None
    AccountsFound: int | None = None


class SnapshotLineJson(BaseModel):
    """One stored snapshot in the history, with its monthly cost when the service has prices."""

    Id: int
    TakenAt: str
    Strategy: str
    Buckets: int
    Files: int
    Bytes: int
    Failures: int
    CostPerMonth: Money | None = Field(None, description="null when some usage has no price")
    PricedPerMonth: Money | None = None
    Prices: list[PriceSourceJson] | None = None


class HistoryJson(BaseModel):
    Snapshots: list[SnapshotLineJson]


class DiffSideJson(BaseModel):
    Id: int
    TakenAt: str
    Strategy: str
    Bytes: int
    CostPerMonth: Money | None = None
    PricedPerMonth: Money | None = None


class ChangeJson(BaseModel):
    """One bucket (``StorageClass`` "ALL") or one of its classes, before and after."""

    Bucket: str
    Account: str | None = Field(None, description="when either snapshot is of several accounts")
    StorageClass: str
    BytesBefore: int
    BytesAfter: int
    BytesChange: int
    FilesBefore: int | None
    FilesAfter: int | None
    CostBefore: Money | None = Field(None, description="monthly cost; null when unknown, 0 when the bucket is absent")
    CostAfter: Money | None = None
    CostChange: SignedMoney | None = None


class DiffJson(BaseModel):
    """Both snapshots priced with the same prices (``Prices``), so a cost change is a change of usage."""

    Before: DiffSideJson
    After: DiffSideJson
    Changes: list[ChangeJson]
    Currency: Literal["USD"] | None = None
    Prices: list[PriceSourceJson] | None = None


def json_content(model: type[BaseModel], media_types: list[str], description: str) -> dict[int | str, dict[str, Any]]:
    """A 200 answer in several media types, the JSON one described by ``model``."""
    return {200: {"model": model, "description": description, "content": {media: {} for media in media_types}}}
