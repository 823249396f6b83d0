"""Read vocabulary of the tracker: the questions analysts ask of measures."""

import datetime
import json
import re
import unicodedata
from dataclasses import dataclass, replace
from functools import cache, lru_cache, reduce
from operator import add, or_

from django.db import connections, models
from django.db.models import Case, Count, Expression, F, FloatField, Lookup, Q, Value, When
from django.db.models.expressions import Col
from django.db.models.functions import Length, Substr
from django.utils.text import smart_split, unescape_string_literal

from tracker.choices import InstrumentStatus

# Statuses of a measure never adopted (a bill only introduced): not in force, whatever its dates.
NOT_ADOPTED = (InstrumentStatus.PROPOSED,)
# Statuses saying a measure has stopped having effect by now, though not always since when (a
# rescission, expiry or supersession the sources do not date): not in force from today on.
STOPPED = (
    InstrumentStatus.SUSPENDED,
    InstrumentStatus.EXPIRED,
    InstrumentStatus.SUPERSEDED,
    InstrumentStatus.RESCINDED,
)


def in_force_conditions(on, today=None):
    """The ``in_force`` rule as a condition, for today's table and for history rows alike.

    Written as two branches on plain columns, begun by its effective date or (none being
    known) by its announcement, so that PostgreSQL can read each from an index (the first
    from ``instrument_in_force_idx``, the second from migration 0014's on ``announced``)
    instead of testing a COALESCE on every row.  A date known only to the month or year
    (stored as the period's first day) spans its period: an end in "2021-12" leaves the
    measure in force through 31 December 2021.
    """
    today = today or datetime.date.today()
    month, year = on.replace(day=1), on.replace(month=1, day=1)

    def not_before(name, strictly=False):
        # The date, or the end of its month or year, is on or after ``on`` (after, if strictly).
        day = Q(**{f"{name}__gt" if strictly else f"{name}__gte": on})
        return (
            Q(**{f"{name}__isnull": True})
            | day
            | Q(**{f"{name}_precision": "month", f"{name}__gte": month})
            | Q(**{f"{name}_precision": "year", f"{name}__gte": year})
        )

    ended = NOT_ADOPTED + STOPPED if on >= today else NOT_ADOPTED
    begun = Q(effective_from__lte=on) | Q(effective_from__isnull=True, announced__lte=on)
    return begun & not_before("effective_until") & not_before("rescinded", strictly=True) & ~Q(status__in=ended)


class ReviewedQuerySet(models.QuerySet):
    """Reads shared by every reviewed record."""

    def published(self):
        """Records readers may see: published at least once (a revision in review keeps them visible)."""
        return self.filter(published_version__isnull=False)


