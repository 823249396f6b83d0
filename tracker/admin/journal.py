"""The journal of changes: every change set, what it changed, the undo of a deletion, and
the upload of a fixture file to sync (at the end of this module)."""

import json
import re
import secrets
import shutil
import time
from pathlib import Path

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from tracker.choices import ChangeKind, ChangeVia
from tracker.importers.diff import PREFER_DATABASE, PREFER_FILES, PREFERENCES
from tracker.importers.fixtures import FixtureError, display_path
from tracker.importers.sync import SyncRefused, sync_fixtures
from tracker.models import ChangeSet, record_models
from tracker.services import Actor, undelete
from tracker.services.records import diff, history_model, snapshot

RESTORE_PERMISSION = "tracker.restore_records"

# The admin index links to the fixture upload (for those allowed to use it).
admin.site.index_template = "admin/tracker/index.html"


class UndoneFilter(admin.SimpleListFilter):
    title = gettext_lazy("undone")
    parameter_name = "undone"

    def lookups(self, request, model_admin):
        return [("no", _("not undone")), ("yes", _("undone"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(undone_by__isnull=True)
        if self.value() == "yes":
            return queryset.filter(undone_by__isnull=False)
        return queryset


@admin.register(ChangeSet)
class ChangeSetAdmin(admin.ModelAdmin):
    """Read-only: the journal is written by the services alone."""

    list_display = ("created", "kind", "author", "via", "source", "message", "undone_by")
    list_filter = ("kind", "via", UndoneFilter)
    search_fields = ("username", "source", "message")
    date_hierarchy = "created"
    list_per_page = 100
    change_form_template = "admin/tracker/changeset_detail.html"
    change_list_template = "admin/tracker/changeset/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        uploads = FixtureUploadViews(self)
        return [
            path("sync/", self.admin_site.admin_view(uploads.upload_view), name="tracker_changeset_sync"),
            path(
                "sync/<str:token>/",
                self.admin_site.admin_view(uploads.preview_view),
                name="tracker_changeset_sync_preview",
            ),
            path(
                "sync/<str:token>/apply/",
                self.admin_site.admin_view(uploads.apply_view),
                name="tracker_changeset_sync_apply",
            ),
            path("<int:object_id>/undo/", self.admin_site.admin_view(self.undo_view), name="tracker_changeset_undo"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_sync_fixtures": request.user.has_perm(SYNC_PERMISSION)}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        changeset = get_object_or_404(ChangeSet, pk=object_id)
        rows = []
        for model in record_models():
            for row in history_model(model).objects.filter(changeset=changeset).order_by("history_date"):
                previous = row.prev_record if row.history_type == "~" else None
                changes = diff(model, snapshot(previous), snapshot(row)) if previous is not None else []
                rows.append({"model": model._meta.verbose_name, "row": row, "changes": changes})
        rows.sort(key=lambda entry: entry["row"].history_date)
        extra_context = {
            **(extra_context or {}),
            "changeset": changeset,
            "rows": rows,
            "can_undo": changeset.kind == ChangeKind.DELETE
            and changeset.undone_by_id is None
            and request.user.has_perm(RESTORE_PERMISSION),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def undo_view(self, request, object_id):
        changeset = get_object_or_404(ChangeSet, pk=object_id)
        if request.method != "POST" or not request.user.has_perm(RESTORE_PERMISSION):
            raise PermissionDenied
        try:
            restored = undelete(deletion=changeset, actor=Actor.admin(request.user))
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:tracker_changeset_change", args=[changeset.pk]))
        count = sum(len(pks) for pks in restored.values())
        self.message_user(
            request,
            ngettext("Restored %(count)d record with its links.", "Restored %(count)d records with their links.", count)
            % {"count": count},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:tracker_changeset_changelist") + "?kind=undelete")

    @admin.display(description=gettext_lazy("who"), ordering="username")
    def author(self, obj):
        return obj.author

    def get_list_display_links(self, request, list_display):
        return ("created",)


# --- Sync a fixture file: upload, dry-run preview, apply -------------------------------------------
# Sync a fixture file from the admin: upload it, see the dry run, then apply it.
#
# The uploaded file is the only thing taken from the browser.  It is kept on the server in a
# directory named by a random token that only the uploader's session holds, under the name the
# file was uploaded with (the name the sync records as the records' origin, so upload a file
# under the name of the ``fixtures/`` file it stands for).  The preview runs
# ``sync_fixtures(dry_run=True)`` on that file alone, which writes nothing; "Apply" runs the
# sync again for real on the same stored file, validating everything anew, and then deletes it.
# Uploads not applied are deleted once they expire.
#
# The sync records its changes as made through the fixtures by the file (its ``Actor`` is
# ``Actor.fixtures(path)``; ``sync_fixtures`` takes no actor), so the file is stored under a
# directory naming the user who uploaded it, and the journal's source names both.

SYNC_PERMISSION = "tracker.publish_records"
SESSION_KEY = "tracker_fixture_upload"
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_EXPIRY_SECONDS = 3600
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\.json")
TOKEN = re.compile(r"[0-9a-f]{32}")
COLUMNS = ("created", "updated", "unchanged", "conflicted", "deleted", "gone")


def max_bytes():
    return getattr(settings, "TRACKER_FIXTURE_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES)


def upload_root():
    return Path(getattr(settings, "TRACKER_FIXTURE_UPLOAD_DIR", Path(settings.BASE_DIR) / "var" / "fixture-uploads"))


def expiry_seconds():
    return getattr(settings, "TRACKER_FIXTURE_UPLOAD_EXPIRY", DEFAULT_EXPIRY_SECONDS)


def _purge_expired():
    root = upload_root()
    if not root.is_dir():
        return
    limit = time.time() - expiry_seconds()
    for directory in root.iterdir():
        if directory.is_dir() and TOKEN.fullmatch(directory.name) and directory.stat().st_mtime < limit:
            shutil.rmtree(directory, ignore_errors=True)


def _directory_name(user):
    return "uploaded-by-" + re.sub(r"[^\w.@+-]", "_", user.get_username() or f"user-{user.pk}")


def _pending(request, token):
    """The stored upload of this session named by ``token``, or None (unknown, expired or gone)."""
    pending = request.session.get(SESSION_KEY)
    if not pending or not token or not secrets.compare_digest(str(pending.get("token", "")), str(token)):
        return None
    directory = str(pending.get("directory", ""))
    if not TOKEN.fullmatch(pending["token"]) or not NAME.fullmatch(pending.get("name", "")):
        return None
    if not directory.startswith("uploaded-by-") or "/" in directory or directory in (".", ".."):
        return None
    if time.time() - pending.get("time", 0) > expiry_seconds():
        _discard(request)
        return None
    path = upload_root() / pending["token"] / directory / pending["name"]
    return path if path.is_file() else None


def _discard(request):
    pending = request.session.pop(SESSION_KEY, None)
    if pending and TOKEN.fullmatch(str(pending.get("token", ""))):
        shutil.rmtree(upload_root() / pending["token"], ignore_errors=True)


def _show(value):
    return json.dumps(value, ensure_ascii=False)


def _side(prefer):
    """The side a conflict was settled in favour of, in the page's language."""
    return {PREFER_FILES: _("file"), PREFER_DATABASE: _("database")}.get(prefer, "")


def _report(result, path, name):
    """The result of a sync as the template shows it, the stored file named by its own name."""
    shown = display_path(path)

    def here(text):
        return str(text or "").replace(shown, name)

    labels = sorted(set().union(*(getattr(result, column) for column in COLUMNS)))
    counts = [{"model": label, **{column: getattr(result, column)[label] for column in COLUMNS}} for label in labels]
    changes = [
        {
            "sign": sign,
            "record": record,
            "where": here(where),
            "fields": [
                {"field": field, "before": _show(before), "after": _show(after)} for field, before, after in fields
            ],
        }
        for sign, record, where, fields in result.changes
    ]
    conflicts = [
        {
            "record": getattr(record, "name", record),
            "where": here(getattr(record, "where", "")),
            "field": conflict.field,
            "base": _show(conflict.base),
            "file": _show(conflict.file),
            "database": _show(conflict.database),
            "settled": conflict.settled,
            "settled_side": _side(conflict.settled),
        }
        for record, conflict in result.conflicts
    ]
    errors = [
        {
            "where": here(problem.file) + "".join(f":{number}" for number in (problem.line, problem.column) if number),
            "record": getattr(problem.record, "name", problem.record) or "",
            "field": problem.field,
            "message": here(problem.message),
        }
        for problem in result.problems
    ]
    return {
        "counts": counts,
        "changes": changes,
        "conflicts": conflicts,
        "unsettled": [conflict for conflict in conflicts if not conflict["settled"]],
        "errors": errors,
        "summary": here(result.summary()),
    }


class FixtureUploadViews:
    """The views, bound to the journal's admin (``ChangeSetAdmin.get_urls``)."""

    def __init__(self, model_admin):
        self.model_admin = model_admin

    def _context(self, request, **extra):
        admin_site = self.model_admin.admin_site
        return {
            **admin_site.each_context(request),
            "opts": ChangeSet._meta,
            "title": _("Sync a fixture file"),
            "subtitle": None,
            "max_megabytes": max_bytes() / (1024 * 1024),
            "preferences": PREFERENCES,
            **extra,
        }

    def _render(self, request, template, status=200, **extra):
        request.current_app = self.model_admin.admin_site.name
        return TemplateResponse(
            request, f"admin/tracker/fixture_sync/{template}.html", self._context(request, **extra), status=status
        )

    @staticmethod
    def _check(request):
        if not request.user.has_perm(SYNC_PERMISSION):
            raise PermissionDenied

    def upload_view(self, request):
        """GET: the upload form.  POST: store the file and go to its preview."""
        self._check(request)
        _purge_expired()
        if request.method != "POST":
            return self._render(request, "upload")
        upload = request.FILES.get("fixture_file")
        error = None
        name = Path(getattr(upload, "name", "") or "").name
        if upload is None:
            error = _("Choose a fixture file (.json) to upload.")
        elif upload.size > max_bytes():
            error = _(
                "The file is too large (%(size)s bytes); the limit is %(limit)s bytes. "
                "Sync larger files with manage.py sync_fixtures."
            ) % {"size": f"{upload.size:,}", "limit": f"{max_bytes():,}"}
        elif not NAME.fullmatch(name):
            error = _(
                "The file's name must end in .json and hold only letters, digits, dots, hyphens and underscores "
                "(name it as the fixtures/ file it stands for, e.g. 02_organizations.json)."
            )
        if error:
            return self._render(request, "upload", status=400, error=error)
        _discard(request)
        token = secrets.token_hex(16)
        directory = upload_root() / token / _directory_name(request.user)
        directory.mkdir(parents=True, mode=0o700)
        with open(directory / name, "wb") as stored:
            for chunk in upload.chunks():
                stored.write(chunk)
        request.session[SESSION_KEY] = {
            "token": token,
            "name": name,
            "directory": directory.name,
            "time": time.time(),
        }
        return HttpResponseRedirect(reverse("admin:tracker_changeset_sync_preview", args=[token]))

    def _lost(self, request):
        return self._render(
            request,
            "upload",
            status=404,
            error=_("This upload is no longer waiting to be applied (applied, replaced or expired): upload it again."),
        )

    def preview_view(self, request, token):
        """The dry run of the stored file: what would change, the conflicts and every error.  Writes nothing."""
        self._check(request)
        path = _pending(request, token)
        if path is None:
            return self._lost(request)
        return self._render_result(request, token, path, dry_run=True, prefer=None)

    def apply_view(self, request, token):
        """Sync the stored file for real, validated again, with the chosen side for conflicts."""
        self._check(request)
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:tracker_changeset_sync_preview", args=[token]))
        path = _pending(request, token)
        if path is None:
            return self._lost(request)
        prefer = request.POST.get("prefer") or None
        if prefer not in (None, *PREFERENCES):
            raise PermissionDenied
        return self._render_result(request, token, path, dry_run=False, prefer=prefer)

    def _render_result(self, request, token, path, *, dry_run, prefer):
        name = path.name
        started = timezone.now()
        try:
            result = sync_fixtures(
                [path], dry_run=dry_run, prefer=prefer, user=None if dry_run else request.user, diff=True
            )
            refused = False
        except SyncRefused as refusal:
            result, refused = refusal.result, True
        except FixtureError as error:
            return self._render(request, "upload", status=400, error=str(error).replace(display_path(path), name))
        report = _report(result, path, name)
        if dry_run or refused:
            return self._render(
                request,
                "preview",
                name=name,
                token=token,
                dry_run=dry_run,
                refused=refused,
                prefer=prefer,
                can_apply=not report["errors"],
                **report,
            )
        _discard(request)
        changesets = ChangeSet.objects.filter(
            via=ChangeVia.FIXTURES, source=display_path(path), created__gte=started
        ).order_by("created", "pk")
        self.model_admin.message_user(
            request,
            _("%(name)s was synced: %(summary)s") % {"name": name, "summary": report["summary"].splitlines()[-1]},
            messages.SUCCESS,
        )
        return self._render(
            request,
            "applied",
            name=name,
            prefer=prefer,
            prefer_side=_side(prefer),
            changesets=list(changesets),
            **report,
        )
