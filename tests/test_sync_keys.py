"""The natural keys a sync meets, kept on disk for the run (``tracker.importers.keys``)."""

from tracker.importers.fixtures import encode_key
from tracker.importers.keys import DELETED, FAILED, STORED, KeyStore
from tracker.models import InstrumentEvent, PolicyInstrument
from tracker.services.context import RecordSet, batches


def test_keys_come_back_as_they_went_in_each_part_its_type():
    store = KeyStore()
    try:
        event = ("us-deepseek-ban-texas", "announced", 2)  # a sequence number stays a number
        store.add_stored(InstrumentEvent, [(7, event, encode_key(event))])
        store.add_stored(PolicyInstrument, [(7, ("人工智能-plan",), encode_key(("人工智能-plan",)))])

        assert store.stored_key(InstrumentEvent, 7) == event
        assert store.stored_pk(InstrumentEvent, encode_key(event)) == 7
        assert store.stored_keys(PolicyInstrument, [7, 8]) == {7: ("人工智能-plan",)}  # each model its own
        assert store.stored_pk(PolicyInstrument, encode_key(event)) is None
        assert store.stored_key(InstrumentEvent, 8) is None
    finally:
        store.close()


def test_records_of_the_files_are_found_changed_and_dropped_by_key():
    store = KeyStore()
    try:
        key = ("tx-deepseek-ban",)
        encoded = encode_key(key)
        store.put_filed(PolicyInstrument, [(encoded, key, None, 0, 0, 12, 3, 5)])
        assert store.filed(PolicyInstrument, encoded) == (key, None, 0, 0, 12, 3)
        assert store.position(PolicyInstrument, encoded) == 5 and store.has_filed(PolicyInstrument, encoded)

        store.put_filed(PolicyInstrument, [(encoded, key, 41, FAILED | DELETED | STORED, 1, 2, 0, None)])
        assert store.filed(PolicyInstrument, encoded) == (key, 41, FAILED | DELETED | STORED, 1, 2, 0)
        assert store.position(PolicyInstrument, encoded) is None
        assert not store.has_filed(InstrumentEvent, encoded)

        store.drop_filed(PolicyInstrument, encoded)
        assert store.filed(PolicyInstrument, encoded) is None and not store.has_filed(PolicyInstrument, encoded)
    finally:
        store.close()


def test_many_ids_are_looked_up_in_one_statement():
    store = KeyStore()
    try:
        keyed = [(pk, (f"m-{pk}",), encode_key((f"m-{pk}",))) for pk in range(1, 25_001)]
        store.add_stored(PolicyInstrument, keyed)
        found = store.stored_keys(PolicyInstrument, range(0, 25_002))
        assert len(found) == 25_000 and found[25_000] == ("m-25000",) and 0 not in found
    finally:
        store.close()


def test_a_change_set_remembers_its_records_in_bitmaps():
    touched = RecordSet()
    for pk in (3, 1, 2**40):
        touched.add((PolicyInstrument, pk))
    touched.add((InstrumentEvent, 1))
    touched.add((InstrumentEvent, None))  # not an id yet: kept as given
    assert (PolicyInstrument, 1) in touched and (InstrumentEvent, 1) in touched
    assert (PolicyInstrument, 2) not in touched and (InstrumentEvent, 3) not in touched
    assert (InstrumentEvent, None) in touched and len(touched) == 5
    assert sorted(pk for model, pk in touched if model is PolicyInstrument) == [1, 3, 2**40]
    assert list(batches({5, 1, 3, 9, 7}, 2)) == [[1, 3], [5, 7], [9]]
