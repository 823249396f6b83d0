"""The admin's shared base: every save, delete, restore and review step goes through the services.

Django's admin writes with ``form.save()``, ``formset.save()`` and ``obj.delete()``.
Here ``save_model`` writes nothing, ``save_related`` hands the record, its links and
its inline rows to ``tracker.services.save_record`` in one call, and deletes go to
``delete_record``; so the admin validates, versions and records history exactly as the
fixture loader and the API do.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy

from tracker.admin.actions import EXPORT_ACTIONS, EXPORT_FORMATS, export_response
from tracker.admin.forms import FieldErrorsMixin, TrackerFormFieldsMixin, add_service_errors, show_stored_amounts
from tracker.admin.rows import SELECTION_LABEL, TrackerChangeList, choice_label, selection_box
from tracker.choices import EditorialState
from tracker.models.base import ReviewedModel
from tracker.services import (
    Actor,
    ChildChange,
    ConflictError,
    delete_record,
    deletion_plan,
    restore_version,
    save_record,
)
from tracker.services import review as review_service
from tracker.services.records import (
    changes_since,
    child_relations,
    diff,
    display_value,
    history_model,
    history_rows,
    snapshot,
    validate_relations,
)

# Addresses typed without a scheme are taken as https, Django 6's default.
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


def _comparable(model, name, value):
    """A form's cleaned value in the shape ``snapshot`` uses: ids for links."""
    model_field = model._meta.get_field(name)
    if model_field.many_to_many:
        return frozenset(getattr(item, "pk", item) for item in (value or []))
    if model_field.is_relation:
        return getattr(value, "pk", value)
    return value


def _as_post_value(value):
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    if value is None:
        return ""
    if value is True:
        return "on"
    return str(value)


class RelationRulesForm(FieldErrorsMixin, forms.ModelForm):
    """Runs the model's rules on its many-to-many links (``validate_relations``) with the
    links chosen in the form, so they are refused beside their field, as the services would;
    a constraint's record-wide error is shown beside the field it concerns."""

    # What the services refused when this same form was saved (``TrackerAdmin.changeform_view``).
    service_error = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        show_stored_amounts(self)

    def _post_clean(self):
        super()._post_clean()
        if self.service_error is not None:
            add_service_errors(self, self.service_error)
        self._check_relations()

    def _check_relations(self):
        names = getattr(type(self.instance), "validated_relations", ())
        if not names or any(name in self.errors for name in names):
            return
        try:
            validate_relations(
                self.instance, {name: self.cleaned_data[name] for name in names if name in self.cleaned_data}
            )
        except ValidationError as error:
            self._update_errors(error)


class VersionedForm(RelationRulesForm):
    """Carries the version the editor opened; a save over a newer version is refused.

    The check locks the stored row for the rest of the request (one transaction per
    request), so no save can slip in between the check and the write.  On a conflict the
    form shows what changed in between, field by field, and is filled again with the
    current values wherever the editor had not changed the field, so the edit can be
    re-applied and saved deliberately.
    """

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conflict = None
        self.conflict_rows = []
        if self.instance.pk is not None:
            # A change names the version it was made on; without it the check could not run.
            self.fields["expected_version"].initial = self.instance.version
            self.fields["expected_version"].required = True

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            return cleaned
        model = type(self.instance)
        current = model._base_manager.select_for_update().get(pk=self.instance.pk)
        expected = cleaned.get("expected_version")
        if expected is None or expected == current.version:
            return cleaned
        changes, authors = changes_since(current, expected)
        self.conflict = ConflictError(current, expected, changes, authors)
        self._merge_current(model, current, expected, cleaned)
        raise ValidationError(str(self.conflict), code="conflict")

    def _merge_current(self, model, current, expected, cleaned):
        opened_row = current.history.filter(version=expected).order_by("-history_date").first()
        opened = snapshot(opened_row) if opened_row else {}
        now = snapshot(current)
        fresh = type(self)(instance=current)
        data = self.data.copy()
        for change in self.conflict.changes:
            name = change.field
            yours = "—"
            if name in self.fields and name in now:
                yours = display_value(model, name, _comparable(model, name, cleaned.get(name)))
            self.conflict_rows.append((change.label, change.before, change.after, yours))
        for name in self.fields:
            if name not in now or name not in opened:
                continue
            yours = _comparable(model, name, cleaned.get(name))
            if yours == opened[name] and now[name] != opened[name]:
                value = fresh[name].value()
                prefixed = self.add_prefix(name)
                if value is False:
                    data.pop(prefixed, None)
                elif isinstance(value, list | tuple):
                    data.setlist(prefixed, _as_post_value(value))
                else:
                    data[prefixed] = _as_post_value(value)
        data[self.add_prefix("expected_version")] = str(current.version)
        self.data = data


