"""Local stand-ins of outside providers, speaking their documented HTTP protocols (tests and `make run`)."""
