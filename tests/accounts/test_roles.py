import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts import services
from accounts.models import Event
from accounts.roles import CollegeRole, UnitRole
from accounts.selectors import (
    college_roles_of_user,
    is_office,
    unit_roles_of_user,
    unit_staffing,
    units_for_user_role,
)

pytestmark = pytest.mark.django_db


def test_unit_role_is_an_object_permission_on_that_unit_only(people, units):
    zhang = people["zhang"]
    assert zhang.has_perm(UnitRole.COLLECTOR.perm, units["pharmacy"])
    assert not zhang.has_perm(UnitRole.COLLECTOR.perm, units["nursing"])
    assert not zhang.has_perm(UnitRole.COLLECTOR.perm)  # never a global permission
    assert list(units_for_user_role(zhang, UnitRole.COLLECTOR)) == [units["pharmacy"]]


def test_one_person_can_hold_roles_in_several_units(people, units):
    li = people["li"]
    services.role_assign(
        actor=people["xia"], user=li, role=UnitRole.SOURCE_REVIEWER, unit=units["nursing"]
    )
    assert set(units_for_user_role(li, UnitRole.SOURCE_REVIEWER)) == {
        units["pharmacy"],
        units["nursing"],
    }
    assert (units["nursing"], UnitRole.SOURCE_REVIEWER) in unit_roles_of_user(li)


def test_assign_is_audited_with_actor_and_unit(people, units):
    xia, zhao = people["xia"], people["zhao"]
    assert services.role_assign(actor=xia, user=zhao, role=UnitRole.HEAD, unit=units["nursing"])
    event = Event.objects.filter(action="role.assign").first()
    assert event.actor == xia
    assert event.unit == units["nursing"]
    assert event.object_id == str(zhao.pk)
    assert event.data["role"] == "head"


def test_assigning_a_held_role_again_changes_nothing(people, units):
    before = Event.objects.count()
    assert not services.role_assign(
        actor=people["xia"], user=people["zhang"], role=UnitRole.COLLECTOR, unit=units["pharmacy"]
    )
    assert Event.objects.count() == before


def test_revoke_removes_the_permission_and_is_audited(people, units):
    xia, li = people["xia"], people["li"]
    assert services.role_revoke(
        actor=xia, user=li, role=UnitRole.SOURCE_REVIEWER, unit=units["pharmacy"]
    )
    li = type(li).objects.get(pk=li.pk)  # fresh object: guardian caches permissions per instance
    assert not li.has_perm(UnitRole.SOURCE_REVIEWER.perm, units["pharmacy"])
    assert Event.objects.filter(action="role.revoke", actor=xia, object_id=str(li.pk)).exists()


def test_college_roles_are_groups(people):
    xia = people["xia"]
    assert college_roles_of_user(xia) == [CollegeRole.OFFICE]
    assert is_office(xia)
    assert not is_office(people["zhang"])
    services.role_revoke(actor=xia, user=people["han"], role=CollegeRole.COLLECTION_GROUP)
    assert college_roles_of_user(people["han"]) == []


def test_only_the_office_may_assign_roles(people, units):
    with pytest.raises(PermissionDenied):
        services.role_assign(
            actor=people["chen"], user=people["zhang"], role=UnitRole.HEAD, unit=units["pharmacy"]
        )
    assert not people["zhang"].has_perm(UnitRole.HEAD.perm, units["pharmacy"])


def test_no_role_for_an_inactive_person(people, units):
    xia, zhao = people["xia"], people["zhao"]
    services.person_update(actor=xia, person=zhao, name=zhao.name, unit=zhao.unit, is_active=False)
    with pytest.raises(ValidationError, match=r"停用|inactive"):
        services.role_assign(actor=xia, user=zhao, role=UnitRole.HEAD, unit=units["nursing"])


def test_deactivating_a_person_takes_away_every_role(people, units):
    xia, li = people["xia"], people["li"]
    services.role_assign(actor=xia, user=li, role=CollegeRole.COLLECTION_GROUP)
    services.person_update(actor=xia, person=li, name=li.name, unit=li.unit, is_active=False)
    assert unit_roles_of_user(li) == []
    assert college_roles_of_user(li) == []
    assert Event.objects.filter(action="role.revoke", object_id=str(li.pk)).count() == 2


def test_no_role_in_an_inactive_unit(people, units):
    xia = people["xia"]
    nursing = units["nursing"]
    services.unit_update(
        actor=xia,
        unit=nursing,
        code=nursing.code,
        name=nursing.name,
        kind=nursing.kind,
        active=False,
    )
    with pytest.raises(ValidationError):
        services.role_assign(actor=xia, user=people["zhang"], role=UnitRole.COLLECTOR, unit=nursing)


def test_unit_role_needs_a_unit_and_college_role_none(people, units):
    with pytest.raises(ValidationError):
        services.role_assign(actor=None, user=people["zhang"], role=UnitRole.HEAD)
    with pytest.raises(ValidationError):
        services.role_assign(
            actor=None, user=people["zhang"], role=CollegeRole.OFFICE, unit=units["pharmacy"]
        )


def test_staffing_warnings(people, units):
    assert unit_staffing(units["pharmacy"]).warnings == []  # collector, two reviewers, head
    nursing = unit_staffing(units["nursing"])
    text = " ".join(nursing.warnings)
    assert len(nursing.warnings) == 2  # no head, fewer than two reviewers; has a collector
    assert "2" in text
    services.role_revoke(
        actor=None, user=people["wang"], role=UnitRole.SOURCE_REVIEWER, unit=units["pharmacy"]
    )
    assert len(unit_staffing(units["pharmacy"]).warnings) == 1


def test_deactivating_a_unit_takes_away_its_roles(people, units):
    xia, pharmacy = people["xia"], units["pharmacy"]
    services.unit_update(
        actor=xia,
        unit=pharmacy,
        code=pharmacy.code,
        name=pharmacy.name,
        kind=pharmacy.kind,
        active=False,
    )
    assert unit_staffing(pharmacy).rows == [(role, []) for role in UnitRole]
    assert Event.objects.filter(action="role.revoke", unit=pharmacy).count() == 4


def test_two_collectors_get_a_warning(people, units):
    services.role_assign(
        actor=None, user=people["li"], role=UnitRole.COLLECTOR, unit=units["pharmacy"]
    )
    assert any("2" in w for w in unit_staffing(units["pharmacy"]).warnings)
