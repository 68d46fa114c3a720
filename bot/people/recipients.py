"""Who to add to a segment: emails and customer ids read from a Slack message or an attached CSV."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Literal

MAX_BYTES = 1_000_000
EMAIL_MAX = 254
IGNORED_KEEP = 1000
IGNORED_VALUE_MAX = 200  # a stray 500 kB cell must not ride along into a Slack message

_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})"
)
_CUSTOMER_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
_ID_PREFIX = "customer_id:"
_ID_GAP = re.compile(r"(?i)\b(customer_id)[ \t]*:[ \t]*")  # "customer_id: abc" is one token
_SEPARATORS = re.compile(r"[\s,;]+")
_ENTITY = re.compile(r"<([^<>]*)>")
_ESCAPES = re.compile(r"&(amp|lt|gt);")
_UNESCAPED = {"amp": "&", "lt": "<", "gt": ">"}
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_LEAD, _TRAIL = "([{<\"'", ")]}>\"'.,:;!?"
_EMAIL_HEADERS = {"email", "e-mail", "email address", "e-mail address"}
_ID_HEADERS = {"customer id", "customerid", "id"}
_SPREADSHEET_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx (zip) and legacy .xls

Kind = Literal["email", "customer_id", "invalid"]
Found = tuple[Kind, str]
Reason = Literal["too_large", "spreadsheet", "not_csv"]


class RecipientsError(ValueError):
    """The attachment cannot be read as a list of people; `reason` lets the UI pick its words."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason


@dataclass(frozen=True)
class Recipients:
    """Valid emails and customer ids in first-seen order, plus what looked like one but was not."""

    emails: tuple[str, ...] = ()
    customer_ids: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
    ignored_count: int = 0  # every distinct ignored value; `ignored` keeps the first 1000

    def __post_init__(self) -> None:
        if self.ignored_count < len(self.ignored):
            object.__setattr__(self, "ignored_count", len(self.ignored))

    @property
    def count(self) -> int:
        """How many people would be added."""
        return len(self.emails) + len(self.customer_ids)

    def identifiers(self) -> list[dict[str, str]]:
        """The `customers` items of Bunce's add-customers body: one identifier key each."""
        return [{"email": e} for e in self.emails] + [{"customer_id": c} for c in self.customer_ids]


def normalise_email(value: str) -> str | None:
    """The address with its domain lower-cased, or None when it is not a practical email."""
    local, at, domain = value.rpartition("@")
    if not at or len(value) > EMAIL_MAX or len(local) > 64:
        return None
    if not _LOCAL.fullmatch(local) or not _DOMAIN.fullmatch(domain):
        return None
    return f"{local}@{domain.lower()}"


def parse_message_text(text: str | None) -> Recipients:
    """Recipients in a message as Slack delivers it: `<mailto:…|…>`, plain emails, customer_id:…."""
    collector = _Collector()
    if not isinstance(text, str):
        return collector.result()
    position = 0
    for entity in _ENTITY.finditer(text):
        collector.add_all(_scan(_unescape(text[position : entity.start()])))
        collector.add_all(_scan_entity(entity.group(1)))
        position = entity.end()
    collector.add_all(_scan(_unescape(text[position:])))
    return collector.result()


def parse_csv(data: bytes, *, max_bytes: int = MAX_BYTES) -> Recipients:
    """Recipients in a CSV: the email / customer id columns its header names, else every cell."""
    text = _decode(data, max_bytes)
    collector = _Collector()
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff(text))
        rows = (row for row in reader if any(cell.strip() for cell in row))
        first = next(rows, None)
        columns = _named_columns(first or [])
        # An unrecognised first row with nothing email-like in it is a header, not a person.
        if first is not None and not columns and _findings(first, columns):
            _add_row(collector, first, columns)
        for row in rows:
            _add_row(collector, row, columns)
    except csv.Error as exc:
        raise RecipientsError("not_csv", _NOT_CSV) from exc
    return collector.result()


def merge(*parts: Recipients) -> Recipients:
    """One list from several (message and files), deduplicated across them in order."""
    collector = _Collector()
    overflow = 0  # ignored values a part counted but did not keep cannot be deduplicated
    for part in parts:
        collector.add_all(("email", e) for e in part.emails)
        collector.add_all(("customer_id", c) for c in part.customer_ids)
        collector.add_all(("invalid", v) for v in part.ignored)
        overflow += part.ignored_count - len(part.ignored)
    merged = collector.result()
    return Recipients(
        merged.emails, merged.customer_ids, merged.ignored, merged.ignored_count + overflow
    )


class _Collector:
    """Accumulates findings in first-seen order; emails dedupe case-insensitively."""

    def __init__(self) -> None:
        self.emails: dict[str, str] = {}
        self.customer_ids: dict[str, None] = {}
        self.ignored: dict[str, None] = {}

    def add_all(self, found: Iterable[Found]) -> None:
        for kind, value in found:
            if kind == "email":
                self.emails.setdefault(value.lower(), value)
            elif kind == "customer_id":
                self.customer_ids.setdefault(value)
            elif clipped := _clip(value):
                self.ignored.setdefault(clipped)

    def result(self) -> Recipients:
        ignored = tuple(islice(self.ignored, IGNORED_KEEP))
        emails, ids = tuple(self.emails.values()), tuple(self.customer_ids)
        return Recipients(emails, ids, ignored, len(self.ignored))


