"""Rule-based multi-label pain-point tagger for developer feedback.

The taxonomy (config/pain_points.toml, loaded and validated by services.tagging.taxonomy) lists, per
tag, weighted phrases and weighted regex patterns. ``Tagger`` compiles it once; ``Tagger.tag``
then scores a message with:

* phrase matches looked up by stemmed token n-grams in a dict (no per-phrase loop), with
  clause-scoped negation ("not slow" does not count as ``performance``);
* patterns for message *shapes* (stack traces, doc links, HTTP error statuses ...), each
  guarded by literal prefilters so most never run;
* structured ``Fields`` (language, SDK, versions, error codes) from services.tagging.fields.

A per-guild learned model (services.tagging.bayes) can be blended in with ``combine`` or
``Tagger.tag_with_model``. Nothing here touches Discord or storage.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from services import text as textmod
from services.errors import InvalidInput
from services.tagging.fields import Fields, extract_fields
from services.tagging.model import PRAISE, WISHES, LinearModel, load_model
from services.tagging.taxonomy import MAX_PHRASE_WORDS, TAG_NAME_RE, Taxonomy, phrase_key
from services.text import FENCE, wordset

__all__ = [
    "Fields",
    "TagResult",
    "Tagger",
    "combine",
    "tag_lines",
]

# Longer input is truncated: feedback is read by humans, and an unbounded paste must not be
# able to stall the event loop of the bot that calls us.
MAX_CHARS = 20_000
MAX_CUSTOM_TAGS = 50
MAX_CUSTOM_KEYWORDS = 50
MAX_KEYWORD_CHARS = 64

# --------------------------------------------------------------------------- results


# Results are created for every message; plain slotted dataclasses construct measurably
# faster than frozen ones, and callers own their copies anyway.
@dataclass(slots=True)
class TagResult:
    tags: list[str]
    scores: dict[str, float]
    fields: Fields

    def to_dict(self) -> dict[str, Any]:
        return {
            "tags": list(self.tags),
            "scores": dict(self.scores),
            "fields": self.fields.to_dict(),
        }


# --------------------------------------------------------------------------- negation


# Negators that deny what follows. Do-support negations ("doesn't", "can't") are left out on
# purpose: "doesn't work" and "can't log in" report a problem rather than deny one.
_NEGATORS = wordset(
    """
    not no never isn't isnt aren't arent wasn't wasnt weren't werent nothing none nor
    neither hardly barely
    """
)
# A negator directly followed by one of these describes something missing or failing
# ("not documented", "no docs", "never got the email"), so it does not cancel what follows.
_NEGATION_BREAKERS = frozenset(
    textmod.stem(w)
    for w in wordset(
        """
        work working load loading find found get got getting see show return connect log sign
        authenticate install compile run build start access use import deploy upload download
        send sent receive call reach open make able sure clear obvious intuitive possible allow
        support document documented mention explain explanation cover list include available
        respond response update sync match save fire trigger in way option longer idea clue
        matter fix resolve help change respect exist accept pick appear enough complete doc
        docs documentation example guide tutorial refresh indication
        """
    )
)


# "Pricing is fine", "auth works", "the SDK isn't the problem": a phrase followed by a
# verdict that it is fine is mentioned to rule it out, so it does not count either.
_POSITIVE_VERDICTS = wordset(
    """
    fine great good solid ok okay excellent perfect awesome works worked
    smooth fair reasonable stable nice amazing fantastic helpful flawless
    """
)
_VERDICT_FILLERS = wordset(
    """
    is are was were been has have had be seems seem looks look now all really actually
    totally pretty super very so quite honestly generally mostly always working
    """
)
_DENIALS = wordset("isn't isnt wasn't wasnt aren't arent weren't werent not")
_PROBLEM_WORDS = wordset("problem issue culprit cause bottleneck")
_DENIAL_FILLERS = wordset("the a an really actually our my")


def _affirmed(raw: list[str], k: int, n: int) -> bool:
    """Is the phrase ending before ``raw[k]`` followed by a verdict that it is fine?"""
    for _ in range(4):
        if k >= n:
            return False
        tok = raw[k]
        if tok in _POSITIVE_VERDICTS:
            return True
        if tok in _DENIALS:
            for nxt in raw[k + 1 : k + 4]:
                if nxt in _PROBLEM_WORDS:
                    return True
                if nxt not in _DENIAL_FILLERS:
                    return False
            return False
        if tok not in _VERDICT_FILLERS:
            return False
        k += 1
    return False


# --------------------------------------------------------------------------- tagger

_EMPTY_CUSTOM: Mapping[str, Sequence[str]] = MappingProxyType({})
_TOKEN_CACHE_MAX = 100_000
# (phrases that start with this token, patterns whose prefilter this token satisfies)
_TokenInfo = tuple[Sequence[tuple[list[str], int]], frozenset[int]]
_MISSING: Any = object()
# Model scores below this are left out of a result: they say only "not this tag".
_MIN_SCORE = 0.05


def _stems_match(raw: list[str], start: int, rest: list[str]) -> bool:
    """Do the tokens from ``start`` stem to ``rest``? Most candidate phrases fail on their
    second word, so stems are looked up one at a time rather than for the whole message."""
    cache = textmod._STEM_CACHE
    for tok, want in zip(raw[start : start + len(rest)], rest, strict=True):
        if (cache.get(tok) or textmod.stem(tok)) != want:
            return False
    return True


def _best_first(pair: tuple[str, float]) -> tuple[float, str]:
    return (-pair[1], pair[0])


@dataclass(frozen=True, slots=True)
class _CompiledPattern:
    regex: re.Pattern[str]
    tag: int
    weight: float


class Tagger:
    """Scores messages against a taxonomy plus optional per-guild custom tags.

    ``custom_tags`` maps a tag name to keywords (each keyword counts like a phrase of weight
    1.0). A custom tag named like a built-in one adds its keywords to that tag. Custom tags
    come from guild admins, so problems raise ``InvalidInput`` with a message for them.
    """

    def __init__(
        self,
        taxonomy: Taxonomy,
        custom_tags: Mapping[str, Sequence[str]] = _EMPTY_CUSTOM,
        *,
        model: LinearModel | Literal["default"] | None = "default",
    ) -> None:
        self.taxonomy = taxonomy
        names: list[str] = list(taxonomy.names)
        # first stem -> [(remaining stems, phrase id)]; a phrase id indexes self._entries,
        # which lists the (tag index, weight) pairs that phrase contributes to.
        index: dict[str, list[tuple[list[str], int]]] = {}
        entries: list[list[tuple[int, float]]] = []
        by_key: dict[tuple[str, ...], int] = {}

        def add(key: tuple[str, ...], tag: int, weight: float) -> None:
            pid = by_key.get(key)
            if pid is None:
                pid = len(entries)
                by_key[key] = pid
                entries.append([])
                index.setdefault(key[0], []).append((list(key[1:]), pid))
            for i, (t, w) in enumerate(entries[pid]):
                if t == tag:
                    entries[pid][i] = (t, max(w, weight))
                    return
            entries[pid].append((tag, weight))

        for tag_idx, spec in enumerate(taxonomy.tags):
            for phrase, weight in spec.phrases:
                add(phrase_key(phrase), tag_idx, weight)

        custom = _validate_custom_tags(custom_tags)
        n_base = len(names)
        names.extend(name for name in custom if name not in names)
        n_all = len(names)
        for name, keywords in custom.items():
            i = names.index(name)
            # A guild's keywords for a built-in tag count in a slot of their own (n_all + i),
            # so the learned model reads only the taxonomy's evidence it was trained on.
            tag_idx = i if i >= n_base else n_all + i
            for key in keywords:
                add(key, tag_idx, 1.0)
        self._n_base = n_base

        # Longest phrases first so a multi-word match is found before its own prefix.
        for cands in index.values():
            cands.sort(key=lambda c: -len(c[0]))

        self._names: tuple[str, ...] = tuple(names)
        self._index = index
        self._entries: tuple[tuple[tuple[int, float], ...], ...] = tuple(map(tuple, entries))

        patterns: list[tuple[tuple[str, ...], _CompiledPattern]] = []
        for tag_idx, spec in enumerate(taxonomy.tags):
            for p in spec.patterns:
                compiled = _CompiledPattern(re.compile(p.regex, re.MULTILINE), tag_idx, p.weight)
                patterns.append((p.prefilter, compiled))
        # Prefilter literals made only of letters and digits can only occur inside a single
        # token, so they are resolved per distinct token and memoised; the few literals with
        # punctuation or spaces are searched for in the text directly.
        self._patterns: list[_CompiledPattern] = [c for _, c in patterns]
        self._always: tuple[int, ...] = tuple(i for i, (pf, _) in enumerate(patterns) if not pf)
        word_lits: dict[str, set[int]] = {}
        other_lits: dict[str, set[int]] = {}
        for i, (prefilter, _) in enumerate(patterns):
            for lit in prefilter:
                wordlike = lit.replace("'", "").isalnum() and lit.isascii() and lit[0] != "'"
                target = word_lits if wordlike else other_lits
                target.setdefault(lit, set()).add(i)
        self._word_literals = tuple((lit, frozenset(ix)) for lit, ix in word_lits.items())
        self._other_literals = tuple((lit, frozenset(ix)) for lit, ix in other_lits.items())
        self._tok_info: dict[str, _TokenInfo | None] = {}

        self._threshold = taxonomy.threshold
        # The learned model decides the taxonomy's tags, each at its own threshold; custom tags
        # (never in its training data) stay with their keywords and the taxonomy's threshold.
        self._model = load_model() if model == "default" else model
        self._model_tags: tuple[int, ...] = ()
        if self._model is not None:
            index = {name: i for i, name in enumerate(self._model.tags)}
            if set(index) != set(taxonomy.names):
                # A taxonomy of its own (other tags) gets its rules alone: the shipped model
                # knows only the default tags.
                self._model = None
        if self._model is not None:
            index = {name: i for i, name in enumerate(self._model.tags)}
            self._model_tags = tuple(index[name] for name in taxonomy.names)
        # (name, the model's index for it, its own threshold, its guild-keyword slot)
        self._model_plan = (
            tuple(
                (name, m, self._model.thresholds[m], len(self._names) + i)
                for i, (name, m) in enumerate(zip(taxonomy.names, self._model_tags, strict=True))
            )
            if self._model is not None
            else ()
        )
        self._saturation = taxonomy.saturation
        self._window = taxonomy.negation_window
        self._code_weight = taxonomy.code_weight

    @property
    def tag_names(self) -> tuple[str, ...]:
        """Every tag this tagger can emit: the taxonomy's, then custom ones."""
        return self._names

    @property
    def threshold(self) -> float:
        return self._threshold

    def tag(self, text: str) -> TagResult:
        """Score ``text``; tags at or above their threshold are returned, best first."""
        norm, raw, evidence = self.evidence(text)
        if self._model is None:
            scores = self._scores(evidence)
        else:
            scores = self._model_scores(raw, evidence)
        fields = extract_fields(norm, raw, set(raw))
        return TagResult(self._over_threshold(scores), scores, fields)

    def evidence(self, text: str) -> tuple[str, list[str], list[float]]:
        """The normalised text, its tokens, and the rules' evidence for each tag."""
        if len(text) > MAX_CHARS:
            text = text[:MAX_CHARS]
        norm = textmod.normalize(text)
        seen: dict[int, float] = {}
        to_run: set[int] = set(self._always)
        if "`" in norm:
            # Words inside ``` blocks and `inline code` are identifiers more often than
            # prose, so they count at code_weight. Odd-numbered pieces of a split are code.
            raw: list[str] = []
            code_weight = self._code_weight
            for i, block in enumerate(norm.split(FENCE)):
                if i % 2:
                    raw.extend(self._scan(block, code_weight, seen, to_run))
                    continue
                pieces = block.split("`")
                # An unmatched backtick leaves a last odd piece that is really prose.
                last_code = len(pieces) - 1 if len(pieces) % 2 else len(pieces) - 2
                for j, piece in enumerate(pieces):
                    mult = code_weight if j % 2 and j <= last_code else 1.0
                    raw.extend(self._scan(piece, mult, seen, to_run))
        else:
            raw = self._scan(norm, 1.0, seen, to_run)

        evidence = [0.0] * (len(self._names) + self._n_base)
        entries = self._entries
        for pid, mult in seen.items():
            for tag_idx, weight in entries[pid]:
                evidence[tag_idx] += weight * mult

        for lit, idxs in self._other_literals:
            if lit in norm:
                to_run |= idxs
        patterns = self._patterns
        for i in to_run:
            p = patterns[i]
            if p.regex.search(norm) is not None:
                evidence[p.tag] += p.weight
        return norm, raw, evidence

    def _model_scores(self, raw: list[str], evidence: list[float]) -> dict[str, float]:
        assert self._model is not None
        n_base, n_all = self._n_base, len(self._names)
        probs = self._model.score_tokens(raw, evidence[:n_base])
        t = self._threshold
        pairs: list[tuple[str, float]] = []
        for name, m, own, keyword_slot in self._model_plan:
            # The probability moved so that the tag's own threshold lands on the taxonomy's:
            # every score then reads alike (at or above ``threshold`` means tagged), and
            # blending with a guild's learned model (``combine``) needs no per-tag rule.
            p = probs[m]
            s = t * p / own if p < own else t + (1.0 - t) * (p - own) / (1.0 - own)
            keywords = evidence[keyword_slot]
            if keywords > 0:
                # A guild's own keyword for a built-in tag applies it, as it does without a
                # model: the guild said so, whatever the model learnt elsewhere.
                kw = 1.0 - math.exp(-keywords / self._saturation)
                if kw >= t:
                    s = max(s, kw)
            if s >= _MIN_SCORE:
                pairs.append((name, round(s, 3)))
        for i in range(n_base, n_all):
            if evidence[i] > 0:
                s = round(1.0 - math.exp(-evidence[i] / self._saturation), 3)
                if s > 0:
                    pairs.append((self._names[i], s))
        pairs.sort(key=_best_first)
        return dict(pairs)

    def tag_with_model(
        self, text: str, model_scores: Mapping[str, float], model_weight: float
    ) -> TagResult:
        """Tag with rules, then blend in a learned model's scores (see ``combine``)."""
        return self.blend(self.tag(text), model_scores, model_weight)

    def blend(
        self, result: TagResult, model_scores: Mapping[str, float], model_weight: float
    ) -> TagResult:
        """``result`` of ``tag`` with a learned model's scores blended in (see ``combine``),
        for a caller that also needs the rule scores alone; ``result`` is left as it was."""
        if not model_scores or model_weight <= 0:
            return result
        scores = combine(result.scores, model_scores, model_weight)
        return TagResult(self._over_threshold(scores), scores, result.fields)

    def _token_info(self, tok: str) -> _TokenInfo | None:
        """What a token can trigger: phrases starting at it and patterns it prefilters."""
        cands = self._index.get(textmod.stem(tok), ())
        pats = frozenset(i for lit, ix in self._word_literals if lit in tok for i in ix)
        info = (cands, pats) if cands or pats else None
        if len(self._tok_info) >= _TOKEN_CACHE_MAX:
            self._tok_info.clear()
        self._tok_info[tok] = info
        return info

    def _scan(self, norm: str, mult: float, seen: dict[int, float], to_run: set[int]) -> list[str]:
        """Record phrase hits of one text segment in ``seen`` and prefilter hits in ``to_run``."""
        raw = textmod.words(norm, boundaries=True)
        tok_info = self._tok_info
        missing = _MISSING
        n = len(raw)
        for i, tok in enumerate(raw):
            info = tok_info.get(tok, missing)
            if info is None:
                continue
            if info is missing:
                info = self._token_info(tok)
                if info is None:
                    continue
            cands, pats = info
            if pats:
                to_run |= pats
            negated: bool | None = None
            for rest, pid in cands:
                end = i + 1
                if rest:
                    end += len(rest)
                    if end > n or not _stems_match(raw, i + 1, rest):
                        continue
                if negated is None:
                    negated = self._negated(raw, i)
                if negated:
                    break
                if end < n and _affirmed(raw, end, n):
                    continue
                prev = seen.get(pid)
                if prev is None or mult > prev:
                    seen[pid] = mult
        return raw

    def _negated(self, raw: list[str], i: int) -> bool:
        boundaries = textmod.BOUNDARIES
        for j in range(i - 1, max(0, i - self._window) - 1, -1):
            tok = raw[j]
            if tok in boundaries:
                return False
            if tok in _NEGATORS:
                return textmod.stem(raw[j + 1]) not in _NEGATION_BREAKERS
            if tok in PRAISE and (j == 0 or raw[j - 1] not in WISHES):
                return True  # "love the new docs" praises the docs
        return False

    def _scores(self, evidence: list[float]) -> dict[str, float]:
        if not any(evidence):
            return {}
        n_all = len(self._names)
        # Without a model, a guild's keywords for a built-in tag simply add to its evidence.
        folded = evidence[:n_all]
        for i in range(self._n_base):
            folded[i] += evidence[n_all + i]
        evidence = folded
        sat = self._saturation
        pairs = [
            (self._names[i], round(1.0 - math.exp(-ev / sat), 3))
            for i, ev in enumerate(evidence)
            if ev > 0
        ]
        pairs = [p for p in pairs if p[1] > 0]
        pairs.sort(key=lambda p: (-p[1], p[0]))
        return dict(pairs)

    def _over_threshold(self, scores: Mapping[str, float]) -> list[str]:
        t = self._threshold
        return [name for name, s in scores.items() if s >= t]


