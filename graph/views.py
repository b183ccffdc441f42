"""The HTTP side of /graphql: Strawberry's Django view with our context and CSRF rule."""

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from strawberry.django.views import GraphQLView as StrawberryGraphQLView

from graph.auth import context_for_request, has_session_cookie
from graph.context import Context


def _csrf_failure(request: HttpRequest) -> HttpResponse | None:
    reason = CsrfViewMiddleware(lambda r: HttpResponse()).process_view(request, None, (), {})
    if reason is None:
        return None
    return JsonResponse(
        {
            "data": None,
            "errors": [
                {
                    "message": "CSRF verification failed: send the csrftoken cookie's value "
                    "in the X-CSRFToken header, or authenticate with a Bearer token.",
                    "extensions": {"code": "FORBIDDEN"},
                }
            ],
        },
        status=403,
    )


@method_decorator(csrf_exempt, name="dispatch")
class GraphQLView(StrawberryGraphQLView):
    """Bearer requests need no CSRF token; cookie-authenticated POSTs do."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if (
            request.method == "POST"
            and "Authorization" not in request.headers
            and has_session_cookie(request)
            and request.user.is_authenticated
        ):
            failure = _csrf_failure(request)
            if failure is not None:
                return failure
        return super().dispatch(request, *args, **kwargs)

    def get_context(self, request: HttpRequest, response: HttpResponse) -> Context:  # type: ignore[override]
        return context_for_request(request, Context(request=request, response=response))
