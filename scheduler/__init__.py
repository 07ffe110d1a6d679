"""The alarm clock: claiming due reminder rows, broadcast delivery, leadership between instances."""
