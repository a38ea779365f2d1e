from events import EventBus


def test_handlers_get_the_event():
    bus = EventBus()
    seen = []
    bus.subscribe("saved", seen.append)
    bus.emit("saved", 1)
    bus.emit("other", 2)
    assert seen == [1]
