from .accounts import Account, AccountAdministrator, AccountQuerySet, ReleaseTarget
from .deliveries import Delivery, DeliveryAttempt, PlatformToken, PublishingPause

__all__ = [
    "Account",
    "AccountAdministrator",
    "AccountQuerySet",
    "Delivery",
    "DeliveryAttempt",
    "PlatformToken",
    "PublishingPause",
    "ReleaseTarget",
]
