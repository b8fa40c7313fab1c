"""Flairs on drafts and posts; community rules and flairs, public to signed-in users."""

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from core.accounts import api_user_ensure
from drafts.services import draft_create
from poster.guidance import community_rules_touch
from poster.models import Community, CommunityFlair, Post
from tests.conftest import token_client
from tests.poster.conftest import publish
from tests.poster.test_guidance_rules import check, rule_add


@pytest.fixture
def flairs(community):
    return {
        "oc": CommunityFlair.objects.create(
            community=community,
            text="OC",
            text_color="#ffffff",
            background_color="#0079d3",
            position=1,
        ),
        "announcement": CommunityFlair.objects.create(
            community=community, text="Announcement", is_mod_only=True, position=2
        ),
    }


def text_draft(owner, **fields):
    return draft_create(
        owner=owner,
        changes={"kind": "text", "title": "A sunset", "community": "pics", **fields},
    )


def violation_rules(response) -> list[str]:
    return [v["rule"] for v in response.json()["violations"]]


def test_a_flair_is_set_by_autosave_and_carried_by_the_post(api, user, flairs):
    draft = text_draft(user)

    saved = api.patch(
        f"/api/v1/drafts/{draft.id}/",
        {"flair": flairs["oc"].id},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    published = publish(api, draft, version=2)

    assert saved.status_code == 200
    assert saved.json()["flair"] == flairs["oc"].id
    assert published.status_code == 201
    assert published.json()["flair"] == {"id": flairs["oc"].id, "text": "OC"}
    post = Post.objects.get(id=published.json()["id"])
    assert (post.flair_id, post.flair_text) == (flairs["oc"].id, "OC")


def test_a_post_keeps_its_flair_text_after_staff_delete_the_flair(api, user, flairs):
    draft = text_draft(user, flair=flairs["oc"].id)
    post_id = publish(api, draft).json()["id"]

    flairs["oc"].delete()

    assert api.get(f"/api/v1/posts/{post_id}/").json()["flair"] == {
        "id": None,
        "text": "OC",
    }


def test_a_flair_can_be_cleared_and_bad_values_are_400(api, user, flairs):
    draft = text_draft(user, flair=flairs["oc"].id)

    cleared = api.patch(
        f"/api/v1/drafts/{draft.id}/",
        {"flair": None},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    bad = [
        api.patch(
            f"/api/v1/drafts/{draft.id}/",
            {"flair": value},
            format="json",
            HTTP_IF_MATCH='"2"',
        )
        for value in ("OC", 0, -1, 2**31, 1.5, [1])
    ]

    assert (cleared.status_code, cleared.json()["flair"]) == (200, None)
    assert [r.status_code for r in bad] == [400] * 6
    assert {r.json()["error"]["code"] for r in bad} == {"validation_error"}


def test_a_required_flair_blocks_until_one_is_chosen(api, user, community, flairs):
    rule_add(community, "flair_required", message="Pick a flair.")
    draft = text_draft(user)

    refused = publish(api, draft)
    api.patch(
        f"/api/v1/drafts/{draft.id}/",
        {"flair": flairs["oc"].id},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    accepted = publish(api, draft, version=2)

    assert refused.status_code == 422
    assert refused.json()["error"]["violations"] == [
        {
            "rule": "flair_required",
            "field": "flair",
            "severity": "block",
            "message": "Pick a flair.",
        }
    ]
    assert accepted.status_code == 201


def test_a_flair_of_another_community_is_refused(api, user, community, flairs):
    cats = Community.objects.create(name="cats", title="Cats", allowed_kinds=["text"])
    their_flair = CommunityFlair.objects.create(community=cats, text="OC")
    draft = text_draft(user, flair=their_flair.id)
    missing = text_draft(user, flair=987654)

    checked = check(api, draft)
    refused = publish(api, draft)

    assert checked.json()["violations"] == [
        {
            "rule": "flair_invalid",
            "field": "flair",
            "severity": "block",
            "message": "This flair is not one of pics's.",
        }
    ]
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "requirements_not_met"
    assert violation_rules(check(api, missing)) == ["flair_invalid"]
    assert Post.objects.count() == 0


def test_a_flair_stays_checked_when_the_draft_moves_community(api, user, flairs):
    Community.objects.create(name="cats", title="Cats", allowed_kinds=["text"])
    draft = text_draft(user, flair=flairs["oc"].id)
    assert violation_rules(check(api, draft)) == []

    api.patch(
        f"/api/v1/drafts/{draft.id}/",
        {"community": "cats"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )

    assert violation_rules(check(api, draft)) == ["flair_invalid"]


def test_a_mod_only_flair_is_refused_to_a_user_and_kept_for_moderators(
    api, user, community, flairs
):
    moderator = api_user_ensure(username="mod", is_staff=True).user
    moderator.groups.add(Group.objects.get(name="moderators"))
    staff_only = api_user_ensure(username="staffer", is_staff=True).user
    mine = text_draft(user, flair=flairs["announcement"].id)
    theirs = text_draft(moderator, flair=flairs["announcement"].id)
    staffers = text_draft(staff_only, flair=flairs["announcement"].id)
    moderator_api = token_client("mod")

    refused = publish(api, mine)
    accepted = publish(moderator_api, theirs)

    assert refused.status_code == 422
    assert refused.json()["error"]["violations"] == [
        {
            "rule": "flair_mod_only",
            "field": "flair",
            "severity": "block",
            "message": "Only moderators may give a post this flair.",
        }
    ]
    assert accepted.status_code == 201
    assert accepted.json()["flair"]["text"] == "Announcement"
    # Staff outside the moderators group are not moderators.
    assert violation_rules(check(token_client("staffer"), staffers)) == [
        "flair_mod_only"
    ]


def test_a_community_answers_its_rules_flairs_kinds_and_guidelines(
    api, other_api, community, flairs
):
    community.guidelines_text = "Only your own photos."
    community.save()
    rule_add(community, "title_banned_phrases", "upvote", message="No begging.")
    rule_add(community, "body_policy", "optional", severity="warn", message="Body?")
    community_rules_touch(community_id=community.id)

    mine = api.get("/api/v1/communities/pics/")
    theirs = other_api.get("/api/v1/communities/PICS/")

    assert mine.status_code == 200
    assert mine.json() == {
        "name": "pics",
        "title": "Pictures",
        "is_active": True,
        "allowed_kinds": ["text", "link", "image", "gallery"],
        "guidelines_text": "Only your own photos.",
        "rules": [
            {
                "rule": "title_banned_phrases",
                "field": "title",
                "value": "upvote",
                "severity": "block",
                "message": "No begging.",
            },
            {
                "rule": "body_policy",
                "field": "body",
                "value": "optional",
                "severity": "warn",
                "message": "Body?",
            },
        ],
        "flairs": [
            {
                "id": flairs["oc"].id,
                "text": "OC",
                "text_color": "#ffffff",
                "background_color": "#0079d3",
                "is_mod_only": False,
            },
            {
                "id": flairs["announcement"].id,
                "text": "Announcement",
                "text_color": "#000000",
                "background_color": "#dadada",
                "is_mod_only": True,
            },
        ],
    }
    # Rules are public: every signed-in user reads the same.
    assert theirs.json() == mine.json()


def test_an_unknown_community_is_404_and_anonymous_is_401(api, community):
    unknown = api.get("/api/v1/communities/nope/")
    odd = api.get("/api/v1/communities/%E2%80%AE..%2F/")
    nul = api.get("/api/v1/communities/pi%00cs/")
    anonymous = APIClient().get("/api/v1/communities/pics/")

    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "not_found")
    assert odd.status_code == 404
    assert nul.status_code == 404
    assert anonymous.status_code == 401


def test_drafts_stay_private_while_rules_are_public(api, other_api, user, community):
    draft = text_draft(user)

    assert other_api.get(f"/api/v1/drafts/{draft.id}/").status_code == 404
    assert other_api.post(f"/api/v1/drafts/{draft.id}/check/").status_code == 404
    assert other_api.get("/api/v1/communities/pics/").status_code == 200
