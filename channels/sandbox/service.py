"""What every platform of the sandbox has: routes, limits, data, registration."""

from abc import ABC, abstractmethod
from dataclasses import dataclass

from .web import not_found


@dataclass(frozen=True)
class Route:
    #: The API's name in quotas and the log ("freepublish/submit").
    api: str
    methods: tuple
    #: Name of the service method answering it.
    handler: str


class Service(ABC):
    """One platform. Subclasses set ``code``, ``LIMITS`` and ``ROUTES``."""

    code = ""
    #: Configurable limits (``POST /_sandbox/limits``); "quota" maps API names
    #: to their allowance per period.
    LIMITS = {}
    #: Path (below the platform prefix) → :class:`Route`.
    ROUTES = {}

    def __init__(self, state):
        self.state = state

    @property
    def db(self):
        """This platform's data in the state, created on first use."""
        if self.code not in self.state.data:
            self.state.data[self.code] = self.new_db()
        return self.state.data[self.code]

    def new_db(self):
        return {}

    def limit(self, name):
        return self.state.limits[self.code][name]

    def quota(self, api, faults):
        """The allowance of ``api`` (None: unlimited), faults first."""
        if api in faults.quota:
            return faults.quota[api]
        return self.limit("quota").get(api)

    def route(self, request):
        return self.ROUTES.get(request.path)

    def is_api(self, request):
        """Whether the path is an API call (logged, faulted) or a page."""
        return False

    def settle(self):
        """Bring time-driven state (publish jobs, reviews) up to now."""

    def identify(self, request, route):
        """The account key a call acts for, if known; no side effects."""
        return None

    @abstractmethod
    def handle(self, request, route, faults):
        """Answer an API call (auth, quota, the route's handler) as a Response."""

    def page(self, request):
        return not_found()

    @abstractmethod
    def register(self, body):
        """Create or update an account from ``POST /_sandbox/accounts``."""

    def published(self):
        """What the public can see, as dicts of the contract's shape."""
        return []

    def add_comment(self, body):
        """A comment from the public on one of the account's posts."""
        raise ValueError("comments are not modelled for %s" % self.code)

    def item(self, account, item_id, url, title, text, created_at, deleted, status):
        return {
            "platform": self.code,
            "account": account,
            "id": item_id,
            "url": url,
            "title": title,
            "text": text,
            "created_at": self.state.iso(created_at),
            "deleted": deleted,
            "status": status,
        }


class ApiError(Exception):
    """A platform error answer; each service renders it in its own shape."""

    def __init__(self, code, message="", **extra):
        self.code = code
        self.message = message
        self.extra = extra
        super().__init__("%s %s" % (code, message))
