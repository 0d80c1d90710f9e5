"""Benchmarks, run by hand (never by pytest). One run measures, for each data-set size:

* p50/p95 latency and requests/s of the person list filtered by branch, person detail, structure
  analytics and the home page, against a trivial view on the same gunicorn server;
* SQL queries per page;
* export rows/s and peak memory (RSS of a subprocess running the person export job);

and once: import rows/s of a 50k-row Excel file through the app's importer, through
django-import-export (``pip install -e .[bench]``) and through raw bulk_create.

    python bench/run.py --sizes 10000,1000000 [--requests 200 --concurrency 4] [--reuse]

Data sets live in /tmp/dangjian-bench/<size> (SQLite) unless --postgres URL_PREFIX is given
(then database <prefix>_<size>). Load is generated only against 127.0.0.1 and bounded.
``BENCH_SERVE_ARGS="--workers 4 --threads 1"`` passes options to ``dangjian serve``, and
``DANGJIAN_CONN_MAX_AGE=0`` turns persistent database connections off, for comparisons.
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
ROOT = Path(os.environ.get("DANGJIAN_BENCH_DIR", "/tmp/dangjian-bench"))
PASSWORD = "Dangjian@2026"
PY = sys.executable


# ---- helpers ------------------------------------------------------------------------------------
def env_for(size: int | str, pg: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        DANGJIAN_DATA_DIR=str(ROOT / str(size)),
        DJANGO_SETTINGS_MODULE="dangjian.settings",
        DANGJIAN_BENCH="1",
        PYTHONPATH=str(REPO),
    )
    if pg:
        env["DATABASE_URL"] = f"{pg}_{size}"
    return env


def dj(env: dict[str, str], *args: str, check: bool = True) -> str:
    proc = subprocess.run(
        [PY, "-m", "dangjian", *args], env=env, cwd=REPO, capture_output=True, text=True
    )
    if check and proc.returncode:
        raise SystemExit(f"dangjian {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def build(size: int, pg: str | None, reuse: bool) -> float:
    env = env_for(size, pg)
    marker = ROOT / str(size) / "built"
    if reuse and marker.exists():
        dj(env, "migrate", "-v0")  # the code may have new migrations since the data was built
        prepare(env)
        return float(marker.read_text())
    if not pg:
        shutil.rmtree(ROOT / str(size), ignore_errors=True)
    else:
        recreate_pg(env)
    (ROOT / str(size)).mkdir(parents=True, exist_ok=True)
    dj(env, "migrate", "-v0")
    started = time.perf_counter()
    out = dj(env, "generate", "--persons", str(size), "--seed", "1", "--reset")
    elapsed = time.perf_counter() - started
    print(f"  generate {size}: {elapsed:.0f} s — {out.strip().splitlines()[-2]}")
    marker.write_text(f"{elapsed:.1f}")
    prepare(env)
    return elapsed


def prepare(env: dict[str, str]) -> None:
    """The load generator cannot answer a TOTP prompt: switch the MFA requirement off in the
    benchmark data set (rule ``security.mfa_required``), the same for the trivial view and the
    pages, and say so in the report. Then refresh the planner statistics, as the daily job
    (``core.analyze``) keeps them on a running system."""
    probe(env, "prepare")


def recreate_pg(env: dict[str, str]) -> None:
    dbname = env["DATABASE_URL"].rsplit("/", 1)[1]
    subprocess.run(["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres", dbname])
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", dbname], check=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Session:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with self.opener.open(self.base + path, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def login(self, username: str) -> None:
        _, page = self.get("/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, "no CSRF token on the login page"
        data = urllib.parse.urlencode(
            {
                "username": username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1).decode(),
            }
        ).encode()
        request = urllib.request.Request(
            self.base + "/accounts/login/", data=data, headers={"Referer": self.base + "/"}
        )
        with self.opener.open(request, timeout=60) as response:
            assert "/accounts/login/" not in response.url, "login failed"


def warm(session: Session, path: str) -> float:
    """The first request (e.g. a snapshot being computed), then two warm-up requests."""
    started = time.perf_counter()
    session.get(path)
    first_ms = (time.perf_counter() - started) * 1000
    for _ in range(2):
        session.get(path)
    return first_ms


def burst(session: Session, path: str, requests: int, concurrency: int) -> dict[str, Any]:
    """``requests`` GETs, ``concurrency`` at a time: latencies, wall time, errors."""
    latencies: list[float] = []
    errors = 0

    def one(_: int) -> None:
        nonlocal errors
        started = time.perf_counter()
        status, _body = session.get(path)
        latencies.append(time.perf_counter() - started)
        if status != 200:
            errors += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(requests)))
    return {"latencies": latencies, "wall": time.perf_counter() - started, "errors": errors}


def measure_interleaved(
    session: Session, pages: dict[str, str], requests: int, concurrency: int, rounds: int
) -> dict[str, dict[str, float]]:
    """Every page gets ``requests`` GETs in ``rounds`` bursts, the pages taking turns (the
    order rotating each round), so a change of background load during the run hits every page
    alike and the throughput ratios against the trivial view stay fair."""
    first = {name: warm(session, url) for name, url in pages.items()}
    bursts: dict[str, list[dict[str, Any]]] = {name: [] for name in pages}
    names = list(pages)
    per_round = max(1, requests // rounds)
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            bursts[name].append(burst(session, pages[name], per_round, concurrency))
    results: dict[str, dict[str, float]] = {}
    for name, runs in bursts.items():
        latencies = sorted(x for run in runs for x in run["latencies"])
        # per-round throughput ratio to the trivial view measured in the same round
        results[name] = {
            "p50_ms": statistics.median(latencies) * 1000,
            "p95_ms": latencies[max(0, int(len(latencies) * 0.95) - 1)] * 1000,
            "rps": len(latencies) / sum(run["wall"] for run in runs),
            "errors": sum(run["errors"] for run in runs),
            "first_ms": first[name],
        }
        if "trivial" in bursts:
            ratios = [
                (per_round / run["wall"]) / (per_round / base["wall"])
                for run, base in zip(runs, bursts["trivial"], strict=True)
            ]
            results[name]["rps_ratio_median"] = statistics.median(ratios)
    return results


# ---- in-process probes (run as subprocesses of this script) ----------------------------------
def probe_pages() -> dict[str, Any]:
    """Find the URLs to measure and count SQL queries per page (in-process test client)."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    from dangjian.accounts.models import User
    from dangjian.orgs.models import PartyOrg
    from dangjian.people.models import Person

    branch = PartyOrg.objects.filter(kind="branch").order_by("pk").first()
    person = Person.objects.filter(party_org=branch).order_by("pk").first()
    pages = {"trivial": "/bench/trivial/", "home": "/"}
    try:
        pages["person_list"] = reverse("people:list") + f"?party_org={branch.pk}"
        pages["person_detail"] = reverse("people:detail", args=[person.pk])
    except NoReverseMatch:
        pass
    with contextlib.suppress(NoReverseMatch):
        pages["analytics"] = reverse("people:analytics")
    client = Client()
    client.force_login(User.objects.get(username="bench_leader"))
    queries: dict[str, int] = {}
    for name, url in pages.items():
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        queries[name] = len(ctx.captured_queries) if response.status_code == 200 else -1
    return {"pages": pages, "queries": queries}


