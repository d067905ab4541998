"""Hallway's composition root: the only place objects are wired together.

``create_bot`` builds everything without touching the network, so tests and
tools can use it. ``main`` is the command line: run the bot, ``--check`` the
setup, or one of the offline tools.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gc
import hashlib
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import discord
from discord.ext import commands

from cogs._common import HallwayTree
from cogs._send import tell_advocates as send_tell_advocates
from cogs.activity import ActivityCog
from cogs.announcements.commands import AnnouncementsCog
from cogs.announcements.delivery import AnnouncementDelivery
from cogs.boundaries.commands import AdvocateCog
from cogs.boundaries.inbox import AdvocateInbox
from cogs.boundaries.oncall import OnCallCog, OnCallJobs, board_line, role_problem
from cogs.calls import CallsCog
from cogs.calls.jobs import CallJobs
from cogs.digest import DigestCog
from cogs.feedback.commands import FeedbackCog
from cogs.feedback.render import capture_reply
from cogs.feedback.views import COG_NAME as FEEDBACK_COG
from cogs.feedback.views import DYNAMIC_ITEMS as FEEDBACK_ITEMS
from cogs.feedback.views import capture_view
from cogs.github import tell_advocates
from cogs.hallway.commands import HallwayCog
from cogs.hallway.views import DYNAMIC_ITEMS as HALLWAY_ITEMS
from cogs.help_channels import HelpChannelsCog
from cogs.me import MeCog
from cogs.metrics import MetricsCog
from cogs.office_hours.commands import OfficeHoursCog
from cogs.office_hours.views import COG_NAME as OFFICE_HOURS_COG
from cogs.office_hours.views import BoardButton, CardButton
from cogs.privacy import DYNAMIC_ITEMS as PRIVACY_ITEMS
from cogs.privacy import PrivacyCog
from cogs.setup import SetupCog
from cogs.surveys.commands import SurveysCog
from cogs.surveys.views import DYNAMIC_ITEMS as SURVEY_ITEMS
from config.settings import Settings, SettingsError, configure_logging, load_settings
from services.activity import ActivityRecorder
from services.announcements.delivery import DeliveryService
from services.announcements.scheduling import AnnouncementService
from services.boundaries.oncall import OnCallService
from services.boundaries.service import BoundariesService
from services.calls import AgendaService, CallPlanner, CallsService
from services.digest.build import DigestService
from services.errors import HallwayError
from services.feedback.capture import CaptureResult, FeedbackService
from services.feedback.tags import FeedbackTags
from services.github.client import GitHubClient
from services.github.follow import GitHubService
from services.guild_settings import GuildSettingsService
from services.hallway.service import HallwayService
from services.help_channels import HelpChannelsService
from services.members import MembersService
from services.metrics.service import MetricsService
from services.office_hours import OfficeHoursService
from services.plural import plural
from services.privacy import PrivacyService
from services.surveys.service import SurveyService
from services.time.alarm import Alarm
from services.time.clock import Clock, SystemClock
from services.time.pacer import STORM_BURST, STORM_RATE_PER_SECOND, Pacer
from services.worker_process import Worker, WorkerProcess
from storage.activity import ActivityRepository
from storage.announcements import AnnouncementRepository
from storage.boundaries import BoundariesRepository
from storage.calls import CallsRepository
from storage.database import Database, DatabaseError
from storage.digest import DigestRepository
from storage.feedback.items import FeedbackRepository
from storage.feedback.tags import FeedbackTagRepository
from storage.github import GitHubRepository
from storage.guild_settings import COMMAND_HASH_KEY, GuildSettingsRepository, MetaRepository
from storage.hallway import HallwayRepository
from storage.help_channels import HelpChannelsRepository
from storage.members import MemberSettingsRepository
from storage.metrics import MetricsRepository
from storage.office_hours.sessions import OfficeHoursRepository
from storage.oncall import OnCallRepository
from storage.privacy import PrivacyRepository
from storage.surveys import SurveyRepository

log = logging.getLogger("hallway")


def build_intents() -> discord.Intents:
    """Only what the features use; the README explains each privileged one."""
    intents = discord.Intents.default()
    intents.members = True  # member joins and leaves for community health
    intents.message_content = True  # reaction capture reads the captured message's text
    intents.typing = False
    intents.presences = False
    return intents


@dataclass
class Services:
    guild_settings: GuildSettingsService
    # Each feature's service is set by its wire_* method in setup_hook.
    office_hours: OfficeHoursService | None = None
    feedback: FeedbackService | None = None
    announcements: AnnouncementService | None = None
    announcement_delivery: DeliveryService | None = None
    digest: DigestService | None = None
    privacy: PrivacyService | None = None
    members: MembersService | None = None
    hallway: HallwayService | None = None
    github: GitHubService | None = None
    surveys: SurveyService | None = None
    calls: CallsService | None = None
    metrics: MetricsService | None = None
    help_channels: HelpChannelsService | None = None
    boundaries: BoundariesService | None = None
    oncall: OnCallService | None = None


class HallwayBot(commands.Bot):
    def __init__(self, settings: Settings, clock: Clock, **client_options: Any) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=build_intents(),
            tree_cls=HallwayTree,
            # Nothing the bot posts pings anyone unless a feature opts in.
            allowed_mentions=discord.AllowedMentions.none(),
            **client_options,
        )
        self.settings = settings
        self.clock = clock
        self.db = Database(settings.database)
        self.alarm = Alarm(clock, on_error=self._job_failed)
        # What jobs send, all of them together, stays under Discord's 50 requests/s.
        self.pacer = Pacer()
        self.storm_pacer = Pacer(STORM_RATE_PER_SECOND, STORM_BURST)
        # Every chart (the digest's, a survey's) is drawn in a worker process: the bot
        # never imports matplotlib (about 47 MiB it would keep for good).
        self.charts = WorkerProcess()
        # Big files (/feedback export) are built in a process of their own, so a 100k-item
        # export neither stalls the event loop nor holds up a chart.
        self.file_worker = WorkerProcess()
        self.unexpected_errors: list[BaseException] = []
        self._services: Services | None = None
        self.synced_commands = False
        self.before_db_close: list[Callable[[], Awaitable[Any]]] = []
        self.activity_recorder: ActivityRecorder | None = None
        self.github_client: GitHubClient | None = None
        self._inbox: AdvocateInbox | None = None

    async def on_ready(self) -> None:
        # The guild and member caches built at start-up live as long as the process.
        # Freezing what exists now keeps the collector's full passes from walking them:
        # at 2,500 guilds one pass stopped the event loop for about 340 ms (python -m
        # bench --only storm). What is made later is still collected as usual.
        gc.freeze()
        log.info("Ready: %s objects kept out of the collector's passes", gc.get_freeze_count())

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("services are built in setup_hook")
        return self._services

    @property
    def inbox(self) -> AdvocateInbox:
        """The one way features tell an advocate something personally (wire_boundaries)."""
        if self._inbox is None:
            raise RuntimeError("the advocate inbox is built in setup_hook")
        return self._inbox

    def record_unexpected_error(self, error: BaseException) -> None:
        self.unexpected_errors.append(error)

    def _job_failed(self, name: str, error: BaseException) -> None:
        self.unexpected_errors.append(error)

    def build_services(self) -> Services:
        settings_repo = GuildSettingsRepository(self.db)
        return Services(
            guild_settings=GuildSettingsService(settings_repo, self.clock, self.settings.timezone),
        )

    async def setup_hook(self) -> None:
        await self.db.open()
        await self.db.migrate()
        self._services = self.build_services()
        await self.add_cog(SetupCog(self.services.guild_settings))
        # First: every feature that tells an advocate something personally goes through it.
        await self.wire_boundaries()
        await self.wire_office_hours()
        await self.wire_feedback()
        await self.wire_github()
        await self.wire_announcements()
        await self.wire_members()
        await self.wire_hallway()
        await self.wire_surveys()
        await self.wire_calls()
        await self.wire_oncall()
        await self.wire_digest()
        await self.wire_help_channels()
        await self.wire_privacy()
        self.alarm.start()
        await self.sync_commands_if_changed()

    # Each wire_* builds one feature: its repository and service (stored on
    # self.services), its cog, its persistent DynamicItems, and its alarm jobs
    # rebuilt from the database.

    async def wire_boundaries(self) -> None:
        service = BoundariesService(
            BoundariesRepository(self.db), self.clock, self.services.guild_settings.zone_name
        )
        self.services.boundaries = service
        inbox = AdvocateInbox(self, service)
        self._inbox = inbox
        await self.add_cog(AdvocateCog(service, inbox))
        # Held notices (and a delivery a restart interrupted) come back from the database.
        await inbox.rebuild()

    async def wire_oncall(self) -> None:
        boundaries = self.services.boundaries
        assert boundaries is not None
        service = OnCallService(
            OnCallRepository(self.db), boundaries.repo, self.clock, back_at=boundaries.back_at
        )
        self.services.oncall = service

        # The office-hours board names the on-call advocate (embeds never ping).
        office_hours_cog = self.get_cog(OFFICE_HOURS_COG)
        assert isinstance(office_hours_cog, OfficeHoursCog)
        office_hours_cog.lifecycle.who_to_ask = functools.partial(board_line, service)

        async def open_items(guild_id: int, now: datetime) -> list[str]:
            # The seam: what other features have open, for the handoff note.
            lines = []
            office_hours, feedback = self.services.office_hours, self.services.feedback
            if office_hours is not None:
                waiting = await office_hours.waiting_longer_than(guild_id, timedelta(days=1))
                if waiting:
                    lines.append(f"{plural(waiting, 'office-hours question')} waiting over a day")
            if feedback is not None:
                fresh = await feedback.new_longer_than(guild_id, timedelta(days=2))
                if fresh:
                    lines.append(f"{plural(fresh, 'feedback item')} still `new` after 2 days")
            help_channels = self.services.help_channels
            if help_channels is not None:
                waiting = await help_channels.waiting_longer_than(guild_id, timedelta(days=1))
                if waiting:
                    lines.append(f"{plural(waiting, 'help post')} without a reply for over a day")
            return lines

        service.open_items = open_items
        # Urgent notices for an advocate who is off go to whoever is on call.
        self.inbox.cover = service.current
        jobs = OnCallJobs(self, service)
        await self.add_cog(OnCallCog(service, jobs))
        await jobs.rebuild()

    async def wire_office_hours(self) -> None:
        service = OfficeHoursService(
            OfficeHoursRepository(self.db), self.services.guild_settings, self.clock
        )
        self.services.office_hours = service
        cog = OfficeHoursCog(self, service, present_capture)
        await self.add_cog(cog)
        self.add_dynamic_items(BoardButton, CardButton)
        # Auto start/end and reminders come back from the database; reminders
        # whose time passed while the bot was down are not rescheduled.
        await cog.lifecycle.rebuild_jobs()

    async def wire_feedback(self) -> None:
        def display_name(guild_id: int, user_id: int) -> str | None:
            # Office hours hands over ids only; the digest thanks reporters by name.
            guild = self.get_guild(guild_id)
            member = guild.get_member(user_id) if guild is not None else None
            return member.display_name if member is not None else None

        service = build_feedback(
            self.db, self.clock, name_lookup=display_name, files=self.file_worker
        )
        self.services.feedback = service
        # Index terms queued behind captures are written before the database closes, and
        # any a crash left pending are written now, before the first capture.
        self.before_db_close.append(service.index.flush)
        await service.index.write_pending()
        await self.add_cog(FeedbackCog(self, service))
        self.add_dynamic_items(*FEEDBACK_ITEMS)

    async def wire_github(self) -> None:
        feedback = self.services.feedback
        assert feedback is not None
        client = build_github_client(self.settings, self.clock)
        self.github_client = client
        service = build_github_service(self.settings, self.db, client, self.clock, feedback)
        self.services.github = service
        cog = self.get_cog(FEEDBACK_COG)
        assert isinstance(cog, FeedbackCog)
        # The seams: /feedback's GitHub commands call the service, and the poll's status
        # changes go through feedback's own status path.
        cog.github = service
        service.apply_status = cog.apply_status

        async def notice(guild_id: int, channel_id: int | None, text: str) -> None:
            await tell_advocates(self, guild_id, channel_id, text)

        service.tell_advocates = notice
        # The next poll comes from the database; one missed while offline runs at once.
        await service.start(self.alarm)

    async def wire_announcements(self) -> None:
        def server_name(guild_id: int) -> str:
            guild = self.get_guild(guild_id)
            return guild.name if guild is not None else "this server"

        repo = AnnouncementRepository(self.db)
        service = AnnouncementService(
            repo,
            self.clock,
            default_zone=self.services.guild_settings.zone_name,
            server_name=server_name,
            # Looked up at render time: office hours may be wired later, or not at all.
            office_hours=lambda: self.services.office_hours,
        )
        self.services.announcements = service
        delivery_service = DeliveryService(repo, self.clock, get=service.get, render=service.render)
        self.services.announcement_delivery = delivery_service
        delivery = AnnouncementDelivery(self, delivery_service)
        # The seam: what the author is told (a post that failed, one missed while offline)
        # respects their working hours.
        delivery.tell_author = self.inbox.tell
        await self.add_cog(AnnouncementsCog(service, delivery, delivery_service))
        await delivery.rebuild_jobs()

    async def wire_members(self) -> None:
        service = MembersService(MemberSettingsRepository(self.db), self.clock)
        self.services.members = service
        await self.add_cog(MeCog(service))
        if self.services.boundaries is not None:
            service.add_about("Working hours and time off", self.services.boundaries.about)

    async def wire_hallway(self) -> None:
        members = self.services.members
        assert members is not None
        service = HallwayService(
            HallwayRepository(self.db),
            self.clock,
            zone_of=members.zone_of,
            zones=members.zones,
            set_zone=members.set_zone,
            guild_zone=self.services.guild_settings.zone_name,
        )
        self.services.hallway = service
        members.add_about("Hallway track", service.about)
        cog = HallwayCog(self, service)
        await self.add_cog(cog)
        self.add_dynamic_items(*HALLWAY_ITEMS)
        # Scheduled rounds, rounds a restart interrupted, and follow-ups come back from
        # the database; a round more than a day late is skipped (see services/hallway).
        await cog.jobs.rebuild()

    async def wire_surveys(self) -> None:
        feedback = self.services.feedback

        async def tagger(guild_id: int) -> Any:
            # The guild's pain-point tagger (default taxonomy plus its custom tags).
            assert feedback is not None
            return await feedback.tags.tagger(guild_id)

        service = SurveyService(
            SurveyRepository(self.db),
            self.services.guild_settings,
            self.clock,
            tagger=tagger if feedback is not None else None,
            capture=feedback.capture_from_survey if feedback is not None else None,
        )
        self.services.surveys = service
        cog = SurveysCog(self, service)
        await self.add_cog(cog)
        self.add_dynamic_items(*SURVEY_ITEMS)
        # Closes and poll reads come back from the database; any whose time passed
        # while the bot was down run now.
        await cog.jobs.rebuild()

    async def wire_calls(self) -> None:
        members = self.services.members
        assert members is not None
        # Suggested slots read the zones members set with /me timezone.
        service = CallsService(CallsRepository(self.db), self.clock, zones=members.zones)
        self.services.calls = service
        office_hours = self.services.office_hours
        assert office_hours is not None
        oh_cog = self.get_cog(OFFICE_HOURS_COG)
        assert isinstance(oh_cog, OfficeHoursCog)
        # Each call is an office-hours session: its Discord event, reminders, start and
        # end come from that engine, through these seams.
        boundaries = self.services.boundaries
        assert boundaries is not None
        inbox = self.inbox

        async def tell_host(guild_id: int, host_id: int, text: str, starts_at: datetime) -> bool:
            outcome = await inbox.tell(guild_id, host_id, text, kind="call", starts_at=starts_at)
            return outcome != "failed"

        # Hosts are rotated among those free for the call (working hours, time off), and
        # their 24-hour notice respects their quiet hours: both from advocates' boundaries.
        planner = CallPlanner(service, sessions=office_hours, available=boundaries.free_for)
        agenda = AgendaService(planner)
        jobs = CallJobs(
            self,
            planner,
            agenda,
            announce=oh_cog.lifecycle.announce,
            cancel_session=oh_cog.lifecycle.cancel_session,
            tell_host=tell_host,
        )
        # The advocates' load view counts the calls each advocate hosted.
        boundaries.load_sources["calls"] = service.hosted_between
        await self.add_cog(CallsCog(self, service, planner, agenda, jobs))
        await jobs.rebuild()

    async def wire_digest(self) -> None:
        activity = ActivityRepository(self.db)
        recorder = ActivityRecorder(activity, self.clock)
        self.activity_recorder = recorder
        # Metrics read the counters (and other features' tables) through storage only.
        metrics = MetricsService(
            MetricsRepository(self.db), self.clock, before_read=recorder.flush, charts=self.charts
        )
        self.services.metrics = metrics
        # The seam: /me show tells a member their own level and what counts.
        if self.services.members is not None:
            self.services.members.add_about("Your level", metrics.about)
        # The monthly report's programme reach: each feature's digest figures.
        for name, feature in (
            ("office_hours", self.services.office_hours),
            ("calls", self.services.calls),
            ("surveys", self.services.surveys),
            ("hallway", self.services.hallway),
        ):
            if feature is not None:
                metrics.programmes[name] = feature.digest_figures
        self.services.digest = DigestService(
            DigestRepository(self.db),
            activity,
            self.services.guild_settings,
            self.clock,
            # Each feature's repository provides its digest section; a provider
            # that fails only leaves its own section out.
            office_hours=OfficeHoursRepository(self.db),
            feedback=FeedbackRepository(self.db),
            announcements=AnnouncementRepository(self.db),
            hallway=self.services.hallway,
            surveys=self.services.surveys,
            calls=self.services.calls,
            metrics=metrics,
            before_build=recorder.flush,
            charts=self.charts,
        )
        # The last few seconds of counters are written on a clean shutdown.
        self.before_db_close.append(recorder.flush)
        await self.add_cog(ActivityCog(recorder))
        digest_cog = DigestCog(self, self.services.digest)
        await self.add_cog(digest_cog)
        await digest_cog.rebuild_schedule()
        # /stats holds the digest's summary beside metrics' own figures.
        await self.add_cog(MetricsCog(metrics, digest_cog.summary_reply))

    async def wire_help_channels(self) -> None:
        async def tell_channel(guild_id: int, text: str) -> bool:
            return await send_tell_advocates(self, guild_id, text)

        async def tell_advocate(guild_id: int, user_id: int, text: str, message_id: int) -> None:
            # Through the inbox: held while the on-call advocate is off, delivered with the
            # rest when their hours start, unless the post got its reply meanwhile.
            await self.inbox.tell(guild_id, user_id, text, kind="help", subject=str(message_id))

        oncall = self.services.oncall
        # With no rotation (or nobody on call) the first nudge goes to the advocates' channel.
        service = HelpChannelsService(
            HelpChannelsRepository(self.db),
            self.clock,
            tell_channel=tell_channel,
            on_call=oncall.current if oncall is not None else None,
            tell_advocate=tell_advocate,
        )
        self.services.help_channels = service
        boundaries = self.services.boundaries
        if boundaries is not None:

            async def still_waiting(guild_id: int, subject: str) -> bool:
                return await service.still_waiting(guild_id, int(subject))

            # A held nudge about a post that got its reply (or was deleted) is dropped.
            boundaries.drop_when_stale("help", still_waiting)
        setup = self.get_cog("SetupCog")
        if isinstance(setup, SetupCog):
            setup.help_channels = service
        await self.add_cog(HelpChannelsCog(service))
        await service.start(self.alarm)

    async def wire_privacy(self) -> None:
        feedback = self.services.feedback

        async def queued_writes() -> None:
            # The writes buffered until shutdown (activity counters, a capture's queued
            # index terms) are written before a member's data is read or erased, so none
            # can land after an erase.
            for hook in self.before_db_close:
                await hook()

        recorder = self.activity_recorder

        def after_forget(guild_id: int, user_id: int) -> None:
            feedback.index.forget_counts(guild_id)
            if recorder is not None:
                # The Erase button's own click may be counted while the erase runs.
                recorder.forget_pending(guild_id, user_id)

        service = PrivacyService(
            PrivacyRepository(self.db),
            self.clock,
            before_read=queued_writes,
            after_forget=after_forget,
        )
        self.services.privacy = service
        office_hours = self.get_cog(OFFICE_HOURS_COG)
        cog = PrivacyCog(self, service, getattr(office_hours, "refresh_board", None))
        await self.add_cog(cog)
        self.add_dynamic_items(*PRIVACY_ITEMS)
        # The prune is daily and idempotent: a run missed while offline is caught up by
        # the next one, so start-up only schedules the next run.
        cog.schedule_prune()

    def command_tree_hash(self) -> str:
        payload = [command.to_dict(self.tree) for command in self.tree.get_commands()]
        payload.sort(key=lambda c: (c.get("type", 1), c["name"]))
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    async def sync_commands_if_changed(self) -> None:
        if self.settings.dev_guild_id is not None:
            guild = discord.Object(id=self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
            log.info("Synced commands to the dev guild %s", self.settings.dev_guild_id)
            self.synced_commands = True
            return
        meta = MetaRepository(self.db)
        current = self.command_tree_hash()
        if await meta.get(COMMAND_HASH_KEY) == current:
            return
        await self.tree.sync()
        await meta.set(COMMAND_HASH_KEY, current)
        self.synced_commands = True
        log.info("Command tree changed: synced global commands")

    async def close(self) -> None:
        await self.alarm.stop()
        await self.charts.close()
        await self.file_worker.close()
        if self.github_client is not None:
            await self.github_client.close()
        if self.db.is_open:
            # Features with buffered writes (activity counters) flush them here.
            for hook in self.before_db_close:
                try:
                    await hook()
                except Exception:
                    log.exception("A shutdown hook failed")
        await self.db.close()
        await super().close()


def present_capture(result: CaptureResult) -> tuple[str, discord.ui.View | None]:
    """Feedback's capture reply, the seam office hours' Convert to feedback answers through."""
    return capture_reply(result), capture_view(result)


def build_github_client(settings: Settings, clock: Clock) -> GitHubClient | None:
    if not settings.github_token:
        return None
    return GitHubClient(settings.github_token, settings.github_api_url, clock)


def build_github_service(
    settings: Settings,
    db: Database,
    client: GitHubClient | None,
    clock: Clock,
    feedback: FeedbackService,
) -> GitHubService:
    return GitHubService(
        GitHubRepository(db),
        client,
        clock,
        api_url=settings.github_api_url,
        poll_minutes=settings.github_poll_minutes,
        card=feedback.card,
        item=feedback.item,
        set_link=feedback.link,
    )


class ShardedHallwayBot(HallwayBot, commands.AutoShardedBot):
    """Hallway over several gateway connections (shards) in this one process.

    Everything above the gateway is the same bot: commands, buttons, alarms and the digest
    run per guild whatever shard the guild is on. ARCHITECTURE.md says how this extends to
    several processes."""


def create_bot(settings: Settings, *, clock: Clock | None = None) -> HallwayBot:
    """Build the bot without opening any connection (sharded when HALLWAY_SHARDS is set)."""
    if settings.shards is None:
        return HallwayBot(settings, clock or SystemClock())
    count = None if settings.shards == "auto" else settings.shards
    return ShardedHallwayBot(settings, clock or SystemClock(), shard_count=count)


async def check(settings: Settings) -> list[str]:
    """Validate the database: migrations and integrity. Returns problems."""
    db = Database(settings.database)
    try:
        await db.open()
        version = await db.migrate()
        result = await db.integrity_check()
    except DatabaseError as exc:
        return [str(exc)]
    finally:
        await db.close()
    if result != ["ok"]:
        return [f"integrity_check failed for {settings.database}: {'; '.join(result[:5])}"]
    oncall = await check_oncall_setup(settings)
    if oncall:
        return oncall
    github = ""
    if settings.github_token:
        problems = await check_github(settings)
        if problems:
            return problems
        github = f"; GitHub token accepted by {settings.github_api_url}"
    print(
        f"OK: settings valid; {settings.database} at schema version {version}; integrity ok{github}"
    )
    return []


async def check_oncall_setup(settings: Settings) -> list[str]:
    """Where /oncall is configured: can Hallway move the on-call role? (Logs in over REST
    only, and only when some server has a rotation.)"""
    db = Database(settings.database)
    try:
        await db.open()
        if not await OnCallRepository(db).configured_guilds():
            return []
        client = discord.Client(intents=discord.Intents.none())
        try:
            await client.login(settings.require_token())
            return await check_oncall(client, db)
        finally:
            await client.close()
    finally:
        await db.close()


async def check_oncall(client: discord.Client, db: Database) -> list[str]:
    """Each server with an on-call rotation: Hallway has Manage Roles and its top role sits
    above the on-call role; else the guidance to fix it."""
    repo = OnCallRepository(db)
    assert client.user is not None
    problems = []
    for guild_id in await repo.configured_guilds():
        config = await repo.config(guild_id)
        assert config is not None
        try:
            guild = await client.fetch_guild(guild_id)
            me = await guild.fetch_member(client.user.id)
        except (discord.NotFound, discord.Forbidden):
            problems.append(
                f"server {guild_id} has an on-call rotation but Hallway is no longer in it"
            )
            continue
        problem = role_problem(guild, config.role_id, me)
        if problem is not None:
            problems.append(f"on call in {guild.name} ({guild_id}): {problem.lstrip('⚠️ ')}")
    return problems


async def check_github(settings: Settings) -> list[str]:
    """The token against GitHub and every server's repository; a pass resumes a paused poll."""
    clock = SystemClock()
    client = build_github_client(settings, clock)
    db = Database(settings.database)
    try:
        await db.open()
        items = FeedbackRepository(db)
        feedback = FeedbackService(
            items, clock, tags=FeedbackTags(FeedbackTagRepository(db), items, clock)
        )
        return await build_github_service(settings, db, client, clock, feedback).check()
    finally:
        if client is not None:
            await client.close()
        await db.close()


