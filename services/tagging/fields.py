"""Structured facts in a developer message: language, SDK, versions, error codes.

Kept apart from the tagger: the tags say what hurts, these fields say where.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from services.text import FENCE, wordset

__all__ = ["Fields", "extract_fields"]


# Results are created for every message; plain slotted dataclasses construct measurably
# faster than frozen ones, and callers own their copies anyway.
@dataclass(slots=True)
class Fields:
    """Structured facts pulled out of a message, independent of the tags."""

    language: str | None = None
    sdk: str | None = None
    versions: list[str] = field(default_factory=list)
    error_codes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "sdk": self.sdk,
            "versions": list(self.versions),
            "error_codes": list(self.error_codes),
        }


_LANG_TOKENS: dict[str, str] = {
    "python": "python",
    "python3": "python",
    "django": "python",
    "flask": "python",
    "fastapi": "python",
    "javascript": "javascript",
    "js": "javascript",
    "node": "javascript",
    "nodejs": "javascript",
    "typescript": "typescript",
    "golang": "go",
    "rust": "rust",
    "rustc": "rust",
    "java": "java",
    "kotlin": "kotlin",
    "swift": "swift",
    "ruby": "ruby",
    "rails": "ruby",
    "php": "php",
    "laravel": "php",
    "csharp": "c#",
    "dotnet": "c#",
}
_GO_CONTEXT_AFTER = wordset(
    "sdk client library lib module modules mod package code version app service binary"
)
_GO_CONTEXT_BEFORE = wordset("in using with written")
_FENCE_LANG: dict[str, str] = {
    "python": "python",
    "py": "python",
    "python3": "python",
    "pycon": "python",
    "javascript": "javascript",
    "js": "javascript",
    "jsx": "javascript",
    "node": "javascript",
    "typescript": "typescript",
    "ts": "typescript",
    "tsx": "typescript",
    "go": "go",
    "golang": "go",
    "rust": "rust",
    "rs": "rust",
    "java": "java",
    "kotlin": "kotlin",
    "kt": "kotlin",
    "swift": "swift",
    "ruby": "ruby",
    "rb": "ruby",
    "php": "php",
    "csharp": "c#",
    "cs": "c#",
    "c#": "c#",
}
_EXT_LANG: dict[str, str] = {
    "py": "python",
    "js": "javascript",
    "mjs": "javascript",
    "cjs": "javascript",
    "jsx": "javascript",
    "ts": "typescript",
    "tsx": "typescript",
    "go": "go",
    "rs": "rust",
    "java": "java",
    "kt": "kotlin",
    "swift": "swift",
    "rb": "ruby",
    "php": "php",
    "cs": "c#",
}
_DOTNET_RE = re.compile(r"(?<![\w#])c#(?![\w#])|(?<![\w.-])(?:asp)?\.net\b")
_FENCE_LANG_RE = re.compile(r"```([a-z0-9#+-]+)")
_EXT_RE = re.compile(r"\.(py|m?js|cjs|jsx|tsx?|go|rs|java|kt|swift|rb|php|cs)(?::\d|\")")

_SDK_PLATFORMS: dict[str, str] = {
    "python": "python",
    "py": "python",
    "node": "node",
    "nodejs": "node",
    "node.js": "node",
    "js": "javascript",
    "javascript": "javascript",
    "typescript": "typescript",
    "ts": "typescript",
    "go": "go",
    "golang": "go",
    "rust": "rust",
    "java": "java",
    "kotlin": "kotlin",
    "swift": "swift",
    "ruby": "ruby",
    "php": "php",
    "dotnet": "dotnet",
    ".net": "dotnet",
    "c#": "dotnet",
    "csharp": "dotnet",
    "ios": "ios",
    "android": "android",
    "flutter": "flutter",
    "dart": "dart",
    "react": "react",
    "react-native": "react-native",
    "unity": "unity",
    "web": "web",
    "browser": "browser",
    "deno": "deno",
    "elixir": "elixir",
    "scala": "scala",
}
_PLATFORM_SDK_RE = re.compile(
    r"(?<![\w.#-])("
    + "|".join(re.escape(p) for p in sorted(_SDK_PLATFORMS, key=len, reverse=True))
    + r")[\s_-]?sdk\b"
)
_PACKAGE_SDK_RE = re.compile(
    r"(?<![\w@/.-])((?:[a-z0-9]+[-_])+sdk(?:[-_][a-z0-9]+)*|sdk(?:[-_][a-z0-9]+)+)(?![\w-])"
)
_SCOPED_PACKAGE_RE = re.compile(r"(?<![\w.])@[a-z0-9][\w.-]*/[a-z0-9][\w.-]*[a-z0-9]")
_INSTALL_RE = re.compile(
    r"\b(?:pip3?|npm|yarn|pnpm|gem|cargo|composer|go|dotnet|nuget|bun)\s+"
    r"(?:install|add|get|require|i)\s+(?:-{1,2}[\w-]+\s+)*([@a-z0-9][\w./@-]*[a-z0-9])"
)

# Field extraction finds candidates with regexes that begin with a literal or a character
# class (so the engine can skip ahead quickly) and then checks the surroundings in Python;
# candidates are rare, so this is much cheaper than look-behinds tried at every position.
_DIGIT_RE = re.compile(r"[0-9]")
_VERSION_CAND_RE = re.compile(
    r"(?:v[0-9]+(?:\.[0-9]+){0,3}|[0-9]+(?:\.[0-9]+){1,3})"
    r"(?:-(?:alpha|beta|rc|pre|dev|canary|next)(?:\.?[0-9]+)*)?"
)
_WORDISH = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
_NOT_BEFORE_VERSION = _WORDISH | frozenset(".$€£/-")
_UNIT_AFTER_RE = re.compile(
    r"[.,]?[0-9]|\s?(?:ms|s|sec|secs|seconds?|minutes?|mins?|hours?|hrs?|days?|gb|mb|kb|tb|"
    r"x|k|m|usd|eur|dollars?|percent|stars?|users?|people|rows|records|items|times)\b"
)
_HTTP_CODES = frozenset(
    {400, 401, 402, 403, 404, 405, 406, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417,
     418, 421, 422, 423, 424, 425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505,
     506, 507, 508, 510, 511}
)  # fmt: skip
_HTTP_CAND_RE = re.compile(r"[45][0-9][0-9]")
_HTTP_BEFORE_RE = re.compile(
    r"(?:\bhttp(?:/[0-9.]+)?|\bstatus|\berror|\bcode|\bresponse|\breturns?|\breturned|"
    r"\breturning|\bgot|\bgetting|\bgets|\bgives|\bgiving|\bthrows?|\bthrew|\bwith|\ban?)"
    r"\s*(?:status\s*)?(?:code\s*)?[:=]?\s*\Z"
)
_HTTP_AFTER_RE = re.compile(
    r"s\b|\s*(?:errors?|responses?|status|unauthori[sz]ed|forbidden|not\s+found|too\s+many"
    r"|internal|bad\s+(?:request|gateway)|service\s+unavailable|gateway|conflict|unprocessable"
    r"|payment\s+required|method\s+not\s+allowed|request\s+timeout|gone|payload\s+too\s+large)\b"
)
_ECODE_RE = re.compile(r"e[0-9]{3,5}")
_ERRNO = wordset(
    """
    econnrefused econnreset econnaborted etimedout enotfound eaddrinuse eaddrnotavail eacces
    eperm epipe enoent ehostunreach enetunreach emfile enospc eexist eproto ecanceled
    """
)
_ERRNO_RE = re.compile(r"\b(" + "|".join(sorted(_ERRNO)) + r"|eai_again)\b")
_ERR_CODE_RE = re.compile(r"\b(err_[a-z0-9_]{3,})\b")
_GRPC_RE = re.compile(
    r"\b(deadline_exceeded|resource_exhausted|permission_denied|failed_precondition)\b"
)


def extract_fields(norm: str, raw_tokens: Sequence[str], tokset: set[str]) -> Fields:
    has_digit = _DIGIT_RE.search(norm) is not None
    return Fields(
        language=_detect_language(norm, raw_tokens, tokset),
        sdk=_detect_sdk(norm),
        versions=_detect_versions(norm) if has_digit else [],
        error_codes=_detect_error_codes(norm, tokset, has_digit),
    )


def _detect_language(norm: str, raw_tokens: Sequence[str], tokset: set[str]) -> str | None:
    if FENCE in norm:
        for hint in _FENCE_LANG_RE.findall(norm):
            lang = _FENCE_LANG.get(hint)
            if lang:
                return lang
    found: list[str] = []
    if not tokset.isdisjoint(_LANG_TOKENS) or "go" in tokset:
        last = len(raw_tokens) - 1
        for i, tok in enumerate(raw_tokens):
            lang = _LANG_TOKENS.get(tok)
            if lang is None and tok == "go":
                # "go" is mostly the verb; only count it next to an unambiguous neighbour.
                after = raw_tokens[i + 1] if i < last else ""
                before = raw_tokens[i - 1] if i else ""
                if after in _GO_CONTEXT_AFTER or before in _GO_CONTEXT_BEFORE:
                    lang = "go"
            if lang is not None:
                found.append(lang)
    if ("c#" in norm or ".net" in norm) and _DOTNET_RE.search(norm):
        found.append("c#")
    if found:
        # "TypeScript on node" is a TypeScript question; node alone implies JavaScript.
        if "typescript" in found:
            return "typescript"
        return found[0]
    match = _EXT_RE.search(norm)
    if match:
        return _EXT_LANG[match.group(1)]
    if "traceback (most recent call last)" in norm:
        return "python"
    return None


def _detect_sdk(norm: str) -> str | None:
    idx = norm.find("sdk")
    while idx != -1:
        # Searching a small window around each "sdk" instead of the whole message keeps
        # these look-behind-heavy patterns cheap; look-behinds still see outside the window.
        m = _PLATFORM_SDK_RE.search(norm, max(0, idx - 16), idx + 4)
        if m:
            return f"{_SDK_PLATFORMS[m.group(1)]}-sdk"
        m = _PACKAGE_SDK_RE.search(norm, max(0, idx - 48), idx + 48)
        if m:
            return m.group(1)
        idx = norm.find("sdk", idx + 3)
    if "@" in norm:
        m = _SCOPED_PACKAGE_RE.search(norm)
        if m:
            return m.group(0)
    if "install" in norm or " add " in norm or "npm i " in norm:
        m = _INSTALL_RE.search(norm)
        if m:
            return m.group(1)
    return None


def _detect_versions(norm: str) -> list[str]:
    out: list[str] = []
    for m in _VERSION_CAND_RE.finditer(norm):
        start, end = m.span()
        if start and norm[start - 1] in _NOT_BEFORE_VERSION:
            continue  # part of a word, path, price or a longer dotted number
        if end < len(norm):
            if norm[end] in _WORDISH or norm[end] == "%":
                continue
            if _UNIT_AFTER_RE.match(norm, end):
                continue  # "2.5 seconds", "1.5x", "3.2 GB" are measurements
        version = m.group(0)
        if version.partition("-")[0].count(".") > 2:
            continue  # an IP address or a date, not a version
        if version not in out:
            out.append(version)
    return out


def _detect_error_codes(norm: str, tokset: set[str], has_digit: bool) -> list[str]:
    found: list[tuple[int, str]] = []
    if has_digit:
        for m in _HTTP_CAND_RE.finditer(norm):
            start, end = m.span()
            if int(m.group(0)) not in _HTTP_CODES:
                continue
            if start and norm[start - 1] in _NOT_BEFORE_VERSION:
                continue
            if end < len(norm) and norm[end] in _WORDISH and norm[end] != "s":
                continue
            # A bare 500 might be "500 users"; require HTTP-ish words around it.
            if _HTTP_AFTER_RE.match(norm, end) or (
                _HTTP_BEFORE_RE.search(norm, max(0, start - 40), start)
                and not _UNIT_AFTER_RE.match(norm, end)
            ):
                found.append((start, f"HTTP {m.group(0)}"))
        for m in _ECODE_RE.finditer(norm):
            start, end = m.span()
            if start and (norm[start - 1] in _WORDISH or norm[start - 1] == "-"):
                continue
            if end < len(norm) and norm[end] in _WORDISH:
                continue
            found.append((start, m.group(0).upper()))
    if not tokset.isdisjoint(_ERRNO) or "eai" in tokset:
        found.extend((m.start(), m.group(1).upper()) for m in _ERRNO_RE.finditer(norm))
    if "err" in tokset:
        found.extend((m.start(), m.group(1).upper()) for m in _ERR_CODE_RE.finditer(norm))
    if "_" in norm:
        found.extend((m.start(), m.group(1).upper()) for m in _GRPC_RE.finditer(norm))
    found.sort()
    out: list[str] = []
    for _, code in found:
        if code not in out:
            out.append(code)
    return out
