"""What each kind of community rule means: its value parsed, and its predicate.

`rule_value_parse` checks a value as staff save it (the admin form calls it) and
returns it ready to match; `rule_compile` turns a saved rule into a predicate over
`DraftContent`. Regular expressions run on RE2 (see the package docstring).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import re2
from django.conf import settings

from drafts.models import BODY_MAX_LENGTH, TITLE_MAX_LENGTH
from poster.domains import (
    DomainInvalid,
    domain_entry_normalize,
    host_allowed,
    host_denied,
    link_host,
)
from poster.models import RULE_FIELDS, BodyPolicy, CommunityRule, RuleKind

# What the admin lets staff add to one community.
MAX_RULES_PER_COMMUNITY = 100
MAX_FLAIRS_PER_COMMUNITY = 100
MAX_PHRASES_PER_RULE = 100
MAX_DOMAINS_PER_RULE = 500


class RuleValueInvalid(ValueError):
    """A rule's value cannot be used; the message says why, for staff."""


@dataclass(frozen=True)
class DraftContent:
    """What the rules read of a draft."""

    title: str
    body: str
    url: str
    flair_id: int | None
    # Counted only if a media rule asks: most communities have none.
    media_count_get: Callable[[], int]

    @cached_property
    def media_count(self) -> int:
        return self.media_count_get()

    # Encoded (and folded) once per check, however many rules read them: RE2 works
    # on UTF-8, so the text is converted once rather than at every search.
    @cached_property
    def title_utf8(self) -> bytes:
        return _utf8(self.title)

    @cached_property
    def body_utf8(self) -> bytes:
        return _utf8(self.body)

    @cached_property
    def title_folded_utf8(self) -> bytes:
        return _utf8(self.title.casefold())

    @cached_property
    def body_folded_utf8(self) -> bytes:
        return _utf8(self.body.casefold())


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "replace")


# A compiled rule: is it broken by this content?
Predicate = Callable[[DraftContent], bool]


@dataclass(frozen=True)
class CompiledRule:
    kind: str
    field: str
    severity: str
    message: str
    is_broken: Predicate


# Parsing values: one function per kind of value ------------------------------------

LENGTH_LIMITS = {
    RuleKind.TITLE_MIN_LENGTH: TITLE_MAX_LENGTH,
    RuleKind.TITLE_MAX_LENGTH: TITLE_MAX_LENGTH,
    RuleKind.BODY_MIN_LENGTH: BODY_MAX_LENGTH,
    RuleKind.BODY_MAX_LENGTH: BODY_MAX_LENGTH,
}
COUNT_KINDS = (RuleKind.MEDIA_MIN_COUNT, RuleKind.MEDIA_MAX_COUNT)
PHRASE_KINDS = (
    RuleKind.TITLE_REQUIRED_PHRASES,
    RuleKind.TITLE_BANNED_PHRASES,
    RuleKind.BODY_REQUIRED_PHRASES,
    RuleKind.BODY_BANNED_PHRASES,
)
REGEX_KINDS = (RuleKind.TITLE_REGEX, RuleKind.BODY_REGEX)
DOMAIN_KINDS = (RuleKind.LINK_DOMAIN_ALLOWLIST, RuleKind.LINK_DOMAIN_DENYLIST)
VALUELESS_KINDS = (RuleKind.FLAIR_REQUIRED, RuleKind.MEDIA_REQUIRED)
LIST_SEPARATORS = re.compile(r"[\s,]+")


def _number(value: str, high: int) -> int:
    text = value.strip()
    if not text.isascii() or not text.isdigit() or not 0 <= int(text) <= high:
        raise RuleValueInvalid(f"A whole number from 0 to {high}.")
    return int(text)


def _phrases(value: str) -> tuple[str, ...]:
    phrases = tuple(
        dict.fromkeys(
            line.strip().casefold() for line in value.splitlines() if line.strip()
        )
    )
    if not phrases:
        raise RuleValueInvalid("At least one phrase, one per line.")
    if len(phrases) > MAX_PHRASES_PER_RULE:
        raise RuleValueInvalid(f"At most {MAX_PHRASES_PER_RULE} phrases.")
    return phrases


def _re2_options() -> Any:
    options = re2.Options()
    options.log_errors = False
    options.max_mem = settings.GUIDANCE_REGEX_MAX_MEMORY_BYTES
    return options


def regex_compile(pattern: str) -> Any:
    """An RE2 program for a moderator's pattern, matching UTF-8 bytes (with the
    same meaning as on text: RE2 works on UTF-8 either way); RuleValueInvalid if
    refused."""
    if not pattern:
        raise RuleValueInvalid("A regular expression is needed.")
    if len(pattern) > settings.GUIDANCE_REGEX_MAX_LENGTH:
        raise RuleValueInvalid(
            f"At most {settings.GUIDANCE_REGEX_MAX_LENGTH} characters."
        )
    try:
        return re2.compile(_utf8(pattern), _re2_options())
    except re2.error as error:
        reason = error.args[0] if error.args else "invalid"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise RuleValueInvalid(
            f"Not a regular expression RE2 accepts ({reason}); back-references "
            "and look-arounds are not supported."
        ) from error


def _domains(value: str, *, allow_wildcard: bool) -> tuple[str, ...]:
    entries = [entry for entry in LIST_SEPARATORS.split(value) if entry]
    if not entries:
        raise RuleValueInvalid("At least one domain, one per line.")
    if len(entries) > MAX_DOMAINS_PER_RULE:
        raise RuleValueInvalid(f"At most {MAX_DOMAINS_PER_RULE} domains.")
    try:
        normalized = [
            domain_entry_normalize(entry, allow_wildcard=allow_wildcard)
            for entry in entries
        ]
    except DomainInvalid as error:
        raise RuleValueInvalid(str(error)) from error
    return tuple(dict.fromkeys(normalized))


