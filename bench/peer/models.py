"""The peer of the upload benchmark: an ordinary model for 表1-6, imported with
django-import-export the way its admin preview (dry run) does."""

from django.db import models


class StudentRow(models.Model):
    student_id = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    gender = models.CharField(max_length=2, choices=[("男", "男"), ("女", "女")])
    major_name = models.CharField(max_length=500)
    major_code = models.CharField(max_length=20)
    origin = models.CharField(
        max_length=20, choices=[(v, v) for v in ("境内", "港澳台侨学生", "留学生")]
    )
    grade = models.PositiveIntegerField()
    entry_year = models.PositiveIntegerField()

    class Meta:
        app_label = "bench_peer"

    def __str__(self) -> str:
        return self.student_id
