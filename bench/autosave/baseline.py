"""The baseline: a plain Django view (no DRF) that saves a draft's body in one UPDATE.

What any write endpoint must do and nothing more, behind the same middleware in the
same gunicorn. Also the benchmark server's URLconf (bench/harness/settings.py).
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
    """The user of `Authorization: Token <key>`: one SELECT by digest joining the
    user (poster's own PreparedTokenAuthentication runs it as prepared SQL)."""
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
