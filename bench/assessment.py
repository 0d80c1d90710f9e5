"""Assessment engine at scale, run by hand (never by pytest).

For each size N (default 15, 500 and 5,000 branches) a fresh database is created and migrated,
one committee with N branches is bulk-inserted (every second branch with a theme-day meeting in
the quarter), the standard scheme (6 categories, 67 criteria, its indicator criteria and
formulas, ``scheme_load_standard``) is loaded, and one quarterly round over all branches gets a
sheet per branch and a score per criterion (two thirds of the manual criteria scored). Then
``round_compute`` (indicators called once for all branches, every score and sheet written,
rank, stars with quotas) is timed over ``--repeat`` runs (median and max) and its SQL queries
are counted.

    python bench/assessment.py [--sizes 15,500,5000] [--repeat 3]
                               [--postgres postgres://postgres@127.0.0.1:5432/bench_assessment]

SQLite: a fresh file in a temporary DANGJIAN_DATA_DIR per size (deleted afterwards).
PostgreSQL: the database named in the URL is dropped and created again for every size, then
ANALYZEd after the load. Each size runs in its own subprocess.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from bench.compliance import recreate_pg  # noqa: E402

PY = sys.executable
MARK = "RESULT "


def run_size(size: int, args: argparse.Namespace) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"dangjian-assessment-{size}-"))
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        DANGJIAN_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="dangjian.settings",
        PYTHONPATH=str(REPO),
    )
    if args.postgres:
        recreate_pg(args.postgres)
        env["DATABASE_URL"] = args.postgres
    cmd = [PY, str(Path(__file__).resolve()), "--child", str(size), "--repeat", str(args.repeat)]
    if args.profile:
        cmd.append("--profile")
    try:
        proc = subprocess.run(cmd, env=env, cwd=REPO, stdout=subprocess.PIPE, text=True)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    result = None
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            result = json.loads(line[len(MARK) :])
        else:
            print(line)
    if proc.returncode or result is None:
        raise SystemExit(f"size {size} failed (exit {proc.returncode})")
    return result


def child(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dangjian.assessment.models import Criterion, Score, ScoreSheet
    from dangjian.assessment.services.engine import round_compute
    from dangjian.assessment.services.schemes import scheme_load_standard
    from dangjian.assessment.tests.test_scale import bulk_branches, bulk_round
    from dangjian.core.scope import SYSTEM
    from dangjian.demo.bulk import tree_path
    from dangjian.orgs.models import PartyOrg

    size = args.child
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    path, _ = tree_path("", 1)
    committee = PartyOrg.objects.create(
        pk=1, name="基准党委", kind=PartyOrg.Kind.COMMITTEE, path=path, depth=0
    )
    scheme = scheme_load_standard(actor=SYSTEM, party_org=committee, year=2026)
    branch_ids = bulk_branches(committee, size)
    rnd = bulk_round(scheme, branch_ids, f"{size}个支部")
    load = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    times: list[float] = []
    queries = 0
    for _ in range(args.repeat):
        begin = time.perf_counter()
        with CaptureQueriesContext(connection) as ctx:
            round_compute(round_id=rnd.pk)
        times.append(time.perf_counter() - begin)
        queries = len(ctx.captured_queries)
    if args.profile:
        import cProfile
        import io
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        round_compute(round_id=rnd.pk)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        print(out.getvalue())
    criteria = Criterion.objects.filter(category__scheme=scheme)
    result = {
        "branches": size,
        "criteria": criteria.count(),
        "indicator_criteria": criteria.filter(method="indicator").count(),
        "scores": Score.objects.filter(sheet__round=rnd).count(),
        "computed_sheets": ScoreSheet.objects.filter(round=rnd, computed_at__isnull=False).count(),
        "vendor": connection.vendor,
        "load_s": round(load, 1),
        "median": statistics.median(times),
        "max": max(times),
        "queries": queries,
    }
    print(MARK + json.dumps(result), flush=True)


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| database | branches | criteria (indicator) | scores | median s | max s | queries "
        "| ms / branch |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['vendor']} | {r['branches']:,} | {r['criteria']} ({r['indicator_criteria']}) "
            f"| {r['scores']:,} | {r['median']:.2f} | {r['max']:.2f} | {r['queries']} "
            f"| {r['median'] * 1000 / r['branches']:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", default="15,500,5000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", default=None, help="database URL (dropped and recreated)")
    parser.add_argument("--profile", action="store_true", help="cProfile one run per size")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args)
        return
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"{size:,} branches ({'PostgreSQL' if args.postgres else 'SQLite'}) …", flush=True)
        started = time.perf_counter()
        results.append(run_size(size, args))
        print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    print()
    print(table(results))
    counts = {r["queries"] for r in results}
    print(f"\nquery count constant across sizes: {'yes' if len(counts) == 1 else 'NO'} {counts}")
    if args.postgres:
        recreate_pg(args.postgres)


if __name__ == "__main__":
    main()