def _clip(value: str) -> str:
    value = " ".join(value.split())
    return value if len(value) <= IGNORED_VALUE_MAX else value[: IGNORED_VALUE_MAX - 1] + "…"


def _unescape(text: str) -> str:
    """Undo Slack's three escapes (&amp; &lt; &gt;) in one pass, so `&amp;lt;` stays `&lt;`."""
    return _ESCAPES.sub(lambda m: _UNESCAPED[m.group(1)], text)


def _scan(text: str) -> Iterator[Found]:
    """Emails and customer_id: tokens in free text, and tokens that tried to be one."""
    if ":" in text:
        text = _ID_GAP.sub(r"\1:", text)
    for raw in _SEPARATORS.split(text):
        found = _classify(raw.lstrip(_LEAD).rstrip(_TRAIL))
        if found is not None:
            yield found


def _classify(token: str) -> Found | None:
    if token[: len(_ID_PREFIX)].lower() == _ID_PREFIX:
        value = token[len(_ID_PREFIX) :]
        return ("customer_id", value) if _CUSTOMER_ID.fullmatch(value) else ("invalid", token)
    if token[:7].lower() == "mailto:":
        token = token[len("mailto:") :]
    if "@" not in token or token.startswith("@"):
        return None  # no text, or a name such as @channel: not an attempt at an address
    email = normalise_email(token)
    return ("email", email) if email else ("invalid", token)


def _scan_entity(inner: str) -> Iterator[Found]:
    """`<mailto:a@b|label>` is an email; mentions, channels, `<!here>` and links are not people."""
    target = inner.split("|", 1)[0]
    if target[:1] in ("@", "#", "!"):
        return iter(())
    if target.lower().startswith("mailto:"):
        return _scan(_unescape(target.split("?", 1)[0]))
    if _SCHEME.match(target):
        return iter(())
    return _scan(_unescape(target))


_NOT_CSV = "That file doesn't look like a CSV file. Attach a .csv with one email or id per row."


def _decode(data: bytes, max_bytes: int) -> str:
    """Text of the file: UTF-16 with a BOM, else UTF-8 (BOM optional), else Latin-1."""
    if len(data) > max_bytes:
        raise RecipientsError(
            "too_large", f"The file is larger than {_size(max_bytes)}. Attach a smaller CSV file."
        )
    if data.startswith(_SPREADSHEET_MAGIC):
        message = "That file doesn't look like a CSV file: it is a spreadsheet. Export it as CSV."
        raise RecipientsError("spreadsheet", message)
    try:
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = data.decode("utf-16")  # Excel's "Unicode Text" export
        else:
            text = _utf8_or_latin1(data)
    except UnicodeDecodeError as exc:
        raise RecipientsError("not_csv", _NOT_CSV) from exc
    if "\x00" in text:
        raise RecipientsError("not_csv", _NOT_CSV)
    return text


def _utf8_or_latin1(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # every byte is a Latin-1 character: never fails


def _size(limit: int) -> str:
    if limit >= 1_000_000:
        return f"{limit / 1_000_000:g} MB"
    return f"{limit / 1000:g} kB" if limit >= 1000 else f"{limit} bytes"


def _sniff(text: str) -> str:
    """The delimiter that splits the first rows most evenly; tab, then `;`, win ties over `,`."""

    def score(delimiter: str) -> tuple[int, int]:
        reader = csv.reader(io.StringIO(text[:65_536], newline=""), delimiter=delimiter)
        widths = [len(row) for row in islice(reader, 20) if any(c.strip() for c in row)]
        if not widths or widths[0] < 2:
            return (0, 0)
        return (widths.count(widths[0]), widths[0])

    return max(("\t", ";", ","), key=score)


def _named_columns(header: list[str]) -> dict[int, Kind]:
    """Column index → what it holds, for header cells that name an email or customer id column."""
    columns: dict[int, Kind] = {}
    for index, cell in enumerate(header):
        name = " ".join(cell.replace("_", " ").lower().split())
        if name in _EMAIL_HEADERS:
            columns[index] = "email"
        elif name in _ID_HEADERS:
            columns[index] = "customer_id"
    return columns


def _findings(row: list[str], columns: dict[int, Kind]) -> list[Found]:
    if not columns:
        return [found for cell in row for found in _scan(cell)]
    out: list[Found] = []
    for index, kind in columns.items():
        cell = row[index].strip() if index < len(row) else ""
        if cell and kind == "email":
            out.extend(_scan(cell))
        elif cell:
            out.append(("customer_id", cell) if _CUSTOMER_ID.fullmatch(cell) else ("invalid", cell))
    return out


def _add_row(collector: _Collector, row: list[str], columns: dict[int, Kind]) -> None:
    """A row adds what it holds, else its first non-empty cell (named columns first) as ignored."""
    found = _findings(row, columns)
    if not found:
        named = [row[i] for i in columns if i < len(row)]
        found = [("invalid", next(c for c in [*named, *row] if c.strip()))]
    collector.add_all(found)
