"""CSV and JSON export of a guild's feedback, for `/feedback export` and `bot.py export`."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from services import files
from services.errors import InvalidInput
from services.worker_process import Worker
from storage.database import Database
from storage.feedback.items import FeedbackItem, FeedbackRepository, Reporter
from storage.timeutil import to_db

FORMATS = ("csv", "json")
COLUMNS = (
    "id",
    "status",
    "summary",
    "details",
    "product_area",
    "tags",
    "tag_scores",
    "votes",
    "reporter_id",
    "reporter_name",
    "reporters",
    "captured_by_id",
    "source",
    "source_url",
    "channel_id",
    "message_id",
    "attachments",
    "language",
    "sdk",
    "versions",
    "error_codes",
    "link_url",
    "duplicate_of",
    "forum_thread_id",
    "created_at",
    "updated_at",
)
# Past this size the file is sent zipped (services/files.py); a module name of its own so a
# test can lower it for feedback alone.
ZIP_OVER = files.ZIP_OVER
# Spreadsheets run cells starting with these as formulas; feedback text is user-written.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def item_record(item: FeedbackItem, reporters: list[Reporter]) -> dict[str, Any]:
    fields = item.fields
    return {
        "id": item.id,
        "status": item.status,
        "summary": item.summary,
        "details": item.details,
        "product_area": item.product_area,
        "tags": item.tag_names,
        "tag_scores": {t: s for t, s, _ in item.tags},
        "tag_sources": {t: src for t, _, src in item.tags},
        "votes": item.votes,
        "reporter_id": item.reporter_id,
        "reporter_name": item.reporter_name,
        "reporters": [{"id": r.user_id, "name": r.display_name} for r in reporters],
        "captured_by_id": item.captured_by_id,
        "source": item.source,
        "source_url": item.source_url,
        "channel_id": item.channel_id,
        "message_id": item.message_id,
        "attachments": list(item.attachments),
        "language": fields.get("language"),
        "sdk": fields.get("sdk"),
        "versions": list(fields.get("versions") or []),
        "error_codes": list(fields.get("error_codes") or []),
        "link_url": item.link_url,
        "duplicate_of": item.duplicate_of,
        "forum_thread_id": item.forum_thread_id,
        "created_at": to_db(item.created_at),
        "updated_at": to_db(item.updated_at),
    }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            text = "; ".join(f"{v['name']} ({v['id']})" for v in value)
        else:
            text = "; ".join(str(v) for v in value)
    elif isinstance(value, dict):
        text = "; ".join(f"{k}={v}" for k, v in value.items())
    else:
        text = str(value)
    if text.startswith(_FORMULA_START):
        text = "'" + text
    return text


def render(records: list[dict[str, Any]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(records, ensure_ascii=False, indent=2)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for rec in records:
        writer.writerow([_cell(rec[c]) for c in COLUMNS])
    return out.getvalue()


async def export_records(
    repo: FeedbackRepository, guild_id: int, since: datetime | None = None
) -> list[dict[str, Any]]:
    items = await repo.export_rows(guild_id, since)
    reporters = await repo.reporters_by_item(guild_id, since)
    return [item_record(i, reporters.get(i.id, [])) for i in items]


async def export_items(
    repo: FeedbackRepository, guild_id: int, fmt: str, since: datetime | None = None
) -> tuple[int, str]:
    """How many feedback items a guild has (created at or after ``since``), and all of them as
    CSV or JSON text: /feedback export and ``python bot.py export`` alike."""
    fmt = _checked(fmt, since)
    records = await export_records(repo, guild_id, since)
    return len(records), render(records, fmt)


@dataclass(frozen=True)
class ExportFile:
    """An export ready to upload: ``data`` is the file, zipped when ``zipped``."""

    count: int
    filename: str
    data: bytes
    size: int  # bytes before zipping
    zipped: bool


def package(
    records: list[dict[str, Any]], fmt: str, stem: str, zip_over: int | None = None
) -> ExportFile:
    """The records as one file, zipped when large. CPU-bound: run it off the event loop."""
    raw = render(records, fmt).encode("utf-8")
    over = ZIP_OVER if zip_over is None else zip_over
    upload = files.zipped_if_large(raw, f"{stem}.{fmt}", over=over)
    return ExportFile(len(records), upload.filename, upload.data, upload.size, upload.zipped)


async def export_file(
    repo: FeedbackRepository,
    guild_id: int,
    fmt: str,
    since: datetime | None,
    stem: str,
    worker: Worker | None = None,
) -> ExportFile:
    """/feedback export's file. With a ``worker`` (the bot wires a process of its own) the
    rows are read and the file built in that process: 100k items are a few hundred thousand
    Python objects, and building them anywhere in the bot's process, even in a thread, stalled
    its event loop for up to a second (the garbage collector and the GIL are shared). Without
    one, or on an in-memory database another process can't open, it is built here."""
    fmt = _checked(fmt, since)
    path = repo.database_path
    if worker is not None and path != ":memory:":
        # The threshold goes along: the worker's own module has its default, not this one's.
        return await worker.run(build_from_database, path, guild_id, fmt, since, stem, ZIP_OVER)
    records = await export_records(repo, guild_id, since)
    return await asyncio.to_thread(package, records, fmt, stem)


def build_from_database(
    path: str, guild_id: int, fmt: str, since: datetime | None, stem: str, zip_over: int
) -> ExportFile:
    """export_file's work in the worker process: its own connection (SQLite's WAL lets it read
    while the bot writes), the rows, and the file."""

    async def read_and_build() -> ExportFile:
        db = Database(path)
        await db.open()
        try:
            repo = FeedbackRepository(db)
            records = await export_records(repo, guild_id, since)
        finally:
            await db.close()
        return package(records, fmt, stem, zip_over)

    return asyncio.run(read_and_build())


def _checked(fmt: str, since: datetime | None) -> str:
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise InvalidInput(f"Export format must be csv or json, not `{fmt[:10]}`.")
    if since is not None and since.tzinfo is None:
        raise ValueError("since must be an aware datetime")
    return fmt


async def export_guild(db: Database, guild_id: int, fmt: str, since: datetime | None = None) -> str:
    """Every feedback item of a guild (created at or after ``since``) as CSV or JSON text."""
    return (await export_items(FeedbackRepository(db), guild_id, fmt, since))[1]


def parse_since(raw: str | None, now: datetime) -> datetime | None:
    if raw is None or not raw.strip():
        return None
    text = raw.strip().lower()
    if text.endswith("d") and text[:-1].isdigit():
        try:
            return now - timedelta(days=int(text[:-1]))
        except OverflowError:
            # Before year 1 (datetime's range) is no date at all.
            raise InvalidInput(
                f"`{raw[:30]}` is too far back. Use a number of days such as `30d`, or "
                "leave `since` empty to export everything."
            ) from None
    try:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError as exc:
        raise InvalidInput(
            f"`{raw[:30]}` isn't a date. Use YYYY-MM-DD (e.g. 2026-01-31) or a number of "
            "days such as `30d`."
        ) from exc
    return day
