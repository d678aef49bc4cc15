"""Database access shared by every stage: connections, the embedded server, migrations, locks."""
