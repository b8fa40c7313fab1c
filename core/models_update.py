"""One way to change some fields of a loaded row: `model_update`.

Services pass the values they mean to set; only fields whose value differs are
written, together with the model's `auto_now` fields, so nobody keeps a hand-written
`update_fields` list in step with the assignments above it.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models


def model_update(
    instance: models.Model, data: Mapping[str, Any], *, allowed: Iterable[str]
) -> list[str]:
    """Set the `allowed` fields present in `data`; save the changed ones.

    Returns the names of the fields that changed (empty: nothing was written).
    """
    changed = []
    for name in allowed:
        if name not in data:
            continue
        field = instance._meta.get_field(name)
        if getattr(instance, field.attname) != _as_attribute(field, data[name]):
            setattr(instance, name, data[name])
            changed.append(name)
    if changed:
        auto_now = [
            field.name
            for field in instance._meta.concrete_fields
            if getattr(field, "auto_now", False) and field.name not in changed
        ]
        instance.save(update_fields=[*changed, *auto_now])
    return changed


def _as_attribute(field: models.Field, value: Any) -> Any:
    """The value as the instance holds it (a related object's key for a relation)."""
    if field.is_relation and isinstance(value, models.Model):
        return value.pk
    return value