class PolicyInstrumentQuerySet(ReviewedQuerySet):
    def of_kind(self, *kinds):
        return self.filter(kind__in=kinds)

    def in_force(self, on=None):
        """Measures in effect on a day (today by default): adopted, begun by it, not yet ended.

        Begun: took effect on or before the day; a measure whose effective date is unknown
        counts from its announcement (a plan takes effect when it is issued).  Never in
        force: a measure not adopted (``NOT_ADOPTED``: a bill only proposed), whatever its
        dates, and one with neither date, since nothing says it had begun (``dates_unknown``
        lists those).  Ended: past its ``effective_until`` or rescinded on or before the
        day; from today on, also a measure whose status says it has stopped (``STOPPED``:
        suspended, expired, superseded, rescinded), even when the sources give no date.  A
        date known only to the month or year counts as its whole period: a measure effective
        "2019-08" is in force from 1 August 2019, one that ended "2021-12" until 31 December.
        """
        return self.filter(in_force_conditions(on or datetime.date.today()))

    def dates_unknown(self):
        """Adopted measures whose start ``in_force`` cannot place: neither an effective nor an
        announcement date.  ``in_force`` never lists them; this does, so they are not lost."""
        return self.filter(effective_from__isnull=True, announced__isnull=True).exclude(status__in=NOT_ADOPTED)

    # Where ``search`` looks: the measure's own text, and the names of the bodies that
    # issued it or that it targets, in English, Chinese, abbreviations and aliases.  The
    # admin shows its search box because this is set; migration 0012 indexes these columns
    # (trigram GIN indexes on PostgreSQL), so a change here needs a migration there too.
    SEARCH_FIELDS = (
        "slug",
        "title_en",
        "title_zh",
        "summary_en",
        "summary_zh",
        "document_number",
        "issuing_body__name_en",
        "issuing_body__name_zh",
        "issuing_body__abbreviation",
        "issuing_body__aliases__name",
        "targets__name_en",
        "targets__name_zh",
        "targets__abbreviation",
        "targets__aliases__name",
    )

    def search(self, text, ranked=True):
        """Measures matching every word of ``text``, each annotated with its ``search_rank``.

        The one search of the tracker: the admin's search box and the API call it.  A word
        matches a measure when it is part of (case-insensitively) its title, slug, document
        number or summary, or of the name, abbreviation or alias of its issuer or of one of
        its targets, in English or Chinese: "Deep" finds DeepSeek, 人工智能 a title holding
        it, 深度求索 the measures against DeepSeek.  Each word narrows the result (as in
        Django's admin); a phrase in quotes is one word.  On PostgreSQL a single word of
        four or more letters, in a script written with spaces, also matches an
        organization's name it closely resembles (pg_trgm), so "Deepseak" finds DeepSeek.

        ``search_rank`` adds up, word by word, the points of the best place the word was
        found (``SEARCH_TIERS``: a title above the slug or document number, above an
        issuer's or target's name, above the summary) and, below one point, how much of
        that field the word makes up, so a title that is just the word ranks first.  Order
        by ``("-search_rank", "slug")``.  Without words every measure comes back, ranked 0.
        A list never ordered by it (the admin's) passes ``ranked=False`` and is not annotated:
        the rank's expression, a condition per field and form of each word, costs a search
        some 2 ms to build.

        Each measure comes back once, without DISTINCT: a word is a condition on the
        measure's own row (see ``SearchTerm``), so nothing is joined.  Making the search
        costs one small query per word, two when it names organizations, and on PostgreSQL
        one or two more to learn whether few measures hold it (``SearchTerm.found``).
        """
        words = search_words(text)
        if not words:
            return self.annotate(search_rank=Value(0.0, output_field=FloatField())) if ranked else self
        postgres = connections[self.db].vendor == "postgresql"
        terms = [SearchTerm.of(word, postgres=postgres, using=self.db) for word in words]
        matching = self
        for term in terms:
            matching = matching.filter(term.matches())
        if not ranked:
            return matching
        return matching.annotate(search_rank=reduce(add, (term.rank() for term in terms)))

    def in_country(self, code):
        """Measures of a country and of its states, provinces and cities (codes start with the country's)."""
        return self.filter(Q(jurisdiction__code=code) | Q(jurisdiction__code__startswith=f"{code}-"))

    def layer_kind_matrix(self, countries=("CN", "US")):
        """The report's Figure 1 as data: {(layer code, kind, country): number of measures}.

        One grouped query; a measure on several layers counts once in each.
        """
        country = Substr("jurisdiction__code", 1, 2)
        rows = (
            self.filter(layers__isnull=False)
            .annotate(country=country)
            .filter(country__in=countries)
            .values("layers__code", "kind", "country")
            .annotate(measures=Count("pk", distinct=True))
            .order_by()
        )
        return {(row["layers__code"], row["kind"], row["country"]): row["measures"] for row in rows}

    def with_related(self):
        """What a list of measures shows, fetched in a fixed number of queries."""
        from tracker.models.details import DETAIL_MODELS

        details = [model.accessor_name() for model in dict.fromkeys(DETAIL_MODELS.values())]
        return self.select_related("jurisdiction", "issuing_body", "part_of", *details).prefetch_related(
            "layers", "co_issuers", "products", "targets", "affected_jurisdictions"
        )


