"""What an admin page keeps from one request to the next, and what makes it stale.

Every admin page draws the sidebar (each model a person may see, a link to its list and to
its "add" page) and every list draws its filters' choices (the jurisdictions, the countries,
the layers, the places in use …).  Neither depends on the page's rows, and both cost a list
page more than a millisecond of Python each, request after request.  So:

- **The sidebar** (``AdminSite.get_app_list`` and the HTML of ``admin/nav_sidebar.html``) is
  kept per set of permissions and language, in this process (``CachedAppList``,
  ``nav_sidebar_html``): it is made of the registered models, the addresses and the person's
  permissions, and of nothing in the tables.  Someone whose permissions change has another
  set, so another entry.  The HTML is kept apart for each list the page is in (Django marks
  the current one), and written by Django's own template, so it stays Django's.
- **A filter's choices** are kept in the configured cache (``CACHES``, as the API's facets)
  under the *data version* of each table they are read from (``data_versions``): the token
  ``tracker.api.shapes.data_version`` gives the API's facets and revised records, the
  newest history row of the table and the newest change set.  Every write (a save or a
  delete through the services, the fixture sync's bulk writes, the admin's, the API's)
  writes a history row, so the next page finds a new token and reads the choices afresh;
  nothing needs to be told of a write.  The tokens of a page's tables are read in one query.
  A choice list that reads a table without history (a fixed vocabulary) is not kept.
  As for the API's facets, two writes whose transactions commit in the other order than
  their history rows were numbered can leave the first one's change unseen under the second
  one's token; the next write, or ``CHOICES_TTL``, ends that.
"""

import functools
import hashlib
import threading
from urllib.parse import quote

from django.contrib.admin import AdminSite, FieldListFilter
from django.contrib.admin.filters import AllValuesFieldListFilter, RelatedFieldListFilter, RelatedOnlyFieldListFilter
from django.contrib.admin.utils import get_fields_from_path
from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, router
from django.urls import get_script_prefix
from django.utils import translation

from tracker.models import ChangeSet

# How many sidebars a process keeps (one per set of permissions, language and current list).
SIDEBAR_ENTRIES = 512
# How long a filter's choices stay in the cache when nothing is written (a write changes the
# key), as the API's facets (``FACETS_TTL``): it bounds what two writes committed out of the
# order of their history rows could leave (below).
CHOICES_TTL = 600


class _Bounded(dict):
    """A dictionary that forgets its oldest entry past ``limit`` entries (threads may share it)."""

    def __init__(self, limit):
        super().__init__()
        self.limit = limit
        self.lock = threading.Lock()

    def keep(self, key, value):
        with self.lock:
            while len(self) >= self.limit:
                del self[next(iter(self))]
            self[key] = value
        return value


_APP_LISTS = _Bounded(SIDEBAR_ENTRIES)
_SIDEBARS = _Bounded(SIDEBAR_ENTRIES)


# --- the sidebar ---------------------------------------------------------------------------------


def permission_key(user):
    """What the app list of ``user`` depends on: its permissions (an active superuser has them all)."""
    if not user.is_active:
        return ("inactive",)
    if user.is_superuser:
        return ("superuser", user.is_staff)
    return ("staff" if user.is_staff else "not staff", frozenset(user.get_all_permissions()))


class AppList(list):
    """``get_app_list``'s answer, with the key it was kept under (``nav_sidebar_html`` uses it)."""

    cache_key = None


class CachedAppList:
    """``AdminSite.get_app_list`` kept per set of permissions, language and address prefix.

    Django builds it for every admin page (``each_context``'s ``available_apps``): a
    permission check, two ``reverse`` calls and a translated, sorted name per registered model.
    The models' permissions come from the person's permissions alone (no tracker admin decides
    them otherwise), so the list is the same for everyone with the same ones.  Each call gets
    its own copy of the dictionaries: a page may add to them.
    """

    def __init__(self, site):
        self.site = site

    def __call__(self, request, app_label=None):
        key = (
            permission_key(request.user),
            translation.get_language(),
            request.META.get("SCRIPT_NAME", ""),
            get_script_prefix(),
            app_label,
        )
        kept = _APP_LISTS.get(key)
        if kept is None:
            kept = _APP_LISTS.keep(key, _plain(AdminSite.get_app_list(self.site, request, app_label)))
        apps = AppList({**app, "models": [dict(model) for model in app["models"]]} for app in kept)
        apps.cache_key = key
        return apps


def _plain(app_list):
    """The app list with its names translated now (they are lazy): kept per language."""
    return [
        {
            **app,
            "name": str(app["name"]),
            "models": [{**model, "name": str(model["name"])} for model in app["models"]],
        }
        for app in app_list
    ]


def install(site):
    """Make ``site`` keep its app list (``CachedAppList``)."""
    site.get_app_list = CachedAppList(site)


def nav_sidebar_html(context):
    """``{% include "admin/nav_sidebar.html" %}``, kept per app list (its permissions and language)
    and the lists the page's address is in (what ``admin/app_list.html`` marks as current)."""
    template = context.template.engine.get_template("admin/nav_sidebar.html")
    apps = context.get("available_apps")
    request = context.get("request")
    key = getattr(apps, "cache_key", None)
    if key is None or request is None:
        return template.render(context)
    path = quote(request.path, safe="/")  # the template's request.path|urlencode
    current = tuple(
        url
        for app in apps
        for url in (app.get("app_url"), *(model.get("admin_url") for model in app["models"]))
        if url and url in path
    )
    key = (key, current)
    html = _SIDEBARS.get(key)
    if html is None:
        html = _SIDEBARS.keep(key, template.render(context))
    return html


