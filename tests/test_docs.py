"""The data-model document and the code say the same thing."""

from pathlib import Path

from tracker.choices import DEFINITIONS, InstrumentKind, StackLayerCode

DOC = (Path(__file__).resolve().parent.parent / "docs" / "data-model.md").read_text(encoding="utf-8")


def test_every_kind_and_layer_is_defined_in_the_document_as_in_the_code():
    for vocabulary in (InstrumentKind, StackLayerCode):
        for value, definition in DEFINITIONS[vocabulary].items():
            assert f"| `{value}` | {definition} |" in DOC, value
        assert set(DEFINITIONS[vocabulary]) == set(vocabulary.values)


def test_the_write_path_page_names_every_service_and_role():
    import tracker.services as services

    page = (Path(__file__).resolve().parent.parent / "docs" / "write-path.md").read_text(encoding="utf-8")
    for name in ("save_record", "delete_record", "restore_version", "undelete", "publish", "return_to_draft"):
        assert f"`{name}" in page and hasattr(services, name)
    for role in ("analyst", "reviewer", "admin"):
        assert f"`{role}`" in page
