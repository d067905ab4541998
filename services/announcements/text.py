"""Announcement text: checking what an advocate writes, and the rendered post.

These are pure functions of the text (limits, template variables, mass mentions,
image URLs, the late policy's wording) and the value that carries a rendered post
to Discord. They are apart from the service because the cog's forms and the
delivery use them too, and none of them needs the database or the clock.
"""

from __future__ import annotations

import json
import re
import string
from dataclasses import asdict, dataclass
from urllib.parse import urlparse

from services.errors import InvalidInput
from services.text import is_blank

MAX_BODY = 4000
MAX_TITLE = 256
MAX_IMAGE_URL = 1000

VARIABLES = {
    "server": "the server's name",
    "date": "the date of this post",
    "next_office_hours": "the next office-hours session, or “none scheduled”",
}
_VARIABLE_LIST = ", ".join(f"`{{{name}}}` ({text})" for name, text in VARIABLES.items())
_MENTION_ALL = re.compile(r"@(everyone|here)")


@dataclass(frozen=True)
class RenderedPost:
    """Exactly what goes to Discord, decided by ``AnnouncementService.render`` alone so
    preview and post can't differ.
    """

    content: str | None
    embed_title: str | None
    embed_description: str | None
    image_url: str | None
    thread_name: str | None  # forum channels only
    ping_role_id: int | None
    ping_everyone: bool

    @property
    def has_embed(self) -> bool:
        return (
            self.embed_title is not None
            or self.embed_description is not None
            or bool(self.image_url)
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> RenderedPost:
        return cls(**json.loads(text))


def late_policy_text(policy: str) -> str:
    if policy == "send":
        return "send even if late"
    if policy == "skip":
        return "skip if late"
    return "send if at most 1 h late, else skip"


def find_variables(text: str) -> list[str]:
    """Names used as ``{name}``; ``{{`` and ``}}`` are literal braces."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise InvalidInput(
            f"The text has a stray brace ({exc}). Template variables look like `{{server}}`; "
            f"write `{{{{` or `}}}}` for a literal brace. Variables: {_VARIABLE_LIST}."
        ) from None
    return [name for _, name, _, _ in parsed if name is not None]


def check_template(text: str) -> None:
    for name in find_variables(text):
        if name not in VARIABLES:
            shown = name.replace("`", "'")[:40] or "{}"
            raise InvalidInput(
                f"`{{{shown}}}` isn't a template variable. The ones that exist are "
                f"{_VARIABLE_LIST}. Write `{{{{` or `}}}}` for a literal brace."
            )


def defuse_mass_mentions(text: str) -> str:
    # allowed_mentions already blocks these, but with an @everyone ping the body's
    # own "@here" would be allowed too: break it with a zero-width space.
    return _MENTION_ALL.sub("@\u200b\\1", text)


def first_line(text: str) -> str:
    for line in text.splitlines():
        cleaned = line.strip().lstrip("#>*-_ ").strip()
        if cleaned:
            return cleaned
    return ""


def check_image_url(url: str | None) -> str | None:
    if url is None or not url.strip():
        return None
    url = url.strip()
    parsed = urlparse(url)
    if len(url) > MAX_IMAGE_URL or parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InvalidInput(
            "The image URL must be a web address starting with `https://` (or `http://`), "
            "such as `https://example.com/banner.png`. Leave it empty for no image."
        )
    return url


def check_body(body: str) -> str:
    text = body.strip()
    # Zero-width and direction marks alone would post as nothing.
    if is_blank(text):
        raise InvalidInput("The announcement needs some text. Write the body in the form.")
    if len(text) > MAX_BODY:
        raise InvalidInput(
            f"The body is {len(text)} characters; the limit is {MAX_BODY}. Shorten it."
        )
    check_template(text)
    return text


def check_title(title: str | None) -> str | None:
    if title is None or not title.strip():
        return None
    title = " ".join(title.split())
    if len(title) > MAX_TITLE:
        raise InvalidInput(f"The title is {len(title)} characters; the limit is {MAX_TITLE}.")
    check_template(title)
    return title


def check_late(late: str | None) -> str:
    if late is None:
        return "default"
    if late not in ("send", "skip"):
        raise InvalidInput("`late` must be `send` or `skip` (or left out for the default).")
    return late
