"""Shared text handling for the feedback pipeline: tagger, naive Bayes and duplicate search.

All three must agree on what a "word" is, otherwise a correction learnt by the Bayes model or
a term stored in the similarity index would never line up with what the tagger sees. So this
module is the single place that decides normalisation, tokenisation, stemming and stop words.

Everything here runs once per feedback message (and once per stored item when an index is
rebuilt), so it is written for speed: compiled regexes, a memoised stemmer, no per-call setup.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = [
    "BIDI_CONTROLS",
    "BOUNDARIES",
    "FENCE",
    "INVISIBLE",
    "STOP_WORDS",
    "clean_summary",
    "content_tokens",
    "is_blank",
    "normalize",
    "stem",
    "stems",
    "strip_invisible",
    "tokenize",
    "words",
    "wordset",
]

# Characters that render as nothing. Every place that reads user input strips
# them, so "in\u200b2 hours" parses and a zero-width title counts as empty.
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"), None)
# Direction marks and overrides: they can reorder how a reader sees the text around them.
BIDI_CONTROLS = dict.fromkeys(
    map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"), None
)


def strip_invisible(text: str) -> str:
    """NFKC-normalise user input and drop characters that render as nothing."""
    return unicodedata.normalize("NFKC", text).translate(INVISIBLE)


def is_blank(text: str) -> bool:
    """True when nothing in the text would show: only spaces, format or control characters."""
    return not any(unicodedata.category(ch)[0] not in "CZ" for ch in text)


_WS = re.compile(r"\s+")


# Direction overrides and isolates can make echoed text read differently from what was
# typed, so they are dropped; other invisible characters (zero-width joiners in emoji) stay.
def clean_summary(text: str) -> str:
    """One line, whitespace collapsed; only invisible characters count as empty."""
    cleaned = _WS.sub(" ", text.translate(BIDI_CONTROLS)).strip()
    # Zero-width and right-to-left marks alone would save an item nobody can read.
    if is_blank(cleaned):
        return ""
    return cleaned


# Zero-width characters survive NFKC and silently split words ("doc\u200bs"), and Discord
# clients insert them to defeat mentions. Curly quotes are mapped so "isn’t" == "isn't".
_CLEAN = str.maketrans(
    {
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\u2060": None,
        "\ufeff": None,
        "\u00ad": None,
        "\u2018": "'",
        "\u2019": "'",
        "\u02bc": "'",
        "\u201c": '"',
        "\u201d": '"',
    }
)

# [^\W_] is "a Unicode letter or digit": underscores split identifiers like auth_token into
# words the phrase lists know. An apostrophe joins contractions so "isn't" stays one token.
_WORD_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
# Punctuation and newlines are kept as tokens by the tagger: they stop phrases and negation
# scopes from running across clause boundaries ("not slow. auth broken").
_WORD_OR_BREAK_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[.,;:!?()\[\]\n]")
# Same tokens for lower-cased ASCII text, but a plain character class is ~25% faster than
# the Unicode-aware one, and most feedback is ASCII.
_ASCII_WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")
_ASCII_WORD_OR_BREAK_RE = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*|[.,;:!?()\[\]\n]")


# A Markdown code fence: text between two of them is code, not prose.
FENCE = "```"


def wordset(words: str) -> frozenset[str]:
    # Long word lists read better as one string than as a list of quoted words.
    return frozenset(words.split())


# Tokens that end a clause for negation purposes. Kept here so every consumer agrees.
BOUNDARIES: frozenset[str] = frozenset(
    {
        ".",
        ",",
        ";",
        ":",
        "!",
        "?",
        "(",
        ")",
        "[",
        "]",
        "\n",
        "and",
        "but",
        "so",
        "because",
        "though",
        "although",
        "however",
        "yet",
        "while",
        "whereas",
    }
)

STOP_WORDS: frozenset[str] = wordset("""
    a about above after again against all also am an and any are aren't arent as at be because
    been before being below between both but by can could couldn't did didn't do does doesn't
    doing don't dont down during each even ever few for from further get gets got had hadn't has
    hasn't have haven't having he he'd he'll he's her here here's hers herself him himself his
    how how's i i'd i'll i'm i've if in into is isn't isnt it it's its itself just let's like
    me more most much my myself no nor not now of off on once only or other our ours ourselves
    out over own quite really same she she'd she'll she's should shouldn't so some such than
    that that's the their theirs them themselves then there there's these they they'd they'll
    they're they've this those through to too under until up us very via was wasn't wasnt we
    we'd we'll we're we've were weren't what what's when when's where where's which while who
    who's whom why why's will with won't would wouldn't yet you you'd you'll you're you've your
    yours yourself yourselves hi hey hello thanks thank please pls lol tbh imo btw also still
    already anyway anyone anything someone something every everything way etc eg ie ok okay
    yes yeah yep one two three can't cant cannot won't wont
    """)

# Words the suffix rules would mangle or that are already a base form despite their ending.
_PROTECTED: frozenset[str] = frozenset(
    {
        "always",
        "analysis",
        "axios",
        "aws",
        "bias",
        "canvas",
        "chaos",
        "corps",
        "embed",
        "express",
        "gradle",
        "https",
        "hundred",
        "jenkins",
        "kubernetes",
        "macos",
        "news",
        "nodejs",
        "perhaps",
        "postgres",
        "redis",
        "series",
        "species",
        "status",
        "versus",
        "windows",
    }
)

_IRREGULAR: dict[str, str] = {"apis": "api", "uis": "ui", "ids": "id", "urls": "url"}

# Single pass of derivational suffixes, longest first so "ational" wins over "ation".
_DERIVATIONAL: tuple[tuple[str, str], ...] = (
    ("ational", ""),
    ("ization", ""),
    ("isation", ""),
    ("iveness", "ive"),
    ("fulness", ""),
    ("ousness", "ous"),
    ("ability", ""),
    ("ibility", ""),
    ("ation", ""),
    ("ness", ""),
    ("able", ""),
    ("ible", ""),
    ("ity", ""),
    ("ize", ""),
    ("ate", ""),
    ("ful", ""),
)
_VOWELS = frozenset("aeiouy")
_UNDOUBLE = frozenset("bdfgkmnprt")

# Multi-word forms that mean one thing; joined before stop words drop the second half
# ("times out" would otherwise lose "out"), so duplicate search sees "timeout" both ways.
_COMPOUNDS: dict[tuple[str, str], str] = {
    ("tim", "out"): "timeout",
    ("log", "in"): "login",
    ("sign", "in"): "login",
    ("log", "on"): "login",
    ("sign", "on"): "login",
    ("sign", "up"): "signup",
    ("set", "up"): "setup",
    ("rat", "limit"): "ratelimit",
    ("web", "hook"): "webhook",
    ("dark", "mod"): "darkmod",
    ("open", "sourc"): "opensourc",
    ("featur", "request"): "featurerequest",
}
# Abbreviations and near-synonyms that developers use interchangeably. Only stems that are
# unambiguous in a developer-feedback context belong here.
_SYNONYMS: dict[str, str] = {
    "doc": "document",
    "docu": "document",
    "big": "larg",
    "huge": "larg",
    "authentic": "auth",
    "author": "auth",
    "authn": "auth",
    "authz": "auth",
    "configur": "config",
    "conf": "config",
    "repositori": "repo",
    "applic": "app",
    "perf": "performanc",
    "env": "environment",
    "lib": "librari",
    "pkg": "packag",
    "db": "databas",
    "k8s": "kubernet",
    "js": "javascript",
    "ts": "typescript",
    "py": "python",
    "golang": "go",
    "param": "paramet",
    "msg": "messag",
    "signin": "login",
    "logon": "login",
}

_STEM_CACHE: dict[str, str] = {}
_STEM_CACHE_MAX = 100_000


def normalize(text: str) -> str:
    """NFKC-normalise, drop zero-width characters, unify quotes and lower-case."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_CLEAN)
    return text.lower()