def english_text():
    """The measure's English text as a full-text document: what migration 0018's stored column
    ``english_document`` holds (``EnglishDocument`` reads it)."""
    from django.contrib.postgres.search import SearchVector

    return SearchVector("title_en", "summary_en", config="english")


# The measure's column holding ``english_text()``, computed and stored by PostgreSQL (migration
# 0018); Django's models do not know it, so nothing writes it but PostgreSQL.
ENGLISH_DOCUMENT = "english_document"


class EnglishDocument(Expression):
    """The measure's stored English document (``ENGLISH_DOCUMENT``), on PostgreSQL.

    Compared with a query, it costs a row a comparison where ``english_text()`` would compute
    the document of each row tested, and its GIN index serves a bitmap scan alike.  Resolved
    into the column of the query's own table (its alias, relabelled in a subquery).
    """

    def _resolve_output_field(self):
        from django.contrib.postgres.search import SearchVectorField

        return SearchVectorField()

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        return Col(query.get_initial_alias(), english_document_field())

    def as_sql(self, compiler, connection):
        raise TypeError("EnglishDocument is a column of a measures' query: resolve it in one.")


@cache
def english_document_field():
    """``ENGLISH_DOCUMENT`` as a field of the measure's table, for the query's column only: it is
    not added to the model, whose state and writes leave it out."""
    from django.contrib.postgres.search import SearchVectorField

    from tracker.models import PolicyInstrument

    field = SearchVectorField()
    field.set_attributes_from_name(ENGLISH_DOCUMENT)
    field.model = PolicyInstrument
    return field


def search_words(text):
    """The words of a search: split on spaces, a phrase in quotes kept whole (as Django's admin does)."""
    words = []
    for word in smart_split((text or "").strip()):
        if word[:1] in {'"', "'"} and word[-1:] == word[:1] and len(word) > 1:
            word = unescape_string_literal(word)
        if word:
            words.append(word)
    return words


# Chinese is written in simplified characters (the mainland) and in traditional ones (Taiwan,
# Hong Kong), and each side has words of its own for some things (人工智能 / 人工智慧, 软件 /
# 軟體).  A Chinese word is looked for in every form OpenCC gives it: first to simplified,
# character by character and as a Taiwanese phrase is said on the mainland, then each of those
# back to traditional, as written in general, in Taiwan, in Taiwan's own words, and in Hong Kong
# (臺灣 / 台灣: the round trip through 台湾 finds both).
TO_SIMPLIFIED = ("t2s", "tw2sp")
TO_TRADITIONAL = ("s2t", "s2tw", "s2twp", "s2hk")


@cache
def chinese_converter(config):
    import opencc

    return opencc.OpenCC(config)


def is_chinese(character):
    """A character of a script written without spaces (wide or fullwidth): Chinese, as a rule."""
    return unicodedata.east_asian_width(character) in {"W", "F"}


@lru_cache(maxsize=4096)
def script_variants(word):
    """The word as written in either script: itself first, then its simplified and traditional
    forms (OpenCC), each once.  A word without Chinese is just itself.

    A search word matches a text holding any of its forms, so 人工智能 and 人工智慧, 华为 and
    華為 find the same measures.  The text is searched as stored: nothing is converted on the
    way in, and the columns' indexes serve each form.
    """
    if not any(is_chinese(character) for character in word):
        return (word,)
    simplified = dict.fromkeys([word, *(chinese_converter(config).convert(word) for config in TO_SIMPLIFIED)])
    traditional = [chinese_converter(config).convert(form) for form in simplified for config in TO_TRADITIONAL]
    return tuple(dict.fromkeys([*simplified, *traditional]))


