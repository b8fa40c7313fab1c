from drafts.services import draft_create
from drafts.services.media import draft_media_lease_create
from media_uploads.models import MediaAsset
from tests.drafts.conftest import autosave


def attach(user, draft, count):
    return [
        draft_media_lease_create(
            owner=user,
            filename=f"{i}.png",
            content_type="image/png",
            size_bytes=4,
            draft_id=draft.id,
        ).asset
        for i in range(count)
    ]


def test_draft_lists_its_media_in_order(api, user, draft):
    first, second = attach(user, draft, 2)
    MediaAsset.objects.filter(id=second.id).update(caption="second", alt_text="alt")

    response = api.get(f"/api/v1/drafts/{draft.id}/")

    assert response.json()["media"] == [
        {
            "id": str(first.id),
            "status": "awaiting_upload",
            "caption": "",
            "alt_text": "",
        },
        {
            "id": str(second.id),
            "status": "awaiting_upload",
            "caption": "second",
            "alt_text": "alt",
        },
    ]


def test_patch_reorders_and_detaches_media(api, user, draft):
    first, second, third = attach(user, draft, 3)

    response = autosave(api, draft.id, 1, media=[str(third.id), str(first.id)])

    assert response.status_code == 200
    assert [m["id"] for m in response.json()["media"]] == [str(third.id), str(first.id)]
    assert response.json()["version"] == 2
    second.refresh_from_db()
    assert (second.draft_id, second.position) == (None, None)
    listed = api.get(f"/api/v1/drafts/{draft.id}/").json()["media"]
    assert [m["id"] for m in listed] == [str(third.id), str(first.id)]


def test_patch_cannot_attach_another_users_media(api, user, other_user, draft):
    foreign_draft = draft_create(owner=other_user, changes={})
    (foreign,) = attach(other_user, foreign_draft, 1)

    response = autosave(api, draft.id, 1, media=[str(foreign.id)])

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "reference_not_usable"
    assert list(response.json()["error"]["fields"]) == ["media"]
    foreign.refresh_from_db()
    assert foreign.draft_id == foreign_draft.id
    draft.refresh_from_db()
    assert draft.version == 1


def test_patch_refuses_duplicate_media(api, user, draft):
    (only,) = attach(user, draft, 1)

    response = autosave(api, draft.id, 1, media=[str(only.id), str(only.id)])

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["media"]


def test_concurrent_media_and_text_edits_merge(api, user, draft):
    first, second = attach(user, draft, 2)
    autosave(api, draft.id, 1, title="typed on the phone")

    response = autosave(api, draft.id, 1, media=[str(second.id), str(first.id)])

    assert response.status_code == 200
    assert response.json()["merged"] is True
    assert response.json()["title"] == "typed on the phone"
    assert [m["id"] for m in response.json()["media"]] == [
        str(second.id),
        str(first.id),
    ]


def test_resending_the_current_media_order_is_no_change_and_no_conflict(
    api, user, draft
):
    first, second = attach(user, draft, 2)
    order = [str(second.id), str(first.id)]
    autosave(api, draft.id, 1, media=order)  # version 2
    autosave(api, draft.id, 2, title="typed meanwhile")  # version 3

    duplicate = autosave(api, draft.id, 2, media=order)  # late, second delivery
    current = autosave(api, draft.id, 3, media=order)

    assert duplicate.status_code == 200
    assert (current.status_code, current.json()["version"]) == (200, 3)
    draft.refresh_from_db()
    assert draft.version == 3
    assert draft.revisions.count() == 1  # the first autosave's snapshot, no more
    listed = api.get(f"/api/v1/drafts/{draft.id}/").json()["media"]
    assert [m["id"] for m in listed] == order


def test_more_media_than_a_draft_holds_gets_403(api, user, draft, settings):
    settings.MEDIA_MAX_PER_DRAFT = 2
    settings.MEDIA_MAX_PENDING = 10
    media = attach(user, draft, 2)
    other_draft = draft_create(owner=user, changes={})
    (extra,) = attach(user, other_draft, 1)

    response = autosave(
        api, draft.id, 1, media=[str(m.id) for m in media] + [str(extra.id)]
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "draft_media_limit_reached"
    extra.refresh_from_db()
    assert extra.draft_id == other_draft.id
    draft.refresh_from_db()
    assert draft.version == 1
