"""The fault proof at full size: 1,000 deliveries, 2 clusters, 20 SIGKILLs.

Not part of the test run (CI runs a scaled-down copy:
tests/channels/test_fault_proof.py). Creates a throwaway PostgreSQL database,
starts the platform sandbox in this process answering 10% of calls with a 5xx,
timing out 5% after processing them and expiring every account's tokens every
100 calls, then runs two real ``manage.py qcluster`` processes on the database
while killing 20 of their worker processes at random. Afterwards it counts, by
the sandbox's own record of what it published, posts published twice and
deliveries lost (neither sent nor failed with a reason). Harness:
tests/channels/faultproof.py.

    .venv/bin/python bench/faults.py [--deliveries 1000] [--kills 20]
        [--clusters 2] [--error-rate 0.1] [--timeout-rate 0.05] [--seed 2026]
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--clusters", type=int, default=2)
    parser.add_argument("--error-rate", type=float, default=0.10)
    parser.add_argument("--timeout-rate", type=float, default=0.05)
    parser.add_argument("--expire-every", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    return parser.parse_args()


def main():
    args = parse_args()
    import psycopg

    name = "rongmei_bench_faults_%d" % os.getpid()
    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("CREATE DATABASE %s" % name)
    os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/%s" % name
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.cluster_settings"
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="rongmei-faults-media-")
    os.environ["LOG_LEVEL"] = "ERROR"
    sys.path.insert(0, str(REPO))
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        return run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)


def run(args):
    from channels.sandbox.client import SandboxClient
    from channels.sandbox.server import SandboxServer
    from tests.channels.faultproof import run_proof

    server = SandboxServer(port=0, seed=args.seed).start()
    sandbox = SandboxClient(server.url)
    try:
        report = run_proof(
            sandbox,
            deliveries=args.deliveries,
            clusters=args.clusters,
            kills=args.kills,
            error_rate=args.error_rate,
            timeout_rate=args.timeout_rate,
            expire_every=args.expire_every,
            seed=args.seed,
            time_limit=3600,
        )
    finally:
        server.stop()
    print("Fault proof: %d deliveries, %d clusters" % (args.deliveries, args.clusters))
    for line in report.lines():
        print("  " + line)
    verdict = "PASS" if report.duplicates == 0 and report.lost == 0 else "FAIL"
    print("%s: %d published twice, %d lost" % (verdict, report.duplicates, report.lost))
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
