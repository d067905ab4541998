"""Everything Hallway holds about one member: export it, forget it, and prune old activity.

Forgetting works in two layers. First, every column that holds a member id is handled
by name below (rows that are only the member's are deleted, shared records keep going
with the id replaced). Second, every text column of every guild-scoped table is scrubbed
of the id, discovered from the live schema, so a mention like ``<@id>`` that someone
typed into a question, feedback item or announcement goes too, even in tables added
after this module was written. ``tests/cogs/test_privacy.py`` scans the whole database
afterwards to prove it.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any

from storage.database import Database, marks
from storage.feedback.items import RECOUNT_VOTES
from storage.timeutil import from_db, to_db

DEFAULT_RETENTION_DAYS = 180
MIN_RETENTION_DAYS = 30
MAX_RETENTION_DAYS = 3650
# Kept where a record must outlive the member: a feedback item's reporter, a session's host.
FORGOTTEN_ID = 0
FORMER_MEMBER = "a former member"
# Text columns whose values are JSON documents: parsed in the export.
_JSON_COLUMNS = frozenset(
    {"attachments", "fields", "options", "added", "removed", "rendered", "interests"}
)
# Primary-key text columns derived from item text (the TF-IDF index and the Bayes counts):
# a term that is the member's id is deleted rather than rewritten, which could collide.
_DERIVED_TERMS = (
    ("feedback_terms", "term"),
    ("feedback_doc_freq", "term"),
    ("feedback_model_tokens", "token"),
)
PRUNE_RUNS_KEPT = 60
# Every column that holds a member's id, and what forgetting does to it. A test checks
# the live schema against this list, so a new feature's member column can't be missed.
USER_ID_COLUMNS: dict[tuple[str, str], str] = {
    ("oh_questions", "user_id"): "deleted",
    ("oh_questions", "host_id"): "set to NULL",
    ("oh_sessions", "host_id"): "set to 0",
    ("feedback_items", "reporter_id"): "set to 0, reporter_name to 'a former member'",
    ("feedback_items", "captured_by_id"): "set to 0",
    ("feedback_votes", "user_id"): "deleted (vote counts follow)",
    ("feedback_reporters", "user_id"): "deleted",
    ("feedback_history", "actor_id"): "set to 0",
    ("feedback_corrections", "actor_id"): "set to 0",
    ("announcements", "author_id"): "set to 0",
    ("announcement_drafts", "author_id"): "deleted",
    ("activity_member_day", "user_id"): "deleted",
    ("member_milestones", "user_id"): "deleted",
    ("feedback_told", "user_id"): "deleted",
    ("member_settings", "user_id"): "deleted",
    ("hallway_members", "user_id"): "deleted",
    ("hallway_never", "user_id"): "deleted",
    ("hallway_never", "other_user_id"): "deleted",
    ("hallway_group_members", "user_id"): "set to 0, answer cleared (partners see a former member)",
    ("hallway_sitouts", "user_id"): "deleted",
    ("hallway_pairs", "user_id"): "deleted (who was first grouped with whom)",
    ("hallway_pairs", "other_user_id"): "deleted (who was first grouped with whom)",
    ("surveys", "author_id"): "set to 0",
    ("survey_responses", "member_id"): "deleted, with the answers (attributed surveys)",
    # Anonymous surveys: an HMAC of the id under a per-survey secret, never the id itself;
    # the secret and the hash are destroyed when the survey closes.
    ("survey_responses", "member_hash"): "never holds the id; set to NULL at the close",
    ("survey_reminders", "member_id"): "deleted",
    # Help channels: ids and times of their posts (never text); others' replies hold no id.
    ("help_posts", "author_id"): "deleted",
    ("call_hosts", "user_id"): "deleted (no longer signed up to host)",
    ("call_occurrences", "host_id"): "set to NULL (the call has no host)",
    ("call_agenda", "author_id"): "set to 0",
    ("advocate_hours", "user_id"): "deleted",
    ("advocate_away", "user_id"): "deleted",
    ("advocate_notices", "user_id"): "deleted",
    ("advocate_deliveries", "user_id"): "deleted",
    ("oncall_members", "user_id"): "deleted",
    ("oncall_shifts", "user_id"): "set to 0, their handoff note cleared",
    ("oncall_overrides", "user_id"): "deleted",
    ("oncall_overrides", "author_id"): "set to 0",
}


@dataclass
class UserData:
    """One member's data in one guild, as plain values ready for JSON."""

    guild_id: int
    user_id: int
    office_hours_questions: list[dict[str, Any]] = field(default_factory=list)
    office_hours_hosted_sessions: list[dict[str, Any]] = field(default_factory=list)
    office_hours_questions_taken: list[dict[str, Any]] = field(default_factory=list)
    feedback_reported: list[dict[str, Any]] = field(default_factory=list)
    feedback_also_reported: list[dict[str, Any]] = field(default_factory=list)
    feedback_captured_for_others: list[dict[str, Any]] = field(default_factory=list)
    feedback_votes: list[dict[str, Any]] = field(default_factory=list)
    feedback_status_changes: list[dict[str, Any]] = field(default_factory=list)
    feedback_tag_corrections: list[dict[str, Any]] = field(default_factory=list)
    announcements_authored: list[dict[str, Any]] = field(default_factory=list)
    announcement_drafts: list[dict[str, Any]] = field(default_factory=list)
    activity_days: list[dict[str, Any]] = field(default_factory=list)
    activity_milestones: list[dict[str, Any]] = field(default_factory=list)
    feedback_told: list[dict[str, Any]] = field(default_factory=list)
    member_settings: list[dict[str, Any]] = field(default_factory=list)
    hallway_profile: list[dict[str, Any]] = field(default_factory=list)
    hallway_never_list: list[dict[str, Any]] = field(default_factory=list)
    hallway_groups: list[dict[str, Any]] = field(default_factory=list)
    hallway_sat_out: list[dict[str, Any]] = field(default_factory=list)
    survey_answers: list[dict[str, Any]] = field(default_factory=list)
    surveys_created: list[dict[str, Any]] = field(default_factory=list)
    survey_reminders: list[dict[str, Any]] = field(default_factory=list)
    help_channel_posts: list[dict[str, Any]] = field(default_factory=list)
    call_hosting: list[dict[str, Any]] = field(default_factory=list)
    calls_hosted: list[dict[str, Any]] = field(default_factory=list)
    call_agenda_items: list[dict[str, Any]] = field(default_factory=list)
    advocate_hours: list[dict[str, Any]] = field(default_factory=list)
    advocate_time_off: list[dict[str, Any]] = field(default_factory=list)
    advocate_held_notices: list[dict[str, Any]] = field(default_factory=list)
    advocate_deliveries: list[dict[str, Any]] = field(default_factory=list)
    oncall_rotation: list[dict[str, Any]] = field(default_factory=list)
    oncall_shifts: list[dict[str, Any]] = field(default_factory=list)
    oncall_covers: list[dict[str, Any]] = field(default_factory=list)

    def sections(self) -> dict[str, list[dict[str, Any]]]:
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name not in ("guild_id", "user_id")
        }

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.sections().items()}