async def serve(settings: Settings) -> None:
    token = settings.require_token()
    bot = create_bot(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # Windows has no signal handlers
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
    async with bot:
        await bot.start(token)


def check_backup_paths(settings: Settings, target: str) -> None:
    from pathlib import Path

    path = Path(target)
    if path.exists():
        raise DatabaseError(f"{path} already exists: choose a new file name for the backup")
    if not settings.database.exists():
        raise DatabaseError(f"There is no database at {settings.database} to back up")


async def backup(settings: Settings, path: str) -> None:
    """Copy the database with SQLite's online backup API; safe while the bot runs."""
    db = Database(settings.database)
    try:
        await db.open()
        await db.backup_to(path)
    finally:
        await db.close()
    print(f"Backed up {settings.database} to {path}")


async def export(settings: Settings, guild_id: int, fmt: str, since: str | None) -> str:
    """The same export as /feedback export, from the command line."""
    from services.feedback.export import export_guild, parse_since

    start = parse_since(since, SystemClock().now())
    db = Database(settings.database)
    try:
        await db.open()
        await db.migrate()
        return await export_guild(db, guild_id, fmt, start)
    finally:
        await db.close()


def build_feedback(
    db: Database,
    clock: Clock,
    name_lookup: Callable[[int, int], str | None] | None = None,
    files: Worker | None = None,
) -> FeedbackService:
    """The feedback service and what it stands on, for the bot and for ``similar``."""
    items = FeedbackRepository(db)
    tags = FeedbackTags(FeedbackTagRepository(db), items, clock)
    return FeedbackService(items, clock, tags=tags, name_lookup=name_lookup, files=files)


SIMILAR_GUILD = 1


def read_corpus(path: str) -> list[dict[str, Any]]:
    """A JSON-lines corpus for ``similar``: every line needs an "id" and a "text"."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if not isinstance(row, dict) or "id" not in row or not str(row.get("text", "")).strip():
                raise ValueError(f'{path}:{number}: each line needs an "id" and a "text"')
            rows.append(row)
    return rows


async def similar(
    rows: list[dict[str, Any]], queries: Iterable[str], out: Callable[[str], None]
) -> int:
    """Index every corpus row as an open item of one scratch guild, through the capture
    itself, then print what a capture of each query would offer (ids from the corpus)."""
    import tempfile
    from pathlib import Path

    from services.feedback.capture import split_summary

    with tempfile.TemporaryDirectory(prefix="hallway-similar-") as folder:
        db = Database(Path(folder) / "similar.db")
        await db.open()
        try:
            await db.migrate()
            service = build_feedback(db, SystemClock())
            corpus_id: dict[int, Any] = {}
            for row in rows:
                summary, details = split_summary(row["text"])
                result = await service.capture(
                    guild_id=SIMILAR_GUILD,
                    source="command",
                    reporter_id=1,
                    reporter_name="corpus",
                    captured_by_id=1,
                    summary=summary,
                    details=details,
                )
                corpus_id[result.item.id] = row["id"]
            answered = 0
            for line in queries:
                if not line.strip():
                    continue
                found = await service.similar_to(SIMILAR_GUILD, *split_summary(line))
                out(json.dumps({"similar": [corpus_id[s.id] for s in found]}))
                answered += 1
            await service.index.flush()
            return answered
        finally:
            await db.close()


def tag_stdin() -> None:
    """One text per line in, one JSON object per line out, with the default taxonomy."""
    from services.tagging.tagger import Tagger, tag_lines
    from services.tagging.taxonomy import load_taxonomy

    tagger = Tagger(load_taxonomy())
    for result in tag_lines((line.rstrip("\n") for line in sys.stdin), tagger):
        print(json.dumps(result, ensure_ascii=False))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python bot.py",
        usage="%(prog)s [options] [COMMAND [ARGS ...]]",
        description="Hallway, a Discord bot for developer-relations teams. With no command "
        "and no --check or --sandbox, it runs the bot (DISCORD_TOKEN from .env).",
    )
    parser.add_argument(
        "--check", action="store_true", help="validate settings and database, then exit"
    )
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="run the real bot in a simulated Discord in your browser (no token needed)",
    )
    parser.add_argument("--port", type=int, help="with --sandbox: the loopback port to serve on")
    parser.add_argument("--database", help="with --sandbox: keep the sandbox in this database file")
    commands_ = parser.add_subparsers(
        dest="command",
        metavar="COMMAND",
        title="commands (optional; leave out to run the bot)",
        required=False,
    )
    commands_.add_parser("tag", help="tag stdin, one text per line, printing JSON lines")
    similar_cmd = commands_.add_parser(
        "similar",
        help="index CORPUS as feedback items, then print the similar items offered for each "
        "stdin line as JSON lines",
    )
    similar_cmd.add_argument("corpus", help='a JSON-lines file of {"id": ..., "text": ...}')
    backup_cmd = commands_.add_parser("backup", help="copy the database safely while it runs")
    backup_cmd.add_argument("path", help="where to write the copy (must not exist)")
    export_cmd = commands_.add_parser("export", help="export a server's feedback items")
    export_cmd.add_argument("--guild", type=int, required=True, help="the server id")
    export_cmd.add_argument("--format", choices=("csv", "json"), default="csv")
    export_cmd.add_argument("--since", help="only items created since: YYYY-MM-DD or e.g. 30d")
    export_cmd.add_argument("--output", help="write to this file instead of standard output")
    return parser


def main(argv: Sequence[str] | None = None, environ: dict[str, Any] | None = None) -> int:
    import os

    from dotenv import load_dotenv

    args = _parser().parse_args(argv)
    if args.sandbox:
        # The sandbox never reads .env or a token: it is a simulated Discord.
        from sandbox.server import main_sandbox

        return main_sandbox(sys.argv[1:] if argv is None else list(argv), create_bot)
    if environ is None:
        load_dotenv()
        environ = dict(os.environ)
    try:
        settings = load_settings(environ)
        # --check answers in one line: the migrations' INFO lines belong in the running
        # bot's log (.env.example sets INFO), so only DEBUG shows them here.
        quiet = args.check and settings.log_level != "DEBUG"
        configure_logging("WARNING" if quiet else settings.log_level)
        if args.command == "tag":
            tag_stdin()
            problems = []
        elif args.command == "similar":
            try:
                rows = read_corpus(args.corpus)
            except (OSError, ValueError) as exc:
                problems = [f"could not read the corpus: {exc}"]
            else:
                asyncio.run(similar(rows, sys.stdin, print))
                problems = []
        elif args.command == "export":
            text = asyncio.run(export(settings, args.guild, args.format, args.since))
            if args.output:
                with open(args.output, "w", encoding="utf-8", newline="") as out:
                    out.write(text)
            else:
                sys.stdout.write(text)
            problems = []
        elif args.command == "backup":
            check_backup_paths(settings, args.path)
            asyncio.run(backup(settings, args.path))
            problems = []
        elif args.check:
            settings.require_token()
            problems = asyncio.run(check(settings))
        else:
            asyncio.run(serve(settings))
            problems = []
    except SettingsError as exc:
        problems = exc.problems
    except (HallwayError, DatabaseError) as exc:
        problems = [str(exc)]
    except discord.LoginFailure:
        problems = ["DISCORD_TOKEN was rejected by Discord: copy a fresh token from the portal"]
    except discord.PrivilegedIntentsRequired:
        problems = [
            "Discord refused the Server Members or Message Content intent: turn both on "
            "under Bot > Privileged Gateway Intents in the developer portal"
        ]
    if problems:
        print(f"hallway: {'; '.join(problems)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
