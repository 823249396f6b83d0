"""What the admin's pages keep between requests (``tracker.admin.caching``): kept per language and
set of permissions, and read afresh after any write."""

import pytest
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from tests.conftest import login
from tracker.admin import caching
from tracker.api import shapes
from tracker.models import Jurisdiction, PolicyInstrument, StackLayer
from tracker.services import Actor, bulk, delete_record, save_record
from tracker.services.context import changeset

pytestmark = pytest.mark.django_db

MEASURES = reverse("admin:tracker_policyinstrument_changelist")
JURISDICTIONS = reverse("admin:tracker_jurisdiction_changelist")


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst)
    return client


def _country_filter(client, **headers):
    """The choices of the list of measures' country filter, as the page shows them."""
    response = client.get(MEASURES, **headers)
    assert response.status_code == 200
    (spec,) = [
        spec for spec in response.context["cl"].filter_specs if getattr(spec, "parameter_name", None) == "country"
    ]
    return dict(spec.lookup_choices), response.content.decode()


def _request():
    return RequestFactory().get("/")


# --- data versions -------------------------------------------------------------------------------


def test_the_data_versions_are_the_apis_tokens():
    versions = caching.data_versions(_request())
    for model in (Jurisdiction, StackLayer, PolicyInstrument):
        assert versions[model] == shapes.data_version(model)


def test_the_data_versions_are_read_once_a_request(django_assert_num_queries):
    request = _request()
    with django_assert_num_queries(1):
        caching.data_versions(request)
        caching.data_versions(request)


# --- a filter's choices --------------------------------------------------------------------------


def test_a_filters_choices_are_kept_until_a_write_through_the_services(analyst_client):
    before, _ = _country_filter(analyst_client)
    assert before["CN"] == "China"
    kept, _ = _country_filter(analyst_client)
    assert kept == before

    china = Jurisdiction.objects.get(code="CN")
    china.name_en = "China (renamed)"
    save_record(record=china, actor=Actor.command("test"))
    after, html = _country_filter(analyst_client)
    assert after["CN"] == "China (renamed)"
    assert "China (renamed)" in html


def test_a_new_and_a_deleted_record_change_the_choices(analyst_client):
    _country_filter(analyst_client)
    country = Jurisdiction(code="ZQ", name_en="Zqland", level="country")
    save_record(record=country, actor=Actor.command("test"))
    added, _ = _country_filter(analyst_client)
    assert added["ZQ"] == "Zqland"
    delete_record(record=Jurisdiction.objects.get(code="ZQ"), actor=Actor.command("test"))
    removed, _ = _country_filter(analyst_client)
    assert "ZQ" not in removed


def test_a_bulk_write_as_the_fixture_sync_makes_changes_the_choices(analyst_client):
    _country_filter(analyst_client)
    actor = Actor.fixtures("speed-test.json")
    with changeset(actor):
        created = bulk.create_records(
            Jurisdiction, [bulk.NewRecord(Jurisdiction(code="ZR", name_en="Zrland", level="country"))], actor=actor
        )
    assert not created.errors
    added, _ = _country_filter(analyst_client)
    assert added["ZR"] == "Zrland"

    renamed = Jurisdiction.objects.get(code="ZR")
    renamed.name_en = "Zrland (renamed)"
    with changeset(actor):
        updated = bulk.update_records(Jurisdiction, [bulk.ChangedRecord(renamed)], actor=actor)
    assert not updated.errors
    after, _ = _country_filter(analyst_client)
    assert after["ZR"] == "Zrland (renamed)"


def test_a_django_filters_choices_are_kept_and_read_again_after_a_write(analyst_client):
    from tracker.admin.caching import KeptRelatedFieldListFilter

    def jurisdictions():
        response = analyst_client.get(MEASURES)
        specs = response.context["cl"].filter_specs
        (spec,) = [spec for spec in specs if getattr(spec, "field_path", None) == "jurisdiction"]
        assert isinstance(spec, KeptRelatedFieldListFilter)
        return dict(spec.lookup_choices)

    before = jurisdictions()
    place = Jurisdiction(code="CN-ZQ1", name_en="Zq city", level="city", parent=Jurisdiction.objects.get(code="CN"))
    save_record(record=place, actor=Actor.command("test"))
    after = jurisdictions()
    assert len(after) == len(before) + 1
    assert str(Jurisdiction.objects.get(code="CN-ZQ1")) in after.values()