def words(normalized: str, *, boundaries: bool = False) -> list[str]:
    """Word tokens of already-normalised text; with ``boundaries`` punctuation is kept too."""
    if normalized.isascii():
        rx = _ASCII_WORD_OR_BREAK_RE if boundaries else _ASCII_WORD_RE
    else:
        rx = _WORD_OR_BREAK_RE if boundaries else _WORD_RE
    return rx.findall(normalized)


def tokenize(text: str) -> list[str]:
    """Normalise ``text`` and split it into word tokens (stop words kept, nothing stemmed)."""
    return words(normalize(text))


def _undouble(word: str) -> str:
    # "stopped" -> "stopp" -> "stop", but "installed" -> "install" keeps its ll.
    if len(word) > 3 and word[-1] == word[-2] and word[-1] in _UNDOUBLE:
        return word[:-1]
    return word


def _has_vowel(word: str) -> bool:
    return any(c in _VOWELS for c in word)


def _stem(word: str) -> str:
    if word.endswith("'s"):
        word = word[:-2]
    irregular = _IRREGULAR.get(word)
    if irregular is not None:
        return irregular
    if len(word) <= 3 or not word.isalpha() or word in _PROTECTED:
        return word

    # Inflections: plurals, third person, past tense, gerund.
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "i"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]

    if word.endswith("ied") and len(word) > 4:
        word = word[:-3] + "i"
    elif word.endswith("ed") and not word.endswith("eed"):
        base = word[:-2]
        if len(base) >= 3 and _has_vowel(base):
            word = _restore_e(base)
    elif word.endswith("ing"):
        base = word[:-3]
        if len(base) >= 3 and _has_vowel(base):
            word = _restore_e(base)

    # One derivational suffix, so "documentation" and "documented" both end at "document".
    for suffix, replacement in _DERIVATIONAL:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + replacement
            break
    else:
        if word.endswith("ly") and len(word) >= 6:
            word = word[:-2]
        elif word.endswith("er") and len(word) >= 6:
            word = _undouble(word[:-2])

    # A final e and y are dropped/unified so "time"/"timed"/"timing" and "retry"/"retries"
    # meet at one form. The result is not an English word; it only has to be consistent.
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    elif word.endswith("y") and len(word) > 3 and word[-2] not in _VOWELS:
        word = word[:-1] + "i"
    return word


