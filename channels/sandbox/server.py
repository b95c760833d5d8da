"""The sandbox's HTTP server: a threaded WSGI server on a loopback address.

server = SandboxServer(port=0).start()   # background thread
server.url                                # "http://127.0.0.1:54321"
server.stop()
"""

import ipaddress
import socket
import socketserver
import threading
import time
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from . import pages
from .app import AppReceiver
from .control import Control
from .douyin import Douyin
from .faults import decide, gateway_error_page
from .state import SandboxState
from .web import MAX_BODY_BYTES, Request, Response, not_found
from .wechat import WeChat
from .weibo import Weibo

SERVICES = (WeChat, Weibo, Douyin, AppReceiver)


def is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class SandboxApp:
    """The WSGI application: control API, platform APIs and pages."""

    def __init__(self, state, services):
        self.state = state
        self.services = services
        self.control = Control(state, services)

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > MAX_BODY_BYTES:
            response = Response(413, b"Payload Too Large", "text/plain")
        else:
            body = environ["wsgi.input"].read(length) if length else b""
            response = self.dispatch(Request(environ, body))
        start_response(response.wsgi_status(), response.wsgi_headers())
        return [response.body]

    def dispatch(self, request):
        first, _sep, rest = request.full_path.lstrip("/").partition("/")
        if first == "_sandbox":
            request.path = "/" + rest
            return self.control.handle(request)
        if first == "":
            with self.state.lock:
                for service in self.services.values():
                    service.settle()
                return pages.index(self.state, self.services)
        service = self.services.get(first)
        if service is None:
            return not_found()
        request.path = "/" + rest
        if service.is_api(request):
            return self.call_api(service, request)
        with self.state.lock:
            service.settle()
            return service.page(request)

    def call_api(self, service, request):
        state = self.state
        route = service.route(request)
        api = route.api if route else ""
        with state.lock:
            service.settle()
            account = service.identify(request, route) if route else None
            faults = state.faults.for_account(account)
            decision = decide(faults, state.random)
        fault = "+".join(decision.names())
        if decision.latency:
            time.sleep(decision.latency)
        if decision.error_status:
            html = gateway_error_page(decision.error_status, service.code)
            with state.lock:
                state.record(request, service.code, account, decision.error_status,
                             fault=fault, api=api)  # fmt: skip
            return Response(decision.error_status, html.encode(), "text/html")
        if decision.timeout_mode == "before":
            with state.lock:
                state.record(request, service.code, account, 504, fault=fault, api=api)
            state.hold(decision.timeout_seconds)
            html = "<html><body><h1>504 Gateway Time-out</h1></body></html>"
            return Response(504, html.encode(), "text/html")
        with state.lock:
            service.settle()
            response = service.handle(request, route, faults) if route else not_found()
            state.record(request, service.code, account, response.status,
                         response.code, fault, api)  # fmt: skip
        if decision.timeout_mode == "after":
            state.hold(decision.timeout_seconds)
        return response


class _Handler(WSGIRequestHandler):
    def log_message(self, format, *args):
        """Stay quiet: the sandbox keeps its own request log."""

    def address_string(self):
        return self.client_address[0]


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128

    def server_bind(self):
        # Skip HTTPServer's reverse DNS lookup of the address.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]
        self.setup_environ()


class _ThreadingWSGIServerV6(_ThreadingWSGIServer):
    address_family = socket.AF_INET6


class SandboxServer:
    """The sandbox on ``host:port`` (loopback only); ``port=0`` picks a free one."""

    def __init__(self, host="127.0.0.1", port=0, seed=0):
        if not is_loopback(host):
            raise ValueError("The sandbox only listens on loopback addresses.")
        self.host = "127.0.0.1" if host == "localhost" else host.strip("[]")
        self.port = port
        self.state = SandboxState(
            seed=seed, limits={cls.code: cls.LIMITS for cls in SERVICES}
        )
        self.services = {cls.code: cls(self.state) for cls in SERVICES}
        self.app = SandboxApp(self.state, self.services)
        self._httpd = None
        self._thread = None

    @property
    def url(self):
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "http://%s:%d" % (host, self.port)

    def start(self):
        """Listen, and serve from a background thread; return self."""
        server_class = (
            _ThreadingWSGIServerV6 if ":" in self.host else (_ThreadingWSGIServer)
        )
        self._httpd = server_class((self.host, self.port), _Handler)
        self._httpd.set_app(self.app)
        self.port = self._httpd.server_address[1]
        self.state.base_url = self.url
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="rongmei-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self):
        """Stop serving, waking calls held by timeout faults."""
        if self._httpd is None:
            return
        self.state.release_all()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
        self._httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
