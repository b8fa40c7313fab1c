"""Staff edit community rules and flairs in the admin; values are checked on save."""

import pytest

from drafts.services import draft_create
from poster.models import Community, CommunityFlair, CommunityRule
from tests.conftest import token_client


def change_form(community: Community, *, rules=(), flairs=()) -> dict:
    data = {
        "name": community.name,
        "title": community.title,
        "allowed_kinds": community.allowed_kinds,
        "is_active": "on",
        "guidelines_text": "Be kind.",
        "rules-TOTAL_FORMS": str(len(rules)),
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "100",
        "flairs-TOTAL_FORMS": str(len(flairs)),
        "flairs-INITIAL_FORMS": "0",
        "flairs-MIN_NUM_FORMS": "0",
        "flairs-MAX_NUM_FORMS": "100",
    }
    for index, rule in enumerate(rules):
        data.update({f"rules-{index}-{key}": value for key, value in rule.items()})
    for index, flair in enumerate(flairs):
        data.update({f"flairs-{index}-{key}": value for key, value in flair.items()})
    return data


def rule_row(kind, value="", severity="block", message="Fix it.", position="0"):
    return {
        "kind": kind,
        "value": value,
        "severity": severity,
        "message": message,
        "position": position,
    }


def change_url(community: Community) -> str:
    return f"/admin/poster/community/{community.id}/change/"


def test_a_rule_saved_in_the_admin_applies_to_the_next_check_at_once(
    admin_client, user, community
):
    api = token_client(user.username)
    draft = draft_create(
        owner=user,
        changes={"kind": "text", "title": "upvote me", "community": "pics"},
    )
    before = api.post(f"/api/v1/drafts/{draft.id}/check/").json()["violations"]

    response = admin_client.post(
        change_url(community),
        change_form(
            community,
            rules=[rule_row("title_banned_phrases", "upvote", message="No begging.")],
            flairs=[
                {
                    "position": "0",
                    "text": "OC",
                    "text_color": "#ffffff",
                    "background_color": "#000000",
                }
            ],
        ),
    )
    after = api.post(f"/api/v1/drafts/{draft.id}/check/").json()["violations"]

    assert response.status_code == 302
    assert before == []
    assert after == [
        {
            "rule": "title_banned_phrases",
            "field": "title",
            "severity": "block",
            "message": "No begging.",
        }
    ]
    community.refresh_from_db()
    assert community.guidelines_text == "Be kind."
    assert list(CommunityFlair.objects.values_list("text", flat=True)) == ["OC"]


@pytest.mark.parametrize(
    ("rule", "error"),
    [
        (rule_row("title_regex", r"(a)\1"), "back-references"),
        (rule_row("body_regex", "x" * 501), "At most 500 characters"),
        (rule_row("title_min_length", "many"), "A whole number from 0 to 300"),
        (rule_row("media_max_count", "21"), "A whole number from 0 to 20"),
        (rule_row("link_domain_denylist", "co.uk"), "a public suffix"),
        (rule_row("body_policy", "maybe"), "One of: required, optional"),
        (rule_row("flair_required", "yes"), "takes no value"),
        (rule_row("title_banned_phrases", "  \n "), "At least one phrase"),
        (rule_row("title_banned_phrases", "x", message=""), "This field is required"),
    ],
)
def test_a_rule_that_cannot_run_is_refused_on_save(
    admin_client, community, rule, error
):
    version = community.rules_version

    response = admin_client.post(
        change_url(community), change_form(community, rules=[rule])
    )

    assert response.status_code == 200
    assert error in response.content.decode()
    assert CommunityRule.objects.count() == 0
    community.refresh_from_db()
    assert community.rules_version == version


def test_a_flair_colour_must_be_hex(admin_client, community):
    response = admin_client.post(
        change_url(community),
        change_form(
            community,
            flairs=[
                {
                    "position": "0",
                    "text": "OC",
                    "text_color": "red",
                    "background_color": "#000000",
                }
            ],
        ),
    )

    assert response.status_code == 200
    assert "A colour is #rrggbb." in response.content.decode()
    assert CommunityFlair.objects.count() == 0
