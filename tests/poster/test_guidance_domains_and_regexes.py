"""Domain lists matched on hosts a browser would reach; moderators' regexes bounded."""

import threading

import pytest
from django.db import connection

from drafts.services import draft_create
from poster.guidance import RuleValueInvalid, rule_value_parse
from poster.models import Post
from tests.poster.conftest import publish
from tests.poster.test_guidance_rules import check, rule_add


def link_draft(user, url):
    return draft_create(
        owner=user,
        changes={"kind": "link", "title": "A link", "url": url, "community": "pics"},
    )


def is_reported(api, user, url) -> bool:
    violations = check(api, link_draft(user, url)).json()["violations"]
    return [v["rule"] for v in violations] != []


@pytest.mark.parametrize(
    ("url", "is_allowed"),
    [
        ("https://example.com/a", True),
        ("https://EXAMPLE.com/a", True),
        ("https://example.com./a", True),  # trailing dot: the same host
        ("https://example.com:8443/a", True),
        ("https://someone@example.com/a", True),  # userinfo is not the host
        ("https://evil.example.com/a", False),  # a sub-domain is another host
        ("https://example.com.evil.net/a", False),
        ("https://notexample.com/a", False),
        ("https://example.com@evil.net/a", False),  # the host is evil.net
        ("https://example.com:pw@evil.net/a", False),
        ("https://example.com\\@evil.net/a", False),  # browsers read \ as /
        ("https://evil.net/?https://example.com/", False),
        ("https://evil.net#@example.com", False),
        ("https://xn--bcher-kva.de/a", True),  # punycode of an allowed IDN entry
        ("https://BÜCHER.de/a", True),  # the IDN itself, any case
        ("https://bucher.de/a", False),  # a look-alike is another name
        ("https://docs.example.org/a", True),  # *.example.org takes sub-domains
        ("https://example.org/a", True),
        ("https://evil-example.org/a", False),
    ],
)
def test_allowlist_matches_exact_hosts_and_explicit_wildcards(
    api, user, community, url, is_allowed
):
    rule_add(
        community, "link_domain_allowlist", "example.com\nbücher.de\n*.example.org"
    )

    assert is_reported(api, user, url) is not is_allowed


@pytest.mark.parametrize(
    ("url", "is_denied"),
    [
        ("https://example.net/a", True),
        ("https://cdn.example.net/a", True),  # the registrant's sub-domains too
        ("https://a.b.example.net./a", True),
        ("https://EXAMPLE.NET/a", True),
        ("https://example.org@example.net/a", True),
        ("https://example.net@example.org/a", False),  # the host is example.org
        ("https://notexample.net/a", False),
        ("https://example.net.example.org/a", False),
        ("https://example.org/?u=example.net", False),
        ("https://www.xn--bcher-kva.de/a", True),
        ("https://www.bücher.de/a", True),
        ("https://example.org\\@example.net/a", True),  # unreadable host: refused
        ("https://alice.github.io/a", True),
        ("https://bob.github.io/a", False),  # github.io hosts belong to many people
    ],
)
def test_denylist_covers_hosts_under_an_entry_on_label_boundaries(
    api, user, community, url, is_denied
):
    rule_add(
        community, "link_domain_denylist", "example.net, bücher.de alice.github.io"
    )

    assert is_reported(api, user, url) is is_denied


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("link_domain_denylist", "com"),
        ("link_domain_denylist", "co.uk"),
        ("link_domain_denylist", "github.io"),  # a public suffix of private domains
        ("link_domain_allowlist", "*.github.io"),
        ("link_domain_allowlist", "*.co.uk"),
        ("link_domain_denylist", "*.example.com"),  # denying covers sub-domains
        ("link_domain_allowlist", "localhost"),
        ("link_domain_allowlist", "exa mple.com"),
        ("link_domain_allowlist", "user@example.com"),
        ("link_domain_allowlist", "example.com/path"),
        ("link_domain_allowlist", ""),
    ],
)
def test_unusable_domain_entries_are_refused(kind, value):
    with pytest.raises(RuleValueInvalid):
        rule_value_parse(kind, value)


