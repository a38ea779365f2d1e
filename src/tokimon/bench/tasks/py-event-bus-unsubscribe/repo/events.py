"""A small publish/subscribe bus."""


class EventBus:
    def __init__(self):
        self._handlers = {}

    def subscribe(self, event, handler):
        self._handlers.setdefault(event, []).append(handler)

    def unsubscribe(self, event, handler):
        self._handlers.get(event, []).remove(handler)

    def once(self, event, handler):
        """Call ``handler`` for the next ``event`` only."""

        def wrapper(*args):
            self.unsubscribe(event, wrapper)
            handler(*args)

        self.subscribe(event, wrapper)

    def emit(self, event, *args):
        for handler in self._handlers.get(event, []):
            handler(*args)
