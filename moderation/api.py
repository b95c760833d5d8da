"""POST /api/checks/: the content checks for machine clients (token scope
``check``), the same as ``manage.py check_release``."""

from rest_framework.response import Response
from rest_framework.views import APIView

from cms.security.tokens import HasScope, TokenAuthentication

from .checks import DocumentError, ReleaseDocument, run_checks


class ChecksAPIView(APIView):
    authentication_classes = [TokenAuthentication]
    permission_classes = [HasScope("check")]

    def post(self, request):
        if not isinstance(request.data, dict):
            return Response({"message": "Send one JSON object: a release."}, status=400)
        try:
            document = ReleaseDocument.from_json(request.data)
        except DocumentError as e:
            return Response({"message": str(e)}, status=400)
        findings = [finding.to_dict() for finding in run_checks(document)]
        return Response(
            {
                "blocking": any(f["severity"] == "block" for f in findings),
                "findings": findings,
            }
        )
