from django.middleware.http import ConditionalGetMiddleware


class APIConditionalGetMiddleware(ConditionalGetMiddleware):
    """ETag and 304 answers for the headless API only."""

    def process_response(self, request, response):
        if not request.path.startswith("/api/"):
            return response
        return super().process_response(request, response)
