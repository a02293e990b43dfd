from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("collection", "0008_platform_templates_supplements"),
    ]

    operations = [
        migrations.AddField(
            model_name="tablespec",
            name="last_year_code",
            field=models.CharField(blank=True, max_length=30, verbose_name="code last year"),
        ),
    ]
