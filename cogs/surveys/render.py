"""How surveys look in Discord: the card, the answer sheet, the preview and the results."""

from __future__ import annotations

from typing import Any

import discord

from services.surveys.results import QuestionResult, value_labels
from services.surveys.service import Draft, Report
from services.time.timefmt import discord_timestamp
from storage.surveys import Question, Response, Survey

KIND_NAMES = {
    "nps": "NPS, 0-10",
    "csat": "satisfaction, 1-5",
    "scale": "agree/disagree, 1-5",
    "choice": "choice",
    "text": "free text",
}
MAX_TEXTS_SHOWN = 20


def md(text: str, limit: int = 200) -> str:
    """User text shown inline: no markdown tricks, one line, bounded length."""
    flat = discord.utils.escape_markdown(" ".join(str(text).split()))
    flat = discord.utils.escape_mentions(flat)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def privacy_line(survey: Survey) -> str:
    if survey.anonymous:
        return "🔒 Anonymous: Hallway stores no member id with the answers."
    return "👤 Attributed: advocates see who answered what."


def describe_question(q: Question) -> str:
    kind = KIND_NAMES[q.kind]
    if q.kind == "choice":
        kind = f"{'several' if q.multi else 'one'} of: {', '.join(md(o, 60) for o in q.options)}"
    return f"**{q.position}.** {md(q.prompt)} — *{kind}*"


def card_embed(survey: Survey, count: int) -> discord.Embed:
    closed = survey.status == "closed"
    lines = [f"{count} question{'s' if count != 1 else ''} · {privacy_line(survey)}"]
    if closed and survey.closed_at:
        lines.append(f"**Closed** {discord_timestamp(survey.closed_at, 'f')}. Thanks, everyone!")
    elif survey.closes_at:
        lines.append(f"Closes {discord_timestamp(survey.closes_at, 'F')}.")
    if not closed:
        lines.append("You can change your answers until it closes.")
    title = md(survey.title, 240) + (f" (round {survey.round})" if survey.round > 1 else "")
    return discord.Embed(
        title=("🗳️ " if not closed else "✅ ") + title,
        description="\n".join(lines),
        colour=discord.Colour.dark_grey() if closed else discord.Colour.blurple(),
    )


def preview_text(draft: Draft) -> str:
    s = draft.survey
    lines = [
        f"**Preview of survey #{s.id}: {md(s.title)}** ({s.status})",
        privacy_line(s),
        f"Closes {discord_timestamp(s.closes_at, 'F')}" if s.closes_at else "No closing time set.",
        f"Results: {'everyone, after the close' if s.public_results else 'advocates only'}.",
        "",
    ]
    lines += [describe_question(q) for q in draft.questions] or ["No questions yet."]
    if s.status == "draft":
        lines += [
            "",
            "Members answer with select menus, one question at a time; free text opens"
            " a form. Open it with `/survey open`.",
        ]
    return "\n".join(lines)


def answer_text(q: Question, value: Any) -> str:
    if value is None:
        return "*not answered yet*"
    if q.kind == "text":
        return md(value, 300) if str(value).strip() else "*left blank*"
    labels = dict(value_labels(q))
    values = value if isinstance(value, list) else [value]
    return ", ".join(md(labels.get(v, str(v)), 80) for v in values)


def sheet_text(draft: Draft, question: Question, response: Response | None) -> str:
    s = draft.survey
    answers = response.answers if response else {}
    done = sum(1 for q in draft.questions if q.position in answers)
    if response is not None and response.submitted:
        status = "✅ Submitted. Changes save as you make them, until the survey closes."
    else:
        status = f"Answered {done} of {len(draft.questions)} · press **Submit** when you're done."
    kind = "" if question.kind != "choice" or not question.multi else " (choose one or more)"
    optional = " (optional)" if question.kind == "text" else ""
    return "\n".join(
        [
            f"**{md(s.title)}** — question {question.position} of {len(draft.questions)}",
            "🔒 Anonymous" if s.anonymous else "👤 Your name is kept with your answers",
            "",
            f"**{md(question.prompt, 300)}**{kind}{optional}",
            f"Your answer: {answer_text(question, answers.get(question.position))}",
            "",
            status,
        ]
    )