# Where a word was found, best first, and the points it earns there; ``ORGANIZATION_NAMES``
# stands for the names, abbreviations and aliases of the measure's issuer and targets.
ORGANIZATION_NAMES = "organization names"
# ... and, last, for the English words of the title and summary as PostgreSQL's full-text
# search reads them, stemmed: "controlling" finds "export controls" (migration 0018's column).
ENGLISH_WORDS = "english words"
SEARCH_TIERS = (
    ("title_en", 4.0),
    ("title_zh", 4.0),
    ("slug", 3.0),
    ("document_number", 3.0),
    (ORGANIZATION_NAMES, 2.0),
    ("summary_en", 1.0),
    ("summary_zh", 1.0),
    (ENGLISH_WORDS, 0.5),
)
# Below one point, so a word's share of a field never lifts it into the tier above.
SHARE_POINTS = 0.9
# The shortest word also matched by resemblance: shorter ones have too few trigrams for a
# resemblance to mean anything.
RESEMBLANCE_MIN_LENGTH = 4
# The most measures targeted by a word's organizations written into a search as a list of
# ids (see ``SearchTerm``).  A longer list made PostgreSQL (at its default random_page_cost
# of 4, with 100,000 measures) read the whole table, testing each row's text, rather than
# its indexes: several times slower than the UNION used beyond it.
TARGETED_LIMIT = 3000
# The most measures holding a word in their own text written into a search as a list of ids
# (``SearchTerm.found``); the planner's estimate of them is checked against it first.
FOUND_LIMIT = 1000
# A word that pg_trgm can look up in the columns' trigram indexes: three letters or digits in
# a row (a shorter word, such as the Chinese 华为, has no trigram, so every row is read).
TRIGRAM = re.compile(r"[^\W_]{3}")


