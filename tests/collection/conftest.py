import pytest

from collection.services.specs import catalog_load


@pytest.fixture
def cycle(db):
    cycle, _added = catalog_load(actor=None, year=2026)
    return cycle
