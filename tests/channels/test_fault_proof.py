"""Deliveries survive killed workers and a faulty platform (PostgreSQL only).

Real ``qcluster`` processes, SIGKILLs of their workers, and the sandbox
answering 5xx, timing out and expiring tokens. Scaled down here; the full size
(1,000 deliveries, 20 kills) is ``bench/faults.py``.
"""

import os

import pytest
from django.db import connection

from tests.channels.faultproof import run_proof

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_nothing_published_twice_and_nothing_lost(sandbox):
    """By the sandbox's own record: no post twice, every delivery accounted for."""
    if connection.vendor != "postgresql":
        pytest.skip("the fault proof runs real clusters on PostgreSQL")
    size = int(os.environ.get("RONGMEI_FAULT_PROOF_DELIVERIES", "120"))
    report = run_proof(
        sandbox,
        deliveries=size,
        clusters=2,
        kills=int(os.environ.get("RONGMEI_FAULT_PROOF_KILLS", "6")),
        accounts_per_platform={"wechat_oa": 6, "weibo": 6, "douyin": 2, "app": 6},
        time_limit=900,
        log=lambda line: None,
    )
    summary = "\n".join(report.lines())
    assert report.kills > 0, summary
    assert report.injected_faults, summary
    assert report.duplicates == 0, summary
    assert report.lost == 0, summary
    assert report.sent + report.failed == size, summary
    assert report.sent > size * 0.8, summary