class ServiceRefused(Exception):
    """The services refused a save the form had accepted; the page is shown again with the errors."""

    def __init__(self, error):
        self.error = error
        super().__init__(error)


class TrackerAdmin(TrackerFormFieldsMixin, admin.ModelAdmin):
    """Shared defaults: timestamps and versions shown but never edited, writes through the services."""

    form = VersionedForm
    readonly_fields = ("created", "updated", "version")
    formfield_overrides = URL_FIELDS
    list_per_page = 50
    save_on_top = True
    history_template = "admin/tracker/record_history.html"
    review_template = "admin/tracker/record_review.html"
    actions = EXPORT_ACTIONS

    def get_fieldsets(self, request, obj=None):
        """The version travels with every form, whatever fields an admin lays out."""
        fieldsets = super().get_fieldsets(request, obj)
        if "expected_version" in flatten_fieldsets(fieldsets):
            return fieldsets
        (name, options), *rest = fieldsets
        return [(name, {**options, "fields": (*options["fields"], "expected_version")}), *rest]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        refused = getattr(request, "tracker_service_error", None)
        if refused is None:
            return form
        return type(form.__name__, (form,), {"service_error": refused})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A save the services refuse (``ValidationError``) shows the form again, each error beside
        its field; nothing of it was written (the services' transaction rolled back)."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refused:
            request.tracker_service_error = refused.error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if issubclass(self.model, ReviewedModel):
            context["editorial_state_help"] = self.model._meta.get_field("editorial_state").help_text
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- lists ---

    def get_changelist(self, request, **kwargs):
        return TrackerChangeList

    def action_checkbox(self, obj):
        """The row's selection box as Django writes it, without rendering a form widget's
        template for each row (a quarter of a row's rendering time)."""
        return selection_box(obj.pk, str(obj), gettext(SELECTION_LABEL))

    # The lists' rows (``tracker.admin.rows``) write the same box with the label translated once.
    action_checkbox.selection_box = True

    def changelist_view(self, request, extra_context=None):
        """The list links to its exports, with the list's filters and search in their address."""
        info = _info(self.model)
        query = request.GET.urlencode()
        exports = [
            (label, reverse(f"admin:{info}_export", args=[name]) + (f"?{query}" if query else ""))
            for name, label in EXPORT_FORMATS.items()
        ]
        return super().changelist_view(request, {"tracker_exports": exports, **(extra_context or {})})

    def export_view(self, request, export_format):
        """The whole list as filtered and searched on the page, streamed."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if export_format not in EXPORT_FORMATS:
            raise Http404(f"No export named {export_format!r}.")
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters as error:
            return HttpResponseBadRequest(
                gettext("These filters do not apply to %(records)s: %(error)s")
                % {"records": self.model._meta.verbose_name_plural, "error": error}
            )
        return export_response(export_format, self.model, changelist.queryset, request.user)

    def get_list_display(self, request):
        columns = super().get_list_display(request)
        if issubclass(self.model, ReviewedModel):
            return (*columns, "editorial_state_display")
        return columns

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if issubclass(self.model, ReviewedModel):
            return (*filters, "editorial_state")
        return filters

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if issubclass(self.model, ReviewedModel):
            return (*fields, "editorial_state", "published_version")
        return fields

    @admin.display(description=gettext_lazy("editorial state"), ordering="editorial_state")
    def editorial_state_display(self, obj):
        state = choice_label(obj, "editorial_state")
        if obj.editorial_state != EditorialState.PUBLISHED and obj.published_version:
            return gettext("%(state)s (version %(version)s published)") % {
                "state": state,
                "version": obj.published_version,
            }
        return state

    # --- writes ---

    def save_model(self, request, obj, form, change):
        """Nothing is written here: ``save_related`` writes the record with its links and inlines."""

    def save_related(self, request, form, formsets, change):
        model = type(form.instance)
        relations = {
            link.name: form.cleaned_data[link.name]
            for link in model._meta.many_to_many
            if link.name in form.cleaned_data
        }
        try:
            save_record(
                record=form.instance,
                actor=Actor.admin(request.user),
                relations=relations,
                children=[child for formset in formsets for child in _child_changes(formset)],
                expected_version=form.cleaned_data.get("expected_version") if change else None,
            )
        except ValidationError as error:
            transaction.set_rollback(True)
            raise ServiceRefused(error) from error

    def delete_model(self, request, obj):
        delete_record(record=obj, actor=Actor.admin(request.user))

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            delete_record(record=obj, actor=Actor.admin(request.user))

    def get_deleted_objects(self, objs, request):
        """The confirmation page says what goes with the record, which links go, and what refuses it."""
        _, model_count, perms_needed, _ = super().get_deleted_objects(objs, request)
        to_delete, protected = [], []
        for obj in objs:
            plan = deletion_plan(obj)
            to_delete.append(_admin_link(obj))
            parts = [_admin_link(part) for part in plan.cascaded]
            parts += [format_html("{}: {}", gettext("link removed"), str(link)) for link in plan.detached]
            if parts:
                to_delete.append(parts)
            protected += [_admin_link(link.record, suffix=f" ({link.field})") for link in plan.blocked]
        model_count = {name: count for name, count in model_count.items() if "relationship" not in str(name)}
        return to_delete, model_count, perms_needed, protected

    # --- history, restore, review ---

    def get_urls(self):
        info = _info(self.model)
        return [
            path(
                "<path:object_id>/history/restore/<int:history_id>/",
                self.admin_site.admin_view(self.restore_view),
                name=f"{info}_restore",
            ),
            path("<path:object_id>/review/", self.admin_site.admin_view(self.review_view), name=f"{info}_review"),
            path(
                "export/<str:export_format>/",
                self.admin_site.admin_view(self.export_view),
                name=f"{info}_export",
            ),
            *super().get_urls(),
        ]

    def _record_or_404(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(f"No {self.model._meta.verbose_name} with the id {object_id!r}.")
        return obj

    def history_view(self, request, object_id, extra_context=None):
        obj = self._record_or_404(request, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        rows = list(history_rows(obj))
        entries = []
        for index, row in enumerate(rows):
            previous = rows[index + 1] if index + 1 < len(rows) else None
            changes = diff(self.model, snapshot(previous), snapshot(row)) if previous else []
            entries.append({"row": row, "changes": changes})
        compared = None
        first, second = request.GET.get("from"), request.GET.get("to")
        if first and second:
            older = obj.history.filter(history_id=first).first()
            newer = obj.history.filter(history_id=second).first()
            if older and newer:
                if older.history_date > newer.history_date:
                    older, newer = newer, older
                compared = {
                    "older": older,
                    "newer": newer,
                    "changes": diff(self.model, snapshot(older), snapshot(newer)),
                }
        parts = []
        for child_model, parent_field in child_relations(self.model):
            for row in (
                history_model(child_model)
                .objects.filter(**{f"{parent_field}_id": obj.pk})
                .select_related("changeset")
                .order_by("-history_date")[:200]
            ):
                parts.append({"model": child_model._meta.verbose_name, "row": row})
        parts.sort(key=lambda entry: entry["row"].history_date, reverse=True)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("History of %(record)s") % {"record": obj},
            "subtitle": None,
            "object": obj,
            "opts": self.model._meta,
            "entries": entries,
            "compared": compared,
            "parts": parts,
            "can_restore": self.has_change_permission(request, obj),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.history_template, context)

    def restore_view(self, request, object_id, history_id):
        obj = self._record_or_404(request, object_id)
        if request.method != "POST" or not self.has_change_permission(request, obj):
            raise PermissionDenied
        try:
            restore_version(
                record=obj,
                history_id=history_id,
                actor=Actor.admin(request.user),
                expected_version=request.POST.get("expected_version") or None,
                message=request.POST.get("message", ""),
            )
        except (ValidationError, ConflictError) as error:
            self.message_user(request, _message(error), messages.ERROR)
        else:
            self.message_user(
                request,
                gettext("%(record)s was restored to the chosen version, as a new change.") % {"record": obj},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse(f"admin:{_info(self.model)}_history", args=[obj.pk]))

    def review_view(self, request, object_id):
        obj = self._record_or_404(request, object_id)
        if not issubclass(self.model, ReviewedModel) or not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        if request.method == "POST":
            action = request.POST.get("action")
            steps = {
                "submit": review_service.submit_for_review,
                "publish": review_service.publish,
                "return": review_service.return_to_draft,
            }
            if action not in steps:
                raise PermissionDenied
            try:
                steps[action](record=obj, actor=Actor.admin(request.user), comment=request.POST.get("comment", ""))
            except (ValidationError, PermissionDenied) as error:
                self.message_user(request, _message(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("%(record)s is now %(state)s.")
                    % {"record": obj, "state": obj.get_editorial_state_display()},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse(f"admin:{_info(self.model)}_change", args=[obj.pk]))
        published = review_service.published_state(obj)
        pending = diff(self.model, snapshot(published), snapshot(obj)) if published is not None else None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Review of %(record)s") % {"record": obj},
            "subtitle": None,
            "object": obj,
            "opts": self.model._meta,
            "pending": pending,
            "published": published,
            "can_publish": request.user.has_perm(review_service.PUBLISH_PERMISSION),
            "can_change": self.has_change_permission(request, obj),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.review_template, context)


def _info(model):
    return f"{model._meta.app_label}_{model._meta.model_name}"


def _message(error):
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def _admin_link(obj, suffix=""):
    label = f"{obj._meta.verbose_name.capitalize()}: "
    try:
        url = reverse(f"admin:{_info(type(obj))}_change", args=[obj.pk])
    except Exception:  # noqa: BLE001 - a model without an admin page is named without a link
        return f"{label}{obj}{suffix}"
    return format_html('{}<a href="{}">{}</a>{}', label, url, obj, suffix)


def _child_changes(formset):
    """An inline formset's rows as the services take them: saved with their links, or removed."""
    formset.save(commit=False)
    forms_by_instance = {id(form.instance): form for form in formset.forms}
    changes = [ChildChange(record=obj, delete=True) for obj in formset.deleted_objects]
    for obj in [*formset.new_objects, *(obj for obj, _ in formset.changed_objects)]:
        form = forms_by_instance.get(id(obj))
        relations = {}
        if form is not None:
            relations = {
                link.name: form.cleaned_data[link.name]
                for link in type(obj)._meta.many_to_many
                if link.name in form.cleaned_data
            }
        changes.append(ChildChange(record=obj, relations=relations))
    return changes


class PartInline(TrackerFormFieldsMixin, admin.StackedInline):
    """An inline whose rows keep their model's link rules."""

    form = RelationRulesForm


class CitationInline(TrackerFormFieldsMixin, admin.StackedInline):
    extra = 0
    autocomplete_fields = ("source",)
    fields = (("source", "locator", "confidence"), "quote", ("quote_language", "verbatim"), "note")
