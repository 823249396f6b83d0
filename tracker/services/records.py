"""Every write to every record: save, delete, restore a version, undo a deletion.

The admin, the fixture loader and the API call these functions and nothing else
writes.  Each runs in one transaction and one change set, and:

- locks the stored row and refuses a write that names an older ``version`` than the
  stored one (``ConflictError``), so two editors never overwrite each other;
- validates the record as the admin does (``full_clean()``: fields, ``clean()``,
  constraints) and its many-to-many links (``validate_relations``);
- writes nothing when nothing changed;
- writes the record with its links, moves its version and its parent's (a citation
  changes its measure), sets its editorial state (``tracker.services.review``);
- records one history row per record changed, stamped with the change set.
"""

from dataclasses import dataclass, field

from django.contrib.admin.utils import NestedObjects
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tracker.choices import ChangeKind, EditorialState
from tracker.models import InstrumentEvent, PolicyInstrument, Tombstone, record_models
from tracker.models.base import RECORDER, ReviewedModel
from tracker.services.context import CLOSING_STEPS, batches, changeset, current_changeset

# Fields the services keep; an editor never sets them.
SYSTEM_FIELDS = frozenset(
    {"id", "created", "updated", "version", "editorial_state", "published_version", "published_at"}
)


# --- describing records and their changes ---------------------------------------------------


def describe(instance):
    """How a record is named in a message: its kind and natural key (or its name)."""
    label = instance._meta.verbose_name
    try:
        key = "/".join(str(part) for part in instance.natural_key())
    except (AttributeError, models.ObjectDoesNotExist):
        key = str(instance)
    return f"{label} {key}"


def content_fields(model):
    return [f for f in model._meta.concrete_fields if f.name not in SYSTEM_FIELDS]


def link_fields(model):
    """The many-to-many links kept in the model's history."""
    return [model._meta.get_field(name) for name in model._history_m2m_fields]


def history_model(model):
    return model.history.model


def _history_link_targets(row, link):
    """The target ids of a many-to-many link as a history row recorded it."""
    target = f"{link.m2m_reverse_field_name()}_id"
    return frozenset(getattr(entry, target) for entry in getattr(row, link.name).all())


def snapshot(instance):
    """A record's content as comparable values: field attnames and link id sets.

    ``instance`` is a stored record or one of its history rows.
    """
    model = instance.instance_type if hasattr(instance, "history_id") else type(instance)
    values = {f.name: getattr(instance, f.attname) for f in content_fields(model)}
    for link in link_fields(model):
        if hasattr(instance, "history_id"):
            values[link.name] = _history_link_targets(instance, link)
        elif instance.pk is not None:
            values[link.name] = frozenset(getattr(instance, link.name).values_list("pk", flat=True))
        else:
            values[link.name] = frozenset()
    return values


@dataclass(frozen=True)
class FieldChange:
    """One field of one record, before and after."""

    field: str
    label: str
    before: object
    after: object


def display_value(model, name, value):
    """A field's value as a person reads it: a related record's name, a choice's label."""
    model_field = model._meta.get_field(name)
    if model_field.many_to_many:
        related = model_field.related_model._base_manager.filter(pk__in=value)
        names = sorted(str(obj) for obj in related)
        missing = len(value) - len(names)
        gone = ngettext("%(count)d deleted record", "%(count)d deleted records", missing) % {"count": missing}
        return "; ".join(names + ([gone] if missing > 0 else [])) or "—"
    if value is None or value == "":
        return "—"
    if model_field.is_relation:
        related = model_field.related_model._base_manager.filter(pk=value).first()
        return str(related) if related else _("deleted record #%(id)s") % {"id": value}
    if model_field.choices:
        return dict(model_field.flatchoices).get(value, value)
    return str(value)


def diff(model, before, after):
    """Field-by-field changes between two snapshots of a record of ``model``."""
    changes = []
    for name, old in before.items():
        new = after.get(name)
        if old != new:
            changes.append(
                FieldChange(
                    field=name,
                    label=str(model._meta.get_field(name).verbose_name),
                    before=display_value(model, name, old),
                    after=display_value(model, name, new),
                )
            )
    return changes


# --- errors ----------------------------------------------------------------------------------


