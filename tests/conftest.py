"""Shared personas, built through the real services.

药学院 (2003) and 护理学院 (2002) are teaching units; 教务处 (1002) is a responsible office.
- 张老师 (zhang) collects for 药学院.
- 李老师 (li) and 王老师 (wang) are 药学院's source reviewers; 陈院长 (chen) is its head.
- 赵老师 (zhao) collects for 护理学院 and must never see 药学院's data.
- 孙老师 (sun) is 教务处's second reviewer.
- 夏主任 (xia) is in the office (领导小组办公室) and administers units, people and roles.
- 韩老师 (han) is in the collection group; 邵老师 (shao) in the college review group;
  孔院长 (kong) is leadership.
"""

import pytest

from accounts import services
from accounts.models import Unit, User
from accounts.roles import CollegeRole, UnitRole

PASSWORD = "Test-pass-2026"


@pytest.fixture(autouse=True)
def _chinese(settings):
    settings.LANGUAGE_CODE = "zh-hans"


@pytest.fixture(autouse=True)
def _isolated_data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.MEDIA_ROOT = tmp_path / "data" / "files"


def make_person(username: str, name: str, unit: Unit | None, **kwargs) -> User:
    return services.person_create(
        actor=None,
        username=username,
        name=name,
        unit=unit,
        password=PASSWORD,
        must_change_password=False,
        **kwargs,
    )


@pytest.fixture
def units(db):
    return {
        "pharmacy": services.unit_create(
            actor=None, code="2003", name="药学院", kind=Unit.Kind.TEACHING
        ),
        "nursing": services.unit_create(
            actor=None, code="2002", name="护理学院", kind=Unit.Kind.TEACHING
        ),
        "academic": services.unit_create(
            actor=None, code="1002", name="教务处", kind=Unit.Kind.FUNCTIONAL
        ),
        "quality": services.unit_create(
            actor=None, code="1012", name="教学质量监控管理处", kind=Unit.Kind.FUNCTIONAL
        ),
    }


@pytest.fixture
def people(units):
    ph, nu, ac, qa = units["pharmacy"], units["nursing"], units["academic"], units["quality"]
    spec = {
        "zhang": ("200301", "张老师", ph, [(UnitRole.COLLECTOR, ph)]),
        "li": ("200302", "李老师", ph, [(UnitRole.SOURCE_REVIEWER, ph)]),
        "wang": ("200303", "王老师", ph, [(UnitRole.SOURCE_REVIEWER, ph)]),
        "chen": ("200304", "陈院长", ph, [(UnitRole.HEAD, ph)]),
        "zhao": ("200201", "赵老师", nu, [(UnitRole.COLLECTOR, nu)]),
        "sun": ("100205", "孙老师", ac, [(UnitRole.SECOND_REVIEWER, ac)]),
        "xia": ("101206", "夏主任", qa, [CollegeRole.OFFICE]),
        "han": ("101207", "韩老师", qa, [CollegeRole.COLLECTION_GROUP]),
        "shao": ("101209", "邵老师", qa, [CollegeRole.COLLEGE_REVIEW_GROUP]),
        "kong": ("000001", "孔院长", None, [CollegeRole.LEADERSHIP]),
    }
    found = {}
    for key, (username, name, unit, roles) in spec.items():
        person = make_person(username, name, unit)
        for role in roles:
            if isinstance(role, tuple):
                services.role_assign(actor=None, user=person, role=role[0], unit=role[1])
            else:
                services.role_assign(actor=None, user=person, role=role)
        found[key] = person
    return found


@pytest.fixture
def client_for(client, people):
    """client_for("xia") signs the test client in as that persona."""

    def sign_in(key: str):
        client.force_login(people[key])
        return client

    return sign_in
