"""Idempotency keys moved to the core app: copy the live ones, then drop the table."""

from django.db import migrations

FIELDS = (
    "owner_id",
    "scope",
    "key",
    "request_fingerprint",
    "state",
    "response_status",
    "response_body",
    "response_headers",
    "created_at",
    "locked_at",
)


def copy_keys_to_core(apps, schema_editor):
    old = apps.get_model("poster", "IdempotencyKey")
    new = apps.get_model("core", "IdempotencyKey")
    new.objects.bulk_create(
        (new(**row) for row in old.objects.values(*FIELDS).iterator()),
        batch_size=1000,
        ignore_conflicts=True,
    )


def copy_keys_back(apps, schema_editor):
    old = apps.get_model("poster", "IdempotencyKey")
    new = apps.get_model("core", "IdempotencyKey")
    old.objects.bulk_create(
        (old(**row) for row in new.objects.values(*FIELDS).iterator()),
        batch_size=1000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("poster", "0003_moderators_group"),
    ]

    operations = [
        migrations.RunPython(copy_keys_to_core, copy_keys_back),
        migrations.DeleteModel(name="IdempotencyKey"),
    ]