# --- data versions -------------------------------------------------------------------------------


def has_version(model):
    """Whether writes to ``model`` leave a history row, which its data version reads."""
    return getattr(model._meta, "simple_history_manager_attribute", None) == "history"


def data_versions(request):
    """``{model: tracker.api.shapes.data_version(model)}`` for every model with history, read in
    one query (the newest history row of each table and the newest change set) and kept on the
    request, so a page's filters ask once."""
    versions = getattr(request, "_tracker_data_versions", None)
    if versions is None:
        versions = request._tracker_data_versions = _read_versions()
    return versions


@functools.cache
def _history_tables():
    """(model, its history table, that table's key) of every tracker model with history, worked
    out once (``model.history`` builds a manager class at each access)."""
    from django.apps import apps

    tables = []
    for model in apps.get_app_config("tracker").get_models():
        if has_version(model):
            history = model.history.model._meta
            tables.append((model, history.db_table, history.pk.column))
    return tuple(tables)


def _read_versions():
    tables = _history_tables()
    connection = connections[router.db_for_read(ChangeSet)]
    quote_name = connection.ops.quote_name

    def newest(table, column):
        return f"(SELECT MAX({quote_name(column)}) FROM {quote_name(table)})"  # noqa: S608 - quoted names

    columns = [newest(table, column) for _, table, column in tables]
    columns.append(newest(ChangeSet._meta.db_table, ChangeSet._meta.pk.column))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)}")
        *newest_rows, newest_set = cursor.fetchone()
    return {model: f"{row}.{newest_set}" for (model, _, _), row in zip(tables, newest_rows, strict=True)}


def cached_choices(request, models, name, compute):
    """``compute()`` (a filter's choices: a list of plain values), kept in the cache under the
    data versions of ``models`` (the tables it reads), the language and ``name`` (what the
    filter is, on which list); computed each time if a table has no history."""
    if not all(has_version(model) for model in models):
        return compute()
    versions = data_versions(request)
    material = repr(
        (name, translation.get_language(), sorted((model._meta.label_lower, versions[model]) for model in set(models)))
    )
    key = "tracker-admin-choices:" + hashlib.blake2b(material.encode(), digest_size=16).hexdigest()
    choices = cache.get(key)
    if choices is None:
        choices = list(compute())
        cache.set(key, choices, timeout=CHOICES_TTL)
    return choices


# --- Django's filters, their choices kept ------------------------------------------------------


def path_models(model, field_path):
    """The models a filter on ``field_path`` of ``model``'s list reads: the list's own, and each
    one along the path and at its end."""
    models = {model}
    for field in get_fields_from_path(model, field_path):
        models.add(field.model)
        if field.related_model is not None:
            models.add(field.related_model)
    return models


class _KeptChoices:
    """A filter of Django's whose choices (``field_choices``) are kept by ``cached_choices``."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.kept_as = (type(self).__name__, model._meta.label_lower, field_path)
        self.kept_models = path_models(model, field_path)
        super().__init__(field, request, params, model, model_admin, field_path)

    def field_choices(self, field, request, model_admin):
        return cached_choices(
            request,
            self.kept_models,
            self.kept_as,
            lambda: super(_KeptChoices, self).field_choices(field, request, model_admin),
        )


class KeptRelatedFieldListFilter(_KeptChoices, RelatedFieldListFilter):
    """Django's filter on a link (every record of the linked table), its choices kept."""


class KeptRelatedOnlyFieldListFilter(_KeptChoices, RelatedOnlyFieldListFilter):
    """Django's filter on a link (the linked records in use), its choices kept."""


class KeptAllValuesFieldListFilter(AllValuesFieldListFilter):
    """Django's filter on a column's distinct values, its choices kept."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        values = self.lookup_choices
        self.lookup_choices = cached_choices(
            request,
            path_models(model, field_path),
            (type(self).__name__, model._meta.label_lower, field_path),
            lambda: values,
        )


KEPT = {
    RelatedFieldListFilter: KeptRelatedFieldListFilter,
    RelatedOnlyFieldListFilter: KeptRelatedOnlyFieldListFilter,
    AllValuesFieldListFilter: KeptAllValuesFieldListFilter,
}


def kept_filter(model, entry):
    """A ``list_filter`` entry with Django's filter class replaced by the one keeping its choices:
    the class Django would choose for a field named alone (``FieldListFilter.create``), or the
    one named beside it; any other entry as it is."""
    if isinstance(entry, list | tuple):
        field_path, filter_class = entry
    elif isinstance(entry, str):
        field_path, filter_class = entry, None
    else:
        return entry
    if not isinstance(field_path, str):
        return entry
    if filter_class is None:
        try:
            field = get_fields_from_path(model, field_path)[-1]
        except FieldDoesNotExist:
            return entry
        filter_class = _default_filter_class(field)
    kept = KEPT.get(filter_class)
    return (field_path, kept) if kept is not None else entry


def _default_filter_class(field):
    for test, filter_class in FieldListFilter._field_list_filters:
        if test(field):
            return filter_class
    return None
