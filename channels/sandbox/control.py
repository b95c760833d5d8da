"""The control API under ``/_sandbox/``: accounts, faults, clock, log, reset."""

import json

from .web import json_response


class ControlError(ValueError):
    pass


class Control:
    def __init__(self, state, services):
        self.state = state
        self.services = services

    def handle(self, request):
        handler = getattr(self, "%s_%s" % (
            request.method.lower(), request.path.strip("/").replace("-", "_")
        ), None)  # fmt: skip
        if handler is None:
            return json_response({"error": "no such control call"}, status=404)
        try:
            body = json.loads(request.body.decode("utf-8")) if request.body else {}
            if not isinstance(body, dict):
                raise ControlError("the body must be a JSON object")
            with self.state.lock:
                for service in self.services.values():
                    service.settle()
                return json_response(handler(request, body))
        except ValueError as e:  # JSON errors and ControlError
            return json_response({"error": str(e)}, status=400)

    def service(self, platform):
        if platform not in self.services:
            raise ControlError("unknown platform %r" % platform)
        return self.services[platform]

    # Accounts ---------------------------------------------------------

    def post_accounts(self, request, body):
        if not isinstance(body.get("credentials"), dict):
            raise ControlError("credentials must be an object")
        account = self.service(body.get("platform")).register(body)
        return {"account": account.key}

    def get_accounts(self, request, body):
        return {
            "accounts": [
                {"platform": a.platform, "account": a.key, "name": a.name}
                for a in self.state.accounts.values()
            ]
        }

    # Faults, limits, tokens, clock ------------------------------------

    def post_faults(self, request, body):
        values = dict(body)
        account = str(values.pop("account", "*"))
        self.state.faults.set(account, values)
        return {"faults": self.state.faults.as_json()}

    def get_faults(self, request, body):
        return {"faults": self.state.faults.as_json()}

    def delete_faults(self, request, body):
        self.state.faults.clear(request.query.get("account") or body.get("account"))
        return {"faults": self.state.faults.as_json()}

    def post_limits(self, request, body):
        """Change limits, e.g. ``{"douyin": {"video_max_bytes": 2048}}``."""
        for platform, values in body.items():
            limits = self.state.limits[self.service(platform).code]
            for name, value in values.items():
                if name not in limits:
                    raise ControlError("unknown limit %s.%s" % (platform, name))
                if isinstance(limits[name], dict):
                    limits[name] = {**limits[name], **value}
                else:
                    limits[name] = value
        return {"limits": self.state.limits}

    def get_limits(self, request, body):
        return {"limits": self.state.limits}

    def post_expire_tokens(self, request, body):
        kinds = None if body.get("refresh") else ("access", "stable", "client")
        count = self.state.expire_tokens(str(body.get("account", "*")), kinds=kinds)
        return {"expired": count}

    def post_clock(self, request, body):
        seconds = body.get("advance", 0)
        if not isinstance(seconds, int | float) or seconds < 0:
            raise ControlError("advance must be a positive number of seconds")
        self.state.clock.advance(seconds)
        for service in self.services.values():
            service.settle()
        return {"now": self.state.now(), "offset": self.state.clock.offset}

    def get_clock(self, request, body):
        return {"now": self.state.now(), "offset": self.state.clock.offset}

    # What happened ----------------------------------------------------

    def get_log(self, request, body):
        try:
            since = int(request.query.get("since") or 0)
        except ValueError:
            raise ControlError("since must be a number") from None
        return {"entries": self.state.log_since(since), "last": self.state.seq}

    def get_published(self, request, body):
        platform = request.query.get("platform")
        account = request.query.get("account")
        items = []
        for code, service in self.services.items():
            if not platform or platform == code:
                items.extend(service.published())
        if account:
            items = [item for item in items if item["account"] == account]
        items.sort(key=lambda item: item["created_at"])
        return {"items": items}

    def post_comments(self, request, body):
        """Add a comment from the public: ``{"platform", "post", "text"}``."""
        return {"comment": self.service(body.get("platform")).add_comment(body)}

    def post_reset(self, request, body):
        """Empty the state; ``keep_accounts`` registers the accounts again (with
        the credentials they were registered with)."""
        accounts = list(self.state.accounts.values())
        self.state.reset()
        if body.get("keep_accounts"):
            for account in accounts:
                self.services[account.platform].register(
                    {
                        **account.options,
                        "platform": account.platform,
                        "name": account.name,
                        "uid": account.key,
                        "credentials": account.credentials,
                    }
                )
        return {"reset": True}