def rule_value_parse(kind: str, value: str) -> Any:
    """The value of a `kind` rule, ready to match; RuleValueInvalid if unusable."""
    if kind in LENGTH_LIMITS:
        return _number(value, LENGTH_LIMITS[kind])
    if kind in COUNT_KINDS:
        return _number(value, settings.MEDIA_MAX_PER_DRAFT)
    if kind in PHRASE_KINDS:
        return _phrases(value)
    if kind in REGEX_KINDS:
        return regex_compile(value)
    if kind in DOMAIN_KINDS:
        return _domains(value, allow_wildcard=kind == RuleKind.LINK_DOMAIN_ALLOWLIST)
    if kind == RuleKind.BODY_POLICY:
        if value.strip() not in BodyPolicy.values:
            raise RuleValueInvalid(f"One of: {', '.join(BodyPolicy.values)}.")
        return value.strip()
    if kind in VALUELESS_KINDS:
        if value.strip():
            raise RuleValueInvalid("This kind of rule takes no value.")
        return None
    raise RuleValueInvalid(f"Unknown kind of rule: {kind}.")


# Predicates: what breaking each kind of rule means ---------------------------------


def _text_of(field: str) -> Callable[[DraftContent], str]:
    return (lambda c: c.title) if field == "title" else (lambda c: c.body)


def _utf8_of(field: str) -> Callable[[DraftContent], bytes]:
    return (lambda c: c.title_utf8) if field == "title" else (lambda c: c.body_utf8)


def _folded_utf8_of(field: str) -> Callable[[DraftContent], bytes]:
    if field == "title":
        return lambda c: c.title_folded_utf8
    return lambda c: c.body_folded_utf8


def _phrase_search(phrases: tuple[str, ...]) -> Callable[[bytes], bool]:
    """Whether any of the (folded) phrases occurs: one RE2 pass over the text for
    all of them, instead of one scan per phrase."""
    try:
        program = re2.compile(
            b"|".join(_utf8(re2.escape(phrase)) for phrase in phrases), _re2_options()
        )
    except re2.error:  # too big for RE2's memory cap: scan for each phrase
        encoded = tuple(_utf8(phrase) for phrase in phrases)
        return lambda text: any(phrase in text for phrase in encoded)
    return lambda text: program.search(text) is not None


def _predicate(kind: str, parsed: Any) -> Predicate:
    field = RULE_FIELDS[kind]
    text = _text_of(field)
    if kind in (RuleKind.TITLE_MIN_LENGTH, RuleKind.BODY_MIN_LENGTH):
        # An empty body is the body policy's business, not its minimum length's.
        is_body = kind == RuleKind.BODY_MIN_LENGTH
        return lambda c: (
            (not is_body or bool(c.body.strip())) and len(text(c).strip()) < parsed
        )
    if kind in (RuleKind.TITLE_MAX_LENGTH, RuleKind.BODY_MAX_LENGTH):
        return lambda c: len(text(c).strip()) > parsed
    if kind in PHRASE_KINDS:
        folded, has_phrase = _folded_utf8_of(field), _phrase_search(parsed)
        if kind in (RuleKind.TITLE_REQUIRED_PHRASES, RuleKind.BODY_REQUIRED_PHRASES):
            return lambda c: not has_phrase(folded(c))
        return lambda c: has_phrase(folded(c))
    if kind in REGEX_KINDS:
        utf8 = _utf8_of(field)
        return lambda c: parsed.search(utf8(c)) is None
    if kind == RuleKind.BODY_POLICY:
        if parsed == BodyPolicy.REQUIRED:
            return lambda c: not c.body.strip()
        if parsed == BodyPolicy.NOT_ALLOWED:
            return lambda c: bool(c.body.strip())
        return lambda c: False
    if kind == RuleKind.LINK_DOMAIN_ALLOWLIST:
        return lambda c: bool(c.url) and not _passes_allowlist(c.url, parsed)
    if kind == RuleKind.LINK_DOMAIN_DENYLIST:
        return lambda c: bool(c.url) and _hits_denylist(c.url, parsed)
    if kind == RuleKind.FLAIR_REQUIRED:
        return lambda c: c.flair_id is None
    if kind == RuleKind.MEDIA_REQUIRED:
        return lambda c: c.media_count < 1
    if kind == RuleKind.MEDIA_MIN_COUNT:
        return lambda c: c.media_count < parsed
    if kind == RuleKind.MEDIA_MAX_COUNT:
        return lambda c: c.media_count > parsed
    raise RuleValueInvalid(f"Unknown kind of rule: {kind}.")


def _passes_allowlist(url: str, entries: tuple[str, ...]) -> bool:
    host = link_host(url)
    return host is not None and host_allowed(host, entries)


def _hits_denylist(url: str, entries: tuple[str, ...]) -> bool:
    host = link_host(url)
    return host is None or host_denied(host, entries)


def rule_compile(rule: CommunityRule) -> CompiledRule:
    return CompiledRule(
        kind=rule.kind,
        field=RULE_FIELDS[rule.kind],
        severity=rule.severity,
        message=rule.message,
        is_broken=_predicate(rule.kind, rule_value_parse(rule.kind, rule.value)),
    )
