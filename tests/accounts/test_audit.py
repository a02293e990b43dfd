"""Audit events are append-only: no code path changes or deletes one."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, InternalError, OperationalError, connection, transaction

from accounts.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(people):
    return Event.objects.filter(action="role.assign").first()


def test_an_event_cannot_be_saved_again(event):
    event.reason = "rewritten"
    with pytest.raises(ValidationError):
        event.save()
    assert Event.objects.get(pk=event.pk).reason == ""


def test_events_cannot_be_deleted_or_bulk_updated(event):
    with pytest.raises(ValidationError):
        event.delete()
    with pytest.raises(ValidationError):
        Event.objects.filter(pk=event.pk).delete()
    with pytest.raises(ValidationError):
        Event.objects.filter(pk=event.pk).update(reason="x")
    assert Event.objects.filter(pk=event.pk, reason="").exists()


def test_the_database_itself_refuses_an_update(event):
    with (
        pytest.raises((IntegrityError, InternalError, OperationalError)),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE accounts_event SET reason = 'x' WHERE id = %s", [event.pk])
    assert Event.objects.get(pk=event.pk).reason == ""


def test_admin_shows_events_read_only(admin_client, event):
    response = admin_client.get(f"/admin/accounts/event/{event.pk}/change/")
    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    assert admin_client.get("/admin/accounts/event/add/").status_code == 403
    assert (
        admin_client.post(f"/admin/accounts/event/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Event.objects.filter(pk=event.pk).exists()


def test_admin_cannot_change_people_or_units(admin_client, people, units):
    zhang = people["zhang"]
    response = admin_client.post(
        f"/admin/accounts/user/{zhang.pk}/change/", {"username": "x", "name": "y"}
    )
    assert response.status_code == 403
    assert (
        admin_client.get(f"/admin/accounts/unit/{units['pharmacy'].pk}/change/").status_code == 200
    )
    assert (
        admin_client.post(
            f"/admin/accounts/unit/{units['pharmacy'].pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
