import pytest
from django.core.exceptions import ValidationError

from cms.models import ReleasePage
from tests.utils import make_release, make_unit

pytestmark = pytest.mark.django_db


def test_release_takes_unit_from_its_section():
    """A release created in a unit's section belongs to that unit."""
    unit = make_unit()
    release = make_release(unit)
    assert release.unit == unit


def test_reprint_requires_source_fields():
    """A reprint without source name, URL, original title and author is refused
    with a message on each field."""
    unit = make_unit()
    release = make_release(unit)
    release.origin = ReleasePage.Origin.REPRINT
    with pytest.raises(ValidationError) as excinfo:
        release.full_clean()
    assert set(excinfo.value.message_dict) >= {
        "source_name",
        "source_url",
        "original_title",
        "original_author",
    }
