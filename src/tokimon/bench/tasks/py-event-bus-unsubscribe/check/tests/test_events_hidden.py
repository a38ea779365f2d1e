from events import EventBus


def test_once_does_not_skip_the_next_handler():
    bus = EventBus()
    calls = []
    bus.once("saved", lambda x: calls.append(("once", x)))
    bus.subscribe("saved", lambda x: calls.append(("always", x)))
    bus.emit("saved", 1)
    bus.emit("saved", 2)
    assert calls == [("once", 1), ("always", 1), ("always", 2)]


def test_handlers_added_during_emit_wait_for_the_next_event():
    bus = EventBus()
    calls = []

    def adder(x):
        calls.append(("adder", x))
        bus.subscribe("e", lambda y: calls.append(("late", y)))

    bus.subscribe("e", adder)
    bus.emit("e", 1)
    assert calls == [("adder", 1)]


def test_a_handler_removed_by_an_earlier_one_is_still_called_this_time():
    bus = EventBus()
    calls = []

    def second(x):
        calls.append(("second", x))

    def first(x):
        calls.append(("first", x))
        if x == 1:
            bus.unsubscribe("e", second)

    bus.subscribe("e", first)
    bus.subscribe("e", second)
    bus.emit("e", 1)
    bus.emit("e", 2)
    assert calls == [("first", 1), ("second", 1), ("first", 2)]


def test_several_once_handlers():
    bus = EventBus()
    calls = []
    for name in "abc":
        bus.once("e", lambda x, name=name: calls.append(name))
    bus.emit("e", 0)
    bus.emit("e", 0)
    assert calls == ["a", "b", "c"]
