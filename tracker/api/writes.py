"""Turning a request's JSON into a record, its links and its parts, for the services.

The API writes through ``tracker.services`` exactly as the admin does; this module only
reads the body: values by each model field's own ``to_python``, linked records by
natural key (a key, or the summary object the API itself returns), parts (events,
citations, details, aliases ...) as lists that replace the stored ones, matched by
their natural keys so unchanged parts stay the same rows.  Every problem is collected
and reported together, by field, as DRF does; nothing is written while any remains.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models

from tracker.api.shapes import PLAIN_SUMMARIES, RECORD_FIELDS, RESOURCES, plain
from tracker.models import DETAIL_MODELS, InstrumentCitation, PolicyInstrument
from tracker.services import ChildChange
from tracker.services.records import LIFECYCLE_FIELDS, validate_relations

# Fields the API shows but never takes: names and addresses it computes, and the services' own.
READ_ONLY = frozenset({"name", "url", "details_type", *RECORD_FIELDS})


class BodyErrors(Exception):
    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


def _messages(error):
    if hasattr(error, "message_dict"):
        return error.message_dict
    return {"non_field_errors": error.messages}


def key_of(model):
    if model in RESOURCES:
        return RESOURCES[model].key
    if model in PLAIN_SUMMARIES:
        return PLAIN_SUMMARIES[model][0]
    raise KeyError(model)


def _expected(model_field):
    if isinstance(model_field, models.BooleanField):
        return "true or false"
    if isinstance(model_field, models.DateField):
        return "a date (YYYY-MM-DD)"
    if isinstance(model_field, models.DecimalField | models.IntegerField):
        return "a number"
    return "text"


class Body:
    """Reads one object of the body onto a model instance; collects errors by field."""

    def __init__(self, data, path=""):
        if not isinstance(data, dict):
            raise BodyErrors({"non_field_errors": [f"Expected a JSON object{' at ' + path if path else ''}."]})
        self.data = data
        self.errors = {}
        self.renamed = {}  # model field name -> the body's name for it (a measure's url is document_url)

    def add(self, name, message):
        self.errors.setdefault(self.renamed.get(name, name), []).append(message)

    def check(self, instance, fields):
        """The model's own rules on each field the body sets (choices, blank, length, format),
        reported here, so that a part's errors stay where the part was given (details.legal_form),
        not reported bare by the services' full_clean() later."""
        skip = {f.name for f in instance._meta.concrete_fields if f.is_relation or f.name not in fields}
        skip |= {name for name in fields if self.renamed.get(name, name) in self.errors}  # reported already
        try:
            instance.clean_fields(exclude=skip)
        except DjangoValidationError as error:
            for name, messages in error.message_dict.items():
                for message in messages:
                    self.add(name, message)

    def scalar(self, instance, model_field, value):
        if value is None:
            if model_field.null:
                setattr(instance, model_field.attname, None)
                return
            if isinstance(model_field, models.CharField | models.TextField):
                value = ""
            else:
                self.add(model_field.name, "This field may not be null.")
                return
        if isinstance(value, dict | list):
            self.add(model_field.name, "Expected a single value, not an object or a list.")
            return
        if isinstance(value, bool) != isinstance(model_field, models.BooleanField):
            self.add(model_field.name, f"Expected {_expected(model_field)}, not {value!r}.")
            return
        if isinstance(model_field, models.CharField | models.TextField) and not isinstance(value, str):
            self.add(model_field.name, f"Expected text, not {value!r}.")
            return
        try:
            setattr(instance, model_field.attname, model_field.to_python(value))
        except DjangoValidationError as error:
            for message in error.messages:
                self.add(model_field.name, message)
        except (TypeError, ValueError, ArithmeticError):
            self.add(model_field.name, f"Expected {_expected(model_field)}, not {value!r}.")

    def reference(self, model_field, value, resolve):
        target = model_field.related_model
        if target is InstrumentCitation:
            if value is None:
                return None
            if not (
                isinstance(value, dict)
                and isinstance(value.get("source"), str)
                and isinstance(value.get("locator"), str)
            ):
                self.add(model_field.name, 'Name the citation as {"source": slug, "locator": ...}.')
                return None
            found = resolve.citation(value["source"], value["locator"])
            if found is None:
                self.add(model_field.name, "The measure has no citation of that source at that locator.")
            return found
        if isinstance(value, dict):
            value = value.get(key_of(target))
        if value is None:
            return None
        if not isinstance(value, str | int):
            self.add(model_field.name, f"Name the {target._meta.verbose_name} by its {key_of(target)}.")
            return None
        found = resolve(target, value)
        if found is None:
            self.add(model_field.name, f"No {target._meta.verbose_name} has the {key_of(target)} {value!r}.")
        return found

    def fill(self, instance, fields, links, resolve, partial):
        """Set ``fields`` and foreign-key ``links`` from the body; returns many-to-many links."""
        model = type(instance)
        relations = {}
        for name in fields:
            api_name = RESOURCES[model].api_name(name) if model in RESOURCES else name
            if api_name != name:
                self.renamed[name] = api_name
            if api_name not in self.data:
                continue  # not given: a new record takes the model's default, a stored one keeps its value
            self.scalar(instance, model._meta.get_field(name), self.data[api_name])
        for name in links:
            if name not in self.data:
                continue
            model_field = model._meta.get_field(name)
            value = self.data[name]
            if model_field.many_to_many:
                if value is None:
                    value = []
                if not isinstance(value, list):
                    self.add(name, "Expected a list.")
                    continue
                found = [self.reference(model_field, item, resolve) for item in value]
                relations[name] = [item for item in found if item is not None]
            else:
                setattr(instance, name, self.reference(model_field, value, resolve))
        return relations

    def unknown(self, known):
        for name in self.data:
            if name not in known and name not in READ_ONLY:
                self.add(name, "Unknown field.")


