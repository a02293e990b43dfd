"""Backup and restore of a whole installation: the database and the file store in one archive.

``manage.py backup`` and ``manage.py restore`` (accounts/management/commands) call
``backup_create``, ``backup_verify`` and ``backup_restore``; docs/operations.md describes the
procedures.
"""

from config.backup.archive import BackupError
from config.backup.operations import RestoreResult, backup_create, backup_restore, backup_verify

__all__ = ["BackupError", "RestoreResult", "backup_create", "backup_restore", "backup_verify"]