def _validate_custom_tags(custom: Mapping[str, Sequence[str]]) -> dict[str, list[tuple[str, ...]]]:
    if len(custom) > MAX_CUSTOM_TAGS:
        raise InvalidInput(f"A server can have at most {MAX_CUSTOM_TAGS} custom tags.")
    out: dict[str, list[tuple[str, ...]]] = {}
    for raw_name, keywords in custom.items():
        name = raw_name.strip().lower() if isinstance(raw_name, str) else ""
        if not TAG_NAME_RE.match(name):
            raise InvalidInput(
                f"Tag name {raw_name!r} is not allowed: use 1-32 lower-case letters, digits "
                "or dashes, starting with a letter or digit (for example `billing-portal`)."
            )
        if isinstance(keywords, str):
            # A bare string would otherwise be read one character at a time.
            keywords = [keywords]
        if not keywords:
            raise InvalidInput(f"Custom tag `{name}` needs at least one keyword.")
        if len(keywords) > MAX_CUSTOM_KEYWORDS:
            raise InvalidInput(
                f"Custom tag `{name}` has {len(keywords)} keywords; the limit is "
                f"{MAX_CUSTOM_KEYWORDS}."
            )
        keys: list[tuple[str, ...]] = []
        for kw in keywords:
            if not isinstance(kw, str) or not kw.strip():
                raise InvalidInput(f"Custom tag `{name}` has an empty keyword.")
            if len(kw) > MAX_KEYWORD_CHARS:
                raise InvalidInput(
                    f"Keyword {kw[:20]!r}... for `{name}` is too long "
                    f"(at most {MAX_KEYWORD_CHARS} characters)."
                )
            key = phrase_key(kw)
            if not key:
                raise InvalidInput(
                    f"Keyword {kw!r} for `{name}` has no letters or digits to match on."
                )
            if len(key) > MAX_PHRASE_WORDS:
                raise InvalidInput(
                    f"Keyword {kw!r} for `{name}` is too long (at most {MAX_PHRASE_WORDS} words)."
                )
            if key not in keys:
                keys.append(key)
        out.setdefault(name, [])
        out[name].extend(k for k in keys if k not in out[name])
    return out


