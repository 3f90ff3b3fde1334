"""What the browser writes: a row's columns, the header's totals, the detail pane's class split and ages.

Every name, storage class and time comes from a listing or a stored snapshot: it is made printable
(``safetext.printable``) and put into ``rich.text.Text`` objects or plain segments, never into markup.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rich.cells import cell_len, set_cell_size
from rich.text import Text

from ..safetext import printable
from ..storage_classes import sort_classes
from ..tree.model import FolderTotals, FolderTree
from ..units import humanise, plural
from .view import PARENT_LABEL, Browser, Entry, Kind, SortKey

BAR_WIDTH = 10
SIZE_WIDTH = 9
SHARE_WIDTH = 6
OBJECTS_WIDTH = 11
# size, share, bar, objects, flag: the name has the rest of the line.
FIXED_WIDTH = SIZE_WIDTH + 1 + SHARE_WIDTH + 1 + (BAR_WIDTH + 2) + 1 + OBJECTS_WIDTH + 1 + 2
FOLDED_FLAG = "*"


def share(part: int, whole: int) -> float:
    return part / whole if whole > 0 else 0.0


def bar(fraction: float) -> str:
    """``[#####     ]``: ASCII, so it reads the same over any SSH session and in any font."""
    filled = min(BAR_WIDTH, max(0, round(fraction * BAR_WIDTH)))
    return "[" + "#" * filled + " " * (BAR_WIDTH - filled) + "]"


def fit(text: str, width: int) -> str:
    """``text`` cut or padded to exactly ``width`` terminal cells (wide characters count double); cut ends in ``~``."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "~"


def entry_name(entry: Entry) -> str:
    """The name as shown: printable, folders ending in their delimiter, the own files and ".." as labels."""
    return printable(entry.name)


def row_columns(entry: Entry, whole_bytes: int, width: int) -> tuple[str, str, str, str, str, str]:
    """(size, share, bar, objects, flag, name) of one row, each padded to its column; the name fills the rest."""
    name = fit(entry_name(entry), max(1, width - FIXED_WIDTH))
    if entry.kind is Kind.PARENT:
        blank = " "
        return (
            blank * SIZE_WIDTH,
            blank * SHARE_WIDTH,
            blank * (BAR_WIDTH + 2),
            blank * OBJECTS_WIDTH,
            "  ",
            name,
        )
    part = share(entry.bytes, whole_bytes)
    folded = entry.kind is Kind.FOLDER and entry.folder.folded
    return (
        humanise(entry.bytes).rjust(SIZE_WIDTH),
        f"{part * 100:5.1f}%",
        bar(part),
        f"{entry.objects:,}".rjust(OBJECTS_WIDTH),
        (FOLDED_FLAG if folded else " ") + " ",
        name,
    )


def column_heading(browser: Browser, width: int) -> Text:
    """The columns' titles, the sorted one marked with its direction."""
    arrow = " v" if browser.descending else " ^"
    size = "Size" + (arrow if browser.sort_key is SortKey.SIZE else "")
    objects = "Objects" + (arrow if browser.sort_key is SortKey.OBJECTS else "")
    name = "Name" + (arrow if browser.sort_key is SortKey.NAME else "")
    share_title, bar_space = "Share".rjust(SHARE_WIDTH), " " * (BAR_WIDTH + 2)
    line = f"{size.rjust(SIZE_WIDTH)} {share_title} {bar_space} {objects.rjust(OBJECTS_WIDTH)}   {name}"
    return Text(fit(line, width), no_wrap=True)


def describe_totals(total: FolderTotals) -> str:
    """``1.2 GiB (1,288,490,188 B) in 12,345 objects``: humanised and exact, as rclone prints sizes."""
    return f"{humanise(total.total_bytes)} ({total.total_bytes:,} B) in {plural(total.total_objects, 'object')}"


def header_lines(browser: Browser) -> tuple[Text, Text]:
    """The location, then the current folder's totals (and the filter when one is set)."""
    location = Text("s3sa browse ", style="bold")
    location.append(printable(browser.location()))
    objects, size, folders = browser.sum_of(browser.current)
    summary = (
        f"Total {humanise(size)} ({size:,} B) in {plural(objects, 'object')}, {plural(folders - 1, 'folder')} below"
    )
    if browser.filter:
        summary += f"; filter: {printable(browser.filter)!r}"
    return location, Text(summary, no_wrap=True, overflow="ellipsis")


def folded_notice(tree: FolderTree) -> Text | None:
    """Says the tree is not complete: deep folders were folded into their parents to keep it bounded."""
    if tree.folded <= 0:
        return None
    limit = f" at {plural(tree.max_folders, 'folder')}" if tree.max_folders else ""
    return Text(
        f"Tree bounded{limit}: deeper folders folded into {plural(tree.folded, 'folder')}, marked {FOLDED_FLAG}.",
        style="bold",
    )


def parse_time(text: str | None) -> datetime | None:
    """A stored LastModified (ISO 8601 text) as an aware datetime; None when absent or not a time."""
    if not text:
        return None
    try:
        found = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def age(then: datetime, now: datetime) -> str:
    """``today``, ``3 days ago``, ``5 months ago``, ``2 years ago`` (seen from ``now``)."""
    days = (now - then).days
    if days < 1:
        return "today"
    if days < 60:
        return f"{plural(days, 'day')} ago"
    if days < 730:
        return f"{plural(days // 30, 'month')} ago"
    return f"{plural(days // 365, 'year')} ago"


def describe_time(label: str, text: str | None, now: datetime) -> str:
    found = parse_time(text)
    if found is None:
        return f"{label} {printable(text)}" if text else f"{label} -"
    return f"{label} {found.strftime('%Y-%m-%d')} ({age(found, now)})"


def class_split(total: FolderTotals) -> str:
    """Bytes per storage class with their share: ``STANDARD 1.0 GiB 83%, GLACIER 200 MiB 17%``."""
    whole = total.total_bytes
    codes = sort_classes(list(set(total.bytes) | set(total.objects)))
    parts = [
        f"{printable(code)} {humanise(total.bytes.get(code, 0))} {share(total.bytes.get(code, 0), whole) * 100:.0f}%"
        f" ({total.objects.get(code, 0):,})"
        for code in codes
    ]
    return ", ".join(parts) if parts else "no objects"


def detail_pending(browser: Browser, entry: Entry) -> Text:
    """The detail's first line before the split per class of a large subtree is summed (a moment later)."""
    objects, size, folders = browser.sum_of(entry.folder)
    text = Text()
    text.append(entry_name(entry), style="bold")
    text.append(
        f": {humanise(size)} ({size:,} B) in {plural(objects, 'object')}, {plural(folders - 1, 'folder')} below"
        "\nsumming per storage class..."
    )
    return text


def detail_lines(browser: Browser, entry: Entry | None, now: datetime) -> Text:
    """The selected entry: name and totals, its split per storage class, its newest and oldest object."""
    if entry is None:
        return Text("(nothing here)" if not browser.filter else "(no name matches the filter)")
    if entry.kind is Kind.PARENT:
        return Text(f"{PARENT_LABEL}: up one level (Left or Backspace does the same)")
    total = browser.entry_totals(entry)
    what = "own files of this folder" if entry.kind is Kind.FILES else f"{plural(total.folders - 1, 'folder')} below"
    text = Text()
    text.append(entry_name(entry), style="bold")
    text.append(f": {describe_totals(total)}, {what}")
    if entry.kind is Kind.FOLDER and entry.folder.folded:
        text.append(" (deeper folders folded in)")
    text.append("\n" + class_split(total))
    text.append(f"\n{describe_time('newest object', total.newest, now)}, {describe_time('oldest', total.oldest, now)}")
    return text
