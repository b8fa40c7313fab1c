from django.conf import settings
from django.db import models


class IdempotencyKeyState(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"


class IdempotencyKey(models.Model):
    """A client's `Idempotency-Key` and the response it got, per user and action."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    scope = models.CharField(max_length=50)
    key = models.CharField(max_length=255)
    request_fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=20, choices=IdempotencyKeyState.choices)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    locked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "scope", "key"], name="core_idempotency_key_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="core_idempotency_key_created")
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class ApiToken(models.Model):
    """An API token, stored as the SHA-256 digest of its key only.

    The key is 160 random bits shown once, at creation; a stolen database cannot be
    replayed against the API. `prefix` (the key's first 8 hex digits) lets a person
    recognise a token in the admin. A token works until `expires_at` (none: never)
    or until it is revoked.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False)
    created_at = models.DateTimeField(editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name or self.user_id})"


class OutboxEvent(models.Model):
    """A domain event, written in the transaction of the change it reports.

    The live stream reads this table: its `id` orders the events and is the SSE
    `id:` a client sends back as `Last-Event-ID` to replay what it missed. Rows older
    than EVENTS_REPLAY_SECONDS are purged by a periodic task.
    """

    # No foreign-key constraint: autosave writes a row per save, and a check against
    # the user table would cost each one; a deleted user's rows go with the purge.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    state = models.CharField(max_length=40)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            # A user's replay: WHERE owner_id = .. AND id > .. ORDER BY id.
            models.Index(fields=["owner", "id"], name="core_outbox_owner_id"),
            models.Index(fields=["created_at"], name="core_outbox_created"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.object_id} {self.state}"