def _restore_e(base: str) -> str:
    # After removing -ed/-ing: "integrat" needs its e back so -ate can be stripped next,
    # while "stopp" needs its doubled consonant removed.
    if base.endswith(("at", "bl", "iz")):
        return base + "e"
    return _undouble(base)


def stem(word: str) -> str:
    """Light suffix-stripping stemmer; expects a lower-case token.

    Word forms collapse to one key ("crashes", "crashed", "crashing" -> "crash";
    "documented", "documentation" -> "document"). Tokens with digits are left alone so
    "v2", "oauth2" and "e1234" survive intact.
    """
    cached = _STEM_CACHE.get(word)
    if cached is not None:
        return cached
    result = _stem(word)
    if len(_STEM_CACHE) >= _STEM_CACHE_MAX:
        # Arbitrary user text could grow this forever; a reset is cheaper than LRU upkeep.
        _STEM_CACHE.clear()
    _STEM_CACHE[word] = result
    return result


def stems(tokens: Iterable[str]) -> list[str]:
    """Stem every token, keeping stop words and order."""
    cache = _STEM_CACHE
    return [cache.get(t) or stem(t) for t in tokens]


def content_tokens(text: str) -> list[str]:
    """Content-bearing stems of ``text`` in order, for learning and duplicate search.

    Stop words and single characters are dropped, compound verbs are joined ("timed out" ->
    "timeout", "sign in" -> "login") and common abbreviations are unified ("docs" and
    "documentation" -> "document").
    """
    raw = words(normalize(text))
    cache = _STEM_CACHE
    out: list[str] = []
    skip_next = False
    last = len(raw) - 1
    for i, tok in enumerate(raw):
        if skip_next:
            skip_next = False
            continue
        s = cache.get(tok) or stem(tok)
        if i < last:
            nxt = raw[i + 1]
            joined = _COMPOUNDS.get((s, cache.get(nxt) or stem(nxt)))
            if joined is not None:
                out.append(joined)
                skip_next = True
                continue
        if tok in STOP_WORDS or len(s) < 2:
            continue
        out.append(_SYNONYMS.get(s, s))
    return out
