"""The journal of changes: every change set, what it changed, and the undo of a deletion."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse

from tracker.choices import ChangeKind
from tracker.models import ChangeSet, record_models
from tracker.services import Actor, undelete
from tracker.services.records import diff, history_model, snapshot

RESTORE_PERMISSION = "tracker.restore_records"


class UndoneFilter(admin.SimpleListFilter):
    title = "undone"
    parameter_name = "undone"

    def lookups(self, request, model_admin):
        return [("no", "not undone"), ("yes", "undone")]

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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path("<int:object_id>/undo/", self.admin_site.admin_view(self.undo_view), name="tracker_changeset_undo"),
            *super().get_urls(),
        ]

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
        self.message_user(request, f"Restored {count} record(s) with their links.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:tracker_changeset_changelist") + "?kind=undelete")

    @admin.display(description="who", ordering="username")
    def author(self, obj):
        return obj.author

    def get_list_display_links(self, request, list_display):
        return ("created",)
