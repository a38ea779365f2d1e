from refs import ticket_refs


def test_a_ticket_at_the_start():
    assert ticket_refs("PROJ-12 fix crash") == ["PROJ-12"]


def test_no_ticket():
    assert ticket_refs("tidy up") == []
