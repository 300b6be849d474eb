"""The storage base: database, migrations, the shared tables."""
