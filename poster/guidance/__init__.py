"""Post guidance: a community's rules, compiled once, checked while the author types.

Staff write rules in the admin (`CommunityRule`): each has a kind, a value, a
severity (`block` refuses publishing, `warn` only tells) and the message the author
reads. `rule_value_parse` checks a value when it is saved; `draft_guidance_check`
returns every rule a draft breaks now, as `Violation`s, for the check endpoint and
for publishing (which refuses with `requirements_not_met` when one blocks).

Regular expressions come from moderators and are untrusted: they run on RE2
(`google-re2`), whose matching time is linear in the text, so a pattern such as
`(a+)+$` cannot stall a worker; patterns are capped at GUIDANCE_REGEX_MAX_LENGTH
characters and RE2's memory at GUIDANCE_REGEX_MAX_MEMORY_BYTES, and a pattern RE2
refuses (back-references, look-arounds) is refused at save time.

Compiled rules are cached per process, keyed by the community's `rules_version`,
which every change through the admin bumps (`community_rules_touch`): a check reads
the community's row (one query) and recompiles only after a change.
"""

from poster.guidance.check import (
    FlairChoice,
    GuidanceResult,
    Violation,
    community_compiled,
    community_rules_touch,
    draft_guidance_check,
)
from poster.guidance.rules import (
    MAX_FLAIRS_PER_COMMUNITY,
    MAX_RULES_PER_COMMUNITY,
    RuleValueInvalid,
    rule_value_parse,
)

__all__ = (
    "MAX_FLAIRS_PER_COMMUNITY",
    "MAX_RULES_PER_COMMUNITY",
    "FlairChoice",
    "GuidanceResult",
    "RuleValueInvalid",
    "Violation",
    "community_compiled",
    "community_rules_touch",
    "draft_guidance_check",
    "rule_value_parse",
)
