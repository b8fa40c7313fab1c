import hashlib

from django.db import migrations


def hash_plain_tokens(apps, schema_editor):
    """Keep existing clients working: store each DRF token's digest, then delete the
    plain-text key. The tokens keep no expiry (they were issued without one)."""
    Token = apps.get_model("authtoken", "Token")
    ApiToken = apps.get_model("core", "ApiToken")
    ApiToken.objects.bulk_create(
        ApiToken(
            user_id=token.user_id,
            name="migrated",
            digest=hashlib.sha256(token.key.encode()).hexdigest(),
            prefix=token.key[:8],
            created_at=token.created,
        )
        for token in Token.objects.all()
    )
    Token.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_api_token_digests"),
        ("authtoken", "0003_tokenproxy"),
    ]

    operations = [migrations.RunPython(hash_plain_tokens, migrations.RunPython.noop)]