class Resolver:
    """Finds linked records by natural key; one query per distinct key."""

    def __init__(self):
        self.cache = {}
        self.citations = {}  # (source slug, locator) -> the measure's citation, stored or in the body
        self.instrument = None

    def citation(self, source, locator):
        found = self.citations.get((source, locator))
        if found is None and self.instrument is not None and self.instrument.pk is not None:
            found = InstrumentCitation._base_manager.filter(
                instrument=self.instrument, source__slug=source, locator=locator
            ).first()
        return found

    def __call__(self, model, value):
        cache_key = (model, value)
        if cache_key not in self.cache:
            self.cache[cache_key] = model._base_manager.filter(**{key_of(model): value}).first()
        return self.cache[cache_key]


def _has_events(instance, data):
    if "events" in data:
        return bool(data["events"])
    return instance is not None and instance.pk is not None and instance.events.exists()


def _stored_lifecycle(instance, name):
    if instance is None or instance.pk is None:
        instance = PolicyInstrument()  # a new measure: the defaults stand until its events are read
    return plain(getattr(instance, name))


def read_record(resource, data, instance=None, partial=False):
    """(record, relations, children) from the body, or ``BodyErrors`` naming every field."""
    resolve = Resolver()
    body = Body(data)
    model = resource.model
    record = instance if instance is not None else model()
    writable = list(resource.fields)
    if model is PolicyInstrument and _has_events(instance, data):
        # Status and lifecycle dates follow from the events (as in the admin): a body may repeat
        # them as they stand, never change them.
        writable = [name for name in resource.fields if name not in LIFECYCLE_FIELDS]
        for name in LIFECYCLE_FIELDS:
            if name in data and plain(data[name]) != _stored_lifecycle(instance, name):
                body.add(name, "This follows from the measure's events: change or add an event instead.")
    relations = body.fill(record, writable, resource.links, resolve, partial)
    body.check(record, writable)
    known = {resource.api_name(name) for name in resource.fields} | set(resource.links)
    known |= {part.name for part in resource.parts if not part.one}
    if any(part.one for part in resource.parts):
        known.add("details")
    body.unknown(known)
    if not partial and instance is None:
        for name in (resource.key,):
            if name not in data:
                body.add(name, "This field is required.")
    children = []
    errors = dict(body.errors)
    resolve.instrument = record if model is PolicyInstrument else None
    # Citations first: events and details name them.
    for part in sorted(resource.parts, key=lambda part: part.name != "citations"):
        if part.one:
            continue
        if part.name in data:
            found, part_errors = read_parts(part, data[part.name], record, resolve)
            children.extend(found)
            if part_errors:
                errors[part.name] = part_errors
            if part.model is InstrumentCitation:
                for child in found:
                    if not child.delete and child.record.source_id is not None:
                        resolve.citations[(child.record.source.slug, child.record.locator)] = child.record
    if model is PolicyInstrument and "details" in data:
        found, detail_errors = read_details(resource, data["details"], record, resolve)
        children[:0] = found
        if detail_errors:
            errors["details"] = detail_errors
    if errors:
        raise BodyErrors(errors)
    return record, relations, order_children(children)


