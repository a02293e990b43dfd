"""``manage.py restore ARCHIVE [--force] [--verify-only]``: a backup into this installation."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError

from accounts.management.commands.backup import describe
from config.backup import BackupError, backup_restore, backup_verify


class Command(BaseCommand):
    help = (
        "Restore a backup written by `manage.py backup` into this installation (the database "
        "named by DATABASE_URL or CAIJI_DATA_DIR, and MEDIA_ROOT). Every hash is checked first; "
        "a non-empty installation is refused unless --force. Stop web, worker and beat first."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("archive", help="The .tar written by `manage.py backup`.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace an installation that already holds data (its file store and an SQLite "
            "database are renamed *.before-restore-<time>, not deleted).",
        )
        parser.add_argument(
            "--verify-only",
            action="store_true",
            help="Only check the archive's hashes against its manifest; change nothing.",
        )
        parser.add_argument(
            "--pg-bin",
            default=None,
            help="Directory holding pg_restore (default: /usr/lib/postgresql/<server version>/bin, "
            "then PATH).",
        )

    def handle(self, *args: object, **options: object) -> None:
        archive = Path(str(options["archive"]))
        pg_bin = Path(str(options["pg_bin"])) if options["pg_bin"] else None
        try:
            if options["verify_only"]:
                manifest = backup_verify(archive)
                self.stdout.write(
                    f"备份完好（{manifest['created_at']}，caiji {manifest['caiji_version']}）："
                    f"{describe(manifest)}。"
                )
                return
            result = backup_restore(archive, force=bool(options["force"]), pg_bin=pg_bin)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        except OperationalError as exc:
            raise CommandError(
                f"无法连接数据库（{str(exc).strip()}）：检查 DATABASE_URL，数据库服务器是否在运行、"
                "数据库是否已创建。"
            ) from exc
        manifest = result.manifest
        self.stdout.write(
            f"已恢复 {manifest['created_at']} 的备份（caiji {manifest['caiji_version']}）："
            f"{describe(manifest)}；各表行数与备份清单一致。"
        )
        if result.previous_database:
            self.stdout.write(f"原数据库已改名保留为 {result.previous_database}。")
        if result.previous_files:
            self.stdout.write(f"原文件库已改名保留为 {result.previous_files}。")
        if result.missing_files:
            shown = "、".join(result.missing_files[:10])
            self.stderr.write(
                f"注意：数据库记录的 {len(result.missing_files)} 个文件不在文件库中：{shown}"
            )
        if result.pending_migrations:
            self.stdout.write(
                f"本程序比备份多 {len(result.pending_migrations)} 个迁移：请运行 "
                "python manage.py migrate。"
            )
