"""Requests and responses of the sandbox's WSGI app, and form parsing."""

import json
import re
from dataclasses import dataclass, field
from email.parser import HeaderParser
from urllib.parse import parse_qsl

#: Bodies above this are refused before anything reads them (HTTP 413).
MAX_BODY_BYTES = 256 * 1024 * 1024

REASONS = {
    200: "OK",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class Upload:
    """One file part of a multipart body."""

    filename: str
    content_type: str
    data: bytes

    @property
    def size(self):
        return len(self.data)


class Request:
    """The parts of a WSGI request the platform handlers need."""

    def __init__(self, environ, body):
        self.method = environ["REQUEST_METHOD"].upper()
        self.full_path = environ.get("PATH_INFO", "") or "/"
        self.path = self.full_path
        self.query_string = environ.get("QUERY_STRING", "")
        self.query = dict(parse_qsl(self.query_string, keep_blank_values=True))
        self.headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        self.content_type = environ.get("CONTENT_TYPE", "")
        self.body = body
        self._form = None

    def header(self, name, default=""):
        return self.headers.get(name.lower(), default)

    @property
    def is_multipart(self):
        return self.content_type.lower().startswith("multipart/form-data")

    def json(self):
        """The body as JSON; ``ValueError`` if it is not UTF-8 JSON."""
        return json.loads(self.body.decode("utf-8"))

    def form(self):
        """``(fields, files)`` of a urlencoded or multipart body."""
        if self._form is None:
            if self.is_multipart:
                self._form = parse_multipart(self.body, self.content_type)
            elif "x-www-form-urlencoded" in self.content_type.lower():
                text = self.body.decode("utf-8", errors="replace")
                self._form = (dict(parse_qsl(text, keep_blank_values=True)), {})
            else:
                self._form = ({}, {})
        return self._form

    def params(self):
        """Query string and form fields together (the form wins)."""
        return {**self.query, **self.form()[0]}


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: list = field(default_factory=list)
    #: The platform's error code, for the request log ("" on success).
    code: str = ""

    def wsgi_status(self):
        return "%d %s" % (self.status, REASONS.get(self.status, "Unknown"))

    def wsgi_headers(self):
        return [
            ("Content-Type", self.content_type),
            ("Content-Length", str(len(self.body))),
            *self.headers,
        ]


def json_response(data, status=200, code=""):
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return Response(status=status, body=body, code=str(code))


def html_response(html, status=200):
    return Response(
        status=status,
        body=html.encode("utf-8"),
        content_type="text/html; charset=utf-8",
    )


def text_response(text, status=200, content_type="text/plain; charset=utf-8"):
    return Response(status=status, body=text.encode("utf-8"), content_type=content_type)


def redirect(location):
    return Response(
        status=302, content_type="text/plain", headers=[("Location", location)]
    )


def not_found():
    return text_response("Not Found", status=404)


_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)


def parse_multipart(body, content_type):
    """Split a multipart/form-data body into ``(fields, files)``.

    Written here because ``cgi`` is deprecated and ``email`` is slow on the
    multi-megabyte video parts the Douyin sandbox receives.
    """
    match = _BOUNDARY.search(content_type)
    if not match:
        return {}, {}
    delimiter = b"--" + match.group(1).encode("latin-1")
    fields, files = {}, {}
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        head, _sep, data = chunk.partition(b"\r\n\r\n")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        headers = HeaderParser().parsestr(head.decode("utf-8", errors="replace"))
        name = headers.get_param("name", header="content-disposition")
        if not name:
            continue
        filename = headers.get_param("filename", header="content-disposition")
        if filename is None:
            fields[name] = data.decode("utf-8", errors="replace")
        else:
            files[name] = Upload(
                filename=filename,
                content_type=headers.get_content_type(),
                data=data,
            )
    return fields, files


def sniff_type(data):
    """The file type the leading bytes show: jpeg, png, gif, bmp, mp4, webm or ""."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data.startswith(b"BM"):
        return "bmp"
    if data[4:8] == b"ftyp":
        return "mp4"
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    return ""


def extension(filename):
    return filename.rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
