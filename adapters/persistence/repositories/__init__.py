"""The repositories of `domain.ports`, each over one unit of work's transaction."""
