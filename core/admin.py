"""API tokens in the admin: issue one (its key is shown once), and revoke.

DRF's own token admin is replaced: its tokens were stored in plain text.
"""

import contextlib

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.authtoken.models import TokenProxy

from core.models import ApiToken
from core.tokens import api_token_issue, api_token_revoke, token_default_expiry

with contextlib.suppress(NotRegistered):  # registered by rest_framework.authtoken
    admin.site.unregister(TokenProxy)


class ApiTokenAddForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ("user", "name", "expires_at")
        help_texts = {"expires_at": "Empty: never (defaults to API_TOKEN_TTL_DAYS)."}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["expires_at"].initial = token_default_expiry(timezone.now())


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = (
        "prefix",
        "user",
        "name",
        "created_at",
        "expires_at",
        "revoked_at",
        "is_usable",
    )
    list_filter = ("revoked_at",)
    list_select_related = ("user",)
    search_fields = ("user__username", "name", "prefix")
    ordering = ("-created_at",)
    actions = ("revoke",)
    readonly_fields = (
        "user",
        "name",
        "prefix",
        "created_at",
        "expires_at",
        "revoked_at",
    )

    def get_form(self, request: HttpRequest, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenAddForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> tuple:
        return self.readonly_fields if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return ("user", "name", "expires_at")
        return self.readonly_fields

    def save_model(self, request: HttpRequest, obj: ApiToken, form, change) -> None:
        if change:  # every field is read-only once issued
            return
        issued = api_token_issue(
            user=obj.user,
            name=obj.name,
            expires_at=form.cleaned_data.get("expires_at"),
        )
        for field in ("id", "digest", "prefix", "created_at", "expires_at"):
            setattr(obj, field, getattr(issued.token, field))
        obj._state.adding = False
        messages.warning(
            request,
            f"The new token is {issued.key} — copy it now: it is stored only as a "
            "digest and is never shown again.",
        )

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # revoke instead: the row records when

    @admin.display(description="usable", boolean=True)
    def is_usable(self, token: ApiToken) -> bool:
        return token.revoked_at is None and (
            token.expires_at is None or token.expires_at > timezone.now()
        )

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet) -> None:
        revoked = sum(api_token_revoke(token_id=token.id) for token in queryset)
        messages.success(request, f"Revoked {revoked} tokens.")