class ConflictError(Exception):
    """A write named an older version than the stored one: someone saved in between."""

    def __init__(self, record, expected_version, changes, authors):
        self.record = record
        self.expected_version = expected_version
        self.current_version = record.version
        self.changes = changes
        self.authors = authors
        who = ", ".join(authors) or _("someone")
        super().__init__(
            _(
                "%(record)s was changed by %(who)s since you opened it (your version %(expected)s, now version "
                "%(current)s); nothing was saved. Compare the changes, then apply your edit again."
            )
            % {
                "record": describe(record).capitalize(),
                "who": who,
                "expected": expected_version,
                "current": record.version,
            }
        )


class DeletionRefused(Exception):
    """A record others depend on cannot be deleted; says which records and links."""

    def __init__(self, record, blocked):
        self.record = record
        self.blocked = blocked
        names = "; ".join(str(link) for link in blocked[:20])
        more = _(" and %(count)s more") % {"count": len(blocked) - 20} if len(blocked) > 20 else ""
        super().__init__(
            _(
                "%(record)s cannot be deleted: %(count)s record(s) depend on it (%(names)s%(more)s). "
                "Change or delete those first."
            )
            % {"record": describe(record).capitalize(), "count": len(blocked), "names": names, "more": more}
        )


# --- versions and editorial state -------------------------------------------------------------


def root_of(instance):
    """The record a child belongs to (a citation's measure), or the record itself."""
    while instance.version_parent:
        instance = getattr(instance, instance.version_parent)
    return instance


def _lock(model, pk):
    return model._base_manager.select_for_update().get(pk=pk)


def changes_since(current, version):
    """What changed in ``current`` (and its parts) after it had ``version``, and by whom."""
    model = type(current)
    rows = current.history.filter(version=version).order_by("-history_date", "-history_id")
    opened = rows.first()
    if opened is None:
        return [], []
    changes = diff(model, snapshot(opened), snapshot(current))
    # The version opened is the state at the end of the change set that wrote it.
    later = {"history_date__gt": opened.history_date}
    rows = current.history.filter(**later).exclude(changeset=opened.changeset_id).select_related("changeset")
    authors = {row.changeset.author for row in rows if row.changeset_id}
    for child_model, parent_field in child_relations(model):
        child_rows = (
            history_model(child_model)
            .objects.filter(**{f"{parent_field}_id": current.pk}, **later)
            .exclude(changeset=opened.changeset_id)
            .select_related("changeset")
            .order_by("history_date")
        )
        for row in child_rows:
            verb = {"+": _("added"), "~": _("changed"), "-": _("removed")}[row.history_type]
            name = child_model._meta.verbose_name
            changes.append(FieldChange(field=name, label=name, before="", after=f"{verb}: {row.instance}"))
            if row.changeset_id:
                authors.add(row.changeset.author)
    return changes, sorted(authors)


def _check_version(current, expected_version):
    if expected_version is not None and int(expected_version) != current.version:
        changes, authors = changes_since(current, int(expected_version))
        raise ConflictError(current, int(expected_version), changes, authors)


def _after_change(instance, open_set):
    """Set a changed root's editorial state: fixtures publish, anyone else makes a draft."""
    if not isinstance(instance, ReviewedModel):
        return
    if open_set.actor.publishes_directly:
        instance.editorial_state = EditorialState.PUBLISHED
        instance.published_version = instance.version
        instance.published_at = timezone.now()
        open_set.published.append(instance)
    elif instance.editorial_state != EditorialState.DRAFT:
        instance.editorial_state = EditorialState.DRAFT


def _record_history(instance, history_type):
    RECORDER.create_historical_record(instance, history_type)
    if open_set := current_changeset():
        _mark_for_derivation(instance, open_set)


def _mark_for_derivation(instance, open_set):
    if isinstance(instance, PolicyInstrument) and instance.pk is not None:
        open_set.derive.add(instance.pk)
    elif isinstance(instance, InstrumentEvent) and instance.instrument_id is not None:
        open_set.derive.add(instance.instrument_id)


LIFECYCLE_FIELDS = (
    "status",
    *(
        f"{name}{suffix}"
        for name in ("announced", "effective_from", "effective_until", "rescinded")
        for suffix in ("", "_precision")
    ),
)