@dataclass(frozen=True)
class SearchTerm:
    """One word of a search, with what it names: organizations and the measures they target.

    Both are looked up when the term is made, in two small queries, and written into the
    search's query as lists of ids: the planner then knows how many measures they are,
    reads them from the primary key's index, and checks a list against a hash.  As
    subqueries it guessed them many and read every measure.  A word naming organizations
    that more than ``TARGETED_LIMIT`` measures target keeps a subquery (see ``matches``).

    On PostgreSQL the measures whose own text holds a word are looked up too, when they are
    few (``found``), and join the same list.  A page of a search is read in the list's
    order (by slug, from its index), testing each row until 50 match: cheap for a common
    word, but for a rare one (DeepSeek: 16 measures hold it, 1,013 target it) thousands of
    rows, each tested with eight text conditions that the planner prices like a comparison
    of integers, and a word nothing holds (a misspelling) had every measure tested, 0.4 s.
    A list of ids costs a row a hash lookup, whichever plan reads it.
    """

    word: str
    postgres: bool
    organizations: tuple = ()
    targeted: tuple | None = ()
    found: tuple | None = None

    @classmethod
    def of(cls, word, postgres, using):
        from tracker.models import Organization, OrganizationAlias, PolicyInstrument

        term = cls(word, postgres)
        term = replace(term, found=term.holding(using))
        names = term.contained("name_en") | term.contained("name_zh") | term.contained("abbreviation")
        aliases = term.contained("name")
        if term.resemblance:
            names |= term.resembled("name_en") | term.resembled("name_zh")
            aliases |= term.resembled("name")
        organizations = tuple(
            Organization._base_manager.using(using)
            .filter(names | Q(pk__in=OrganizationAlias._base_manager.filter(aliases).values("organization_id")))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not organizations:
            return term
        targeted = tuple(
            PolicyInstrument.targets.through.objects.using(using)
            .filter(organization__in=organizations)
            .order_by("policyinstrument_id")
            .values_list("policyinstrument_id", flat=True)
            .distinct()[: TARGETED_LIMIT + 1]
        )
        return replace(
            term, organizations=organizations, targeted=targeted if len(targeted) <= TARGETED_LIMIT else None
        )

    def holding(self, using):
        """Ids of the measures whose own text holds the word (``own``), when at most
        ``FOUND_LIMIT`` do, on PostgreSQL; otherwise None, and the search tests the text.

        The planner's plan is asked first, and the ids read only when it finds them from the
        indexes and estimates them few: its statistics (the columns' sampled values, the
        documents' most common words) know a common word, whose matches are then not read at
        all.  Read with a LIMIT alone, a common word's would have been found by reading the
        table in order and testing every row until a thousand match (40–100 ms).  A word
        without a trigram is not looked up (no index finds it), nor one in a table small
        enough for the planner to read whole, where testing the rows costs no more.
        """
        if not self.postgres or not all(TRIGRAM.search(variant) for variant in self.variants):
            return None
        from tracker.models import PolicyInstrument

        holding = PolicyInstrument._base_manager.using(using).filter(self.own()).order_by().values_list("pk", flat=True)
        (explained,) = json.loads(holding.explain(format="json"))
        plan = explained["Plan"]
        if plan["Plan Rows"] > FOUND_LIMIT or reads_a_whole_table(plan):
            return None
        found = sorted(holding[: FOUND_LIMIT + 1])
        return tuple(found) if len(found) <= FOUND_LIMIT else None

    @property
    def resemblance(self):
        """Whether an organization's name also matches by resemblance: on PostgreSQL, for single
        words of four or more letters in a script written with spaces.  Not for a phrase,
        which is to be found whole, nor for Chinese, Japanese or Korean: there a whole
        clause is one "word" to pg_trgm, so a resemblance is only a shared beginning
        (人工智慧 would match every name that starts with 人工智能)."""
        return (
            self.postgres
            and len(self.word) >= RESEMBLANCE_MIN_LENGTH
            and not any(character.isspace() for character in self.word)
            and not any(is_chinese(character) for character in self.word)
        )

    @property
    def variants(self):
        """The word in each script it may be written in (``script_variants``)."""
        return script_variants(self.word)

    def contained(self, field):
        """``field`` holds the word in one of its scripts (``variants``), whatever its case."""
        return reduce(or_, (self.holds(field, variant) for variant in self.variants))

    def holds(self, field, word):
        """``field`` holds ``word``, whatever its case.

        On PostgreSQL as ``ILIKE '%word%'`` on the bare column, which its trigram index
        (migration 0012) serves, or, for a word without letters of two cases (Chinese, a
        number), as the cheaper ``LIKE``; Django's ``icontains`` would write
        ``UPPER(column::text) LIKE …``, which that index does not serve and which costs
        more per row.  Elsewhere as ``icontains``.
        """
        if not self.postgres:
            return Q(**{f"{field}__icontains": word})
        if word.lower() == word.upper():
            return Q(**{f"{field}__contains": word})
        return Q(ContainsAnyCase(F(field), word))

    def stemmed(self):
        """The word, stemmed, is among the English words of the title and summary (PostgreSQL
        full-text search on the stored document of migration 0018, and its GIN index)."""
        from django.contrib.postgres.search import SearchQuery, SearchVectorExact

        return Q(SearchVectorExact(EnglishDocument(), SearchQuery(self.word, config="english")))

    @property
    def stems(self):
        """Whether the word is also looked for stemmed: on PostgreSQL, a single word (a phrase in
        quotes is found as written; its stop words would fall out of a full-text query) with
        no Chinese in it: English stemming has nothing to give a Chinese word, and where its
        containment is read from the whole table (a word of one or two characters, which has no
        trigram), making the English document of every row cost most of the time."""
        return (
            self.postgres
            and not any(character.isspace() for character in self.word)
            and not any(is_chinese(character) for character in self.word)
        )

    def resembled(self, field):
        """A word of ``field`` closely resembles the word (pg_trgm's ``<%``, from the same index)."""
        from django.contrib.postgres.lookups import TrigramWordSimilar

        return Q(TrigramWordSimilar(F(field), self.word))

    def own(self):
        """The word is in the measure's own text: a title, the slug, the document number, a
        summary, or, stemmed, among the English words of the title and summary."""
        own = reduce(or_, (self.contained(name) for name in model_search_fields()))
        if self.stems:
            own |= self.stemmed()
        return own

    def matches(self):
        """The measures the word matches, as a condition on the measure's own row.

        Nothing is joined, so no measure comes back twice.  On PostgreSQL every part is
        read from an index (the columns' trigram indexes, the issuer's foreign key, the
        primary key) and the parts are combined in one bitmap; the measures holding the
        word (``found``) and those its organizations target are one list of ids.  Past
        ``TARGETED_LIMIT`` it is ``pk IN`` the UNION of the parts, each still read from its
        index: an ``IN (subquery)`` among the other conditions would have every row read
        and tested.
        """
        from tracker.models import PolicyInstrument

        if self.found is not None and self.organizations and self.targeted is not None:
            listed = sorted({*self.found, *self.targeted})
            return self._among("pk", listed) | self._among("issuing_body", self.organizations)
        own = self.own() if self.found is None else self._among("pk", self.found)
        if not self.organizations:
            return own
        if self.targeted is not None:
            return own | self._named()
        measures = PolicyInstrument._base_manager
        return Q(
            pk__in=measures.filter(own)
            .order_by()
            .values("pk")
            .union(
                measures.filter(self._among("issuing_body", self.organizations)).order_by().values("pk"),
                self._targeting().order_by(),
            )
        )

    def rank(self):
        """The word's points in ``search_rank``: its best tier, plus its share of the field found in."""
        found = []
        for name, points in SEARCH_TIERS:
            if name == ORGANIZATION_NAMES:
                if self.organizations:
                    found.append(When(self._named(), then=Value(points)))
                continue
            if name == ENGLISH_WORDS:
                if self.stems:
                    found.append(When(self.stemmed(), then=Value(points)))
                continue
            for variant in self.variants:
                share = Value(SHARE_POINTS * len(variant)) / Length(name)
                found.append(When(self.holds(name, variant), then=Value(points) + share))
        return Case(*found, default=Value(0.0), output_field=FloatField())

    def _named(self):
        """Measures issued by or targeting one of the word's organizations."""
        targeted = Q(pk__in=self._targeting()) if self.targeted is None else self._among("pk", self.targeted)
        return self._among("issuing_body", self.organizations) | targeted

    def _targeting(self):
        """Ids of the measures that target one of the word's organizations, as a subquery."""
        from tracker.models import PolicyInstrument

        through = PolicyInstrument.targets.through.objects
        return through.filter(organization__in=self.organizations).values("policyinstrument_id")

    def _among(self, field, ids):
        # On PostgreSQL the ids go as one array: a thousand cost no more to send than ten.
        return Q(AnyOf(F(field), ids)) if self.postgres else Q(**{f"{field}__in": ids})


def reads_a_whole_table(node):
    """Whether a query's plan (a node of ``EXPLAIN (FORMAT JSON)``) reads some table whole."""
    return node["Node Type"] == "Seq Scan" or any(reads_a_whole_table(child) for child in node.get("Plans", ()))


class ContainsAnyCase(Lookup):
    """``lhs ILIKE '%word%'`` (PostgreSQL), the word's ``%``, ``_`` and ``\\`` taken literally.

    Used as an expression, not registered as a lookup.
    """

    lookup_name = "contains_any_case"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [f"%{connection.ops.prep_for_like_query(value)}%"]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} ILIKE {rhs}", (*lhs_params, *rhs_params)


class AnyOf(Lookup):
    """``lhs = ANY(%s)``, the list of ids one array parameter (PostgreSQL).

    A constant array, which PostgreSQL reads from the column's index or checks against a
    hash.  Used as an expression, not registered as a lookup.  The parameter is the array's
    text (``{1,2,3}``), cast to the column's array type: psycopg adapting a list of a
    thousand ids, one by one, was a tenth of a search's time in Python.
    """

    lookup_name = "any_of"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        numbers = ",".join(str(int(number)) for number in value)
        return "%s", [f"{{{numbers}}}"]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        array = f"{self.lhs.output_field.cast_db_type(connection)}[]"
        return f"{lhs} = ANY({rhs}::{array})", (*lhs_params, *rhs_params)


def model_search_fields():
    """The measure's own columns among ``SEARCH_FIELDS``, titles first (``SEARCH_TIERS``' order:
    a row read from an index is checked against them in turn, and most matches are titles)."""
    own = {name for name in PolicyInstrumentQuerySet.SEARCH_FIELDS if "__" not in name}
    return [name for name, _ in SEARCH_TIERS if name in own]
