"""Run the platform sandbox: local stand-ins for WeChat, Weibo, Douyin and the
app's webhook receiver, on a loopback address.

Accounts whose API address (or, for the app, webhook address) points at this
sandbox are registered with their decrypted credentials, so the demo data
publishes out of the box.
"""

import signal
import threading
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from channels.crypto import CredentialsError
from channels.models import Account
from channels.sandbox.client import SandboxClient, SandboxError
from channels.sandbox.server import SandboxServer, is_loopback


def points_at(url, port):
    """Whether ``url`` is on a loopback host at ``port``."""
    parts = urlsplit(url or "")
    try:
        return (
            bool(parts.hostname)
            and is_loopback(parts.hostname)
            and (parts.port == port)
        )
    except ValueError:  # a port that is not a number
        return False


def sandbox_accounts(port):
    """``(account, problem)`` for each account served by a sandbox on ``port``;
    ``problem`` is None or why its credentials cannot be used."""
    for account in Account.objects.order_by("platform", "name"):
        try:
            credentials = account.get_credentials() if account.credentials else {}
        except CredentialsError:
            if points_at(account.api_base_url, port):
                yield account, _("its credentials cannot be decrypted")
            continue
        target = account.api_base_url
        if account.platform == "app":
            target = credentials.get("webhook_url") or target
        if points_at(target, port):
            yield account, None


class Command(BaseCommand):
    help = (
        "Serve the platform sandbox (WeChat, Weibo, Douyin, app webhook) on a "
        "loopback address until stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--port",
            type=int,
            default=None,
            help="Port to listen on (default RONGMEI_SANDBOX_PORT, 8300; 0 picks one).",
        )
        parser.add_argument(
            "--host",
            default="127.0.0.1",
            help="Loopback address to listen on (127.0.0.1, ::1 or localhost).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=0,
            help="Seed of the sandbox's random choices (ids, fault dice).",
        )
        parser.add_argument(
            "--no-accounts",
            action="store_true",
            help="Do not register the accounts that point at this sandbox.",
        )

    def handle(self, *args, port=None, host="127.0.0.1", seed=0, no_accounts=False,
               **options):  # fmt: skip
        if not is_loopback(host):
            raise CommandError(
                _(
                    "The sandbox listens on loopback addresses only (127.0.0.1, ::1, "
                    "localhost), not %(host)s."
                )
                % {"host": host}
            )
        if port is None:
            port = settings.RONGMEI_SANDBOX_PORT
        try:
            server = SandboxServer(host=host, port=port, seed=seed).start()
        except OSError as e:
            raise CommandError(
                _("Could not listen on %(host)s:%(port)s: %(error)s")
                % {"host": host, "port": port, "error": e.strerror or e}
            ) from e
        stop = threading.Event()
        previous = {
            signum: signal.signal(signum, lambda *args: stop.set())
            for signum in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            if not no_accounts:
                self.register_accounts(server)
            self.stdout.write(
                _(
                    "Platform sandbox at %(url)s (WeChat, Weibo, Douyin, app "
                    "webhook). Press Ctrl+C to stop."
                )
                % {"url": server.url}
            )
            self.stdout.flush()
            while not stop.wait(1):
                pass
        finally:
            server.stop()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        self.stdout.write(_("Sandbox stopped."))

    def register_accounts(self, server):
        client = SandboxClient(server.url)
        try:
            accounts = list(sandbox_accounts(server.port))
        except DatabaseError as e:
            self.stderr.write(
                _(
                    "Could not read the accounts (%(error)s): run manage.py migrate, "
                    "or start the sandbox with --no-accounts."
                )
                % {"error": e}
            )
            return
        count = 0
        for account, problem in accounts:
            if problem is None:
                try:
                    client.register(account)
                except SandboxError as e:
                    problem = str(e)
                else:
                    count += 1
                    continue
            self.stderr.write(
                _("Skipped account %(account)s: %(reason)s")
                % {"account": account, "reason": problem}
            )
        self.stdout.write(
            ngettext(
                "Registered %(count)d account.", "Registered %(count)d accounts.", count
            )
            % {"count": count}
        )