def order_children(children):
    """Citations before events (an event names its citation), removals first."""

    def rank(child):
        return (not child.delete, type(child.record) is not InstrumentCitation)

    return sorted(children, key=rank)


def _part_key(part, row):
    """How a stored part is matched with one in the body: its natural key without the parent."""
    key = row.natural_key()
    return tuple(str(k) for k in key[1:]) if isinstance(key, tuple) else key


def read_parts(part, items, parent, resolve):
    """ChildChanges that make the parent's ``part`` what ``items`` says: update, add, remove."""
    if not isinstance(items, list):
        return [], ["Expected a list."]
    existing = {}
    if parent.pk is not None:
        for row in part.model._base_manager.filter(**{part.parent_field: parent.pk}):
            existing[_part_key(part, row)] = row
    children, errors, kept = [], {}, set()
    for index, item in enumerate(items):
        body = Body(item) if isinstance(item, dict) else None
        if body is None:
            errors[str(index)] = {"non_field_errors": ["Expected a JSON object."]}
            continue
        row = part.model(**{part.parent_field: parent})
        relations = body.fill(row, part.fields, part.links, resolve, False)
        body.unknown({*part.fields, *part.links, *(inner.name for inner in part.parts)})
        if body.errors:
            errors[str(index)] = body.errors
            continue
        try:
            key = _part_key(part, row)
        except (AttributeError, part.model.DoesNotExist, ValueError):
            key = None
        match = existing.get(key)
        if match is not None:
            # The stored part, changed by what the body gives: what it leaves out is kept, so a
            # citation named as the API shows it (source and locator) keeps its quote.
            row, relations = match, body.fill(match, part.fields, part.links, resolve, False)
            kept.add(key)
        body.check(row, part.fields)
        if body.errors:
            errors[str(index)] = body.errors
            continue
        children.append(ChildChange(record=row, relations=relations))
        for inner in part.parts:
            if inner.name in item:
                found, inner_errors = read_parts(inner, item[inner.name], row, resolve)
                children.extend(found)
                if inner_errors:
                    errors.setdefault(str(index), {})[inner.name] = inner_errors
    for key, row in existing.items():
        if key not in kept:
            children.insert(0, ChildChange(record=row, delete=True))
    return children, errors


def read_details(resource, data, instrument, resolve):
    """The kind-specific detail of a measure, nested in its body."""
    model = DETAIL_MODELS.get(instrument.kind)
    if data is None:
        existing = instrument.existing_detail() if instrument.pk else None
        return ([ChildChange(record=existing, delete=True)] if existing else []), {}
    if model is None:
        return [], {"non_field_errors": [f"A measure of kind {instrument.kind!r} has no details."]}
    part = next(part for part in resource.parts if part.one and part.model is model)
    if not isinstance(data, dict):
        return [], {"non_field_errors": ["Expected a JSON object."]}
    body = Body(data)
    existing = instrument.existing_detail() if instrument.pk else None
    children = []
    if existing is not None and type(existing) is not model:
        children.append(ChildChange(record=existing, delete=True))
        existing = None
    row = existing if existing is not None else model(instrument=instrument)
    relations = body.fill(row, part.fields, part.links, resolve, False)
    body.unknown({"type", *part.fields, *part.links, *(inner.name for inner in part.parts)})
    body.check(row, part.fields)
    try:
        validate_relations(row, relations)  # a ban's scopes, a pilot zone's places
    except DjangoValidationError as error:
        for name, messages in _messages(error).items():
            for message in messages:
                body.add(name, message)
    if body.errors:
        return [], body.errors
    children.append(ChildChange(record=row, relations=relations))
    errors = {}
    for inner in part.parts:
        if inner.name in data:
            found, inner_errors = read_parts(inner, data[inner.name], row, resolve)
            children.extend(found)
            if inner_errors:
                errors[inner.name] = inner_errors
    return children, errors


def validation_errors(error):
    """A Django ValidationError from the services as the API's error body."""
    return _messages(error)
