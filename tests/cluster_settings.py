"""Settings of the real ``qcluster`` processes the fault proof and the fan-out
benchmark start: the test settings, with a real (not synchronous) cluster on
the ORM broker, and the engine's waits shortened so a run takes minutes."""

from cms.settings.env import env_int
from cms.settings.test import *  # noqa: F403

Q_CLUSTER = {  # noqa: F405
    **Q_CLUSTER,  # noqa: F405
    "sync": False,
    "workers": env_int("RONGMEI_WORKERS", 2),
    "timeout": 90,
    "retry": 100,
    "poll": 0.2,
    "orm": "default",
}
Q_CLUSTER.pop("redis", None)
RONGMEI_PLATFORM_TIMEOUT = (2, 3)
# A dead worker's claim frees up quickly; its deliveries are then confirmed
# with the platform before anything is sent again.
RONGMEI_DELIVERY_LEASE = 15
RONGMEI_UNCONFIRMED_DELAY = 1
RONGMEI_DELIVERY_BACKOFF = 0.5
RONGMEI_DELIVERY_BACKOFF_MAX = 5
RONGMEI_DELIVERY_MAX_ATTEMPTS = 12
RONGMEI_POLL_INTERVAL = 0.2
RONGMEI_POLL_INTERVAL_MAX = 2
RONGMEI_DISPATCH_INTERVAL = 0.2
RONGMEI_DISPATCH_LOOP = 50