def _bar(count: int, total: int, width: int = 10) -> str:
    filled = round(width * count / total) if total else 0
    return "█" * filled + "░" * (width - filled)


def question_lines(result: QuestionResult) -> list[str]:
    q = result.question
    lines = [f"**{q.position}. {md(q.prompt, 150)}** ({result.answered} answered)"]
    if result.nps is not None and result.nps.total:
        n = result.nps
        lines.append(
            f"NPS **{n.score}** · promoters {n.promoters} · passives {n.passives} · "
            f"detractors {n.detractors}"
        )
    if result.csat is not None and result.csat.total:
        c = result.csat
        lines.append(f"CSAT **{c.share}%** satisfied (4-5: {c.satisfied} of {c.total})")
    if result.mean is not None:
        lines.append(f"Average **{result.mean:.1f}** of 5")
    total = sum(b.count for b in result.buckets)
    for bucket in result.buckets:
        if q.kind == "nps" and not bucket.count:
            continue
        lines.append(f"`{_bar(bucket.count, total)}` {md(bucket.label, 60)}: {bucket.count}")
    if q.kind == "text":
        lines.append("Free-text answers are grouped by tag below.")
    return lines


def results_embeds(
    report: Report, *, capture: bool
) -> tuple[list[discord.Embed], list[tuple[int, int, int]]]:
    """The results as embeds, and the numbered free-text answers (for Capture buttons)."""
    s = report.survey
    head = [f"Responses: **{report.responses}**"]
    if report.rate is not None:
        head[0] += f" ({report.rate}% of members)"
    if s.kind == "poll":
        head = [f"Votes: **{report.responses}** · quick poll"]
    if report.headline.label not in ("Responses", "Votes"):
        head.append(f"Headline: **{report.headline.text()}**")
    if report.comparison:
        head.append(f"Since round {s.round - 1}: **{report.comparison}**")
    status = s.status
    if s.closed_at and status == "closed":
        status = f"closed {discord_timestamp(s.closed_at, 'f')}"
    elif s.closes_at:
        status = f"{status}, closes {discord_timestamp(s.closes_at, 'f')}"
    head.append(f"{privacy_line(s)} Status: {status}.")
    if report.hidden:
        head.append(f"\n{report.hidden}")
    body: list[str] = []
    if report.poll and not report.hidden:
        total = sum(b.count for b in report.poll)
        body += [f"`{_bar(b.count, total)}` {md(b.label, 60)}: {b.count}" for b in report.poll]
    for result in report.per_question:
        body += [*question_lines(result), ""]
    title = f"Results: {md(s.title, 200)}" + (f" (round {s.round})" if s.round > 1 else "")
    embeds = [
        discord.Embed(
            title=title[:256],
            description=("\n".join(head) + "\n\n" + "\n".join(body))[:4096],
            colour=discord.Colour.blurple(),
        )
    ]
    numbered: list[tuple[int, int, int]] = []
    if report.text_groups:
        lines: list[str] = []
        for tag, answers in report.text_groups.items():
            lines.append(f"**{md(tag, 40)}** ({len(answers)})")
            for answer in answers:
                if len(numbered) >= MAX_TEXTS_SHOWN:
                    break
                numbered.append((len(numbered) + 1, answer.response_id, answer.position))
                lines.append(f"`#{len(numbered)}` Q{answer.position}: {md(answer.text, 180)}")
        hidden = sum(len(a) for a in report.text_groups.values()) - len(numbered)
        if hidden > 0:
            lines.append(f"…and {hidden} more in `/survey export`.")
        if capture:
            lines.append("\nPress **Capture #N** to turn an answer into a feedback item.")
        embeds.append(
            discord.Embed(
                title="Free-text answers by pain-point tag",
                description="\n".join(lines)[:4096],
                colour=discord.Colour.dark_teal(),
            )
        )
    return embeds, (numbered if capture else [])
