"""The tracker's one search (``PolicyInstrumentQuerySet.search``) finds, ranks and never repeats measures.

On the report's data (loaded for the session) and on a few records made here; the same
tests run on SQLite and on PostgreSQL.
"""

import pytest
from django.db import connection

from tests import factories
from tracker import querysets
from tracker.models import Organization, OrganizationAlias, PolicyInstrument

pytestmark = pytest.mark.django_db

DEEPSEEK_BANS = {"us-tx-deepseek-ban", "us-nasa-deepseek-ban", "us-va-deepseek-ban", "au-deepseek-direction"}


def slugs(text):
    return list(PolicyInstrument.objects.search(text).order_by("-search_rank", "slug").values_list("slug", flat=True))


def measure(**fields):
    instrument = factories.instrument(**fields)
    instrument.save()
    return instrument


def organization(**fields):
    body = factories.organization(kind="company", **fields)
    body.save()
    return body


def test_an_english_word_finds_measures_whatever_its_case_and_inside_longer_words():
    assert set(slugs("DeepSeek")) >= DEEPSEEK_BANS
    assert set(slugs("deepseek")) == set(slugs("DeepSeek")) == set(slugs("DEEPSEEK"))
    assert set(slugs("Deep")) >= DEEPSEEK_BANS


def test_a_chinese_word_is_found_inside_a_chinese_title():
    # 人工智能 sits in the middle of the title, between the city and 創新應用先導區.
    found = slugs("人工智能")
    assert "cn-ai-application-pilot-zone-beijing" in found
    assert "cn-ai-application-pilot-zone-shenzhen" in found
    assert "cn-ai-application-pilot-zone-beijing" in slugs("創新應用")


def test_the_chinese_name_of_a_target_finds_the_measures_against_it():
    found = set(slugs("深度求索"))
    assert found >= DEEPSEEK_BANS
    targeted = set(PolicyInstrument.objects.filter(targets__slug="deepseek").values_list("slug", flat=True))
    assert targeted <= found


def test_an_alias_finds_the_measures_of_its_organization():
    # Nobody writes 英伟达 or 国务院 in a measure: the aliases of a target and of an issuer do.
    assert "us-2025-nvidia-h20-licence-requirement" in slugs("英伟达")
    assert "cn-new-generation-ai-development-plan" in slugs("国务院")
    assert "us-tx-deepseek-ban" in slugs("RedNote")


def test_every_word_must_match():
    both = set(slugs("DeepSeek Texas"))
    assert both == {"us-tx-deepseek-ban"}
    # Two targets of the same ban, each named once.
    assert set(slugs("Moomoo Webull")) == {"us-tx-deepseek-ban"}
    assert not slugs("DeepSeek zzzqqq")


def test_a_phrase_in_quotes_is_one_word():
    assert set(slugs('"No DeepSeek"')) == {"us-hr-1121-no-deepseek-on-government-devices-act"}
    assert len(slugs("No DeepSeek")) > 1  # "no" alone is part of many words
    assert set(slugs("'No DeepSeek'")) == set(slugs('"No DeepSeek"'))


def test_punctuation_is_matched_literally():
    assert "us-hr-1121-no-deepseek-on-government-devices-act" in slugs("H.R. 1121")
    # Neither a regular expression's "." nor LIKE's "_" and "%" stand for other characters.
    assert not slugs("D.epSeek")
    assert not slugs("Deep_eek")
    assert not slugs("Deep%eek")
    assert not slugs("Deep\\Seek")


def test_a_title_match_ranks_above_a_match_in_the_summary_only():
    in_summary = measure(title_en="Support for small farms", summary_en="Unlike the quokka programme, it pays cash.")
    in_title = measure(title_en="Quokka habitat programme", summary_en="Grants for habitats.")
    alone = measure(title_en="Quokka", summary_en="")
    ranked = list(PolicyInstrument.objects.search("quokka").order_by("-search_rank", "slug"))
    assert [instrument.pk for instrument in ranked] == [alone.pk, in_title.pk, in_summary.pk]
    assert ranked[0].search_rank > ranked[1].search_rank > ranked[2].search_rank
    assert all(isinstance(instrument.search_rank, float) for instrument in ranked)


def test_a_title_match_ranks_above_summary_matches_in_the_reports_data():
    ranked = slugs("Ascend")
    assert ranked[0] == "us-bis-2025-huawei-ascend-guidance"
    assert "cn-domestic-ai-chip-support" in ranked[1:]  # says "Ascend" in its summary only


def test_words_found_in_several_places_add_up():
    ranked = list(PolicyInstrument.objects.search("DeepSeek Texas").order_by("-search_rank"))
    single = PolicyInstrument.objects.search("DeepSeek").get(slug="us-tx-deepseek-ban")
    assert ranked[0].search_rank > single.search_rank


