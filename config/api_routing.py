"""Route one URL to one API class per operation, chosen by HTTP method."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from config.api_errors import error_body


def by_method(**views: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """`by_method(get=DraftDetailApi.as_view(), patch=DraftAutosaveApi.as_view())`."""
    allowed = ", ".join(sorted(method.upper() for method in views))

    # DRF views enforce CSRF for session-authenticated requests themselves.
    @csrf_exempt
    def dispatch(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        view = views.get(request.method.lower())
        if view is None:
            response = JsonResponse(
                error_body(
                    "method_not_allowed", f'Method "{request.method}" not allowed.'
                ),
                status=405,
            )
            response["Allow"] = allowed
            return response
        return view(request, *args, **kwargs)

    return dispatch