def _derive_lifecycles(open_set, chunk=500):
    """A measure's status and lifecycle dates follow from its events, once all of a change is written.

    The measures are read (and locked) with their events a few hundred at a time: a fixture
    sync derives every measure it created.
    """
    for pks in batches(open_set.derive, chunk):
        measures = (
            PolicyInstrument._base_manager.select_for_update()
            .filter(pk__in=pks)
            .order_by("pk")
            .prefetch_related("events")
        )
        for instrument in measures:
            _derive_lifecycle(instrument)


def _derive_lifecycle(instrument):
    before = [getattr(instrument, name) for name in LIFECYCLE_FIELDS]
    if not instrument.derive_from_events(instrument.events.all()):
        return
    if [getattr(instrument, name) for name in LIFECYCLE_FIELDS] != before:
        try:
            instrument.full_clean(validate_unique=False)
        except ValidationError as error:
            raise ValidationError(
                _("%(record)s: its events would give it impossible dates: %(errors)s")
                % {"record": describe(instrument).capitalize(), "errors": " ".join(error.messages)}
            ) from error
        _write(instrument)
        RECORDER.create_historical_record(instrument, "~")


CLOSING_STEPS.append(_derive_lifecycles)


def _write(instance, relations=None, force_insert=False):
    """Save a record and set its links without django-simple-history's per-signal rows."""
    instance.skip_history_when_saving = True
    instance._written_by_service = True  # the service has set the version and state itself
    try:
        try:
            with transaction.atomic():
                instance.save(force_insert=force_insert)
                for name, values in (relations or {}).items():
                    getattr(instance, name).set(values)
        except IntegrityError as error:
            raise ValidationError(f"{describe(instance).capitalize()}: {error}".strip()) from error
    finally:
        del instance.skip_history_when_saving
        del instance._written_by_service


def _commit_link_change(other, open_set):
    """Write a record whose links to another record were just changed (the links already are)."""
    key = (type(other), other.pk)
    if key not in open_set.touched:
        other.version += 1
        open_set.touched.add(key)
    _after_change(other, open_set)
    _write(other)
    _record_history(other, "~")


def _touch(instance, open_set):
    """Move a parent's version when one of its parts changed, once per change set."""
    model = type(instance)
    key = (model, instance.pk)
    if key in open_set.touched:
        return
    current = _lock(model, instance.pk)
    current.version += 1
    open_set.touched.add(key)
    _after_change(current, open_set)
    _write(current)
    _record_history(current, "~")
    if current.version_parent:
        _touch(getattr(current, current.version_parent), open_set)


# --- save ------------------------------------------------------------------------------------


@dataclass
class SaveResult:
    record: models.Model
    created: bool
    changed: bool
    changes: list = field(default_factory=list)


@dataclass
class ChildChange:
    """A part of a record saved or removed with it (an inline's row)."""

    record: models.Model
    delete: bool = False
    relations: dict = field(default_factory=dict)


def _take_parent_ids(record):
    """A part built with its unsaved parent (an inline row of a new record) takes the parent's id."""
    for model_field in record._meta.concrete_fields:
        if model_field.is_relation and getattr(record, model_field.attname) is None:
            related = model_field.get_cached_value(record, default=None)
            if related is not None and related.pk is not None:
                setattr(record, model_field.attname, related.pk)


def validate_relations(record, relations):
    """The model's own rules on its many-to-many links, with the proposed links."""
    names = getattr(type(record), "validated_relations", ())
    if not names:
        return
    proposed = {}
    for name in names:
        if name in relations:
            related = type(record)._meta.get_field(name).related_model
            ids = _link_ids(relations[name])
            proposed[name] = list(related._base_manager.filter(pk__in=ids)) if ids else []
        elif record.pk is not None:
            proposed[name] = list(getattr(record, name).all())
        else:
            proposed[name] = []
    record.validate_relations(**proposed)


def _link_ids(values):
    return frozenset(getattr(value, "pk", value) for value in values)