@dataclass(frozen=True)
class ForgetResult:
    deleted: dict[str, int]
    anonymised: dict[str, int]
    text_scrubbed: int
    # Sessions whose live queue lost a question: their boards need a refresh.
    sessions_changed: list[int]

    @property
    def total(self) -> int:
        return sum(self.deleted.values()) + sum(self.anonymised.values()) + self.text_scrubbed


@dataclass(frozen=True)
class PruneRun:
    day: date
    ran_at: datetime
    rows_deleted: int


def _plain(row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in row.keys():  # noqa: SIM118 - sqlite3.Row is not a mapping
        value = row[key]
        if key in _JSON_COLUMNS and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        out[key] = value
    return out


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class PrivacyRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # ------------------------------------------------------------------ export

    async def _rows(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        return [_plain(r) for r in await self._db.fetchall(sql, params)]

    async def collect(self, guild_id: int, user_id: int) -> UserData:
        """Every row in this guild that holds the member's id, or that they wrote."""
        g, u = guild_id, user_id
        data = UserData(guild_id=g, user_id=u)
        data.office_hours_questions = await self._rows(
            "SELECT q.id, q.session_id, s.title AS session_title, "
            "s.starts_at AS session_starts_at, q.question, q.asked_at, q.taken_at, "
            "q.finished_at, q.outcome, q.thread_id, "
            "q.skip_count, q.carried_from, q.feedback_id FROM oh_questions q "
            "JOIN oh_sessions s ON s.id = q.session_id "
            "WHERE q.guild_id = ? AND q.user_id = ? ORDER BY q.asked_at, q.id",
            (g, u),
        )
        data.office_hours_hosted_sessions = await self._rows(
            "SELECT id, title, description, starts_at, ends_at, zone, repeat_spec, status, "
            "started_at, ended_at, created_at FROM oh_sessions "
            "WHERE guild_id = ? AND host_id = ? ORDER BY starts_at, id",
            (g, u),
        )
        data.office_hours_questions_taken = await self._rows(
            "SELECT id, session_id, taken_at, finished_at, outcome FROM oh_questions "
            "WHERE guild_id = ? AND host_id = ? AND user_id != ? ORDER BY taken_at, id",
            (g, u, u),
        )
        item_columns = (
            "id, summary, details, product_area, status, source, reporter_name, channel_id, "
            "message_id, source_url, attachments, fields, link_url, duplicate_of, votes, "
            "created_at, updated_at"
        )
        data.feedback_reported = await self._rows(
            f"SELECT {item_columns} FROM feedback_items WHERE guild_id = ? AND reporter_id = ? "
            "ORDER BY id",
            (g, u),
        )
        data.feedback_also_reported = await self._rows(
            "SELECT r.item_id, i.summary, r.display_name FROM feedback_reporters r "
            "JOIN feedback_items i ON i.id = r.item_id "
            "WHERE r.guild_id = ? AND r.user_id = ? AND i.reporter_id != ? ORDER BY r.item_id",
            (g, u, u),
        )
        data.feedback_captured_for_others = await self._rows(
            "SELECT id, summary, source, created_at FROM feedback_items "
            "WHERE guild_id = ? AND captured_by_id = ? AND reporter_id != ? ORDER BY id",
            (g, u, u),
        )
        data.feedback_votes = await self._rows(
            "SELECT v.item_id, i.summary, v.created_at FROM feedback_votes v "
            "JOIN feedback_items i ON i.id = v.item_id "
            "WHERE v.guild_id = ? AND v.user_id = ? ORDER BY v.created_at, v.item_id",
            (g, u),
        )
        data.feedback_status_changes = await self._rows(
            "SELECT item_id, status, note, created_at FROM feedback_history "
            "WHERE guild_id = ? AND actor_id = ? ORDER BY id",
            (g, u),
        )
        data.feedback_tag_corrections = await self._rows(
            "SELECT item_id, added, removed, created_at FROM feedback_corrections "
            "WHERE guild_id = ? AND actor_id = ? ORDER BY id",
            (g, u),
        )
        data.announcements_authored = await self._rows(
            "SELECT id, channel_id, title, body, image_url, repeat_spec, zone, anchor, "
            "next_run_at, status, created_at, updated_at FROM announcements "
            "WHERE guild_id = ? AND author_id = ? ORDER BY id",
            (g, u),
        )
        data.announcement_drafts = await self._rows(
            "SELECT id, announcement_id, options, created_at FROM announcement_drafts "
            "WHERE guild_id = ? AND author_id = ? ORDER BY id",
            (g, u),
        )
        data.activity_days = await self._rows(
            "SELECT day, messages FROM activity_member_day WHERE guild_id = ? AND user_id = ? "
            "ORDER BY day",
            (g, u),
        )
        data.help_channel_posts = await self._rows(
            "SELECT channel_id, message_id, posted_at, answered_at, nudged_at, escalated_at "
            "FROM help_posts WHERE guild_id = ? AND author_id = ? ORDER BY posted_at",
            (g, u),
        )
        data.activity_milestones = await self._rows(
            "SELECT joined_at, first_message_at FROM member_milestones "
            "WHERE guild_id = ? AND user_id = ?",
            (g, u),
        )
        data.feedback_told = await self._rows(
            "SELECT item_id, told_at FROM feedback_told WHERE guild_id = ? AND user_id = ?",
            (g, u),
        )
        data.member_settings = await self._rows(
            "SELECT timezone, updated_at FROM member_settings WHERE guild_id = ? AND user_id = ?",
            (g, u),
        )
        data.hallway_profile = await self._rows(
            "SELECT interests, intro, free_hours, active, paused_until, server_joined_at, "
            "last_sat_out_round, joined_at, updated_at FROM hallway_members "
            "WHERE guild_id = ? AND user_id = ?",
            (g, u),
        )
        data.hallway_never_list = await self._rows(
            "SELECT other_user_id, created_at FROM hallway_never "
            "WHERE guild_id = ? AND user_id = ? ORDER BY created_at",
            (g, u),
        )
        data.hallway_groups = await self._rows(
            "SELECT r.number AS round, g.id AS group_id, g.status, g.thread_id, "
            "g.delivered_at, (SELECT group_concat(o.user_id) FROM hallway_group_members o "
            "WHERE o.group_id = g.id AND o.id != m.id) AS partners, m.answer, m.answered_at "
            "FROM hallway_group_members m JOIN hallway_groups g ON g.id = m.group_id "
            "JOIN hallway_rounds r ON r.id = g.round_id "
            "WHERE m.guild_id = ? AND m.user_id = ? ORDER BY r.number, g.id",
            (g, u),
        )
        data.hallway_sat_out = await self._rows(
            "SELECT r.number AS round, s.reason FROM hallway_sitouts s "
            "JOIN hallway_rounds r ON r.id = s.round_id "
            "WHERE s.guild_id = ? AND s.user_id = ? ORDER BY r.number",
            (g, u),
        )
        # Attributed surveys only: anonymous answers hold no member id to find.
        data.survey_answers = await self._rows(
            "SELECT r.survey_id, s.title AS survey_title, r.submitted, r.submitted_at, "
            "a.position, q.prompt, a.value FROM survey_responses r "
            "JOIN surveys s ON s.id = r.survey_id "
            "JOIN survey_answers a ON a.response_id = r.id "
            "LEFT JOIN survey_questions q ON q.survey_id = r.survey_id AND q.position = a.position "
            "WHERE r.guild_id = ? AND r.member_id = ? ORDER BY r.survey_id, a.position",
            (g, u),
        )
        data.surveys_created = await self._rows(
            "SELECT id, kind, title, status, anonymous, created_at FROM surveys "
            "WHERE guild_id = ? AND author_id = ? ORDER BY id",
            (g, u),
        )
        data.call_hosting = await self._rows(
            "SELECT h.series_id, s.title AS series_title, h.slot_id, l.name AS slot_name, "
            "h.signed_up_at FROM call_hosts h JOIN call_series s ON s.id = h.series_id "
            "LEFT JOIN call_slots l ON l.id = h.slot_id "
            "WHERE h.guild_id = ? AND h.user_id = ? ORDER BY h.signed_up_at",
            (g, u),
        )
        data.calls_hosted = await self._rows(
            "SELECT id, series_id, slot_name, starts_at FROM call_occurrences "
            "WHERE guild_id = ? AND host_id = ? ORDER BY starts_at",
            (g, u),
        )
        data.call_agenda_items = await self._rows(
            "SELECT id, series_id, text, added_at, covered_in FROM call_agenda "
            "WHERE guild_id = ? AND author_id = ? ORDER BY id",
            (g, u),
        )
        data.survey_reminders = await self._rows(
            "SELECT r.survey_id, s.title AS survey_title, r.sent_at FROM survey_reminders r "
            "JOIN surveys s ON s.id = r.survey_id WHERE r.guild_id = ? AND r.member_id = ? "
            "ORDER BY r.survey_id",
            (g, u),
        )
        data.advocate_hours = await self._rows(
            "SELECT days, start_minute, end_minute, zone, updated_at FROM advocate_hours "
            "WHERE guild_id = ? AND user_id = ?",
            (g, u),
        )
        data.advocate_time_off = await self._rows(
            "SELECT starts_at, ends_at, note, created_at FROM advocate_away "
            "WHERE guild_id = ? AND user_id = ? ORDER BY starts_at, id",
            (g, u),
        )
        data.advocate_held_notices = await self._rows(
            "SELECT kind, text, created_at, delivery_id FROM advocate_notices "
            "WHERE guild_id = ? AND user_id = ? ORDER BY id",
            (g, u),
        )
        data.advocate_deliveries = await self._rows(
            "SELECT id, text, claimed_at, sent_at, notices FROM advocate_deliveries "
            "WHERE guild_id = ? AND user_id = ? ORDER BY id",
            (g, u),
        )
        data.oncall_rotation = await self._rows(
            "SELECT joined_at FROM oncall_members WHERE guild_id = ? AND user_id = ?", (g, u)
        )
        data.oncall_shifts = await self._rows(
            "SELECT starts_at, ends_at, note FROM oncall_shifts "
            "WHERE guild_id = ? AND user_id = ? ORDER BY starts_at",
            (g, u),
        )
        data.oncall_covers = await self._rows(
            "SELECT starts_at, ends_at, created_at FROM oncall_overrides "
            "WHERE guild_id = ? AND user_id = ? ORDER BY starts_at",
            (g, u),
        )
        return data

    # ------------------------------------------------------------------ forget

    async def forget(self, guild_id: int, user_id: int) -> ForgetResult:
        """Delete the member's own rows and anonymise shared ones, in one transaction."""
        g, u = guild_id, user_id
        deleted: dict[str, int] = {}
        anonymised: dict[str, int] = {}
        ex = self._db.execute
        async with self._db.transaction():
            # -- office hours: their queue entries go; sessions they hosted stay.
            sessions = await self._db.fetchall(
                "SELECT DISTINCT q.session_id FROM oh_questions q "
                "JOIN oh_sessions s ON s.id = q.session_id WHERE q.guild_id = ? "
                "AND q.user_id = ? AND q.outcome IS NULL AND s.status IN ('scheduled', 'live') "
                "ORDER BY q.session_id",
                (g, u),
            )
            # A carried-over copy points at the original; unlink before deleting it.
            await ex(
                "UPDATE oh_questions SET carried_from = NULL WHERE guild_id = ? AND carried_from "
                "IN (SELECT id FROM oh_questions WHERE guild_id = ? AND user_id = ?)",
                (g, g, u),
            )
            deleted["office_hours_questions"] = await ex(
                "DELETE FROM oh_questions WHERE guild_id = ? AND user_id = ?", (g, u)
            )
            anonymised["office_hours_questions_taken"] = await ex(
                "UPDATE oh_questions SET host_id = NULL WHERE guild_id = ? AND host_id = ?", (g, u)
            )
            anonymised["office_hours_sessions_hosted"] = await ex(
                "UPDATE oh_sessions SET host_id = ? WHERE guild_id = ? AND host_id = ?",
                (FORGOTTEN_ID, g, u),
            )
            # -- feedback: items stay as "a former member"; votes go and counts follow.
            voted = [
                r[0]
                for r in await self._db.fetchall(
                    "SELECT item_id FROM feedback_votes WHERE guild_id = ? AND user_id = ?", (g, u)
                )
            ]
            deleted["feedback_votes"] = await ex(
                "DELETE FROM feedback_votes WHERE guild_id = ? AND user_id = ?", (g, u)
            )
            if voted:
                await ex(
                    f"{RECOUNT_VOTES} WHERE guild_id = ? AND id IN ({marks(voted)})", (g, *voted)
                )
            deleted["feedback_reporter_entries"] = await ex(
                "DELETE FROM feedback_reporters WHERE guild_id = ? AND user_id = ?", (g, u)
            )
            anonymised["feedback_reported"] = await ex(
                "UPDATE feedback_items SET reporter_id = ?, reporter_name = ? "
                "WHERE guild_id = ? AND reporter_id = ?",
                (FORGOTTEN_ID, FORMER_MEMBER, g, u),
            )
            anonymised["feedback_captured"] = await ex(
                "UPDATE feedback_items SET captured_by_id = ? WHERE guild_id = ? "
                "AND captured_by_id = ?",
                (FORGOTTEN_ID, g, u),
            )
            anonymised["feedback_status_changes"] = await ex(
                "UPDATE feedback_history SET actor_id = ? WHERE guild_id = ? AND actor_id = ?",
                (FORGOTTEN_ID, g, u),
            )
            anonymised["feedback_tag_corrections"] = await ex(
                "UPDATE feedback_corrections SET actor_id = ? WHERE guild_id = ? AND actor_id = ?",
                (FORGOTTEN_ID, g, u),
            )
            # -- announcements keep posting without an author; unsent drafts go.
            anonymised["announcements_authored"] = await ex(
                "UPDATE announcements SET author_id = ? WHERE guild_id = ? AND author_id = ?",
                (FORGOTTEN_ID, g, u),
            )
            deleted["announcement_drafts"] = await ex(
                "DELETE FROM announcement_drafts WHERE guild_id = ? AND author_id = ?", (g, u)
            )
            # -- activity: their per-day rows go (channel totals never held ids).
            deleted["activity_days"] = await ex(
                "DELETE FROM activity_member_day WHERE guild_id = ? AND user_id = ?", (g, u)
            )
            deleted["help_channel_posts"] = await ex(
                "DELETE FROM help_posts WHERE guild_id = ? AND author_id = ?", (g, u)
            )
            deleted["feedback_told"] = await ex(
                "DELETE FROM feedback_told WHERE guild_id = ? AND user_id = ?", (g, u)
            )
            deleted["activity_milestones"] = await ex(
                "DELETE FROM member_milestones WHERE guild_id = ? AND user_id = ?", (g, u)
            )
            # -- members' own settings and the hallway track: their answers, lists and
            # sit-outs go; the groups stay for their partners, with the id set to 0 and
            # the reasons (shared interests, common hours) that described them cleared.
            deleted["member_settings"] = await ex(
                "DELETE FROM member_settings WHERE guild_id = ? AND user_id = ?", (g, u)
            )
            deleted["hallway_profile"] = await ex(
                "DELETE FROM hallway_members WHERE guild_id = ? AND user_id = ?", (g, u)
            )
            deleted["hallway_never_list"] = await ex(
                "DELETE FROM hallway_never WHERE guild_id = ? AND (user_id = ? "
                "OR other_user_id = ?)",
                (g, u, u),
            )
            deleted["hallway_sat_out"] = await ex(
                "DELETE FROM hallway_sitouts WHERE guild_id = ? AND user_id = ?", (g, u)
            )
            # Derived from the groups (which stay, with the id set to 0 below); a former
            # member makes no pair there either.
            await ex(
                "DELETE FROM hallway_pairs WHERE guild_id = ? AND (user_id = ? "
                "OR other_user_id = ?)",
                (g, u, u),
            )
            await ex(
                "UPDATE hallway_groups SET reasons = '[]', suggested = '[]' WHERE guild_id = ? "
                "AND id IN (SELECT group_id FROM hallway_group_members WHERE guild_id = ? "
                "AND user_id = ?)",
                (g, g, u),
            )
            anonymised["hallway_groups"] = await ex(
                "UPDATE hallway_group_members SET user_id = ?, answer = NULL, answered_at = NULL "
                "WHERE guild_id = ? AND user_id = ?",
                (FORGOTTEN_ID, g, u),
            )
            # -- surveys: attributed responses go with their answers (ON DELETE CASCADE).
            deleted["survey_answers"] = await ex(
                "DELETE FROM survey_answers WHERE guild_id = ? AND response_id IN "
                "(SELECT id FROM survey_responses WHERE guild_id = ? AND member_id = ?)",
                (g, g, u),
            )
            deleted["survey_responses"] = await ex(
                "DELETE FROM survey_responses WHERE guild_id = ? AND member_id = ?", (g, u)
            )
            deleted["survey_reminders"] = await ex(
                "DELETE FROM survey_reminders WHERE guild_id = ? AND member_id = ?", (g, u)
            )
            deleted["call_hosts"] = await ex(
                "DELETE FROM call_hosts WHERE guild_id = ? AND user_id = ?", (g, u)
            )
            anonymised["calls_hosted"] = await ex(
                "UPDATE call_occurrences SET host_id = NULL WHERE guild_id = ? AND host_id = ?",
                (g, u),
            )
            anonymised["call_agenda_items"] = await ex(
                "UPDATE call_agenda SET author_id = ? WHERE guild_id = ? AND author_id = ?",
                (FORGOTTEN_ID, g, u),
            )
            anonymised["surveys_created"] = await ex(
                "UPDATE surveys SET author_id = ? WHERE guild_id = ? AND author_id = ?",
                (FORGOTTEN_ID, g, u),
            )
            # -- advocates' boundaries: hours, time off and held notices are theirs alone.
            deleted["advocate_notices"] = await ex(
                "DELETE FROM advocate_notices WHERE guild_id = ? AND user_id = ?", (g, u)
            )
            deleted["advocate_deliveries"] = await ex(
                "DELETE FROM advocate_deliveries WHERE guild_id = ? AND user_id = ?", (g, u)
            )
            deleted["advocate_hours"] = await ex(
                "DELETE FROM advocate_hours WHERE guild_id = ? AND user_id = ?", (g, u)
            )
            deleted["advocate_time_off"] = await ex(
                "DELETE FROM advocate_away WHERE guild_id = ? AND user_id = ?", (g, u)
            )
            # -- on-call: the shifts stay (the rotation's fairness counts them) as id 0.
            deleted["oncall_rotation"] = await ex(
                "DELETE FROM oncall_members WHERE guild_id = ? AND user_id = ?", (g, u)
            )
            anonymised["oncall_shifts"] = await ex(
                "UPDATE oncall_shifts SET user_id = ?, note = NULL WHERE guild_id = ? "
                "AND user_id = ?",
                (FORGOTTEN_ID, g, u),
            )
            deleted["oncall_covers"] = await ex(
                "DELETE FROM oncall_overrides WHERE guild_id = ? AND user_id = ?", (g, u)
            )
            anonymised["oncall_covers_made"] = await ex(
                "UPDATE oncall_overrides SET author_id = ? WHERE guild_id = ? AND author_id = ?",
                (FORGOTTEN_ID, g, u),
            )
            deleted["index_terms"] = await self._forget_terms(g, u)
            scrubbed = await self._scrub_text(g, u)
        return ForgetResult(
            deleted=deleted,
            anonymised=anonymised,
            text_scrubbed=scrubbed,
            sessions_changed=[r[0] for r in sessions],
        )

    async def _forget_terms(self, guild_id: int, user_id: int) -> int:
        """Index terms and Bayes tokens made of the id (someone typed a mention)."""
        pattern = f"%{user_id}%"
        total = 0
        existing = await self._tables()
        for table, column in _DERIVED_TERMS:
            if table not in existing:
                continue
            # Every feedback_terms row with such a term goes, so its document frequency
            # drops to nothing and the feedback_doc_freq row goes with it.
            total += await self._db.execute(
                f"DELETE FROM {_quote(table)} WHERE guild_id = ? AND {_quote(column)} LIKE ?",
                (guild_id, pattern),
            )
        return total

    async def _tables(self) -> set[str]:
        rows = await self._db.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        return {r[0] for r in rows}

    async def _guild_tables(self) -> dict[str, list[Any]]:
        """table -> PRAGMA table_info rows, for every table with a guild_id column."""
        found: dict[str, list[Any]] = {}
        for table in sorted(await self._tables()):
            info = await self._db.fetchall(f"PRAGMA table_info({_quote(table)})")
            if any(c["name"] == "guild_id" for c in info):
                found[table] = info
        return found

    async def guilds_holding(self, user_id: int) -> list[int]:
        """Every guild with a row that holds the id anywhere (for a request sent by DM).

        One scan per table: rare and member-initiated, so completeness beats speed.
        """
        found: set[int] = set()
        for table, info in (await self._guild_tables()).items():
            columns = [_quote(c["name"]) for c in info if c["name"] != "guild_id"]
            if not columns:
                continue
            where = " OR ".join(f"{c} = ? OR CAST({c} AS TEXT) LIKE ?" for c in columns)
            params: list[Any] = []
            for _ in columns:
                params += [user_id, f"%{user_id}%"]
            rows = await self._db.fetchall(
                f"SELECT DISTINCT guild_id FROM {_quote(table)} WHERE {where}", params
            )
            found.update(r[0] for r in rows)
        return sorted(found)

    async def guild_text_columns(self) -> list[tuple[str, str]]:
        """(table, column) for every non-key text column of every guild-scoped table."""
        found: list[tuple[str, str]] = []
        for table, info in (await self._guild_tables()).items():
            for column in info:
                declared = (column["type"] or "").upper()
                if column["pk"] == 0 and ("TEXT" in declared or declared == ""):
                    found.append((table, column["name"]))
        return found

    async def _scrub_text(self, guild_id: int, user_id: int) -> int:
        """Replace the id wherever it appears in text: mentions first, then bare digits."""
        ident = str(user_id)
        total = 0
        for table, column in await self.guild_text_columns():
            c = _quote(column)
            total += await self._db.execute(
                f"UPDATE {_quote(table)} "
                f"SET {c} = replace(replace(replace({c}, ?, ?), ?, ?), ?, ?) "
                f"WHERE guild_id = ? AND {c} LIKE ?",
                (
                    f"<@!{ident}>",
                    f"@{FORMER_MEMBER}",
                    f"<@{ident}>",
                    f"@{FORMER_MEMBER}",
                    ident,
                    FORMER_MEMBER,
                    guild_id,
                    f"%{ident}%",
                ),
            )
        return total

    # ------------------------------------------------------------------ retention

    async def retention_days(self, guild_id: int) -> int:
        value = await self._db.fetchval(
            "SELECT retention_days FROM privacy_settings WHERE guild_id = ?", (guild_id,)
        )
        return DEFAULT_RETENTION_DAYS if value is None else int(value)

    async def set_retention_days(self, guild_id: int, days: int, now: datetime) -> None:
        await self._db.execute(
            "INSERT INTO privacy_settings (guild_id, retention_days, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(guild_id) DO UPDATE SET retention_days = excluded.retention_days, "
            "updated_at = excluded.updated_at",
            (guild_id, days, to_db(now)),
        )

    async def activity_guilds(self) -> list[int]:
        rows = await self._db.fetchall(
            "SELECT guild_id FROM activity_channel_day GROUP BY guild_id "
            "UNION SELECT guild_id FROM activity_member_day GROUP BY guild_id "
            "UNION SELECT guild_id FROM activity_guild_day GROUP BY guild_id"
        )
        return [r[0] for r in rows]

    async def prune_activity(self, guild_id: int, keep_from: date) -> int:
        """Delete the guild's activity counters for UTC days before ``keep_from``."""
        cutoff = keep_from.isoformat()
        total = 0
        async with self._db.transaction():
            for table in ("activity_channel_day", "activity_member_day", "activity_guild_day"):
                total += await self._db.execute(
                    f"DELETE FROM {table} WHERE guild_id = ? AND day < ?", (guild_id, cutoff)
                )
        return total

    async def oldest_activity_day(self, guild_id: int) -> date | None:
        value = await self._db.fetchval(
            "SELECT min(day) FROM (SELECT min(day) AS day FROM activity_channel_day "
            "WHERE guild_id = ? UNION ALL SELECT min(day) FROM activity_member_day "
            "WHERE guild_id = ? UNION ALL SELECT min(day) FROM activity_guild_day "
            "WHERE guild_id = ?)",
            (guild_id, guild_id, guild_id),
        )
        return None if value is None else date.fromisoformat(value)

    async def record_prune(self, day: date, now: datetime, rows_deleted: int) -> None:
        async with self._db.transaction():
            await self._db.execute(
                "INSERT INTO privacy_prune_runs (day, ran_at, rows_deleted) VALUES (?, ?, ?) "
                "ON CONFLICT(day) DO UPDATE SET ran_at = excluded.ran_at, "
                "rows_deleted = rows_deleted + excluded.rows_deleted",
                (day.isoformat(), to_db(now), rows_deleted),
            )
            await self._db.execute(
                "DELETE FROM privacy_prune_runs WHERE day < ?",
                ((day - timedelta(days=PRUNE_RUNS_KEPT)).isoformat(),),
            )

    async def last_prune(self) -> PruneRun | None:
        row = await self._db.fetchone(
            "SELECT day, ran_at, rows_deleted FROM privacy_prune_runs ORDER BY day DESC LIMIT 1"
        )
        if row is None:
            return None
        return PruneRun(date.fromisoformat(row[0]), from_db(row[1]), int(row[2]))
