"""The baseline: a plain Django view (no DRF) that saves a draft's body in one UPDATE.

This module is also the benchmark server's URLconf (bench/harness/settings.py):
poster's URLs plus `/bench/baseline/<draft id>/`.

It does what any write endpoint must do and nothing more: the token lookup a plain
Django view writes with the ORM (hash the key, one SELECT of the token by digest
joining the user, check revocation and expiry; poster's own
PreparedTokenAuthentication runs the same join as prepared SQL and spends less CPU on
it), a JSON body, one
`UPDATE drafts_draft ... RETURNING version` and a small JSON answer. It runs behind the
same middleware, in the same gunicorn, so the difference to the autosave API is the
cost of DRF, serializers, the version check and echoing the draft back.
"""

import json
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.models import ApiToken
from core.tokens import token_digest

AUTHORIZATION_SCHEME = "Token "


def token_user(request: HttpRequest) -> AbstractBaseUser | None:
    """The user of `Authorization: Token <key>`, looked up with the ORM."""
    header = request.headers.get("Authorization", "")
    if not header.startswith(AUTHORIZATION_SCHEME):
        return None
    try:
        token = ApiToken.objects.select_related("user").get(
            digest=token_digest(header.removeprefix(AUTHORIZATION_SCHEME))
        )
    except ApiToken.DoesNotExist:
        return None
    if token.revoked_at is not None or (
        token.expires_at is not None and token.expires_at <= timezone.now()
    ):
        return None
    return token.user if token.user.is_active else None


@csrf_exempt
@require_POST
def draft_body_update(request: HttpRequest, draft_id: UUID) -> JsonResponse:
    user = token_user(request)
    if user is None:
        return JsonResponse({"error": "not_authenticated"}, status=401)
    request.user = user  # the request log line reads it, as for DRF views
    try:
        body = json.loads(request.body)["body"]
    except (ValueError, KeyError, TypeError):
        body = None
    if not isinstance(body, str):
        return JsonResponse({"error": "send a JSON object with a body"}, status=400)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE drafts_draft SET body = %s, version = version + 1 "
            "WHERE id = %s AND owner_id = %s RETURNING version",
            [body, draft_id, user.pk],
        )
        row = cursor.fetchone()
    if row is None:
        return JsonResponse({"error": "not_found"}, status=404)
    return JsonResponse({"version": row[0]}, headers={"ETag": f'"{row[0]}"'})


urlpatterns = [
    path("bench/baseline/<uuid:draft_id>/", draft_body_update, name="bench-baseline"),
    path("", include("config.urls")),
]