def save_record(*, record, actor, relations=None, children=(), expected_version=None, message="", kind=ChangeKind.EDIT):
    """Create or update ``record`` with its many-to-many ``relations`` and ``children``.

    ``relations`` maps link names to records or ids (links not named are kept);
    ``children`` are ``ChildChange`` parts saved or removed with it.  Raises
    ``ValidationError`` (naming record and field) or ``ConflictError``; either way nothing
    is written.  Returns what changed.
    """
    relations = dict(relations or {})
    model = type(record)
    with changeset(actor, kind=kind, message=message) as open_set:
        adding = record._state.adding or record.pk is None
        current = None if adding else _lock(model, record.pk)
        if current is not None:
            _check_version(current, expected_version)
            # The services own these: a record built from a form or a file never sets them.
            for model_field in model._meta.concrete_fields:
                if model_field.name in SYSTEM_FIELDS - {"id"}:
                    setattr(record, model_field.attname, getattr(current, model_field.attname))
        _take_parent_ids(record)
        record.full_clean()
        validate_relations(record, relations)
        new_links = {name: _link_ids(values) for name, values in relations.items()}
        if current is not None:
            before = snapshot(current)
            after = {**snapshot(record), **new_links}
            after.update({name: before[name] for name in before if name not in after})
            changes = diff(model, before, after)
            if not changes and not children:
                return SaveResult(record=record, created=False, changed=False)
            record.version = current.version + 1
        else:
            changes = []
            record.version = 1
        _after_change(record, open_set)
        _write(record, relations, force_insert=adding)
        open_set.touched.add((model, record.pk))
        for child in children:
            if child.delete:
                delete_record(record=child.record, actor=actor)
            else:
                save_record(record=child.record, actor=actor, relations=child.relations)
        _record_history(record, "+" if adding else "~")
        if record.version_parent:
            _touch(getattr(record, record.version_parent), open_set)
    return SaveResult(record=record, created=adding, changed=True, changes=changes)


# --- delete ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """A link from one record to another, through one field."""

    record: models.Model
    field: str
    target: models.Model

    def __str__(self):
        label = self.record._meta.get_field(self.field).verbose_name
        return f"{self.record._meta.verbose_name} “{self.record}” → {label}"


@dataclass
class DeletionPlan:
    """What deleting a record does: the parts deleted with it, the links removed, what refuses it."""

    record: models.Model
    cascaded: list
    detached: list
    blocked: list


def _incoming_links(record):
    """Every link from another record to this one: (model, field, substantive?)."""
    model = type(record)
    for relation in model._meta.get_fields(include_hidden=True):
        if not relation.auto_created or relation.concrete:
            continue
        if relation.many_to_many or relation.one_to_many or relation.one_to_one:
            yield relation.related_model, relation.field
    # A symmetrical link (an indicator compared with another) has no reverse relation.
    for link in link_fields(model):
        if link.related_model is model and getattr(link.remote_field, "symmetrical", False):
            yield model, link


def deletion_plan(record, using=DEFAULT_DB_ALIAS):
    """What deleting ``record`` would do, without doing it."""
    collector = NestedObjects(using=using)
    collector.collect([record])
    cascaded = [
        obj
        for model, objs in collector.data.items()
        if not model._meta.auto_created
        for obj in objs
        if not (model is type(record) and obj.pk == record.pk)
    ]
    blocked = [Link(obj, _protecting_field(obj, record), record) for obj in collector.protected]
    detached = []
    seen = set()
    for other_model, link in _incoming_links(record):
        # Only the tracker's own records: not the history tables, nor the link tables.
        if not hasattr(other_model, "version_parent") or (other_model, link.name) in seen:
            continue
        seen.add((other_model, link.name))
        if link.many_to_many:
            others = other_model._base_manager.filter(**{link.name: record})
            if other_model is type(record):
                others = others.exclude(pk=record.pk)  # a record's link to itself goes with it
            substantive = link.name in getattr(other_model, "substantive_links", ())
            for other in others:
                (blocked if substantive else detached).append(Link(other, link.name, record))
        elif link.remote_field.on_delete is models.SET_NULL:
            for other in other_model._base_manager.filter(**{link.name: record}):
                detached.append(Link(other, link.name, record))
    return DeletionPlan(record=record, cascaded=cascaded, detached=detached, blocked=blocked)


