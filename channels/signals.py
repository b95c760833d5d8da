"""Signals of the delivery engine. The archive records what they carry."""

from django.dispatch import Signal

# provides args: delivery, payload, platform_id, url
delivery_sent = Signal()

# provides args: delivery, payload, kind, code, reason
delivery_failed = Signal()

# provides args: delivery, payload, platform_id, user
delivery_withdrawn = Signal()
