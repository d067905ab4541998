"""Per-guild tag vocabulary and learning: the taxonomy plus the guild's custom tags, the
naive Bayes model that learns from advocates' corrections, and the tag commands.

Separate from ``services.feedback.capture`` because it holds state of its own, cached per guild:
a capture asks it for the guild's tagger and model, and only the tag commands change them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from services.errors import Conflict, InvalidInput, NotFound
from services.feedback.capture import find_item
from services.tagging.bayes import ABSENT_PREFIX, TagModel, distinct_tokens, tokens_for
from services.tagging.tagger import MAX_CUSTOM_TAGS, Tagger
from services.tagging.taxonomy import Taxonomy, load_taxonomy
from services.time.clock import Clock
from storage.feedback.items import FeedbackItem, FeedbackRepository
from storage.feedback.tags import FeedbackTagRepository


@dataclass(frozen=True)
class TagInfo:
    name: str
    description: str
    custom: bool
    items: int
    open_items: int
    keywords: list[str] = field(default_factory=list)


class FeedbackTags:
    def __init__(
        self,
        repo: FeedbackTagRepository,
        items: FeedbackRepository,
        clock: Clock,
        *,
        taxonomy: Taxonomy | None = None,
    ) -> None:
        self.repo = repo
        self.items = items
        self.clock = clock
        self.taxonomy = taxonomy or load_taxonomy()
        # Taggers and models are per guild and cached: a capture must not rebuild them.
        self._taggers: dict[int, Tagger] = {}
        self._plain: Tagger | None = None
        self._models: dict[int, TagModel] = {}

    async def tagger(self, guild_id: int) -> Tagger:
        tagger = self._taggers.get(guild_id)
        if tagger is None:
            custom = await self.repo.custom_tags(guild_id)
            # Most guilds add no tags of their own, and they share one tagger: each one
            # built is about 1,700 objects (index, patterns) kept, and walked by the
            # collector, for every guild that captured feedback.
            tagger = Tagger(self.taxonomy, custom) if custom else self._plain_tagger()
            self._taggers[guild_id] = tagger
        return tagger

    def _plain_tagger(self) -> Tagger:
        if self._plain is None:
            self._plain = Tagger(self.taxonomy)
        return self._plain

    async def model(self, guild_id: int) -> TagModel:
        model = self._models.get(guild_id)
        if model is None:
            tokens, examples = await self.repo.model_rows(guild_id)
            model = TagModel.from_rows(tokens, examples)
            self._models[guild_id] = model
        return model

    async def known_tags(self, guild_id: int) -> tuple[str, ...]:
        return (await self.tagger(guild_id)).tag_names

    async def retag(
        self,
        guild_id: int,
        item_id: int,
        actor_id: int,
        add: Sequence[str],
        remove: Sequence[str],
    ) -> FeedbackItem:
        """Apply an advocate's correction and teach the guild's model from it."""
        add = list(dict.fromkeys(add))
        remove = list(dict.fromkeys(remove))
        if not add and not remove:
            raise InvalidInput("Name at least one tag to add or remove, e.g. `add: docs`.")
        both = set(add) & set(remove)
        if both:
            raise InvalidInput(f"`{', '.join(sorted(both))}` is both added and removed; pick one.")
        known = await self.known_tags(guild_id)
        unknown = [t for t in [*add, *remove] if t not in known]
        if unknown:
            raise InvalidInput(
                f"Unknown tag `{unknown[0][:32]}`. Tags are: {', '.join(known)}. "
                "Advocates can add one with `/feedback tags add`."
            )
        item = await find_item(self.items, guild_id, item_id)
        current = set(item.tag_names)
        not_there = [t for t in remove if t not in current]
        if not_there:
            raise InvalidInput(f"#{item.id} isn't tagged `{not_there[0]}`, so it can't be removed.")
        final = (current | set(add)) - set(remove)
        text = f"{item.summary}\n{item.details}" if item.details else item.summary
        tokens = tokens_for(text)
        # An advocate who corrects an item reviews its whole tag set, so every known tag
        # left off is evidence too: without it the model would only learn "absent" from
        # removals and could never score the tags advocates only ever add.
        absent = [t for t in known if t not in final]
        model = await self.model(guild_id)
        model.learn(tokens, final, absent)
        distinct = distinct_tokens(tokens)
        labels = [*final, *(ABSENT_PREFIX + t for t in absent)]
        token_rows = [
            (label, tok, model.token_counts[(label, tok)]) for label in labels for tok in distinct
        ]
        example_rows = [(label, model.tag_docs[label]) for label in labels]
        try:
            await self.repo.retag(
                guild_id,
                item.id,
                add,
                remove,
                actor_id,
                self.clock.now(),
                token_rows,
                example_rows,
            )
        except Exception:
            # The in-memory model learnt something the database didn't keep: reload it.
            self._models.pop(guild_id, None)
            raise
        return await find_item(self.items, guild_id, item.id)

    async def tag_infos(self, guild_id: int) -> list[TagInfo]:
        counts = await self.repo.tag_counts(guild_id)
        custom = await self.repo.custom_tags(guild_id)
        out = [
            TagInfo(
                spec.name,
                spec.description,
                False,
                *counts.get(spec.name, (0, 0)),
                keywords=custom.get(spec.name, []),
            )
            for spec in self.taxonomy.tags
        ]
        builtin = set(self.taxonomy.names)
        for name, keywords in custom.items():
            if name in builtin:
                continue
            out.append(
                TagInfo(name, "custom tag", True, *counts.get(name, (0, 0)), keywords=keywords)
            )
        return out

    async def add_custom_tag(self, guild_id: int, name: str, keywords: str) -> list[str]:
        name = name.strip().lower()
        words = [k.strip() for k in keywords.split(",") if k.strip()]
        if not words:
            raise InvalidInput(
                "Give at least one keyword, separated by commas, e.g. `billing portal, invoice`."
            )
        custom = await self.repo.custom_tags(guild_id)
        if name not in custom and len(custom) >= MAX_CUSTOM_TAGS:
            raise Conflict(f"This server already has {MAX_CUSTOM_TAGS} custom tags; remove one.")
        merged = list(dict.fromkeys([*custom.get(name, []), *words]))
        # Building a tagger validates names and keywords with messages for the user.
        tagger = Tagger(self.taxonomy, {**custom, name: merged})
        await self.repo.set_custom_tag(guild_id, name, merged, self.clock.now())
        self._taggers[guild_id] = tagger
        return merged

    async def remove_custom_tag(self, guild_id: int, name: str) -> None:
        name = name.strip().lower()
        if not await self.repo.delete_custom_tag(guild_id, name):
            if name in self.taxonomy.names:
                raise InvalidInput(
                    f"`{name}` is a built-in tag and can't be removed. "
                    "Custom keywords added to it are removed the same way once added."
                )
            raise NotFound(f"There's no custom tag `{name[:32]}`. See `/feedback tags list`.")
        self._taggers.pop(guild_id, None)


__all__ = ["FeedbackTags", "TagInfo"]