def _protecting_field(obj, record):
    for model_field in obj._meta.concrete_fields:
        if (
            model_field.is_relation
            and model_field.related_model is type(record)
            and getattr(obj, model_field.attname) == record.pk
        ):
            return model_field.name
    return obj._meta.concrete_fields[0].name


def _tombstone(instance, open_set):
    try:
        key = instance.natural_key()
    except (AttributeError, models.ObjectDoesNotExist):
        return
    Tombstone.objects.update_or_create(
        model=instance._meta.label_lower,
        natural_key=Tombstone.encode(key),
        defaults={"object_id": instance.pk, "changeset": open_set.record},
    )


def delete_record(*, record, actor, expected_version=None, message=""):
    """Delete ``record`` with its parts, removing the links others have to it.

    Refused (``DeletionRefused``) when another record depends on it: a protected
    reference, or a link that is the other record's substance (a ban's target).  The
    deletion is remembered (a tombstone per record), so fixture loads never bring it
    back, and ``undelete`` restores it with its parts and links.
    """
    model = type(record)
    with changeset(actor, kind=ChangeKind.DELETE, message=message) as open_set:
        current = _lock(model, record.pk)
        _check_version(current, expected_version)
        plan = deletion_plan(current)
        if plan.blocked:
            raise DeletionRefused(current, plan.blocked)
        for link in plan.detached:
            other = _lock(type(link.record), link.record.pk)
            model_field = other._meta.get_field(link.field)
            if model_field.many_to_many:
                other.skip_history_when_saving = True
                try:
                    getattr(other, link.field).remove(current)
                finally:
                    del other.skip_history_when_saving
            else:
                setattr(other, model_field.attname, None)
            _commit_link_change(other, open_set)
        for instance in [current, *plan.cascaded]:
            _tombstone(instance, open_set)
        parent = getattr(current, current.version_parent) if current.version_parent else None
        _mark_for_derivation(current, open_set)
        current.delete()
        if parent is not None and type(parent)._base_manager.filter(pk=parent.pk).exists():
            _touch(parent, open_set)
    return plan


# --- history: children, restore, undelete ---------------------------------------------------


def child_relations(model):
    """(child model, field) for every kind of part whose version rolls up into ``model``."""
    from django.apps import apps

    return [
        (child, child.version_parent)
        for child in apps.get_app_config("tracker").get_models()
        if getattr(child, "version_parent", None) and child._meta.get_field(child.version_parent).related_model is model
    ]


def _depth(model):
    depth = 0
    while model.version_parent:
        model = model._meta.get_field(model.version_parent).related_model
        depth += 1
    return depth


def _from_row(row):
    model = row.instance_type
    instance = model(**{f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields})
    return instance


def _links_of(row):
    """The links a history row recorded, keeping only targets that still exist."""
    model = row.instance_type
    links = {}
    for link in link_fields(model):
        ids = _history_link_targets(row, link)
        links[link.name] = list(link.related_model._base_manager.filter(pk__in=ids).values_list("pk", flat=True))
    return links


def restore_version(*, record, history_id, actor, expected_version=None, message=""):
    """Make ``record`` (with its parts) what it was in one of its history rows: a new change."""
    model = type(record)
    row = record.history.get(history_id=history_id)
    if row.history_type == "-":
        raise ValidationError(_("A deletion is undone from the journal of changes, not restored as a version."))
    note = message or f"Restored version {row.version} of {row.history_date:%Y-%m-%d %H:%M} UTC."
    with changeset(actor, kind=ChangeKind.RESTORE, message=note) as open_set:
        current = _lock(model, record.pk)
        _check_version(current, expected_version)
        restored = _from_row(row)
        restored._state.adding = False
        result = save_record(
            record=restored, actor=actor, relations=_links_of(row), expected_version=current.version, message=note
        )
        changed = _restore_parts(model, current.pk, changeset_end(row), actor, open_set)
        if changed and not result.changed:
            _touch(current, open_set)
    return restored


