"""The template pack pages through real URLs: the office uploads, reads the change report,
corrects a match and confirms; everyone else gets 403 on every page and action."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Event
from collection.models import Cycle, TableSpec
from collection.models_templates import TemplatePack
from collection.selectors import _schema_cache
from collection.services.specs import cycle_create_from_previous
from tests.collection.templatepacks import pack_2018, pack_2024, zipped

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_schemas():
    """Schemas are cached by (spec pk, spec version); ids come back after a test's rollback."""
    _schema_cache.clear()
    yield
    _schema_cache.clear()


def files(pairs):
    return [SimpleUploadedFile(name, content) for name, content in pairs]


@pytest.fixture
def cycles(client_for, people):
    """2025 loaded through the pages from the 2018 templates (files chosen one by one), then
    2026 copied from it."""
    client = client_for("xia")
    cycle = Cycle.objects.create(year=2025, **Cycle.default_dates(2025))
    response = client.post(
        reverse("collection:templatepack_upload", args=[2025]), {"templates": files(pack_2018())}
    )
    pack = TemplatePack.objects.get(cycle=cycle)
    assert response.status_code == 302
    assert response["Location"] == reverse("collection:templatepack_report", args=[2025, pack.pk])
    page = client.get(response["Location"]).content.decode()
    token = re.search(r'name="token" value="([0-9a-f]+)"', page).group(1)
    client.post(reverse("collection:templatepack_confirm", args=[2025, pack.pk]), {"token": token})
    assert cycle.tables.count() == 90
    return cycle, cycle_create_from_previous(actor=people["xia"], previous=cycle, year=2026)


def test_the_office_loads_a_pack_from_the_cycle_page(client_for, cycles):
    _previous, cycle = cycles
    client = client_for("xia")
    cycle_page = client.get(reverse("review:cycle_detail", args=[2026])).content.decode()
    upload_url = reverse("collection:templatepack_upload", args=[2026])
    assert upload_url in cycle_page and "加载本年度模板包" in cycle_page
    assert client.get(upload_url).status_code == 200
    response = client.post(
        upload_url, {"templates": files([("2024年模板.zip", zipped(pack_2024()))])}
    )
    pack = TemplatePack.objects.get(cycle=cycle)
    report_url = reverse("collection:templatepack_report", args=[2026, pack.pk])
    assert response["Location"] == report_url
    page = client.get(report_url).content.decode()
    assert 'data-code="表2-5" data-kind="renumbered" data-confidence="100"' in page
    assert "表2-6 → 表2-5" in page and "校园网" in page and "学校基层教学组织" in page
    assert "列改名：当年新增纸质图书数量 → 新增纸质图书数量" in page
    assert "“性别”的代码表取自模板：2 项" in page
    assert "停用的规则" in page and "变化报告" in page

    # The office corrects one match: 一流学科 is a new table.
    index = [t["code"] for t in pack.report["tables"]].index("表4-1-3")
    response = client.post(
        reverse("collection:templatepack_match", args=[2026, pack.pk]), {f"match-{index}": "new"}
    )
    assert response["Location"] == report_url
    page = client.get(report_url).content.decode()
    assert 'data-code="表4-1-3" data-kind="new"' in page and "已由办公室更正" in page
    assert TableSpec.objects.filter(cycle=cycle, code="表2-6", name="固定资产").exists()

    token = re.search(r'name="token" value="([0-9a-f]+)"', page).group(1)
    response = client.post(
        reverse("collection:templatepack_confirm", args=[2026, pack.pk]), {"token": token}
    )
    assert response["Location"] == reverse("review:cycle_detail", args=[2026])
    assert "模板包已应用" in client.get(response["Location"]).content.decode()
    assert cycle.tables.get(code="表2-5").name == "固定资产"
    assert cycle.tables.get(code="表4-1-3").name == "一流学科"
    assert not cycle.tables.filter(name="重点学科").exists()
    actions = set(Event.objects.filter(object_id=str(pack.pk)).values_list("action", flat=True))
    assert {"template_pack.upload", "template_pack.match", "template_pack.confirm"} <= actions
    # The confirmed pack's page says what was done; its actions are gone.
    page = client.get(report_url).content.decode()
    assert "表2-6 → 表2-5" in page and "确认并应用模板包" not in page


def test_a_refused_pack_says_why_and_keeps_nothing(client_for, cycles):
    client = client_for("xia")
    response = client.post(
        reverse("collection:templatepack_upload", args=[2026]),
        {"templates": files([("填报指南.pdf", b"%PDF-1.4"), ("说明.docx", b"PK\x03\x04")])},
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert "没有可用的平台模板" in text and "填报指南.pdf" in text and "说明.docx" in text
    assert not TemplatePack.objects.filter(cycle__year=2026).exists()
    response = client.post(reverse("collection:templatepack_upload", args=[2026]), {})
    assert response.status_code == 422 and "请选择从平台下载的模板包" in response.content.decode()


def test_discarding_leaves_the_cycle_as_it_was(client_for, cycles):
    _previous, cycle = cycles
    client = client_for("xia")
    client.post(
        reverse("collection:templatepack_upload", args=[2026]), {"templates": files(pack_2024())}
    )
    pack = TemplatePack.objects.get(cycle=cycle)
    response = client.post(reverse("collection:templatepack_discard", args=[2026, pack.pk]))
    assert response["Location"] == reverse("collection:templatepack_upload", args=[2026])
    pack.refresh_from_db()
    assert pack.state == "discarded" and cycle.tables.get(code="表2-5").name == "校园网"
    page = client.get(reverse("collection:templatepack_report", args=[2026, pack.pk]))
    assert "确认并应用模板包" not in page.content.decode()


@pytest.mark.parametrize("persona", ["zhang", "chen", "sun", "han", "shao", "kong"])
def test_everyone_but_the_office_is_refused(client_for, cycles, people, persona):
    _previous, cycle = cycles
    client = client_for("xia")
    client.post(
        reverse("collection:templatepack_upload", args=[2026]), {"templates": files(pack_2024())}
    )
    pack = TemplatePack.objects.get(cycle=cycle)
    client = client_for(persona)
    assert (
        "加载本年度模板包"
        not in client.get(reverse("review:cycle_detail", args=[2026])).content.decode()
    )
    gets = [
        reverse("collection:templatepack_upload", args=[2026]),
        reverse("collection:templatepack_report", args=[2026, pack.pk]),
    ]
    for url in gets:
        assert client.get(url).status_code == 403, url
    posts = {
        "upload": {"templates": files(pack_2024()[:2])},
        "match": {"match-0": "new"},
        "confirm": {"token": "0" * 64},
        "discard": {},
    }
    for name, data in posts.items():
        kwargs = [2026] if name == "upload" else [2026, pack.pk]
        response = client.post(reverse(f"collection:templatepack_{name}", args=kwargs), data)
        assert response.status_code == 403, name
    pack.refresh_from_db()
    assert pack.state == "preview" and pack.decisions == {}
    assert TemplatePack.objects.filter(cycle=cycle).count() == 1
    assert cycle.tables.get(code="表2-5").name == "校园网"


def test_actions_take_post_only_and_another_cycles_pack_is_missing(client_for, cycles):
    previous, _cycle = cycles
    client = client_for("xia")
    pack = TemplatePack.objects.get(cycle=previous)
    for name in ("match", "confirm", "discard"):
        url = reverse(f"collection:templatepack_{name}", args=[2025, pack.pk])
        assert client.get(url).status_code == 405
    assert (
        client.get(reverse("collection:templatepack_report", args=[2026, pack.pk])).status_code
        == 404
    )
