"""Each kind of community rule, as block and as warn, through the check and publish."""

import pytest

from drafts.services import draft_create
from poster.guidance import community_rules_touch
from poster.models import CommunityFlair, CommunityRule, Post
from tests.poster.conftest import draft_with_media, publish

MESSAGE = "Moderators say: fix this."


def check(client, draft):
    return client.post(f"/api/v1/drafts/{draft.id}/check/")


def rule_add(community, kind, value="", severity="block", message=MESSAGE):
    rule = CommunityRule.objects.create(
        community=community, kind=kind, value=value, severity=severity, message=message
    )
    community_rules_touch(community_id=community.id)
    return rule


@pytest.fixture
def flair(community):
    return CommunityFlair.objects.create(community=community, text="OC")


# (kind, value, field, fields that break it, fields that keep it, media statuses of
# the breaking draft, of the keeping one). The kind of post is in the fields.
TEXT = {"kind": "text", "title": "A sunset over the bay", "body": ""}
LINK = {"kind": "link", "title": "A sunset", "url": "https://example.com/a"}
CASES = [
    ("title_min_length", "10", "title", {**TEXT, "title": "Sunset"}, TEXT),
    ("title_max_length", "10", "title", TEXT, {**TEXT, "title": "Sunset"}),
    (
        "title_required_phrases",
        "[OC]\n[Meta]",
        "title",
        TEXT,
        {**TEXT, "title": "Sunset [oc]"},
    ),
    (
        "title_banned_phrases",
        "upvote\nkarma",
        "title",
        {**TEXT, "title": "Please UPVOTE"},
        TEXT,
    ),
    ("title_regex", r"^\[[A-Z]{2,3}\] ", "title", TEXT, {**TEXT, "title": "[NYC] X"}),
    ("body_policy", "required", "body", TEXT, {**TEXT, "body": "Shot at dusk."}),
    ("body_policy", "not_allowed", "body", {**TEXT, "body": "Shot at dusk."}, TEXT),
    (
        "body_min_length",
        "20",
        "body",
        {**TEXT, "body": "Too short"},
        {**TEXT, "body": "Long enough to read well"},
    ),
    (
        "body_max_length",
        "10",
        "body",
        {**TEXT, "body": "Far longer than ten"},
        {**TEXT, "body": "Short"},
    ),
    (
        "body_required_phrases",
        "source:",
        "body",
        {**TEXT, "body": "My photo"},
        {**TEXT, "body": "SOURCE: me"},
    ),
    (
        "body_banned_phrases",
        "buy now",
        "body",
        {**TEXT, "body": "Buy Now!"},
        {**TEXT, "body": "My photo"},
    ),
    (
        "body_regex",
        r"\b(19|20)\d\d\b",
        "body",
        {**TEXT, "body": "Taken last year"},
        {**TEXT, "body": "Taken in 2024"},
    ),
    (
        "link_domain_allowlist",
        "example.com\nexample.org",
        "url",
        {**LINK, "url": "https://evil.example.com/a"},
        LINK,
    ),
    (
        "link_domain_denylist",
        "example.net",
        "url",
        {**LINK, "url": "https://cdn.example.net/a"},
        LINK,
    ),
    ("flair_required", "", "flair", TEXT, {**TEXT, "flair": "OC"}),
    ("media_required", "", "media", TEXT, {"kind": "image", "title": "A sunset"}),
    (
        "media_min_count",
        "3",
        "media",
        {"kind": "gallery", "title": "A sunset"},
        {"kind": "gallery", "title": "A sunset"},
    ),
    (
        "media_max_count",
        "2",
        "media",
        {"kind": "gallery", "title": "A sunset"},
        {"kind": "gallery", "title": "A sunset"},
    ),
]
# How many ready media each case's drafts hold: (breaking, keeping).
MEDIA_COUNTS = {
    "media_required": (0, 1),
    "media_min_count": (2, 3),
    "media_max_count": (3, 2),
}


def draft_for(user, fields, media_count, flair):
    fields = dict(fields)
    if fields.get("flair") == "OC":
        fields["flair"] = flair.id
    if media_count:
        draft, _ = draft_with_media(user, statuses=("ready",) * media_count, **fields)
        return draft
    return draft_create(owner=user, changes={"community": "pics", **fields})