def _restore_parts(model, pk, moment, actor, open_set):
    """Make the parts of record ``pk`` what they were at ``moment``; True if any changed."""
    changed = False
    for child_model, parent_field in child_relations(model):
        then = {
            instance.pk: instance for instance in child_model.history.as_of(moment).filter(**{f"{parent_field}_id": pk})
        }
        now = {instance.pk: instance for instance in child_model._base_manager.filter(**{parent_field: pk})}
        for child_pk in now.keys() - then:
            delete_record(record=now[child_pk], actor=actor)
            changed = True
        for child_pk in then:
            row = child_model.history.filter(id=child_pk, history_date__lte=moment).order_by("-history_date").first()
            restored = _from_row(row)
            restored._state.adding = child_pk not in now
            if restored._state.adding:
                Tombstone.objects.filter(model=child_model._meta.label_lower, object_id=child_pk).delete()
            result = save_record(record=restored, actor=actor, relations=_links_of(row))
            changed |= result.changed
            changed |= _restore_parts(child_model, child_pk, moment, actor, open_set)
    return changed


def changeset_end(row):
    """When the change set that wrote a history row finished writing: the whole version's moment."""
    if row.changeset_id is None:
        return row.history_date
    ends = [
        history_model(model).objects.filter(changeset=row.changeset_id).aggregate(end=models.Max("history_date"))["end"]
        for model in record_models()
    ]
    return max(end for end in ends if end is not None)


def deleted_records(deletion):
    """The history rows of the records a deletion change set removed, parents first."""
    rows = []
    for model in record_models():
        rows.extend(history_model(model).objects.filter(changeset=deletion, history_type="-"))
    return sorted(rows, key=lambda row: (_depth(row.instance_type), row.history_date))


def undelete(*, deletion, actor, message=""):
    """Undo a deletion change set: the records come back with their parts and links."""
    if deletion.kind != ChangeKind.DELETE:
        raise ValidationError(_("%(change)s is not a deletion.") % {"change": deletion})
    if deletion.undone_by_id:
        raise ValidationError(
            _("%(change)s was already undone by %(undo)s.") % {"change": deletion, "undo": deletion.undone_by}
        )
    with changeset(actor, kind=ChangeKind.UNDELETE, message=message or f"Undid: {deletion}") as open_set:
        restored = {}
        for row in deleted_records(deletion):
            model = row.instance_type
            instance = _from_row(row)
            before = (
                model.history.filter(id=row.id, history_date__lt=row.history_date)
                .exclude(history_type="-")
                .order_by("-history_date")
                .first()
            )
            try:
                instance.full_clean()
            except ValidationError as error:
                raise ValidationError(
                    _("%(record)s cannot be restored: %(errors)s")
                    % {"record": describe(instance).capitalize(), "errors": "; ".join(error.messages)}
                ) from error
            _write(instance, _links_of(before) if before else None, force_insert=True)
            _record_history(instance, "+")
            open_set.touched.add((model, instance.pk))
            restored.setdefault(model, set()).add(instance.pk)
        for model in record_models():
            for row in history_model(model).objects.filter(changeset=deletion, history_type="~"):
                _relink(row, restored, open_set)
        Tombstone.objects.filter(changeset=deletion).delete()
        deletion.undone_by = open_set.record
        deletion.save(update_fields=["undone_by"])
    return restored


def _relink(row, restored, open_set):
    """Put back the links a deletion removed from another record (``row`` is its history then)."""
    model = row.instance_type
    other = model._base_manager.select_for_update().filter(pk=row.id).first()
    previous = row.prev_record
    if other is None or previous is None:
        return
    changed = False
    for link in link_fields(model):
        lost = _history_link_targets(previous, link) - _history_link_targets(row, link)
        back = lost & restored.get(link.related_model, set())
        if back:
            other.skip_history_when_saving = True
            try:
                getattr(other, link.name).add(*back)
            finally:
                del other.skip_history_when_saving
            changed = True
    for model_field in content_fields(model):
        if not model_field.is_relation:
            continue
        old = getattr(previous, model_field.attname)
        if getattr(row, model_field.attname) is None and old in restored.get(model_field.related_model, set()):
            setattr(other, model_field.attname, old)
            changed = True
    if changed:
        _commit_link_change(other, open_set)


def history_rows(record):
    """A record's history rows, newest first, with their change sets."""
    return record.history.select_related("changeset", "history_user").order_by("-history_date", "-history_id")