# --------------------------------------------------------------------------- blending


def combine(
    rule_scores: Mapping[str, float], model_scores: Mapping[str, float], weight: float
) -> dict[str, float]:
    """Blend rule scores with a learned model's per-tag probabilities.

    For tags the model has an opinion on, the result is ``(1 - weight) * rule + weight *
    model``; tags the model never learnt keep their rule score, because "no data" must not
    read as "probability 0". Returned best first, rounded like ``Tagger.tag`` scores.
    """
    if not 0.0 <= weight <= 1.0 or math.isnan(weight):
        raise ValueError("model weight must be between 0 and 1")
    out: dict[str, float] = {}
    for name in set(rule_scores) | set(model_scores):
        rule = rule_scores.get(name, 0.0)
        model = model_scores.get(name)
        s = rule if model is None else (1.0 - weight) * rule + weight * model
        s = round(s, 3)
        if s > 0:
            out[name] = s
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


# --------------------------------------------------------------------------- CLI helper


def tag_lines(lines: Iterable[str], tagger: Tagger) -> Iterator[dict[str, Any]]:
    """Tag one message per line (blank lines skipped), for ``python bot.py tag``."""
    for line in lines:
        message = line.rstrip("\r\n")
        if not message.strip():
            continue
        result = tagger.tag(message)
        yield {"text": message, "tags": result.tags, "scores": result.scores}