def test_domain_entries_are_stored_as_matched():
    assert rule_value_parse(
        "link_domain_allowlist", "Example.COM.\n*.Bücher.de, alice.github.io"
    ) == ("example.com", "*.xn--bcher-kva.de", "alice.github.io")


@pytest.mark.parametrize(
    "pattern",
    [
        r"(a)\1",  # back-reference
        r"foo(?=bar)",  # look-ahead
        r"(?<!x)y",  # look-behind
        "(unclosed",
        "a" * 501,  # over GUIDANCE_REGEX_MAX_LENGTH
        "",
    ],
)
def test_regexes_re2_cannot_run_in_linear_time_are_refused(pattern):
    with pytest.raises(RuleValueInvalid):
        rule_value_parse("body_regex", pattern)


def test_the_regex_length_cap_follows_the_setting(settings):
    settings.GUIDANCE_REGEX_MAX_LENGTH = 10

    rule_value_parse("title_regex", "a" * 10)
    with pytest.raises(RuleValueInvalid):
        rule_value_parse("title_regex", "a" * 11)


def test_a_catastrophic_pattern_answers_instead_of_backtracking(
    transactional_db, api, user, community
):
    # On a backtracking engine, (a+)+$ against 40,000 a's and a "!" takes
    # exponential time: this test would hang (and the thread's deadline fail it).
    rule_add(community, "body_regex", "(a+)+$", message="End with a's.")
    draft = draft_create(
        owner=user,
        changes={
            "kind": "text",
            "title": "A title",
            "body": "a" * 39_999 + "!",
            "community": "pics",
        },
    )
    answers = []

    def run() -> None:
        try:
            answers.append(check(api, draft))
            answers.append(publish(api, draft))
        finally:
            connection.close()

    # The requests run in a thread of their own (with its own connection, hence
    # transactional_db), so a hang would show here instead of stalling the suite.
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=60)  # a hang detector, not a timing assertion

    assert not worker.is_alive(), "the check is stuck backtracking"
    checked, published = answers
    assert checked.json()["violations"] == [
        {
            "rule": "body_regex",
            "field": "body",
            "severity": "block",
            "message": "End with a's.",
        }
    ]
    assert published.status_code == 422
    assert Post.objects.count() == 0


def test_a_regex_is_case_sensitive_unless_the_moderator_says_so(api, user, community):
    rule_add(community, "title_regex", "(?i)^sunset")
    matching = draft_create(
        owner=user,
        changes={"kind": "text", "title": "SUNSET here", "community": "pics"},
    )

    assert check(api, matching).json()["violations"] == []


@pytest.mark.parametrize(
    ("kind", "value", "title", "is_broken"),
    [
        ("title_banned_phrases", "a+b", "aab", False),  # phrases are literal text
        ("title_banned_phrases", "a+b", "A+B here", True),
        ("title_banned_phrases", "straße", "STRASSE sale", True),  # full case folding
        ("title_banned_phrases", "café", "CAFÉ crème", True),
        ("title_required_phrases", "[oc]\n(meta)", "My (META) post", False),
        ("title_regex", "(?i)^café .$", "CAFÉ é", False),  # . is one character
        ("title_regex", r"^\p{Greek}+$", "λόγος", False),
        ("title_regex", r"^\p{Greek}+$", "logos", True),
    ],
)
def test_phrases_and_regexes_read_text_as_characters(
    api, user, community, kind, value, title, is_broken
):
    rule_add(community, kind, value)
    draft = draft_create(
        owner=user, changes={"kind": "text", "title": title, "community": "pics"}
    )

    violations = check(api, draft).json()["violations"]

    assert (violations != []) is is_broken
