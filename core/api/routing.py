"""Route one URL to one API class per operation, chosen by HTTP method.

`by_method(get=DraftDetailApi, patch=DraftAutosaveApi)` builds a view class that
inherits the operations' handlers, so DRF answers 405 for other methods and the
OpenAPI generator sees each operation with its own annotations. Per-operation
settings that DRF reads from the view (the throttle scope) are taken from the class
that handles the request's method.
"""

from typing import Any

from rest_framework.request import Request
from rest_framework.views import APIView


def by_method(**operations: type[APIView]):
    bases = tuple(operations.values())
    handlers = {method.lower(): operation for method, operation in operations.items()}

    def initial(self: APIView, request: Request, *args: Any, **kwargs: Any) -> None:
        operation = handlers.get(request.method.lower())
        self.throttle_scope = getattr(operation, "throttle_scope", None)
        APIView.initial(self, request, *args, **kwargs)

    route = type(
        "".join(base.__name__.removesuffix("Api") for base in bases) + "Route",
        bases,
        {"initial": initial, "__doc__": bases[0].__doc__},
    )
    return route.as_view()
