"""Profile pages in-process (run by hand): where does a request's time go?

    DANGJIAN_DATA_DIR=/tmp/dangjian-bench/10000 DANGJIAN_BENCH=1 \
        python bench/profile_pages.py [--repeat 20] [--html out_dir] [page ...]

Uses Django's test client logged in as the generated committee leader (``bench_leader``),
reports wall time per request and SQL queries, and with ``--html`` writes a pyinstrument
profile per page (``pip install pyinstrument``; not a project dependency).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
os.environ.setdefault("DANGJIAN_BENCH", "1")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pages", nargs="*")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--html", default=None)
    parser.add_argument("--user", default="bench_leader")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import run  # bench/run.py

    settings.ALLOWED_HOSTS = ["*"]
    urls = run.probe_pages()["pages"]
    client = Client()
    client.login(username=args.user, password=run.PASSWORD)
    for name, url in urls.items():
        if args.pages and name not in args.pages:
            continue
        client.get(url)
        executed: list[str] = []

        def count(execute, sql, params, many, context, seen=executed):  # type: ignore[no-untyped-def]
            seen.append(sql)
            return execute(sql, params, many, context)

        # an execute wrapper sees every statement, also across the connection being closed
        # and reopened at the end of a request (CONN_MAX_AGE=0)
        with connection.execute_wrapper(count):
            client.get(url)
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.repeat):
            response = client.get(url)
        ms = (time.perf_counter() - started) * 1000 / args.repeat
        cpu_ms = (time.process_time() - cpu) * 1000 / args.repeat
        print(
            f"{name:14} {ms:8.1f} ms/request ({cpu_ms:6.1f} ms CPU)  "
            f"{len(executed):3d} queries  "
            f"{len(response.content) // 1024} KiB  status {response.status_code}"
        )
        if args.html:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            profiler.start()
            for _ in range(args.repeat):
                client.get(url)
            profiler.stop()
            out = Path(args.html)
            out.mkdir(parents=True, exist_ok=True)
            (out / f"{name}.txt").write_text(profiler.output_text(unicode=True, show_all=False))


if __name__ == "__main__":
    main()