def test_kept_choices_differ_by_language():
    request = _request()
    with translation.override("en"):
        english = caching.cached_choices(request, [Jurisdiction], "test", lambda: [translation.gettext("yes")])
    with translation.override("zh-hant"):
        chinese = caching.cached_choices(request, [Jurisdiction], "test", lambda: [translation.gettext("yes")])
    with translation.override("en"):
        again = caching.cached_choices(request, [Jurisdiction], "test", lambda: pytest.fail("computed again"))
    assert english == ["yes"]
    assert chinese != english
    assert again == english


def test_choices_read_from_a_table_without_history_are_not_kept():
    from tracker.models import Scope

    computed = []
    for _ in range(2):
        caching.cached_choices(_request(), [Scope], "test", lambda: computed.append(1) or [])
    assert len(computed) == 2


# --- the sidebar ---------------------------------------------------------------------------------


def _sidebar(html):
    start = html.index('<nav class="sticky" id="nav-sidebar"')
    return html[start : html.index("</nav>", start)]


def test_the_sidebar_is_djangos(analyst_client):
    from django.contrib import admin
    from django.contrib.admin import AdminSite
    from django.template.loader import get_template

    response = analyst_client.get(MEASURES)
    request = response.wsgi_request
    django = get_template("admin/nav_sidebar.html").render(
        {"available_apps": AdminSite.get_app_list(admin.site, request), "request": request}
    )
    assert _sidebar(django) in response.content.decode()
    again = analyst_client.get(MEASURES).content.decode()
    assert _sidebar(django) in again


def test_the_sidebar_marks_the_list_the_page_is_in(analyst_client):
    measures = _sidebar(analyst_client.get(MEASURES).content.decode())
    jurisdictions = _sidebar(analyst_client.get(JURISDICTIONS).content.decode())
    assert f'<a href="{MEASURES}" aria-current="page">' in measures
    assert f'<a href="{MEASURES}" aria-current="page">' not in jurisdictions
    assert f'<a href="{JURISDICTIONS}" aria-current="page">' in jurisdictions


def test_the_sidebar_differs_by_language(analyst_client):
    english = _sidebar(analyst_client.get(MEASURES, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    chinese = _sidebar(analyst_client.get(MEASURES, HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode())
    with translation.override("zh-hant"):
        name = str(PolicyInstrument._meta.verbose_name_plural).capitalize()
    assert english != chinese
    assert name in chinese
    assert name not in english


def test_the_sidebar_follows_a_persons_permissions(client):
    person = login("zq-viewer")
    person.user_permissions.add(Permission.objects.get(codename="view_jurisdiction"))
    client.force_login(person)
    shown = _sidebar(client.get(JURISDICTIONS).content.decode())
    assert JURISDICTIONS in shown
    assert MEASURES not in shown

    person.user_permissions.add(Permission.objects.get(codename="view_policyinstrument"))
    client.force_login(person)  # a new session, as after the permissions changed
    shown = _sidebar(client.get(JURISDICTIONS).content.decode())
    assert MEASURES in shown


def test_people_with_other_permissions_see_other_sidebars(client, analyst):
    viewer = login("zq-viewer")
    viewer.user_permissions.add(Permission.objects.get(codename="view_jurisdiction"))
    client.force_login(analyst)
    analysts = _sidebar(client.get(JURISDICTIONS).content.decode())
    client.force_login(viewer)
    viewers = _sidebar(client.get(JURISDICTIONS).content.decode())
    assert MEASURES in analysts
    assert MEASURES not in viewers
    assert "addlink" in analysts
    assert "addlink" not in viewers


def test_each_page_gets_its_own_copy_of_the_app_list(analyst_client):
    from django.contrib import admin

    request = analyst_client.get(MEASURES).wsgi_request
    first = admin.site.get_app_list(request)
    first[0]["models"][0]["name"] = "changed by a page"
    first[0]["models"].clear()
    second = admin.site.get_app_list(request)
    assert second[0]["models"]
    assert second[0]["models"][0]["name"] != "changed by a page"