def probe_export() -> dict[str, Any]:
    """Run the person export job (committee leader's scope, no filter) in this process, the
    same code the task worker runs (``run_export``: count, rows, writer, audit, job updates);
    report rows, time, rows/s and peak RSS. The file is deleted afterwards."""
    import django

    django.setup()
    from django.conf import settings

    from dangjian.accounts.models import User
    from dangjian.core.models import Job
    from dangjian.core.tasks import run_export
    from dangjian.people.exporting import EXPORT_KEY

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    user = User.objects.get(username="bench_leader")
    job = Job.objects.create(kind=f"export:{EXPORT_KEY}", owner=user, params={}, phase="排队中")
    load = os.getloadavg()[0]
    started, cpu = time.perf_counter(), time.process_time()
    run_export.call(job_id=job.pk)
    seconds = time.perf_counter() - started
    job.refresh_from_db()
    if job.status != Job.Status.SUCCEEDED:
        raise SystemExit(f"export job failed: {job.message}")
    path = Path(settings.PRIVATE_DIR) / job.output_file
    size = path.stat().st_size
    path.unlink()
    rows = int(job.result["rows"])
    return {
        "rows": rows,
        "total_announced": job.total,
        "seconds": round(seconds, 1),
        "cpu_seconds": round(time.process_time() - cpu, 1),
        "rows_per_s": round(rows / seconds) if seconds else 0,
        "file_mb": round(size / 1024 / 1024, 1),
        "load_average_at_start": round(load, 1),
        "rss_before_mb": round(before / 1024, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def probe_import(rows: int, how: str) -> dict[str, Any]:
    """Import ``rows`` persons from one generated .xlsx (same file for every method)."""
    import django

    django.setup()
    import datetime as dt

    from openpyxl import Workbook, load_workbook

    from dangjian.core.identity import citizen_id_check_char
    from dangjian.core.scope import SYSTEM
    from dangjian.orgs.models import Unit
    from dangjian.people.importing import COLUMNS

    path = ROOT / "import" / f"persons-{rows}-v2.xlsx"
    team = Unit.objects.filter(kind="team").order_by("pk").first()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("人员")
        ws.append([c.header for c in COLUMNS])
        for i in range(rows):
            birth = dt.date(1970, 1, 1) + dt.timedelta(days=i % 12000)
            # area 110101 is not among the generator's areas: no clash with the base data set
            first17 = f"110101{birth:%Y%m%d}{(i // 12000) * 2 + 1:03d}"
            values = {
                "employee_no": f"IMP{i:06d}",
                "name": f"导入{i}",
                "gender": "男",
                "birth_date": birth.isoformat(),
                "citizen_id": first17 + citizen_id_check_char(first17),
                "phone": f"139{i:08d}",
                "unit": team.name,
                "is_front_line": "是",
                "political_status": "群众",
            }
            ws.append([values.get(c.field, "") for c in COLUMNS])
        wb.save(path)
    started = time.perf_counter()
    if how == "app":
        from dangjian.people.importing import person_import

        with path.open("rb") as fh:
            result = person_import(actor=SYSTEM, fh=fh, filename=path.name)
        assert not result.errors, result.errors[:3]
    elif how == "bulk_create":
        from dangjian.demo.bulk import insert
        from dangjian.people.models import Person

        sheet = load_workbook(path, read_only=True).active
        iterator = sheet.iter_rows(values_only=True)
        header = list(next(iterator))

        def objects() -> Any:
            for raw in iterator:
                row = dict(zip(header, raw, strict=False))
                person = Person(
                    employee_no=row["工号"],
                    name=row["姓名"],
                    gender="M",
                    birth_date=dt.date.fromisoformat(row["出生日期"]),
                    unit=team,
                    party_org_id=team.party_org_id,
                    is_front_line=True,
                )
                person.citizen_id = row["身份证号"]
                person.phone = str(row["手机号"])
                yield person

        insert(Person, objects(), batch=2000)
    elif how == "import_export":
        from import_export import fields, resources, widgets
        from tablib import Dataset

        from dangjian.people.models import Person

        class PersonResource(resources.ModelResource):
            employee_no = fields.Field(attribute="employee_no", column_name="工号")
            name = fields.Field(attribute="name", column_name="姓名")
            birth_date = fields.Field(
                attribute="birth_date", column_name="出生日期", widget=widgets.DateWidget()
            )
            unit = fields.Field(
                attribute="unit", column_name="单位", widget=widgets.ForeignKeyWidget(Unit, "name")
            )

            class Meta:
                model = Person
                import_id_fields = ("employee_no",)
                fields = ("employee_no", "name", "birth_date", "unit")
                use_bulk = True
                batch_size = 2000

            def before_save_instance(self, instance: Any, row: Any, **kwargs: Any) -> None:
                instance.gender = "M"
                instance.party_org_id = team.party_org_id
                instance.is_front_line = True

        with path.open("rb") as fh:
            dataset = Dataset().load(fh.read(), format="xlsx")
        result = PersonResource().import_data(dataset, raise_errors=True)
        assert not result.has_errors()
    else:
        raise SystemExit(f"unknown import method {how}")
    seconds = time.perf_counter() - started
    return {"method": how, "rows": rows, "seconds": seconds, "rows_per_s": rows / seconds}


# ---- orchestration ------------------------------------------------------------------------------
def probe(env: dict[str, str], *args: str) -> dict[str, Any]:
    proc = subprocess.run(
        [PY, __file__, "--probe", *args], env=env, cwd=REPO, capture_output=True, text=True
    )
    if proc.returncode:
        return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def serve_and_measure(size: int, pg: str | None, args: argparse.Namespace) -> dict[str, Any]:
    env = env_for(size, pg)
    probed = probe(env, "pages")
    if "error" in probed:
        raise SystemExit(f"page probe failed: {probed['error']}")
    port = free_port()
    server = subprocess.Popen(
        [
            *(PY, "-m", "dangjian", "serve", "--port", str(port), "--no-worker"),
            *os.environ.get("BENCH_SERVE_ARGS", "").split(),
        ],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        session = Session(f"http://127.0.0.1:{port}")
        for _ in range(120):
            try:
                if session.get("/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.5)
        session.login("bench_leader")
        results = measure_interleaved(
            session, probed["pages"], args.requests, args.concurrency, args.rounds
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    return {"latency": results, "queries": probed["queries"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--export-sizes", default="100000,1000000")
    parser.add_argument("--import-rows", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--rounds", type=int, default=10, help="pages take turns in this many bursts each"
    )
    parser.add_argument("--postgres", default=None, help="e.g. postgres://postgres@127.0.0.1/bench")
    parser.add_argument("--reuse", action="store_true", help="keep data sets built earlier")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--only-import", action="store_true", help="skip pages and export")
    parser.add_argument("--probe", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        kind, *rest = args.probe
        if kind == "prepare":
            import django

            django.setup()
            from dangjian.core.models import Rule
            from dangjian.core.periodic import refresh_statistics

            out = {"mfa_off": Rule.objects.filter(key="security.mfa_required").update(value=0)}
            # statistics as the daily job keeps them (a migration may have reset some)
            out["analyzed"] = refresh_statistics()
        elif kind == "pages":
            out = probe_pages()
        elif kind == "export":
            out = probe_export()
        else:
            out = probe_import(int(rest[0]), rest[1])
        print(json.dumps(out))
        return

    sizes = [int(s) for s in args.sizes.split(",")]
    export_sizes = [int(s) for s in args.export_sizes.split(",") if s]
    report: dict[str, Any] = {
        "sizes": sizes,
        "machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start",
        "note": "MFA requirement switched off in the bench data sets (load generator)",
    }
    print(f"dangjian bench — {report['machine']}, sizes {sizes}")
    if args.only_import:
        sizes, export_sizes = [], []
    for size in sorted(set(sizes) | set(export_sizes)):
        report.setdefault("build_s", {})[size] = build(size, args.postgres, args.reuse)
    for size in sizes:
        print(f"  measuring pages at {size} …")
        report.setdefault("pages", {})[size] = serve_and_measure(size, args.postgres, args)
    for size in export_sizes:
        print(f"  export at {size} …")
        report.setdefault("export", {})[size] = probe(env_for(size, args.postgres), "export")
    if not args.skip_import:
        # a fresh small data set per method, so every import writes the same 50k new rows
        for how in ("app", "import_export", "bulk_create"):
            key = f"import_{how}"
            env = env_for(key, args.postgres)
            shutil.rmtree(ROOT / key, ignore_errors=True)
            (ROOT / key).mkdir(parents=True, exist_ok=True)
            if args.postgres:
                recreate_pg(env)
            dj(env, "migrate", "-v0")
            dj(env, "generate", "--persons", "1000", "--seed", "1")
            print(f"  import {args.import_rows} rows via {how} …")
            report.setdefault("import", {})[how] = probe(env, "import", str(args.import_rows), how)
    print_table(report)
    out = ROOT / "report.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    print(f"\nraw results: {out}")


def print_table(report: dict[str, Any]) -> None:
    sizes = report["sizes"]
    if "pages" not in report:
        sizes = []
    small, large = (min(sizes), max(sizes)) if sizes else (0, 0)
    pages = report.get("pages", {})
    print("\n== pages (p50 / p95 ms, req/s, SQL queries) ==")
    names = list(pages[small]["latency"]) if sizes else []
    for name in names:
        cells = []
        for size in sizes:
            lat = pages[size]["latency"].get(name, {})
            q = pages[size]["queries"].get(name)
            cells.append(
                f"{size}: {lat.get('p50_ms', 0):6.1f} / {lat.get('p95_ms', 0):6.1f} ms "
                f"{lat.get('rps', 0):6.1f} r/s q={q} first {lat.get('first_ms', 0):.0f} ms"
            )
        print(f"{name:14} " + " | ".join(cells))
    print("\n== ratios ==")
    for name in names:
        if name == "trivial":
            continue
        parts = []
        if large != small:
            a, b = pages[small]["latency"][name], pages[large]["latency"][name]
            parts.append(f"p95 {large}/{small} = {b['p95_ms'] / a['p95_ms']:.2f} (target <= 1.5)")
        for size in sizes:
            lat = pages[size]["latency"][name]
            trivial = pages[size]["latency"]["trivial"]
            median = lat.get("rps_ratio_median")
            parts.append(
                f"req/s vs trivial at {size} = {lat['rps'] / trivial['rps']:.0%}"
                + (f" (median of rounds {median:.0%})" if median is not None else "")
            )
        print(f"{name:14} " + "   ".join(parts) + "   (target >= 50%)")
    if "export" in report:
        print("\n== export (rows/s, peak RSS) ==")
        for size, data in report["export"].items():
            print(f"{size:>9} rows: {data}")
    if "import" in report:
        print("\n== import ==")
        imports = report["import"]
        for how, data in imports.items():
            print(f"{how:14} {data}")
        app = imports.get("app", {}).get("rows_per_s")
        other = imports.get("import_export", {}).get("rows_per_s")
        if app and other:
            print(f"app / django-import-export = {app / other:.1f}x (target >= 5x)")


if __name__ == "__main__":
    main()
