"""The admin's defences: login lockout, Content Security Policy, the API's defaults."""

import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import cache
from rest_framework import serializers, viewsets
from rest_framework.test import APIRequestFactory, force_authenticate

from config.settings import client_ip_behind_proxy
from tests.browser import ANALYST_PASSWORD
from tracker.models import Source

PASSWORD = "Zq4-right-Hm8w-Vx2p"
ADDRESS = "203.0.113.7"


def staff_user(username):
    return get_user_model().objects.create_user(username, password=PASSWORD, is_staff=True)


@pytest.fixture
def alice(db):
    return staff_user("alice")


@pytest.fixture
def bob(db):
    return staff_user("bob")


def log_in(client, username, password, **meta):
    meta.setdefault("REMOTE_ADDR", ADDRESS)
    return client.post("/admin/login/", {"username": username, "password": password, "next": "/admin/"}, **meta)


def logged_in(response):
    return response.status_code == 302 and response.url == "/admin/" and "sessionid" in response.cookies


def wait_out_the_cooloff(settings):
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - settings.AXES_COOLOFF_TIME)


def test_thirty_wrong_passwords_lock_the_login_out_even_for_the_right_one(client, alice, settings):
    statuses = [log_in(client, "alice", f"wrong-guess-{n}").status_code for n in range(30)]
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5
    assert statuses[: limit - 1] == [200] * (limit - 1)  # the form again, with its error
    assert set(statuses[limit - 1 :]) == {429}

    refused = log_in(client, "alice", PASSWORD)
    assert refused.status_code == 429 and not logged_in(refused)
    assert "Too many failed logins" in refused.content.decode() and "15 minutes" in refused.content.decode()
    assert client.get("/admin/").status_code == 302  # still sent to the login page

    wait_out_the_cooloff(settings)
    assert logged_in(log_in(client, "alice", PASSWORD))


def test_a_success_clears_the_failures_before_the_limit(client, alice, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "alice", "wrong")
    assert logged_in(log_in(client, "alice", PASSWORD))
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, "alice", "wrong").status_code == 200
    assert logged_in(log_in(client, "alice", PASSWORD))


def test_the_lockout_is_per_login_and_address(client, alice, bob):
    for _ in range(10):
        log_in(client, "alice", "wrong")
    assert log_in(client, "alice", PASSWORD).status_code == 429
    assert logged_in(log_in(client, "bob", PASSWORD))
    client.logout()
    assert logged_in(log_in(client, "alice", PASSWORD, REMOTE_ADDR="198.51.100.20"))


def test_behind_the_proxy_the_client_address_is_the_one_the_proxy_added(client, alice, settings):
    settings.AXES_CLIENT_IP_CALLABLE = client_ip_behind_proxy
    proxy = {"REMOTE_ADDR": "172.18.0.1"}
    for _ in range(10):
        log_in(client, "alice", "wrong", HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy)
    # A client cannot escape the lockout by sending an address of its own choosing first.
    spoofed = log_in(client, "alice", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99, 198.51.100.1", **proxy)
    assert spoofed.status_code == 429
    # Someone else behind the same proxy is not locked out.
    assert logged_in(log_in(client, "alice", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.2", **proxy))


EXPECTED_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'self'",
    "object-src": "'none'",
}


def policy(response):
    return dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))


@pytest.mark.parametrize("path", ["/admin/login/", "/admin/", "/admin/tracker/source/", "/admin/tracker/source/add/"])
def test_admin_pages_carry_the_content_security_policy(client, alice, path):
    alice.user_permissions.add(*Permission.objects.filter(codename__in=["view_source", "add_source"]))
    if path != "/admin/login/":
        client.force_login(alice)
    response = client.get(path)
    assert response.status_code == 200
    assert policy(response) == EXPECTED_POLICY
    assert response["X-Frame-Options"] == "DENY"


def test_the_lockout_page_carries_the_policy_too(client, alice):
    for _ in range(6):
        response = log_in(client, "alice", "wrong")
    assert response.status_code == 429 and policy(response) == EXPECTED_POLICY


class SourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = "__all__"


class SourceViewSet(viewsets.ModelViewSet):
    """An endpoint that states no policy of its own, as a new one might."""

    queryset = Source.objects.all()
    serializer_class = SourceSerializer


@pytest.fixture
def api(db):
    cache.clear()  # the throttles' counts
    yield APIRequestFactory()
    cache.clear()


def call(request):
    return SourceViewSet.as_view({"get": "list", "post": "create"})(request)


def test_the_api_lets_anonymous_visitors_read_but_not_write(api):
    assert call(api.get("/sources/")).status_code == 200
    refused = call(api.post("/sources/", {"slug": "anonymous", "title": "Anonymous"}, format="json"))
    assert refused.status_code in (401, 403)
    assert refused.data["detail"].code == "not_authenticated"


def test_the_api_needs_the_models_permission_to_write(api, alice):
    request = api.post("/sources/", {"slug": "no-permission", "title": "No permission"}, format="json")
    force_authenticate(request, user=alice)
    assert call(request).status_code == 403


def test_the_api_throttles_anonymous_visitors(api):
    class EmptySourceViewSet(SourceViewSet):
        queryset = Source.objects.none()

    view = EmptySourceViewSet.as_view({"get": "list"})
    statuses = [view(api.get("/sources/")).status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429


@pytest.fixture
def admin_page(browser, tracker_url):
    """The analyst, logged in to the real tracker server in Chromium, with every blocked
    resource or script the browser reports collected in ``page.csp_violations``."""
    context = browser.new_context(base_url=tracker_url, locale="en-GB")
    context.add_init_script(
        "document.addEventListener('securitypolicyviolation', event => console.error("
        "'CSP violation: ' + event.violatedDirective + ' ' + event.blockedURI));"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.csp_violations = []

    def note_violation(message):
        if "Content Security Policy" in message.text or "CSP violation" in message.text:
            page.csp_violations.append(message.text)

    page.on("console", note_violation)
    page.goto("/admin/login/")
    page.fill("#id_username", "analyst")
    page.fill("#id_password", ANALYST_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))
    yield page
    context.close()


def test_the_admins_scripts_run_under_the_policy(admin_page):
    page = admin_page
    page.goto("/admin/tracker/policyinstrument/add/")
    page.locator("#id_title_en").press_sequentially("A measure typed in the browser")
    assert page.input_value("#id_slug") == "a-measure-typed-in-the-browser"  # prepopulated by admin JS

    page.click("#id_jurisdiction + .select2 .select2-selection")
    page.locator(".select2-container--open .select2-search__field").press_sequentially("Texas")
    page.locator(".select2-results__option", has_text="Texas").first.wait_for()  # fetched by the autocomplete

    page.goto("/admin/tracker/policyinstrument/?q=us-tx-deepseek-ban")
    page.click("text=Texas ban on DeepSeek")
    page.locator("#citations-group").wait_for()
    page.goto(page.url + "history/")
    assert page.csp_violations == []
