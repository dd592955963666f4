"""Events inventory publishes (through its outbox) and handles: see ARCHITECTURE.md's table."""
PUBLISHES: tuple[str, ...] = ()
HANDLES: tuple[tuple[str, str], ...] = ()
