from refs import ticket_refs


def test_tickets_anywhere_in_order():
    assert ticket_refs("fix crash (PROJ-12, OPS-7)") == ["PROJ-12", "OPS-7"]


def test_repeats_are_dropped():
    assert ticket_refs("OPS-7: revert OPS-7, see PROJ-1") == ["OPS-7", "PROJ-1"]


def test_across_lines():
    assert ticket_refs("subject\n\nRefs: AB-1\nCloses: CD-22") == ["AB-1", "CD-22"]


def test_not_inside_words():
    assert ticket_refs("xPROJ-12 and PROJ-3") == ["PROJ-3"]