def test_a_measure_whose_several_targets_match_comes_back_once():
    holding = organization(name_en="Acme Holdings")
    OrganizationAlias.objects.create(organization=holding, name="Acme Group")
    alpha = organization(name_en="Acme Alpha Robotics", name_zh="艾克美阿爾法")
    beta = organization(name_en="Acme Beta Robotics", name_zh="艾克美貝塔")
    ban = measure(title_en="Ban on Acme robots", kind="ban", issuing_body=holding)
    ban.targets.set([alpha, beta])

    found = PolicyInstrument.objects.search("Acme")
    assert list(found.values_list("pk", flat=True)) == [ban.pk]
    assert found.count() == 1
    assert list(PolicyInstrument.objects.search("艾克美").values_list("pk", flat=True)) == [ban.pk]
    assert list(PolicyInstrument.objects.search("Acme Robotics").values_list("pk", flat=True)) == [ban.pk]
    assert "DISTINCT" not in str(found.query).upper()


def test_measures_of_a_much_targeted_organization_are_found_as_well(monkeypatch):
    """Beyond ``TARGETED_LIMIT`` the targeted measures are a subquery, not a list: same result."""
    listed = set(slugs("深度求索"))
    monkeypatch.setattr(querysets, "TARGETED_LIMIT", 1)
    assert set(slugs("深度求索")) == listed
    assert set(slugs("DeepSeek Texas")) == {"us-tx-deepseek-ban"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the lists of ids are PostgreSQL's")
def test_a_word_few_measures_hold_is_a_list_of_ids_and_finds_what_its_text_finds(monkeypatch):
    """Within ``FOUND_LIMIT`` the measures holding a word are a list of ids; past it, or for a
    word with no trigram, the text is tested: the same measures, ranked the same."""
    with connection.cursor() as cursor:
        # The report's measures are few enough for the planner to read them whole, which it
        # would not do with a hundred thousand: then their text is tested, not listed first.
        assert querysets.SearchTerm.of("DeepSeek", postgres=True, using="default").found is None
        cursor.execute("SET LOCAL enable_seqscan = off")
    words = ("DeepSeek", "深度求索", "Ascend", "人工智能", "controlling", "H.R. 1121", "DeepSeek Texas", "zzzqqq")
    listed = {word: list(PolicyInstrument.objects.search(word).order_by("-search_rank", "slug")) for word in words}
    term = querysets.SearchTerm.of("DeepSeek", postgres=True, using="default")
    assert term.found and "ILIKE" not in str(PolicyInstrument.objects.filter(term.matches()).query)
    assert querysets.SearchTerm.of("zzzqqq", postgres=True, using="default").found == ()
    # 华为 has no trigram: no index finds it, so it is not looked up.
    assert querysets.SearchTerm.of("华为", postgres=True, using="default").found is None
    monkeypatch.setattr(querysets, "FOUND_LIMIT", 0)
    assert querysets.SearchTerm.of("DeepSeek", postgres=True, using="default").found is None
    for word, found in listed.items():
        tested = list(PolicyInstrument.objects.search(word).order_by("-search_rank", "slug"))
        assert [(m.pk, m.search_rank) for m in tested] == [(m.pk, m.search_rank) for m in found], word


def test_an_unranked_search_finds_the_same_measures_without_their_rank():
    for text in ("DeepSeek", "人工智能", "DeepSeek Texas", "", "zzzqqq"):
        unranked = PolicyInstrument.objects.search(text, ranked=False)
        assert "search_rank" not in unranked.query.annotations
        assert set(unranked.values_list("pk", flat=True)) == set(
            PolicyInstrument.objects.search(text).values_list("pk", flat=True)
        ), text


def test_no_words_return_every_measure_ranked_zero():
    everything = PolicyInstrument.objects.count()
    for text in ("", "   ", None, '""'):
        found = PolicyInstrument.objects.search(text)
        assert found.count() == everything
        assert {instrument.search_rank for instrument in found[:5]} == {0.0}


def test_search_narrows_an_existing_queryset():
    bans = PolicyInstrument.objects.of_kind("ban").search("DeepSeek")
    assert set(bans.values_list("slug", flat=True)) >= DEEPSEEK_BANS
    assert set(bans.values_list("kind", flat=True)) == {"ban"}
    assert set(PolicyInstrument.objects.search("DeepSeek").of_kind("ban").values_list("pk", flat=True)) == set(
        bans.values_list("pk", flat=True)
    )


def test_a_misspelt_organization_name_is_found_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("resemblance (pg_trgm) is PostgreSQL's")
    assert set(slugs("Deepseak")) >= DEEPSEEK_BANS
    # Chinese is not matched by resemblance: 深度求素 shares only a beginning with 深度求索.
    assert not slugs("深度求素")


def test_postgresql_has_the_trigram_indexes_and_makes_trigrams_of_chinese():
    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes are PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SELECT show_trgm('人工智能')")
        assert cursor.fetchone()[0], "pg_trgm makes no trigrams of Chinese: the database's LC_CTYPE is not UTF-8 aware"
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE %s", ["%_trgm"])
        indexes = {row[0] for row in cursor.fetchall()}
    tables = {PolicyInstrument._meta.db_table, Organization._meta.db_table, OrganizationAlias._meta.db_table}
    expected = {name for name, table, _ in _migration_indexes() if table in tables}
    assert expected <= indexes
    assert {"instrument_title_zh_trgm", "organization_name_zh_trgm", "organization_alias_name_trgm"} <= expected


def _migration_indexes():
    from importlib import import_module

    return import_module("tracker.migrations.0012_search_indexes").SEARCH_INDEXES


def test_every_column_searched_is_ranked():
    own = {name for name in PolicyInstrument.objects.none().SEARCH_FIELDS if "__" not in name}
    assert set(querysets.model_search_fields()) == own
    assert {name for name, _ in querysets.SEARCH_TIERS} == own | {querysets.ORGANIZATION_NAMES, querysets.ENGLISH_WORDS}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search is PostgreSQL's")
def test_on_postgresql_a_word_finds_its_other_forms_in_english_text():
    # "controlling" is nowhere in the text; its stem is, in every "export controls".
    assert "controlling" not in " ".join(PolicyInstrument.objects.values_list("title_en", flat=True)).lower()
    found = set(PolicyInstrument.objects.search("controlling").values_list("slug", flat=True))
    expected = set(PolicyInstrument.objects.filter(title_en__icontains="control").values_list("slug", flat=True))
    assert expected and expected <= found


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the index is PostgreSQL's")
def test_the_english_full_text_condition_is_served_by_its_index():
    from django.db import connection as pg

    term = querysets.SearchTerm("controlling", postgres=True)
    queryset = PolicyInstrument.objects.filter(term.own()).order_by().values("pk")
    sql, params = queryset.query.sql_with_params()
    # The stored document is compared, never computed row by row.
    assert '"english_document" @@' in sql and "to_tsvector" not in sql, sql
    with pg.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "instrument_english_document" in plan, plan


def _documents_differing_from_english_text():
    """Measures whose stored English document is not what ``english_text()`` computes of them."""
    rows = PolicyInstrument._base_manager.annotate(
        computed=querysets.english_text(), stored=querysets.EnglishDocument()
    ).values_list("slug", "computed", "stored")
    return [slug for slug, computed, stored in rows if computed != stored]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the stored document is PostgreSQL's")
def test_the_stored_english_document_is_what_english_text_computes_after_every_write():
    # The report's measures, as loaded; then a measure saved, changed, emptied and bulk-inserted.
    assert PolicyInstrument.objects.count() > 50
    assert _documents_differing_from_english_text() == []
    written = measure(title_en="Quantum sensing export rules", summary_en="Controlling the sale of sensors.")
    assert set(slugs("controlled")) >= {written.slug} and set(slugs("sensor")) >= {written.slug}
    written.title_en, written.summary_en = "Rules on drones", ""
    written.save()
    assert written.slug not in slugs("controlled") and written.slug in slugs("drone")
    PolicyInstrument.objects.filter(pk=written.pk).update(summary_en="Exporting drones.")
    bulk = factories.instrument(title_en="Bulk inserted statutes", summary_en="")
    PolicyInstrument._base_manager.bulk_create([bulk])
    assert set(slugs("exported")) >= {written.slug} and set(slugs("statute")) >= {bulk.slug}
    assert _documents_differing_from_english_text() == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the stored document is PostgreSQL's")
def test_the_stored_english_document_is_unknown_to_django_and_its_history():
    # Django never writes it (a generated column refuses writes), and the history's copy of a
    # measure has no such column: it is PostgreSQL's alone.
    from tracker.services.records import history_model

    names = {field.column for field in PolicyInstrument._meta.concrete_fields}
    history_names = {field.column for field in history_model(PolicyInstrument)._meta.concrete_fields}
    assert querysets.ENGLISH_DOCUMENT not in names | history_names
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, is_generated FROM information_schema.columns WHERE column_name = %s",
            [querysets.ENGLISH_DOCUMENT],
        )
        assert cursor.fetchall() == [(PolicyInstrument._meta.db_table, "ALWAYS")]
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [PolicyInstrument._meta.db_table])
        indexes = {row[0] for row in cursor.fetchall()}
    # Migration 0013's index on the computed expression is read by nothing any more.
    assert "instrument_english_document" in indexes and "instrument_english_text" not in indexes
