"""Benchmark: import 10,000 people from one .xlsx, then import them again as updates.

    .venv/bin/python bench/import_people.py [--rows 10000]

Runs on a throwaway SQLite database in a temporary directory. With DATABASE_URL set, it runs on a
throwaway test database next to the one named there (Django's test_<name>, dropped afterwards).
It goes through ``huxue.imports.services.import_run``, the code path of the web page and of
``manage.py import_xlsx``. It prints figures and never fails on time (the target is ≤ 15 s).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FORCES = ["家长志愿者", "群众志愿者", "群众志愿者", "教职员工", "专业保安员", "辅警", "民警"]


def build_workbook(
    rows: int, seed: int, *, exclude: set[str], training: str
) -> tuple[bytes, list[str]]:
    """A sheet shaped like the template (title row, Chinese headers), written the way Excel
    writes (shared strings), so the read cost is the one users will see."""
    import datetime as dt

    from openpyxl import Workbook

    from huxue.testing import make_id_number, make_phone

    rng = random.Random(seed)
    ids: list[str] = []
    seen = set(exclude)
    while len(ids) < rows:
        number = make_id_number(rng, area=rng.choice(["230902", "230903", "230904", "230921"]))
        if number not in seen:
            seen.add(number)
            ids.append(number)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["七台河市护学岗人员导入（基准测试）"])
    sheet.append(
        [
            "姓名",
            "力量类型",
            "手机号",
            "身份证号",
            "所属单位",
            "背景审查",
            "审查日期",
            "培训状态",
            "培训日期",
            "已发红袖标",
            "已发红马甲",
            "子女学校",
            "同意书版本",
        ]
    )
    surnames, given = (
        "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗",
        "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英",
    )
    for number in ids:
        force = rng.choice(FORCES)
        volunteer = force in ("家长志愿者", "群众志愿者")
        sheet.append(
            [
                rng.choice(surnames) + rng.choice(given) + rng.choice(given),
                force,
                make_phone(rng),
                number,
                "",
                "通过",
                dt.date(2024, rng.randint(1, 12), rng.randint(1, 28)),
                training,
                dt.date(2024, 6, 1),
                rng.choice(["是", "否"]),
                rng.choice(["是", "否"]),
                "市第六小学" if force == "家长志愿者" else "",
                "v1" if volunteer else "",
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), ids


def timed_import(label: str, data: bytes, *, actor, unit) -> None:
    from huxue.imports.services import import_run

    started = time.perf_counter()
    job = import_run(
        actor=actor,
        kind="people",
        file=io.BytesIO(data),
        filename=f"{label}.xlsx",
        target_unit=unit,
    )
    seconds = time.perf_counter() - started
    print(
        f"{label:<24} rows={job.total_count:>6}  seconds={seconds:6.2f}  rows/s={job.total_count / seconds:8.0f}  "
        f"created={job.created_count} updated={job.updated_count} unchanged={job.unchanged_count} "
        f"rejected={job.failed_count}"
    )
    for error in job.errors[:5]:
        print("   ", error)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory(prefix="huxue-bench-")
    use_test_db = bool(os.environ.get("DATABASE_URL"))
    if not use_test_db:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp.name}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases
    from django.utils import translation

    translation.activate("zh-hans")
    old_config = None
    if use_test_db:
        old_config = setup_databases(verbosity=0, interactive=False)
    else:
        call_command("migrate", verbosity=0)
    try:
        from huxue.testing import make_city

        city = make_city()
        actor, unit = city.users["school_lead"], city.school_a1.unit
        existing = {city.person_a1.id_number, city.person_b1.id_number}

        started = time.perf_counter()
        first, _ids = build_workbook(args.rows, 11, exclude=existing, training="已培训")
        again, _ = build_workbook(args.rows, 11, exclude=existing, training="培训过期")
        print(
            f"database: {connection.vendor} · built two {args.rows}-row workbooks "
            f"({len(first) / 1e6:.1f} MB each) in {time.perf_counter() - started:.1f} s (not timed below)"
        )

        timed_import("import (all new)", first, actor=actor, unit=unit)
        timed_import("re-import (all changed)", again, actor=actor, unit=unit)
        timed_import("re-import (unchanged)", again, actor=actor, unit=unit)

        from huxue.imports.exports import export_people

        started = time.perf_counter()
        data, count = export_people(actor=actor)
        seconds = time.perf_counter() - started
        print(
            f"{'export (masked)':<24} rows={count:>6}  seconds={seconds:6.2f}  "
            f"rows/s={count / seconds:8.0f}  ({len(data) / 1e6:.1f} MB)"
        )
    finally:
        if old_config is not None:
            teardown_databases(old_config, verbosity=0)
        tmp.cleanup()


if __name__ == "__main__":
    main()
