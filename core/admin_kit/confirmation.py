"""The intermediate page of admin actions that ask for a reason or a confirmation.

An action renders `action_confirmation(...)` until the page posts back with `apply`
(and a valid form), then does its work; Django's changelist routes that answer back
to the same action with the same selected rows.
"""

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Kept in each row's history, and on removed posts and failed media.",
    )


def reason_or_confirmation(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    action: str,
    title: str,
    explanation: str,
) -> str | TemplateResponse:
    """The reason staff gave on the confirmation page, or that page, to ask for it."""
    form = ReasonForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        return form.cleaned_data["reason"]
    return action_confirmation(
        model_admin,
        request,
        queryset,
        action=action,
        title=title,
        explanation=explanation,
        form=form,
    )


def action_confirmation(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    action: str,
    title: str,
    explanation: str,
    form: forms.Form | None = None,
) -> TemplateResponse:
    """The intermediate page of an action; it posts back with `apply`."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "explanation": explanation,
        "submit_label": title,
        "queryset": queryset,
        "form": form,
        "action": action,
        "opts": model_admin.model._meta,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": model_admin.media,
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, "admin/action_confirmation.html", context)


def action_report(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    *,
    done_message: str,
    done: int,
    total: int,
    why_left: str,
) -> None:
    """Tell staff what an action changed, and warn about the rows it left alone."""
    model_admin.message_user(request, done_message)
    if done < total:
        model_admin.message_user(
            request, f"Left {total - done} alone: {why_left}", messages.WARNING
        )


def apply_to_each(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    change: Callable[[Model], object],
    *,
    log: str,
    done_message: str,
    why_left: str,
) -> None:
    """Run `change` on each selected row, each in its own transaction with its log
    entry; a falsy answer means the row was left as it was. Then report.

    `done_message` takes the count through `{}`. The rows are read once, without
    the changelist's prefetches.
    """
    rows = list(queryset.prefetch_related(None))
    done = 0
    for row in rows:
        with transaction.atomic():
            if change(row):
                model_admin.log_change(request, row, log)
                done += 1
    action_report(
        model_admin,
        request,
        done_message=done_message.format(done),
        done=done,
        total=len(rows),
        why_left=why_left,
    )
