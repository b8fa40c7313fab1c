import uuid

import pytest

from media_uploads.storage.base import original_key, original_key_owner_id


def test_an_original_key_names_its_owner():
    asset_id = uuid.uuid4()

    key = original_key(owner_id=42, asset_id=asset_id)

    assert key == f"uploads/42/{asset_id}"
    assert original_key_owner_id(key) == "42"


@pytest.mark.parametrize(
    "key", ["media/42/thumb.webp", "uploads/42", "uploads/42/a/b", "other/42/a", ""]
)
def test_other_keys_name_no_owner(key):
    assert original_key_owner_id(key) is None