@pytest.mark.parametrize("severity", ["block", "warn"])
@pytest.mark.parametrize(
    ("kind", "value", "field", "breaking", "keeping"),
    CASES,
    ids=[f"{case[0]}-{case[1][:12]}" for case in CASES],
)
def test_a_broken_rule_is_reported_and_blocks_or_only_warns(
    api, user, community, flair, severity, kind, value, field, breaking, keeping
):
    rule_add(community, kind, value, severity=severity)
    broken_media, kept_media = MEDIA_COUNTS.get(kind, (0, 0))
    breaking_draft = draft_for(user, breaking, broken_media, flair)
    keeping_draft = draft_for(user, keeping, kept_media, flair)

    broken = check(api, breaking_draft)
    kept = check(api, keeping_draft)
    published = publish(api, breaking_draft)

    expected = [
        {"rule": kind, "field": field, "severity": severity, "message": MESSAGE}
    ]
    assert broken.status_code == 200
    assert broken.json() == {
        "community": "pics",
        "is_blocked": severity == "block",
        "violations": expected,
    }
    assert kept.json() == {"community": "pics", "is_blocked": False, "violations": []}
    if severity == "block":
        assert published.status_code == 422
        assert published.json()["error"]["code"] == "requirements_not_met"
        assert published.json()["error"]["violations"] == expected
        assert Post.objects.count() == 0
        assert check(api, breaking_draft).status_code == 200  # still a draft
    else:
        assert published.status_code == 201, published.json()
        assert Post.objects.filter(source_draft=breaking_draft).count() == 1


def test_every_rule_kind_is_covered_by_the_cases():
    from poster.models import RuleKind

    assert {case[0] for case in CASES} == set(RuleKind.values)


def test_check_lists_every_broken_rule_in_order_and_publish_the_same(
    api, user, community
):
    rule_add(community, "title_banned_phrases", "upvote", message="No begging.")
    rule_add(community, "body_policy", "required", message="Say something.")
    rule_add(community, "title_min_length", "30", severity="warn", message="Say more.")
    draft = draft_create(
        owner=user,
        changes={"kind": "text", "title": "upvote this", "community": "pics"},
    )

    checked = check(api, draft)
    published = publish(api, draft)

    violations = [
        {
            "rule": "title_banned_phrases",
            "field": "title",
            "severity": "block",
            "message": "No begging.",
        },
        {
            "rule": "body_policy",
            "field": "body",
            "severity": "block",
            "message": "Say something.",
        },
        {
            "rule": "title_min_length",
            "field": "title",
            "severity": "warn",
            "message": "Say more.",
        },
    ]
    assert checked.json()["violations"] == violations
    assert published.status_code == 422
    assert published.json()["error"]["violations"] == violations


def test_check_follows_autosave(api, user, community):
    rule_add(community, "title_banned_phrases", "upvote")
    draft = draft_create(
        owner=user, changes={"kind": "text", "title": "upvote", "community": "pics"}
    )
    before = check(api, draft).json()["violations"]

    api.patch(
        f"/api/v1/drafts/{draft.id}/",
        {"title": "A sunset"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    after = check(api, draft).json()["violations"]

    assert [v["rule"] for v in before] == ["title_banned_phrases"]
    assert after == []


def test_check_reports_the_community_faults_publish_would(api, user, community):
    community.allowed_kinds = ["image"]
    community.save()
    no_community = draft_create(owner=user, changes={"title": "x"})
    unknown = draft_create(owner=user, changes={"title": "x", "community": "nope"})
    wrong_kind = draft_create(
        owner=user, changes={"kind": "text", "title": "x", "community": "pics"}
    )

    assert check(api, no_community).json() == {
        "community": None,
        "is_blocked": True,
        "violations": [
            {
                "rule": "community_required",
                "field": "community",
                "severity": "block",
                "message": "Choose a community.",
            }
        ],
    }
    assert [v["rule"] for v in check(api, unknown).json()["violations"]] == [
        "community_not_found"
    ]
    assert [v["rule"] for v in check(api, wrong_kind).json()["violations"]] == [
        "kind_not_allowed"
    ]


def test_another_users_draft_cannot_be_checked(api, other_api, user, community):
    draft = draft_create(owner=user, changes={"title": "x", "community": "pics"})

    foreign = check(other_api, draft)
    anonymous = check(api.__class__(), draft)

    assert foreign.status_code == 404
    assert foreign.json()["error"]["code"] == "not_found"
    assert anonymous.status_code == 401


def test_a_missing_or_deleted_draft_is_404(api, user, community):
    draft = draft_create(owner=user, changes={"title": "x", "community": "pics"})
    api.delete(f"/api/v1/drafts/{draft.id}/")

    assert check(api, draft).status_code == 404
    assert (
        api.post("/api/v1/drafts/00000000-0000-0000-0000-000000000000/check/")
    ).status_code == 404


def test_compiled_rules_are_cached_until_the_community_changes(api, user, community):
    rule = rule_add(community, "title_banned_phrases", "upvote")
    draft = draft_create(
        owner=user, changes={"kind": "text", "title": "karma", "community": "pics"}
    )
    assert check(api, draft).json()["violations"] == []

    # A write that goes around the admin is not seen: the compiled rules are cached...
    CommunityRule.objects.filter(id=rule.id).update(value="karma")
    stale = check(api, draft).json()["violations"]
    # ...until the community's rules version moves, as every admin save does.
    community_rules_touch(community_id=community.id)
    fresh = check(api, draft).json()["violations"]

    assert stale == []
    assert [v["rule"] for v in fresh] == ["title_banned_phrases"]
