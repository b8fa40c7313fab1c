"""The check: a draft against its community's rules, compiled once per process and
version of the rules (see the package docstring)."""

import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F

from drafts.models import Draft
from poster.communities import user_is_moderator
from poster.guidance.rules import (
    CompiledRule,
    DraftContent,
    RuleValueInvalid,
    rule_compile,
)
from poster.models import Community, CommunityFlair, CommunityRule, RuleSeverity


@dataclass(frozen=True)
class Violation:
    rule: str
    field: str
    severity: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "field": self.field,
            "severity": self.severity,
            "message": self.message,
        }


@dataclass(frozen=True)
class FlairChoice:
    id: int
    text: str
    is_mod_only: bool


@dataclass(frozen=True)
class CompiledCommunity:
    id: int
    name: str
    rules_version: int
    rules: tuple[CompiledRule, ...]
    flairs: dict[int, FlairChoice]


@dataclass(frozen=True)
class GuidanceResult:
    community: Community | None
    violations: list[Violation]
    flair: FlairChoice | None

    @property
    def is_blocked(self) -> bool:
        return any(v.severity == RuleSeverity.BLOCK for v in self.violations)


# The per-process cache ---------------------------------------------------------------

_cache: dict[int, CompiledCommunity] = {}
_cache_lock = threading.Lock()
CACHE_MAX_COMMUNITIES = 1024


def _community_compile(community: Community) -> CompiledCommunity:
    rules = []
    for rule in CommunityRule.objects.filter(community_id=community.id):
        try:
            rules.append(rule_compile(rule))
        except RuleValueInvalid:
            # Saved before a limit tightened (or edited around the admin): a rule
            # that cannot run is skipped rather than failing every check.
            continue
    flairs = {
        flair.id: FlairChoice(
            id=flair.id, text=flair.text, is_mod_only=flair.is_mod_only
        )
        for flair in CommunityFlair.objects.filter(community_id=community.id)
    }
    return CompiledCommunity(
        id=community.id,
        name=community.name,
        rules_version=community.rules_version,
        rules=tuple(rules),
        flairs=flairs,
    )


def community_compiled(community: Community) -> CompiledCommunity:
    """The community's rules compiled, from the cache while its version holds."""
    cached = _cache.get(community.id)
    if cached is not None and cached.rules_version == community.rules_version:
        return cached
    compiled = _community_compile(community)
    with _cache_lock:
        if len(_cache) >= CACHE_MAX_COMMUNITIES:
            _cache.clear()
        _cache[community.id] = compiled
    return compiled


def community_rules_touch(*, community_id: int) -> None:
    """Record that the community's rules or flairs changed: caches recompile."""
    Community.objects.filter(id=community_id).update(
        rules_version=F("rules_version") + 1
    )


# The check -------------------------------------------------------------------------


def _builtin(rule: str, field: str, message: str) -> Violation:
    return Violation(
        rule=rule, field=field, severity=RuleSeverity.BLOCK, message=message
    )


def draft_guidance_check(
    *, draft: Draft, media_count: int | Callable[[], int], author: AbstractBaseUser
) -> GuidanceResult:
    """Every rule `draft` breaks now in its community, in the rules' order.

    Besides the moderators' rules, a draft without a community, or one naming a
    missing or closed community, a kind it does not take, a flair that is not its
    own or a moderators' flair, breaks a built-in blocking rule of that name.
    `media_count` may be a function: it is called only if a media rule needs it.
    """
    if not draft.community:
        return GuidanceResult(
            community=None,
            violations=[
                _builtin("community_required", "community", "Choose a community.")
            ],
            flair=None,
        )
    community = (
        Community.objects.filter(name__iexact=draft.community)
        .only("id", "name", "allowed_kinds", "is_active", "rules_version")
        .first()
    )
    if community is None:
        return GuidanceResult(
            community=None,
            violations=[
                _builtin("community_not_found", "community", "No such community.")
            ],
            flair=None,
        )
    violations = []
    if not community.is_active:
        violations.append(
            _builtin(
                "community_inactive",
                "community",
                "This community does not take posts now.",
            )
        )
    if draft.kind not in community.allowed_kinds:
        violations.append(
            _builtin(
                "kind_not_allowed",
                "kind",
                f"{community.name} does not take {draft.kind} posts.",
            )
        )
    compiled = community_compiled(community)
    flair = compiled.flairs.get(draft.flair) if draft.flair is not None else None
    if draft.flair is not None and flair is None:
        violations.append(
            _builtin(
                "flair_invalid",
                "flair",
                f"This flair is not one of {community.name}'s.",
            )
        )
    elif flair is not None and flair.is_mod_only and not user_is_moderator(author):
        violations.append(
            _builtin(
                "flair_mod_only", "flair", "Only moderators may give a post this flair."
            )
        )
    content = DraftContent(
        title=draft.title,
        body=draft.body,
        url=draft.url,
        flair_id=draft.flair,
        media_count_get=media_count if callable(media_count) else lambda: media_count,
    )
    violations += [
        Violation(
            rule=rule.kind,
            field=rule.field,
            severity=rule.severity,
            message=rule.message,
        )
        for rule in compiled.rules
        if rule.is_broken(content)
    ]
    return GuidanceResult(community=community, violations=violations, flair=flair)
