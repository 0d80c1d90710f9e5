"""``dangjian keys status|rotate``: field-encryption key versions and rotation (CRY-05).

``rotate`` adds a new SM4 key version to the key file (older versions stay, so every value
remains readable throughout) and re-encrypts all sealed person fields in batches, one
transaction each. Progress is kept beside the key file; ``rotate --resume`` continues an
interrupted run, ``--max-batches`` stops early on purpose (maintenance windows).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangjian.audit.services import audit_record
from dangjian.core import context, crypto
from dangjian.core.scope import SYSTEM
from dangjian.people import services


def checkpoint_file() -> Path:
    path = crypto.key_file()
    return path.with_name(path.name + ".rotation")


def _read_checkpoint() -> dict[str, int] | None:
    path = checkpoint_file()
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return {"version": int(data["version"]), "last_pk": int(data["last_pk"])}


def _write_checkpoint(version: int, last_pk: int) -> None:
    path = checkpoint_file()
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"version": version, "last_pk": last_pk}))
    tmp.replace(path)


class Command(BaseCommand):
    help = "字段加密密钥：查看各版本使用情况（status），轮换并重新加密（rotate）。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="显示当前密钥版本及各版本加密的字段数量")
        rotate = sub.add_parser("rotate", help="新增密钥版本并重新加密全部敏感字段")
        rotate.add_argument("--batch-size", type=int, default=500, help="每批处理的人员数")
        rotate.add_argument(
            "--max-batches", type=int, default=0, help="最多处理的批数（0 = 全部），之后可继续"
        )
        rotate.add_argument(
            "--resume", action="store_true", help="继续上一次未完成的重新加密，不新增密钥版本"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with context.acting_as(SYSTEM, channel="cli"):
            if options["action"] == "status":
                self.status()
            else:
                self.rotate(
                    batch_size=max(1, options["batch_size"]),
                    max_batches=max(0, options["max_batches"]),
                    resume=options["resume"],
                )

    def status(self) -> None:
        ring = crypto.keyring()
        self.stdout.write(f"密钥文件：{crypto.key_file()}")
        versions = ", ".join(f"v{v}" for v in sorted(ring.enc))
        self.stdout.write(f"当前版本：v{ring.current}（文件中的版本：{versions}）")
        counts = services.person_key_versions()
        for field, per_version in counts.items():
            detail = "，".join(f"v{v}: {n}" for v, n in sorted(per_version.items())) or "无"
            self.stdout.write(f"  {field}: {detail}")
        old = sum(n for pv in counts.values() for v, n in pv.items() if v != ring.current)
        self.stdout.write(f"旧版本密文：{old}")
        checkpoint = _read_checkpoint()
        if checkpoint:
            self.stdout.write(
                f"未完成的轮换：v{checkpoint['version']}，已处理到人员 #{checkpoint['last_pk']}"
                "（使用 keys rotate --resume 继续）"
            )

    def rotate(self, *, batch_size: int, max_batches: int, resume: bool) -> None:
        checkpoint = _read_checkpoint()
        if checkpoint and not resume:
            raise CommandError(
                f"上一次密钥轮换（v{checkpoint['version']}）尚未完成，"
                "请使用 `dangjian keys rotate --resume` 继续。"
            )
        if not resume:
            previous = crypto.keyring().current
            ring = crypto.rotate_keyring()
            audit_record(
                "key_rotate",
                obj=("crypto.fieldkey", ring.current, f"字段加密密钥 v{ring.current}"),
                changes={"from_version": previous, "to_version": ring.current},
            )
            self.stdout.write(f"已新增密钥版本 v{ring.current}（旧版本仍可解密）。")
            last_pk = 0
        else:
            ring = crypto.keyring()
            if checkpoint and checkpoint["version"] == ring.current:
                last_pk = checkpoint["last_pk"]
            else:
                last_pk = 0
            self.stdout.write(f"继续重新加密到 v{ring.current}，从人员 #{last_pk} 之后开始。")
        _write_checkpoint(ring.current, last_pk)
        batches = resealed = 0
        while True:
            if max_batches and batches >= max_batches:
                self.stdout.write(
                    f"已暂停：处理 {batches} 批，重新加密 {resealed} 个字段；"
                    "使用 `dangjian keys rotate --resume` 继续。"
                )
                return
            batch_last, count = services.person_reencrypt_batch(
                after_pk=last_pk, batch_size=batch_size
            )
            if batch_last is None:
                break
            last_pk = batch_last
            batches += 1
            resealed += count
            _write_checkpoint(ring.current, last_pk)
            self.stdout.write(f"  第 {batches} 批完成，处理到人员 #{last_pk}，本批 {count} 个字段")
        checkpoint_file().unlink(missing_ok=True)
        audit_record(
            "key_reencrypt",
            obj=("crypto.fieldkey", ring.current, f"字段加密密钥 v{ring.current}"),
            changes={"version": ring.current, "resealed": resealed, "batches": batches},
        )
        self.stdout.write(
            self.style.SUCCESS(f"重新加密完成：{resealed} 个字段已使用 v{ring.current}。")
        )
